"""Signing in to the dashboard: the password is checked, failures say so, repeats lock."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import PASSWORD, app_as, texts
from trust.staff import MAX_FAILED_LOGINS


def _sign_in(app: AppTest, username: str, password: str) -> AppTest:
    app.text_input(key="login-username").input(username)
    app.text_input(key="login-password").input(password)
    return app.button[0].click().run()


def test_nobody_signed_in_sees_only_the_sign_in_form(dashboard_store) -> None:
    app = app_as(None)
    assert not app.exception
    assert [t.value for t in app.title] == ["Trust review queue"]
    assert app.text_input(key="login-password").proto.type == app.text_input(
        key="login-password").proto.PASSWORD


def test_the_right_password_opens_the_queue(staff) -> None:
    staff("ana", "analyst")
    app = _sign_in(app_as(None), "ana", PASSWORD)
    assert not app.exception
    assert "Queue" in [t.value for t in app.title]
    assert "Signed in as **ana** (analyst)" in texts(app)


def test_a_wrong_password_is_refused_with_a_reason(staff) -> None:
    staff("ana", "analyst")
    app = _sign_in(app_as(None), "ana", "not-the-password")
    assert "Not signed in: wrong username or password" in texts(app)
    assert "staff" not in app.session_state


def test_there_is_no_default_account(dashboard_store) -> None:
    app = _sign_in(app_as(None), "admin", "admin")
    assert "wrong username or password" in texts(app)


def test_repeated_failures_lock_the_account_even_for_the_right_password(staff) -> None:
    staff("ana", "analyst")
    app = app_as(None)
    for _ in range(MAX_FAILED_LOGINS):
        app = _sign_in(app, "ana", "not-the-password")
    app = _sign_in(app, "ana", PASSWORD)
    assert "this account is locked until" in texts(app)
    assert "staff" not in app.session_state


def test_signing_out_returns_to_the_sign_in_form(staff) -> None:
    app = app_as(staff("ana", "analyst"))
    app = app.button(key="sign-out").click().run()
    assert [t.value for t in app.title] == ["Trust review queue"]


def test_an_unreachable_store_is_reported_in_words(staff, monkeypatch) -> None:
    member = staff("ana", "analyst")
    monkeypatch.setenv("TRUST_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    app = _sign_in(app_as(None), "ana", PASSWORD)
    assert "nobody can sign in right now" in app.error[0].value
    app = app_as(member)
    assert not app.exception
    assert "The dashboard cannot reach its store" in app.error[0].value
