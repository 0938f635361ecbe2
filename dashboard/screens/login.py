"""Sign in: username and password; repeated failures lock the account for a while."""

from __future__ import annotations

import streamlit as st

from dashboard import session
from dashboard.components.keyboard import forget_shortcuts
from trust.errors import AccountLockedError, AuthenticationError, TrustError
from trust.staff import login

forget_shortcuts()
st.title("Trust review queue")
st.write("Sign in with the account an admin created for you (`trust staff add`).")

with st.form("sign-in"):
    username = st.text_input("Username", key="login-username")
    password = st.text_input("Password", type="password", key="login-password")
    submitted = st.form_submit_button("Sign in", type="primary")

if submitted:
    if not username or not password:
        st.error("Type your username and your password.")
        st.stop()
    try:
        member = login(session.engine(), username, password, session.now())
    except AccountLockedError as exc:
        st.error(
            f"Too many failed attempts: this account is locked until {exc.locked_until:%H:%M} "
            "UTC. Wait, or ask an admin to unlock it."
        )
    except AuthenticationError as exc:
        st.error(f"Not signed in: {exc}. Check both fields and try again.")
    except TrustError as exc:
        st.error(f"The store could not be reached, so nobody can sign in right now: {exc}")
    else:
        session.sign_in(member)
        st.rerun()
