"""What each role may see and do."""

from __future__ import annotations

import pytest

from trust.errors import PermissionDeniedError
from trust.staff import Permission, Role, StaffMember, has_permission, parse_role, require

ANALYST = StaffMember(1, "ana", Role.ANALYST)
LEAD = StaffMember(2, "lee", Role.LEAD)
ADMIN = StaffMember(3, "ada", Role.ADMIN)
P = Permission


@pytest.mark.parametrize(
    ("permission", "analyst", "lead", "admin"),
    [
        (P.VIEW_QUEUE, True, True, True),
        (P.CLAIM, True, True, True),
        (P.RESOLVE, True, True, True),
        (P.PROPOSE_SEVERE, True, True, True),
        (P.APPROVE_FOUR_EYES, False, True, True),
        (P.ACT_ON_LINKED, False, True, True),
        (P.BULK_RESOLVE, False, True, True),
        (P.EDIT_SLA, False, True, True),
        (P.REVEAL_PII, False, True, True),
        (P.MANAGE_STAFF, False, False, True),
        (P.VIEW_AUDIT, False, False, True),
    ],
)
def test_permission_table(permission: Permission, analyst: bool, lead: bool, admin: bool) -> None:
    assert [has_permission(s, permission) for s in (ANALYST, LEAD, ADMIN)] == [analyst, lead, admin]


def test_each_role_includes_the_one_below() -> None:
    from trust.staff import ROLE_PERMISSIONS

    assert ROLE_PERMISSIONS[Role.ANALYST] < ROLE_PERMISSIONS[Role.LEAD]
    assert ROLE_PERMISSIONS[Role.LEAD] < ROLE_PERMISSIONS[Role.ADMIN]


def test_a_personal_grant_lets_an_analyst_reveal() -> None:
    granted = StaffMember(4, "gus", Role.ANALYST, can_reveal_pii=True)
    assert has_permission(granted, P.REVEAL_PII)
    assert not has_permission(granted, P.MANAGE_STAFF)


def test_require_names_who_and_what() -> None:
    with pytest.raises(PermissionDeniedError, match="ana \\(analyst\\) may not manage staff"):
        require(ANALYST, P.MANAGE_STAFF)


@pytest.mark.parametrize(("text", "role"), [("lead", Role.LEAD), (" ADMIN ", Role.ADMIN)])
def test_roles_parse_from_text(text: str, role: Role) -> None:
    assert parse_role(text) is role


def test_an_unknown_role_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="analyst, lead, admin"):
        parse_role("root")
