"""Resolving many cases with one action and one reason (leads), e.g. a wave of false positives."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from dashboard import session
from dashboard.components.actions import flash, perform
from dashboard.components.case_table import case_label
from dashboard.components.resolution import ACTION_WORDS, reason_words
from trust.cases.queries import QueueItem
from trust.cases.reasons import RESOLUTION_REASONS, SUGGESTED
from trust.cases.resolution import FOUR_EYES, NOT_FINAL, Action, Resolution, bulk_resolve
from trust.staff import StaffMember

BULK_ACTIONS = [a for a in ACTION_WORDS if a not in FOUR_EYES | NOT_FINAL]


def bulk_resolve_form(member: StaffMember, items: Sequence[QueueItem]) -> None:
    """Pick cases on this page, one action and one reason; skipped cases say why."""
    labels = {item.case.id: case_label(item) for item in items}
    with st.expander("Resolve several cases at once"):
        st.caption("Blocks, escrow outcomes, escalations and document requests are decided "
                   "one case at a time.")
        chosen = st.multiselect("Cases", list(labels), format_func=lambda i: labels[i],
                                key="bulk-cases")
        action = st.selectbox("Action", BULK_ACTIONS, format_func=lambda a: ACTION_WORDS[a],
                              key="bulk-action")
        reasons = list(SUGGESTED.get(action.value, ())) or list(RESOLUTION_REASONS)
        reason = st.selectbox("Reason", reasons, format_func=reason_words, key="bulk-reason")
        note = st.text_input("Note for every case (optional)", key="bulk-note")
        if not st.button(f"Resolve {len(chosen)} cases", key="bulk-submit",
                         disabled=not chosen):
            return
        decision = Resolution(Action(action), reason, note)
        done = perform("Bulk resolution", lambda conn: bulk_resolve(
            conn, chosen, member, decision, session.now(), session.settings().qa))
        if done is None:
            return
        skipped = "; ".join(f"#{i}: {why}" for i, why in done.value.skipped.items())
        flash(f"Resolved {len(done.value.resolved)} cases."
              + (f" Skipped {skipped}." if skipped else ""),
              "warning" if skipped else "success")
        st.rerun()
