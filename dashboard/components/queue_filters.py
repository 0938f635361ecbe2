"""The queue's filter bar: kind, reason code, SLA state, score range and who holds the case."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.components.case_table import KIND_WORDS, STATUS_WORDS
from dashboard.components.sla import SLA_STYLE
from trust.cases import UNASSIGNED, SlaState

ANYONE = "Anyone"
NOBODY = "Nobody (unclaimed)"
ME = "Me"
_SLA_CHOICES = [SlaState.BREACHED, SlaState.DUE_SOON, SlaState.ON_TRACK, SlaState.PAUSED]
_STATUS_CHOICES = ["open", "in_review", "escalated", "awaiting_approval", "waiting_on_user"]
# What the queue lists unless a status is picked: the work to do. Proposals waiting for a
# second person are a lead's inbox (Approvals), not work anyone can claim from the queue.
WORK_STATUSES = tuple(s for s in _STATUS_CHOICES if s != "awaiting_approval")


def queue_filters(username: str, reason_codes: list[str]) -> dict[str, Any]:
    """Draw the filter bar; returns the chosen ``QueueFilter`` fields (None = no filter).

    Leads look for proposals to approve with Status = Awaiting approval.
    """
    with st.expander("Filters", expanded=False):
        first, second, third = st.columns(3)
        kind = first.selectbox(
            "Kind of case",
            [None, *KIND_WORDS],
            key="filter-kind",
            format_func=lambda k: "Any kind" if k is None else KIND_WORDS[k],
        )
        reason = second.selectbox(
            "Reason code",
            [None, *reason_codes],
            key="filter-reason",
            format_func=lambda r: "Any reason" if r is None else r,
        )
        sla = third.selectbox(
            "SLA",
            [None, *_SLA_CHOICES],
            key="filter-sla",
            format_func=lambda s: "Any SLA state" if s is None else SLA_STYLE[s][2],
        )
        low, high = first.slider("Risk score", 0, 100, (0, 100), key="filter-score")
        who = second.selectbox(
            "Held by", [ANYONE, NOBODY, ME, "Someone else…"], key="filter-holder"
        )
        other = third.text_input("Username", key="filter-username", disabled=who != "Someone else…")
        status = first.selectbox(
            "Status",
            [None, *_STATUS_CHOICES],
            key="filter-status",
            format_func=lambda s: "Any but awaiting approval" if s is None else STATUS_WORDS[s],
        )
    assignee = {ANYONE: None, NOBODY: UNASSIGNED, ME: username}.get(who, other.strip() or None)
    return {
        "kind": kind,
        "reason_code": reason,
        "sla_state": sla.value if sla else None,
        "min_score": float(low) if low > 0 else None,
        "max_score": float(high) if high < 100 else None,
        "assignee": assignee,
        "statuses": (status,) if status else WORK_STATUSES,
    }
