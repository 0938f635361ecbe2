"""Signing in to the dashboard: one answer for every failure, throttled clients, idle sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.session import LAST_SEEN_KEY
from tests.dashboard.conftest import PASSWORD, app_as, texts
from trust.staff import disable_staff
from trust.store import transaction


def _sign_in(app: AppTest, username: str, password: str) -> AppTest:
    app.text_input(key="login-username").input(username)
    app.text_input(key="login-password").input(password)
    return app.button[0].click().run()


def test_nobody_signed_in_sees_only_the_sign_in_form(dashboard_store) -> None:
    app = app_as(None)
    assert not app.exception
    assert [t.value for t in app.title] == ["Trust review queue"]
    assert (
        app.text_input(key="login-password").proto.type
        == app.text_input(key="login-password").proto.PASSWORD
    )


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


def test_an_unknown_name_a_wrong_password_and_a_disabled_account_read_the_same(
    dashboard_store, staff
) -> None:
    staff("ana", "analyst")
    staff("bo", "analyst")
    with transaction(dashboard_store.engine) as conn:
        disable_staff(conn, "bo")
    answers = {
        who: [e.value for e in _sign_in(app_as(None), who, pw).error]
        for who, pw in [("nobody", PASSWORD), ("ana", "wrong"), ("bo", PASSWORD)]
    }
    assert len({tuple(a) for a in answers.values()}) == 1, answers


def test_a_browser_that_keeps_failing_must_wait_but_the_account_is_not_locked(staff) -> None:
    member = staff("ana", "analyst")
    app = app_as(None)
    for _ in range(5):  # TRUST_DASHBOARD__MAX_FAILED_SIGN_INS
        app = _sign_in(app, "ana", "not-the-password")
    app = _sign_in(app, "ana", PASSWORD)
    assert "Too many failed sign-ins from this browser" in texts(app)
    assert "staff" not in app.session_state
    assert member.active  # nothing was locked: from elsewhere, ana signs in at once
    st.cache_resource.clear()  # another dashboard process, or the window passed
    app = _sign_in(app_as(None), "ana", PASSWORD)
    assert "Signed in as **ana** (analyst)" in texts(app)


def test_a_session_idle_longer_than_the_timeout_is_signed_out(staff) -> None:
    app = app_as(staff("ana", "analyst"))
    assert "Signed in as **ana** (analyst)" in texts(app)
    app.session_state[LAST_SEEN_KEY] = datetime.now(UTC) - timedelta(minutes=31)
    app = app.run()
    assert [t.value for t in app.title] == ["Trust review queue"]
    assert "signed out after 30 minutes without activity" in texts(app)


def test_a_session_in_use_stays_signed_in(staff) -> None:
    app = app_as(staff("ana", "analyst"))
    app.session_state[LAST_SEEN_KEY] = datetime.now(UTC) - timedelta(minutes=29)
    assert "Signed in as **ana** (analyst)" in texts(app.run())


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
