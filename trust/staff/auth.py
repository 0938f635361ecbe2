"""Staff sign-in: password check with throttling, lockout and an audit record per attempt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, select, update

from trust.audit import record_audit
from trust.errors import AccountLockedError, AuthenticationError
from trust.staff.accounts import StaffMember, password_hasher
from trust.store.database import transaction
from trust.store.tables import staff_users

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
# Verified against when the username is unknown, so a miss costs the same time as a hit.
_DUMMY_HASH = password_hasher.hash("not-a-real-password-just-timing")


@dataclass(frozen=True, slots=True)
class LoginResult:
    """The outcome of one sign-in attempt: the member on success, else why not."""

    staff: StaffMember | None
    reason: str = ""
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        """True when the attempt signed someone in."""
        return self.staff is not None


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite hands timestamps back without a zone; the store writes them in UTC.
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(
    conn: Connection,
    username: str,
    password: str,
    now: datetime,
    *,
    max_failures: int = MAX_FAILED_LOGINS,
    lockout: timedelta = LOCKOUT,
) -> LoginResult:
    """Check a sign-in; counts failures and locks the account for ``lockout`` after too many.

    Never raises for bad credentials (the failure count must be committed by the caller);
    ``login`` is the raising wrapper. A locked or disabled account is refused without
    looking at the password, and the message does not tell which part was wrong.
    """
    name = username.strip().lower()
    row = conn.execute(select(staff_users).where(staff_users.c.username == name)).first()
    if row is None:
        _verify(_DUMMY_HASH, password)
        record_audit(conn, actor=name or "?", action="login_failed", target_type="staff",
                     target_id=name or "?", at=now, after={"reason": "unknown user"})
        return LoginResult(None, "wrong username or password")
    locked_until = _utc(row.locked_until)
    if locked_until is not None and locked_until > now:
        record_audit(conn, actor=name, action="login_refused_locked", target_type="staff",
                     target_id=row.id, at=now, after={"locked_until": locked_until})
        return LoginResult(None, "too many failed attempts", locked_until)
    if not row.active:
        record_audit(conn, actor=name, action="login_refused_disabled", target_type="staff",
                     target_id=row.id, at=now)
        return LoginResult(None, "this account is disabled")
    if not _verify(row.password_hash, password):
        failures = int(row.failed_logins) + 1
        lock = now + lockout if failures >= max_failures else None
        conn.execute(
            update(staff_users)
            .where(staff_users.c.id == row.id)
            .values(failed_logins=0 if lock else failures, locked_until=lock)
        )
        record_audit(conn, actor=name, action="login_failed", target_type="staff",
                     target_id=row.id, at=now,
                     after={"failed_logins": failures, "locked_until": lock})
        if lock is not None:
            return LoginResult(None, "too many failed attempts", lock)
        return LoginResult(None, "wrong username or password")
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if password_hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = password_hasher.hash(password)
    conn.execute(update(staff_users).where(staff_users.c.id == row.id).values(**values))
    record_audit(conn, actor=name, action="login", target_type="staff", target_id=row.id, at=now)
    return LoginResult(StaffMember.from_row(row))


def login(engine: Engine, username: str, password: str, now: datetime | None = None) -> StaffMember:
    """Sign in (committing the attempt) or raise AuthenticationError / AccountLockedError."""
    now = now or datetime.now(UTC)
    with transaction(engine) as conn:
        result = authenticate(conn, username, password, now)
    if result.staff is not None:
        return result.staff
    if result.locked_until is not None:
        raise AccountLockedError(username, result.locked_until)
    raise AuthenticationError(result.reason)
