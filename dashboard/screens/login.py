"""Sign in: username and password; a browser that keeps failing must wait a while.

Every failure reads the same, so the form does not tell which user names exist, and no
number of failures locks an account: the client that fails is slowed down instead.
"""

from __future__ import annotations

import streamlit as st

from dashboard import session
from dashboard.components.keyboard import forget_shortcuts
from trust.errors import AuthenticationError, TrustError
from trust.staff import login

forget_shortcuts()
st.title("Trust review queue")
st.write("Sign in with the account an admin created for you (`trust staff add`).")
if why := st.session_state.get(session.SIGNED_OUT_KEY):
    st.info(why)

with st.form("sign-in"):
    username = st.text_input("Username", key="login-username")
    password = st.text_input("Password", type="password", key="login-password")
    submitted = st.form_submit_button("Sign in", type="primary")

if submitted:
    if not username or not password:
        st.error("Type your username and your password.")
        st.stop()
    throttle, client, moment = session.sign_in_throttle(), session.client_address(), session.now()
    wait = throttle.wait(client, moment)
    if wait.total_seconds() > 0:
        st.error(
            f"Too many failed sign-ins from this browser. Try again in "
            f"{max(1, round(wait.total_seconds() / 60))} minute(s)."
        )
        st.stop()
    try:
        member = login(session.engine(), username, password, moment)
    except AuthenticationError as exc:
        throttle.failed(client, moment)
        st.error(f"Not signed in: {exc}. Check both fields and try again.")
    except TrustError as exc:
        st.error(f"The store could not be reached, so nobody can sign in right now: {exc}")
    else:
        throttle.succeeded(client)
        session.sign_in(member)
        st.rerun()
