"""The queue as a table: one row per case with priority, SLA countdown, reasons and holder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard.components.sla import countdown
from dashboard.components.text import safe_frame
from trust.cases.case import Case
from trust.cases.priority import PriorityParts, priority_parts
from trust.cases.queries import QueueItem
from trust.store.tables import DISPUTE_KIND

KIND_WORDS = {
    "profile_verification": "Verification",
    "review": "Review",
    "reference_check": "Reference",
    "complaint": "Complaint",
    "sign_in": "Sign-in",
    "credential_change": "Credential change",
    "payout_method_change": "Payout change",
    "withdrawal_request": "Withdrawal",
    "client_payment": "Client payment",
    "appeal": "Appeal",
    "dispute": "Dispute",
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


def case_label(item: QueueItem, now: datetime | None = None) -> str:
    """'#12 · Review · acct-x' — how a case is named in pickers; with ``now``, its priority."""
    case = item.case
    label = f"#{case.id} · {KIND_WORDS.get(case.kind, case.kind)} · {case.subject_id}"
    return f"{label} · {parts_of(item, now).words()}" if now else label


def parts_of(item: QueueItem, now: datetime) -> PriorityParts:
    """The priority of ``item`` at ``now``, split into its terms."""
    case = item.case
    return priority_parts(
        case.risk_score,
        case.severity,
        case.money_at_stake,
        case.priority,
        now,
        sla_due_at=case.sla_due_at,
    )


def priority_words(item: QueueItem, now: datetime) -> str:
    """'P2 · 61': the level and the total, as the queue shows it."""
    parts = parts_of(item, now)
    return f"{parts.level} · {parts.total:.0f}"


def reasons_words(case: Case) -> str:
    """The first reason codes; a dispute's escrow first ('USD 800 in escrow, dispute_…')."""
    escrow = (
        [f"{case.currency or ''} {case.money_at_stake:,.0f} in escrow".strip()]
        if case.kind == DISPUTE_KIND
        else []
    )
    return ", ".join([*escrow, *case.reason_codes[:3]]) + (
        " …" if len(case.reason_codes) > 3 else ""
    )


def case_frame(
    items: Sequence[QueueItem], now: datetime, confirm: Mapping[int, float] | None = None
) -> pd.DataFrame:
    """The rows of the queue table; with ``confirm``, a P(confirm) column in percent."""
    frame = pd.DataFrame(
        [
            {
                "Case": f"case?case={i.case.id}",
                "Priority": priority_words(i, now),
                "SLA": countdown(i.sla_state, i.case.sla_due_at, now),
                "Kind": KIND_WORDS.get(i.case.kind, i.case.kind),
                "Subject": i.case.subject_id,
                "Risk": round(i.case.risk_score),
                "Reasons": reasons_words(i.case),
                "Status": STATUS_WORDS.get(i.case.status, i.case.status),
                "Held by": i.holder or "",
                "Evidence": i.case.evidence_count,
            }
            for i in items
        ]
    )
    if confirm:
        frame.insert(
            2,
            "P(confirm)",
            [round(100 * confirm[i.case.id]) if i.case.id in confirm else None for i in items],
        )
    return frame


# Text colour of the SLA cell by its mark (plain-text marks: no emoji font is needed).
_SLA_CSS = {
    mark: f"color: {css}; font-weight: 600"
    for mark, css in (
        ("■", "#c0392b"),
        ("✗", "#c0392b"),
        ("◆", "#d35400"),
        ("●", "#2e7d32"),
        ("✓", "#2e7d32"),
        ("‖", "#6b7280"),
    )
}
PRIORITY_HELP = (
    "Level and total priority: P1 urgent (80 and up), P2 high (60), P3 normal "
    "(40), P4 low. Total = risk score / 2 (0 to 50) + 6 x worst severity (0 to 30) + "
    "money at stake (0 to 20) + SLA urgency (½ point per hour, negative until due). "
    "Select a row to see that case's parts; they also show on its page and in the case picker."
)


def _sla_style(cell: str) -> str:
    return _SLA_CSS.get(cell[:1], "")


# The widths above add up to 748 px, 812 with P(confirm): the table fits the main column of a
# 1280 px screen with the sidebar open (tests/dashboard/test_browser.py measures every table).


def case_table(
    items: Sequence[QueueItem],
    now: datetime,
    *,
    key: str,
    confirm: Mapping[int, float] | None = None,
) -> None:
    """Show ``items`` as a table whose first column opens the case; SLA cells in colour.

    ``confirm`` (case id -> P(reviewer confirms), where a learned model is active) adds a
    sortable column; click its header to sort the page by it. Selecting a row shows that
    case's priority split into its parts under the table: Streamlit's data grid has no
    per-cell hover text (a pandas Styler tooltip shows up as raw HTML in it), so a click
    stands in for the hover.
    """
    shown = st.dataframe(
        safe_frame(case_frame(items, now, confirm)).style.map(_sla_style, subset=["SLA"]),
        key=key,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            "Case": st.column_config.LinkColumn(
                "Case", display_text=r"case\?case=(\d+)", help="Open the case", width=48
            ),
            "Priority": st.column_config.TextColumn("Priority", help=PRIORITY_HELP, width=68),
            "SLA": st.column_config.TextColumn("SLA", width=108),
            "Kind": st.column_config.TextColumn("Kind", width=76),
            "Subject": st.column_config.TextColumn("Subject", width=92),
            "Risk": st.column_config.ProgressColumn(
                "Risk", min_value=0, max_value=100, format="%d", width=60
            ),
            "Reasons": st.column_config.TextColumn("Reasons", width=96),
            "Status": st.column_config.TextColumn("Status", width=80),
            "Held by": st.column_config.TextColumn("Held by", width=64),
            "Evidence": st.column_config.NumberColumn(
                "Evidence", help="Pieces of evidence", width=56
            ),
            "P(confirm)": st.column_config.NumberColumn(
                "P(confirm)",
                format="%d%%",
                width=64,
                help="Probability a reviewer confirms the flag, from the learned model "
                "(`trust model learn`); click the header to sort by it.",
            ),
        },
    )
    for row in shown.selection.rows:
        if 0 <= row < len(items):
            _selected_parts(items[row], now)


def _selected_parts(item: QueueItem, now: datetime) -> None:
    """The selected case's priority in parts, with a link to open it."""
    case = item.case
    st.caption(
        f"[#{case.id}](case?case={case.id}) · {KIND_WORDS.get(case.kind, case.kind)} · "
        f"{case.subject_id}: {parts_of(item, now).words()}"
    )
