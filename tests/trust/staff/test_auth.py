"""Sign-in: right and wrong passwords, one answer for every failure, no account lock-out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from trust.errors import AuthenticationError
from trust.staff import SIGN_IN_REFUSED, add_staff, authenticate, disable_staff, login
from trust.store import Store, transaction
from trust.store.tables import audit_log, staff_users

NOW = datetime(2026, 3, 4, 10, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def lee(store: Store) -> Store:
    with transaction(store.engine) as conn:
        add_staff(conn, "lee", "lead", PASSWORD)
    return store


def attempt(store: Store, password: str, now: datetime = NOW) -> object:
    with transaction(store.engine) as conn:
        return authenticate(conn, "lee", password, now)


def test_the_right_password_signs_in(lee: Store) -> None:
    result = attempt(lee, PASSWORD)
    assert result.ok and result.staff.username == "lee"  # type: ignore[attr-defined]


def test_a_wrong_password_or_unknown_user_gives_the_same_answer(lee: Store) -> None:
    wrong = attempt(lee, "nope")
    with transaction(lee.engine) as conn:
        unknown = authenticate(conn, "nobody", PASSWORD, NOW)
    assert not wrong.ok and not unknown.ok  # type: ignore[attr-defined]
    assert wrong.reason == unknown.reason == "wrong username or password"  # type: ignore[attr-defined]


def test_no_number_of_failures_locks_the_account(lee: Store) -> None:
    # Anyone who knows a user name could otherwise lock that member out; the dashboard
    # throttles the failing client instead (trust.staff.throttle).
    for i in range(20):
        assert not attempt(lee, f"guess-{i}").ok  # type: ignore[attr-defined]
    assert attempt(lee, PASSWORD).ok  # type: ignore[attr-defined]


def test_failures_are_counted_for_admins_and_reset_by_a_success(lee: Store) -> None:
    for _ in range(3):
        attempt(lee, "wrong")
    with lee.engine.connect() as conn:
        assert conn.execute(select(staff_users.c.failed_logins)).scalar_one() == 3
    attempt(lee, PASSWORD)
    with lee.engine.connect() as conn:
        assert conn.execute(select(staff_users.c.failed_logins)).scalar_one() == 0


def test_a_disabled_account_gets_the_same_answer_as_a_wrong_password(lee: Store) -> None:
    with transaction(lee.engine) as conn:
        disable_staff(conn, "lee")
    with pytest.raises(AuthenticationError, match=f"^{SIGN_IN_REFUSED}$"):
        login(lee.engine, "lee", PASSWORD, NOW)
    with lee.engine.connect() as conn:
        assert (
            conn.execute(select(audit_log.c.after).order_by(audit_log.c.id.desc())).first()[0][
                "reason"
            ]
            == "account disabled"
        )  # type: ignore[index]


def test_a_name_longer_than_any_account_is_refused_and_audited(store: Store) -> None:
    # On PostgreSQL the look-up itself used to fail, shown as "store unreachable".
    with pytest.raises(AuthenticationError, match=f"^{SIGN_IN_REFUSED}$"):
        login(store.engine, "x" * 500, PASSWORD, NOW)
    with store.engine.connect() as conn:
        row = conn.execute(select(audit_log)).one()
    assert row.action == "login_failed" and row.after["reason"] == "name too long"
    assert len(row.actor) <= 64


def test_every_attempt_is_audited(lee: Store) -> None:
    attempt(lee, "wrong")
    attempt(lee, PASSWORD)
    with lee.engine.connect() as conn:
        actions = conn.execute(select(audit_log.c.action).order_by(audit_log.c.id)).scalars()
        assert list(actions)[-2:] == ["login_failed", "login"]
