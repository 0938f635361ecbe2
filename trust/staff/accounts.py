"""Staff user accounts: created explicitly (there is no default account), argon2-hashed."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Connection, insert, select, update

from trust.audit import SYSTEM_ACTOR, record_audit
from trust.errors import StaffError
from trust.staff.roles import Role, parse_role
from trust.store.tables import staff_users

MIN_PASSWORD_LENGTH = 12
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
password_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A signed-in (or looked-up) member of staff; what case and page checks need."""

    id: int
    username: str
    role: Role
    can_reveal_pii: bool = False
    active: bool = True

    @classmethod
    def from_row(cls, row: Any) -> StaffMember:
        """Build from a staff_users row."""
        return cls(
            id=int(row.id),
            username=row.username,
            role=parse_role(row.role),
            can_reveal_pii=bool(row.can_reveal_pii),
            active=bool(row.active),
        )


@dataclass(frozen=True, slots=True)
class StaffListing:
    """A staff user as the staff list shows them: never the password hash."""

    id: int
    username: str
    role: str
    can_reveal_pii: bool
    active: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime
    last_login_at: datetime | None


def generate_password() -> str:
    """A random 24-character password, shown once to the person who creates the account."""
    return secrets.token_urlsafe(18)


def _check_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise StaffError(
            f"username {username!r} must be 2-64 characters of a-z, 0-9, '.', '_' or '-'"
        )
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def add_staff(
    conn: Connection,
    username: str,
    role: Role | str,
    password: str | None = None,
    *,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> str:
    """Create a staff user and return the password (generated when ``password`` is None)."""
    name = _check_username(username)
    role = parse_role(role) if isinstance(role, str) else role
    if password is None:
        password = generate_password()
    _check_password(password)
    if conn.execute(select(staff_users.c.id).where(staff_users.c.username == name)).first():
        raise StaffError(f"a staff user named {name!r} already exists")
    now = now or datetime.now(UTC)
    staff_id = conn.execute(
        insert(staff_users)
        .values(
            username=name,
            password_hash=password_hasher.hash(password),
            role=role.value,
            can_reveal_pii=False,
            active=True,
            failed_logins=0,
            created_at=now,
        )
        .returning(staff_users.c.id)
    ).scalar_one()
    record_audit(
        conn,
        actor=actor,
        action="staff_added",
        target_type="staff",
        target_id=staff_id,
        at=now,
        after={"username": name, "role": role.value},
    )
    return password


def get_staff(conn: Connection, username: str) -> StaffMember | None:
    """The staff user called ``username``, or None."""
    row = conn.execute(
        select(staff_users).where(staff_users.c.username == username.strip().lower())
    ).first()
    return StaffMember.from_row(row) if row else None


def list_staff(conn: Connection) -> list[StaffListing]:
    """Every staff user with role, status and last login (never the password hash)."""
    columns = [staff_users.c[name] for name in StaffListing.__dataclass_fields__]
    rows = conn.execute(select(*columns).order_by(staff_users.c.username)).mappings()
    return [StaffListing(**r) for r in rows]


def _change(
    conn: Connection,
    username: str,
    values: dict[str, Any],
    *,
    action: str,
    actor: str,
    now: datetime | None,
) -> None:
    name = username.strip().lower()
    row = conn.execute(select(staff_users).where(staff_users.c.username == name)).first()
    if row is None:
        raise StaffError(f"no staff user named {name!r}")
    before = {key: getattr(row, key) for key in values}
    conn.execute(update(staff_users).where(staff_users.c.id == row.id).values(**values))
    record_audit(
        conn,
        actor=actor,
        action=action,
        target_type="staff",
        target_id=row.id,
        at=now or datetime.now(UTC),
        before={"username": name, **before},
        after={"username": name, **values},
    )


def set_role(
    conn: Connection,
    username: str,
    role: Role | str,
    *,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> None:
    """Give ``username`` another role (audited)."""
    role = parse_role(role) if isinstance(role, str) else role
    _change(conn, username, {"role": role.value}, action="staff_role_changed", actor=actor, now=now)


def set_reveal_grant(
    conn: Connection,
    username: str,
    allowed: bool,
    *,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> None:
    """Grant or withdraw a personal permission to reveal personal data (audited)."""
    _change(
        conn,
        username,
        {"can_reveal_pii": allowed},
        action="staff_reveal_grant",
        actor=actor,
        now=now,
    )


def disable_staff(
    conn: Connection, username: str, *, actor: str = SYSTEM_ACTOR, now: datetime | None = None
) -> None:
    """Stop ``username`` from signing in; the account and its history stay (audited)."""
    _change(conn, username, {"active": False}, action="staff_disabled", actor=actor, now=now)


def enable_staff(
    conn: Connection, username: str, *, actor: str = SYSTEM_ACTOR, now: datetime | None = None
) -> None:
    """Let a disabled ``username`` sign in again and clear any lockout (audited)."""
    _change(
        conn,
        username,
        {"active": True, "failed_logins": 0, "locked_until": None},
        action="staff_enabled",
        actor=actor,
        now=now,
    )


def set_password(
    conn: Connection,
    username: str,
    password: str,
    *,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> None:
    """Replace the password of ``username`` (audited without the password)."""
    _check_password(password)
    name = username.strip().lower()
    result = conn.execute(
        update(staff_users)
        .where(staff_users.c.username == name)
        .values(password_hash=password_hasher.hash(password), failed_logins=0, locked_until=None)
    )
    if result.rowcount == 0:
        raise StaffError(f"no staff user named {name!r}")
    record_audit(
        conn,
        actor=actor,
        action="staff_password_set",
        target_type="staff",
        target_id=name,
        at=now or datetime.now(UTC),
    )
