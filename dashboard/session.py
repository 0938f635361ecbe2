"""The dashboard's wiring: settings and the store (one per process), and who is signed in.

Streamlit re-runs a page's script on every click; what must outlive a run lives here. The
store is a process-wide resource keyed by its URL, so a second dashboard process (or a test
pointing ``TRUST_DATABASE_URL`` at another file) never shares an engine by accident.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from trust.encryption import Keyring
from trust.errors import StoreError
from trust.settings import Settings
from trust.staff import Permission, SignInThrottle, StaffMember, get_staff, has_permission
from trust.store import Store, snapshot

STAFF_KEY = "staff"
LAST_SEEN_KEY = "last-seen"
SIGNED_OUT_KEY = "signed-out-why"


@st.cache_resource(show_spinner=False)
def _settings_for(environment: tuple[tuple[str, str], ...]) -> Settings:
    # Keyed by the TRUST_* variables so a changed environment gives fresh settings.
    return Settings()


def settings() -> Settings:
    """The settings named by the ``TRUST_*`` environment of this process."""
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("TRUST_")))
    return _settings_for(env)


@st.cache_resource(show_spinner=False)
def store_for(url: str) -> Store:
    """The migrated store at ``url``, opened once per process (StoreError if unreachable)."""
    try:
        return Store.open(url, keyring=Keyring.from_settings(settings()))
    except SQLAlchemyError as exc:
        # Not cached: the next click tries again, so the dashboard recovers with the database.
        raise StoreError(str(getattr(exc, "orig", None) or exc).strip()) from exc


def store() -> Store:
    """The migrated store of these settings, opened once per process."""
    return store_for(settings().resolved_database_url)


def engine() -> Engine:
    """The store's engine, for ``trust`` functions that open their own transaction."""
    return store().engine


def database_key() -> str:
    """A cache key naming the database, so cached reads never mix two stores."""
    return settings().resolved_database_url


def now() -> datetime:
    """The current instant, in UTC."""
    return datetime.now(UTC)


def signed_in() -> StaffMember | None:
    """The member of staff signed in to this browser session, refreshed from the store.

    Re-reading the row on every run means a disabled account or a changed role takes effect
    at the next click, not at the next sign-in.
    """
    member = st.session_state.get(STAFF_KEY)
    if not isinstance(member, StaffMember):
        return None
    moment, idle_limit = now(), timedelta(minutes=settings().dashboard.idle_timeout_minutes)
    last_seen = st.session_state.get(LAST_SEEN_KEY)
    if isinstance(last_seen, datetime) and moment - last_seen > idle_limit:
        sign_out()
        st.session_state[SIGNED_OUT_KEY] = (
            f"You were signed out after {idle_limit.total_seconds() / 60:g} minutes without "
            "activity. Sign in again."
        )
        return None
    st.session_state[LAST_SEEN_KEY] = moment
    with snapshot(engine()) as conn:
        fresh = get_staff(conn, member.username)
    if fresh is None or not fresh.active:
        sign_out()
        return None
    st.session_state[STAFF_KEY] = fresh
    return fresh


def sign_in(member: StaffMember) -> None:
    """Remember ``member`` as signed in for this browser session."""
    st.session_state.pop(SIGNED_OUT_KEY, None)
    st.session_state[STAFF_KEY] = member
    st.session_state[LAST_SEEN_KEY] = now()


@st.cache_resource(show_spinner=False)
def _throttle(max_failures: int, window_seconds: int) -> SignInThrottle:
    return SignInThrottle(max_failures, timedelta(seconds=window_seconds))


def sign_in_throttle() -> SignInThrottle:
    """The process's count of failed sign-ins per client."""
    knobs = settings().dashboard
    return _throttle(knobs.max_failed_sign_ins, knobs.sign_in_window_seconds)


def client_address() -> str:
    """Who is signing in, as far as the server can tell: the browser's address."""
    address = st.context.ip_address
    # None when Streamlit cannot tell (and not a string at all under its AppTest harness).
    return address if isinstance(address, str) and address else "unknown"


def sign_out() -> None:
    """Forget who is signed in and everything revealed during the session."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def current_staff() -> StaffMember:
    """The signed-in member (pages run only after the login gate let someone in)."""
    member = st.session_state.get(STAFF_KEY)
    if not isinstance(member, StaffMember):
        st.error("You are not signed in. Open the dashboard's address again to sign in.")
        st.stop()
    return member


def may(permission: Permission) -> bool:
    """True when the signed-in member holds ``permission``."""
    member = st.session_state.get(STAFF_KEY)
    return isinstance(member, StaffMember) and has_permission(member, permission)
