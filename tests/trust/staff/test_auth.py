"""Sign-in: right and wrong passwords, lockout after repeated failures, disabled accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from trust.errors import AccountLockedError, AuthenticationError
from trust.staff import MAX_FAILED_LOGINS, add_staff, authenticate, disable_staff, login
from trust.store import Store, transaction
from trust.store.tables import audit_log

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


def test_repeated_failures_lock_the_account_even_for_the_right_password(lee: Store) -> None:
    for i in range(MAX_FAILED_LOGINS - 1):
        assert not attempt(lee, f"guess-{i}").ok  # type: ignore[attr-defined]
    locked = attempt(lee, "last-guess")
    assert locked.locked_until == NOW + timedelta(minutes=15)  # type: ignore[attr-defined]
    assert not attempt(lee, PASSWORD, NOW + timedelta(minutes=5)).ok  # type: ignore[attr-defined]
    assert attempt(lee, PASSWORD, NOW + timedelta(minutes=16)).ok  # type: ignore[attr-defined]


def test_a_success_resets_the_failure_count(lee: Store) -> None:
    for _ in range(MAX_FAILED_LOGINS - 1):
        attempt(lee, "wrong")
    assert attempt(lee, PASSWORD).ok  # type: ignore[attr-defined]
    for _ in range(MAX_FAILED_LOGINS - 1):
        attempt(lee, "wrong")
    assert attempt(lee, PASSWORD).ok  # type: ignore[attr-defined]


def test_a_disabled_account_cannot_sign_in(lee: Store) -> None:
    with transaction(lee.engine) as conn:
        disable_staff(conn, "lee")
    with pytest.raises(AuthenticationError, match="disabled"):
        login(lee.engine, "lee", PASSWORD, NOW)


def test_login_raises_with_the_lockout_time_and_commits_the_count(lee: Store) -> None:
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(AuthenticationError):
            login(lee.engine, "lee", "wrong", NOW)
    with pytest.raises(AccountLockedError) as raised:
        login(lee.engine, "lee", "wrong", NOW)
    assert raised.value.locked_until == NOW + timedelta(minutes=15)


def test_every_attempt_is_audited(lee: Store) -> None:
    attempt(lee, "wrong")
    attempt(lee, PASSWORD)
    with lee.engine.connect() as conn:
        actions = conn.execute(select(audit_log.c.action).order_by(audit_log.c.id)).scalars()
        assert list(actions)[-2:] == ["login_failed", "login"]
