"""Staff accounts: explicit creation, argon2 hashes, audited changes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from trust.errors import StaffError
from trust.staff import (
    Role,
    add_staff,
    disable_staff,
    get_staff,
    list_staff,
    set_reveal_grant,
    set_role,
)
from trust.store import Store, transaction
from trust.store.tables import audit_log, staff_users


def test_there_is_no_default_account(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(staff_users)).scalar_one() == 0


def test_a_generated_password_is_returned_once_and_stored_hashed(store: Store) -> None:
    with transaction(store.engine) as conn:
        password = add_staff(conn, "Ana", "analyst", None)
        stored = conn.execute(select(staff_users.c.password_hash)).scalar_one()
    assert len(password) >= 20
    assert password not in stored and stored.startswith("$argon2id$")
    with store.engine.connect() as conn:
        member = get_staff(conn, "ana")
    assert member is not None and member.role is Role.ANALYST and member.active


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("a", None, "2-64 characters"),
        ("bad name", None, "2-64 characters"),
        ("ok-name", "short", "at least 12"),
    ],
)
def test_bad_usernames_and_passwords_are_refused(
    store: Store, username: str, password: str | None, message: str
) -> None:
    with transaction(store.engine) as conn, pytest.raises(StaffError, match=message):
        add_staff(conn, username, "analyst", password)


def test_usernames_are_unique(store: Store) -> None:
    with transaction(store.engine) as conn:
        add_staff(conn, "lee", "lead", "a-long-enough-password")
        with pytest.raises(StaffError, match="already exists"):
            add_staff(conn, "LEE", "analyst")


def test_role_changes_and_disabling_are_audited(store: Store) -> None:
    with transaction(store.engine) as conn:
        add_staff(conn, "sam", Role.ANALYST, actor="ada")
        set_role(conn, "sam", "lead", actor="ada")
        set_reveal_grant(conn, "sam", True, actor="ada")
        disable_staff(conn, "sam", actor="ada")
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).all()
        listed = list_staff(conn)
    assert [r.action for r in rows] == [
        "staff_added",
        "staff_role_changed",
        "staff_reveal_grant",
        "staff_disabled",
    ]
    assert rows[1].before == {"username": "sam", "role": "analyst"}
    assert rows[1].after == {"username": "sam", "role": "lead"}
    assert {r.actor for r in rows} == {"ada"}
    assert listed[0].role == "lead" and listed[0].active is False
    assert not hasattr(listed[0], "password_hash")


def test_changing_an_unknown_user_says_so(store: Store) -> None:
    with transaction(store.engine) as conn, pytest.raises(StaffError, match="no staff user"):
        set_role(conn, "ghost", "admin")
