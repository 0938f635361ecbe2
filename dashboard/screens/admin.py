"""Admin: the staff and their roles, and a search of the audit log (who did what, when)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import streamlit as st

from dashboard import session
from dashboard.components.actions import show_flash
from dashboard.components.history import audit_table
from dashboard.components.staff_admin import add_staff_form, change_staff_form, staff_table
from trust.audit import AuditFilter, search_audit
from trust.staff import Permission
from trust.store import snapshot

member = session.current_staff()
if not session.may(Permission.MANAGE_STAFF):
    st.error("The admin page is for admins only.")
    st.stop()

st.title("Admin")
show_flash()
people, audit = st.tabs(["Staff", "Audit log"])
with people:
    usernames = staff_table()
    left, right = st.columns(2)
    with left:
        st.subheader("Add a staff member")
        add_staff_form(member)
    with right:
        st.subheader("Change a staff member")
        change_staff_form(member, usernames)

with audit:
    first, second, third, fourth = st.columns(4)
    actor = first.text_input("Who (username)", key="audit-actor")
    action = second.text_input("What (e.g. resolved, claimed, pii_revealed)", key="audit-action")
    target = third.text_input("On (e.g. case 12, staff 3)", key="audit-target")
    since = fourth.date_input("Since", value=None, key="audit-since")
    target_type, _, target_id = target.strip().partition(" ")
    filters = AuditFilter(
        actor=actor.strip().lower() or None,
        action=action.strip() or None,
        target_type=target_type or None,
        target_id=target_id.strip() or None,
        since=datetime.combine(since, time(), UTC) if since else None,
        until=None,
    )
    number = int(st.session_state.get("audit-page", 1))
    with snapshot(session.engine()) as conn:
        found = search_audit(conn, filters, page=number, page_size=50)
        pages = max(1, -(-found.total // found.page_size))
        if number > pages:
            # A narrower search has fewer pages than the one we were on: back to page 1.
            st.session_state["audit-page"] = number = 1
            found = search_audit(conn, filters, page=number, page_size=50)
    st.caption(f"{found.total:,} records match, newest first. Page {number} of {pages}.")
    audit_table(found.rows, empty="No audit record matches. Clear a field to widen the search.")
    st.number_input("Page", min_value=1, max_value=pages, step=1, key="audit-page")
    st.caption("Times are UTC. The log is append-only: nothing in it is changed or deleted.")
