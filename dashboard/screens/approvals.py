"""Awaiting my approval: proposals by others that a lead approves or rejects (four-eyes)."""

from __future__ import annotations

import streamlit as st

from dashboard import cached, session
from dashboard.components.actions import show_flash
from dashboard.components.case_table import case_table
from dashboard.components.enforcement import pending_blocks

member = session.current_staff()
db = session.database_key()

st.title("Awaiting my approval")
show_flash()
st.subheader("Case decisions")
waiting = cached.awaiting_me(db, member.username)
if waiting:
    st.caption("Open a case to approve or reject its proposal; you cannot approve your own.")
    case_table(waiting, session.now(), key="approvals-table")
else:
    st.info("No case decision waits for your approval.")
st.subheader("Linked-account blocks")
pending_blocks(member)
if not [p for p in cached.enforcement_proposals(db) if p.proposed_by != member.username]:
    st.info("No linked-account block waits for your approval.")
