"""Staff sign-in: password check, one answer for every failure, an audit record per attempt.

Repeated failures never lock an account (anyone who knew a user name could lock a member
out); the dashboard slows down the *client* that keeps failing (``trust.staff.throttle``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, select, update

from trust.audit import record_audit
from trust.errors import AuthenticationError
from trust.staff.accounts import StaffMember, password_hasher
from trust.store.database import transaction
from trust.store.tables import staff_users

# The same words for an unknown name, a wrong password and a disabled account, so a
# sign-in form does not tell which user names exist; the audit log keeps the real reason.
SIGN_IN_REFUSED = "wrong username or password"
MAX_USERNAME = 64  # staff_users.username is String(64)


@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so a miss costs the same time as a hit.

    Made on first use, not at import: argon2 spends ~0.2 s of CPU on it, and every process
    that imports ``trust.cases`` (``trust decide``, the API, the workers) imports this module.
    """
    return password_hasher.hash("not-a-real-password-just-timing")


@dataclass(frozen=True, slots=True)
class LoginResult:
    """The outcome of one sign-in attempt: the member on success, else the uniform refusal."""

    staff: StaffMember | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True when the attempt signed someone in."""
        return self.staff is not None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _refused(
    conn: Connection, name: str, target: object, now: datetime, why: str, **after: object
) -> LoginResult:
    record_audit(
        conn,
        actor=name[:MAX_USERNAME] or "?",
        action="login_failed",
        target_type="staff",
        target_id=str(target)[:MAX_USERNAME] or "?",
        at=now,
        after={"reason": why, **after},
    )
    return LoginResult(None, SIGN_IN_REFUSED)


def authenticate(conn: Connection, username: str, password: str, now: datetime) -> LoginResult:
    """Check a sign-in; every failure gets the same answer and an audit record.

    Never raises for bad credentials (the audit record must be committed by the caller);
    ``login`` is the raising wrapper. Failures are counted on the account for staff
    admins to see, but never lock it.
    """
    name = username.strip().lower()
    if len(name) > MAX_USERNAME:
        # No such name can exist; asking the database would fail on PostgreSQL.
        _verify(_dummy_hash(), password)
        return _refused(conn, name, name, now, "name too long", length=len(name))
    row = conn.execute(select(staff_users).where(staff_users.c.username == name)).first()
    if row is None:
        _verify(_dummy_hash(), password)
        return _refused(conn, name, name, now, "unknown user")
    if not _verify(row.password_hash, password):
        failures = int(row.failed_logins) + 1
        conn.execute(
            update(staff_users).where(staff_users.c.id == row.id).values(failed_logins=failures)
        )
        return _refused(conn, name, row.id, now, "wrong password", failed_logins=failures)
    if not row.active:
        # Checked after the password, so a guesser learns nothing about disabled accounts.
        return _refused(conn, name, row.id, now, "account disabled")
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if password_hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = password_hasher.hash(password)
    conn.execute(update(staff_users).where(staff_users.c.id == row.id).values(**values))
    record_audit(conn, actor=name, action="login", target_type="staff", target_id=row.id, at=now)
    return LoginResult(StaffMember.from_row(row))


def login(engine: Engine, username: str, password: str, now: datetime | None = None) -> StaffMember:
    """Sign in (committing the attempt's audit record) or raise AuthenticationError."""
    now = now or datetime.now(UTC)
    with transaction(engine) as conn:
        result = authenticate(conn, username, password, now)
    if result.staff is None:
        raise AuthenticationError(result.reason)
    return result.staff
