"""Who holds a case, and the buttons to take it, keep it or give it back."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from dashboard import session
from dashboard.components.actions import flash, perform
from dashboard.components.sla import duration_words
from trust.cases import Case, CaseStatus, claim, claimable_statuses, release, renew
from trust.staff import Permission, StaffMember, has_permission


def claim_controls(member: StaffMember, case: Case) -> bool:
    """Show the claim state with its buttons; True when ``member`` holds the case now."""
    now = session.now()
    lease = timedelta(seconds=session.settings().sla.lease_seconds)
    holder = case.holder(now)
    if case.status == CaseStatus.RESOLVED:
        return False
    if holder == member.username and case.lease_expires_at is not None:
        left = duration_words((case.lease_expires_at - now).total_seconds())
        st.success(f"You hold this case for another {left}.")
        keep, give_back = st.columns(2)
        if keep.button("Keep it longer", key="renew") and perform(
            "Renewing", lambda conn: renew(conn, case.id, member, now, lease)
        ):
            st.rerun()
        if give_back.button("Give it back to the queue", key="release") and perform(
            "Releasing", lambda conn: release(conn, case.id, member, now)
        ):
            flash(f"Case #{case.id} is back in the queue.", "info")
            st.rerun()
        return True
    if holder is not None:
        st.info(f"**{holder}** is working on this case. You can read it, but not act on it.")
        return False
    if case.status == CaseStatus.AWAITING_APPROVAL and case.proposed_by == member.username:
        st.info("You proposed this decision: a lead other than you approves or rejects it.")
        return False
    if case.status not in claimable_statuses(member):
        st.info("This case is waiting for a lead: only leads can take it.")
        return False
    if not has_permission(member, Permission.CLAIM):
        st.info("Your role can read cases but not claim them.")
    elif st.button("Claim this case", type="primary", key="claim") and perform(
        "Claiming", lambda conn: claim(conn, case.id, member, now, lease)
    ):
        flash(f"You claimed case #{case.id}.")
        st.rerun()
    return False
