"""Tables of what happened: an account's events and cases, linked accounts, audit records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import pandas as pd
import streamlit as st

from dashboard.components.case_table import KIND_WORDS, STATUS_WORDS
from dashboard.components.text import plain, safe_frame

LINK_WORDS = {"device": "same device", "payment": "same payment method",
              "document": "same identity document", "phone": "same phone number",
              "email": "same e-mail address", "ip": "same IP address"}


def timeline_tables(account_id: str, timeline: dict[str, Any]) -> None:
    """The account's cases, then its events with their decisions, newest first."""
    cases, events = timeline["cases"], timeline["events"]
    if not cases and not events:
        st.info(f"Nothing is recorded about {account_id} yet.")
        return
    if cases:
        st.markdown("**Cases about this account**")
        st.dataframe(safe_frame(pd.DataFrame([{
            "Case": f"case?case={c['id']}", "Kind": KIND_WORDS.get(c["kind"], c["kind"]),
            "Status": STATUS_WORDS.get(c["status"], c["status"]), "Label": c["label"] or "",
            "Opened": c["opened_at"], "Resolved": c["resolved_at"],
            "Evidence": c["evidence_count"], "Risk": round(c["risk_score"]),
        } for c in cases])), hide_index=True, width="stretch", column_config={
            "Case": st.column_config.LinkColumn("Case", display_text=r"case\?case=(\d+)")})
    if events:
        st.markdown("**Events** (as subject or counterparty)")
        st.dataframe(safe_frame(pd.DataFrame([{
            "When": e["occurred_at"], "Kind": KIND_WORDS.get(e["kind"], e["kind"]),
            "Event": e["event_id"],
            "Role": "subject" if e["subject_id"] == account_id else "counterparty",
            "Outcome": e["outcome"] or "", "Risk": e["risk_score"],
            "Case": e["case_id"],
        } for e in events])), hide_index=True, width="stretch")


def links_table(links: Sequence[dict[str, Any]]) -> None:
    """Other accounts sharing an identifier, with the shared value masked."""
    if not links:
        st.info("No other account shares a device, payment method, document, phone, e-mail "
                "or IP address with this one.")
        return
    st.dataframe(safe_frame(pd.DataFrame([{
        "Account": f"accounts?account={quote(str(link['account_id']), safe='')}",
        "Shares": LINK_WORDS.get(link["kind"], link["kind"]),
        "Value (masked)": link["masked"], "Status": link["status"] or "unknown",
        "Last seen": link["last_seen_at"],
    } for link in links])), hide_index=True, width="stretch", column_config={
        "Account": st.column_config.LinkColumn("Account", display_text=r"account=(.+)$")})
    st.caption("Values are masked; the account column opens the account's page.")


def audit_table(rows: Sequence[dict[str, Any]], *, empty: str) -> None:
    """Audit records: when, who, what, on which object, and what changed."""
    if not rows:
        st.info(empty)
        return
    # A static table: a page of the log is short, and its text stays selectable and searchable.
    st.table(pd.DataFrame([{
        "When": f"{r['at']:%Y-%m-%d %H:%M:%S}", "Who": plain(r["actor"]),
        "What": r["action"].replace("_", " "), "On": plain(f"{r['target_type']} {r['target_id']}"),
        "Change": plain(changes(r.get("before"), r.get("after"))),
    } for r in rows]), hide_index=True, border="horizontal")


def changes(before: Any, after: Any, *, width: int = 60) -> str:
    """'status: open → in_review; label: none → dismissed': only the fields that changed."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    parts = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        parts.append(f"{key}: {_short(old, width)} → {_short(new, width)}" if key in before
                     else f"{key}: {_short(new, width)}")
    return "; ".join(parts)


def _short(value: Any, width: int) -> str:
    if value is None:
        return "none"
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"
