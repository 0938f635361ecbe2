"""Case actions besides resolving: the user answered a document request; a lead moves the SLA."""

from __future__ import annotations

from datetime import UTC, datetime, time

import streamlit as st

from dashboard import session
from dashboard.components.actions import flash, perform
from trust.cases import Case, CaseStatus
from trust.cases.workflow import resume_from_user, set_sla_due
from trust.staff import Permission, StaffMember, has_permission


def waiting_panel(member: StaffMember, case: Case) -> None:
    """A case waiting on the user: say so, and let staff put it back when the user answers."""
    st.info(
        "Waiting for the user to send documents; the SLA clock is paused. New evidence "
        "from the user puts the case back in the queue by itself."
    )
    if (
        has_permission(member, Permission.RESOLVE)
        and st.button("The user answered: put it back in the queue", key="resume")
        and perform(
            "Resuming",
            lambda conn: resume_from_user(conn, case.id, member, session.settings(), session.now()),
        )
    ):
        flash(f"Case #{case.id} is back in the queue; its SLA clock runs again.")
        st.rerun()


def sla_editor(member: StaffMember, case: Case) -> None:
    """A lead moves the case's SLA due time, with a reason (audited)."""
    if case.status == CaseStatus.RESOLVED or not has_permission(member, Permission.EDIT_SLA):
        return
    with st.expander("Change the SLA due time (leads)"):
        current = case.sla_due_at or session.now()
        day = st.date_input("New due date (UTC)", value=current.date(), key="sla-day")
        hour = st.time_input(
            "New due time (UTC)", value=current.time().replace(microsecond=0), key="sla-time"
        )
        reason = st.text_input(
            "Why", key="sla-reason", placeholder="e.g. waiting for the payment provider's report"
        )
        if st.button("Change the due time", key="sla-apply", disabled=not reason.strip()):
            due = datetime.combine(day, hour if isinstance(hour, time) else time(), UTC)
            if perform(
                "Changing the SLA",
                lambda conn: set_sla_due(conn, case.id, member, due, reason, session.now()),
            ):
                flash(f"Case #{case.id} is now due {due:%Y-%m-%d %H:%M} UTC.")
                st.rerun()
