"""The review dashboard: a sign-in gate, then the pages the signed-in member's role allows.

Run with ``streamlit run dashboard/app.py --server.address 127.0.0.1 --server.headless true``;
settings come from the ``TRUST_*`` environment like every other part of the pipeline.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import session
from dashboard.components.approvals import waiting_for
from dashboard.components.keyboard import shortcut_help
from dashboard.components.search import search_box
from dashboard.navigation import page, pages_for
from trust.errors import StoreError
from trust.staff import Permission, has_permission

# An emoji, not ":material/shield:": a Material favicon is fetched from fonts.gstatic.com,
# and nothing the dashboard shows may make the browser leave this machine.
st.set_page_config(page_title="Trust review queue", page_icon="🛡️", layout="wide")

try:
    member = session.signed_in()
except StoreError as exc:
    st.error(
        f"The dashboard cannot reach its store ({exc}). Check TRUST_DATABASE_URL and that "
        "the database is running, then reload this page."
    )
    st.stop()
if member is None:
    login = st.Page(
        Path(__file__).parent / "screens" / "login.py", title="Sign in", icon=":material/login:"
    )
    st.navigation([login], position="hidden").run()
else:
    with st.sidebar:
        st.markdown(f"Signed in as **{member.username}** ({member.role.value})")
        if st.button("Sign out", key="sign-out"):
            session.sign_out()
            st.rerun()
        shortcut_help()
        if has_permission(member, Permission.VIEW_ACCOUNTS) and search_box(
            member, key="sidebar-search"
        ):
            st.switch_page(page("accounts"))
    counts = (
        {"approvals": waiting_for(member)}
        if has_permission(member, Permission.APPROVE_FOUR_EYES)
        else {}
    )
    st.navigation(pages_for(member, counts)).run()
