"""The queue as a table: one row per case with priority, SLA countdown, reasons and holder."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard.components.sla import countdown
from trust.cases.queries import QueueItem

KIND_WORDS = {
    "profile_verification": "Verification",
    "review": "Review",
    "reference_check": "Reference",
    "complaint": "Complaint",
    "appeal": "Appeal",
    "ring": "Cluster",
}
STATUS_WORDS = {
    "open": "Open",
    "in_review": "In review",
    "escalated": "Escalated",
    "waiting_on_user": "Waiting on user",
    "awaiting_approval": "Awaiting approval",
    "resolved": "Resolved",
}


def case_label(item: QueueItem) -> str:
    """'#12 · Review · acct-x' — how a case is named in pickers."""
    case = item.case
    return f"#{case.id} · {KIND_WORDS.get(case.kind, case.kind)} · {case.subject_id}"


def case_frame(items: Sequence[QueueItem], now: datetime) -> pd.DataFrame:
    """The rows of the queue table."""
    return pd.DataFrame([
        {
            "Case": f"case?case={i.case.id}",
            "Priority": round(i.priority, 1),
            "SLA": countdown(i.sla_state, i.case.sla_due_at, now),
            "Kind": KIND_WORDS.get(i.case.kind, i.case.kind),
            "Subject": i.case.subject_id,
            "Risk": round(i.case.risk_score),
            "Reasons": ", ".join(i.case.reason_codes[:3])
            + (" …" if len(i.case.reason_codes) > 3 else ""),
            "Status": STATUS_WORDS.get(i.case.status, i.case.status),
            "Held by": i.holder or "",
            "Evidence": i.case.evidence_count,
        }
        for i in items
    ])


# Text colour of the SLA cell by its mark, so the colour shows even without an emoji font.
_SLA_CSS = {mark: f"color: {css}; font-weight: 600" for mark, css in (
    ("🔴", "#c0392b"), ("❌", "#c0392b"), ("🟠", "#d35400"), ("🟢", "#2e7d32"),
    ("✅", "#2e7d32"), ("⏸", "#6b7280"))}


def _sla_style(cell: str) -> str:
    return _SLA_CSS.get(cell[:1], "")


def case_table(items: Sequence[QueueItem], now: datetime, *, key: str) -> None:
    """Show ``items`` as a table whose first column opens the case; SLA cells in colour."""
    st.dataframe(
        case_frame(items, now).style.map(_sla_style, subset=["SLA"]),
        key=key,
        hide_index=True,
        width="stretch",
        column_config={
            "Case": st.column_config.LinkColumn(
                "Case", display_text=r"case\?case=(\d+)", help="Open the case"),
            "Risk": st.column_config.ProgressColumn(
                "Risk", min_value=0, max_value=100, format="%d"),
            "Priority": st.column_config.NumberColumn("Priority", format="%.1f"),
        },
    )
