"""Staff roles and the permission table that limits pages and actions."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from trust.errors import PermissionDeniedError


class Role(StrEnum):
    """What a staff member is hired to do."""

    ANALYST = "analyst"
    LEAD = "lead"
    ADMIN = "admin"


class Permission(StrEnum):
    """One thing a role may see or do; pages and case actions check these."""

    VIEW_QUEUE = "view_queue"
    VIEW_ACCOUNTS = "view_accounts"
    VIEW_RULES = "view_rules"
    VIEW_QUARANTINE = "view_quarantine"
    VIEW_METRICS = "view_metrics"
    CLAIM = "claim"
    ADD_NOTE = "add_note"
    RESOLVE = "resolve"  # the non-severe actions: approve, dismiss, remove review, ...
    PROPOSE_SEVERE = "propose_severe"  # block and dispute money outcomes, pending approval
    APPROVE_FOUR_EYES = "approve_four_eyes"
    ACT_ON_LINKED = "act_on_linked"  # hold linked accounts together, propose blocking them
    BULK_RESOLVE = "bulk_resolve"
    WORK_ESCALATED = "work_escalated"
    EDIT_SLA = "edit_sla"
    REVEAL_PII = "reveal_pii"
    MANAGE_STAFF = "manage_staff"
    VIEW_AUDIT = "view_audit"


_ANALYST = frozenset(
    {
        Permission.VIEW_QUEUE,
        Permission.VIEW_ACCOUNTS,
        Permission.VIEW_RULES,
        Permission.VIEW_QUARANTINE,
        Permission.VIEW_METRICS,
        Permission.CLAIM,
        Permission.ADD_NOTE,
        Permission.RESOLVE,
        Permission.PROPOSE_SEVERE,
    }
)
_LEAD = _ANALYST | {
    Permission.APPROVE_FOUR_EYES,
    Permission.ACT_ON_LINKED,
    Permission.BULK_RESOLVE,
    Permission.WORK_ESCALATED,
    Permission.EDIT_SLA,
    Permission.REVEAL_PII,
}
_ADMIN = _LEAD | {Permission.MANAGE_STAFF, Permission.VIEW_AUDIT}

# Each role includes everything of the role before it.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ANALYST: _ANALYST,
    Role.LEAD: frozenset(_LEAD),
    Role.ADMIN: frozenset(_ADMIN),
}


class HasRole(Protocol):
    """Anything with a username, a role and the per-user reveal grant (a ``StaffMember``)."""

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> Role: ...

    @property
    def can_reveal_pii(self) -> bool: ...


def parse_role(value: str) -> Role:
    """The role named ``value``; raises ValueError listing the valid names."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {value!r}; expected one of {names}") from None


def permissions_of(staff: HasRole) -> frozenset[Permission]:
    """Everything ``staff`` may do: the role's permissions plus a personal reveal grant."""
    granted = ROLE_PERMISSIONS[staff.role]
    if staff.can_reveal_pii:
        granted = granted | {Permission.REVEAL_PII}
    return granted


def has_permission(staff: HasRole, permission: Permission) -> bool:
    """True when ``staff`` holds ``permission``."""
    return permission in permissions_of(staff)


def require(staff: HasRole, permission: Permission) -> None:
    """Raise PermissionDeniedError unless ``staff`` holds ``permission``."""
    if not has_permission(staff, permission):
        raise PermissionDeniedError(
            f"{staff.username} ({staff.role.value}) may not {permission.value.replace('_', ' ')}"
        )
