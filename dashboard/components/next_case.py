"""'Claim next': take the most urgent free case matching the queue filters, and open it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import streamlit as st

from dashboard import session
from dashboard.components.actions import flash, perform
from dashboard.navigation import page
from trust.cases import QueueFilter, claim_next
from trust.staff import Permission, StaffMember

FILTERS = "queue-filters-in-use"


def remember_filters(filters: dict[str, Any]) -> None:
    """Keep the queue's filters, so 'Claim next' on a case page follows them too."""
    st.session_state[FILTERS] = filters


def claim_next_button(member: StaffMember, label: str = "Claim next") -> None:
    """The button (shortcut Alt+N) that claims the next case and switches to it."""
    if not session.may(Permission.CLAIM):
        return
    lease = timedelta(seconds=session.settings().sla.lease_seconds)
    filters = st.session_state.get(FILTERS, {})
    if not st.button(
        label,
        type="primary",
        key="claim-next",
        help="Takes the highest-priority free case that matches the queue "
        f"filters, for {lease.seconds // 60} minutes (Alt+N).",
    ):
        return
    done = perform(
        "Claim next",
        lambda conn: claim_next(conn, member, QueueFilter(**filters), session.now(), lease),
    )
    if done is not None and done.value is None:
        st.info(
            "Nothing to claim: no free case matches the filters. "
            "Clear some filters, or come back when new cases arrive."
        )
    elif done is not None and done.value is not None:
        flash(f"You claimed case #{done.value.id}. It is yours for {lease.seconds // 60} minutes.")
        st.switch_page(page("case"), query_params={"case": str(done.value.id)})
