"""Tables of what happened: an account's events and cases, linked accounts, audit records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import pandas as pd
import streamlit as st

from dashboard.components.case_table import KIND_WORDS, STATUS_WORDS
from dashboard.components.text import plain, safe_frame
from trust.cases.queries import SubjectTimeline
from trust.enforcement import EnforcementChange
from trust.linked_accounts import LinkedAccount


def timeline_tables(account_id: str, timeline: SubjectTimeline) -> None:
    """The account's cases, then its events with their decisions, newest first."""
    cases, events = timeline["cases"], timeline["events"]
    if not cases and not events:
        st.info(f"Nothing is recorded about {account_id} yet.")
        return
    if cases:
        st.markdown("**Cases about this account**")
        st.dataframe(
            safe_frame(
                pd.DataFrame(
                    [
                        {
                            "Case": f"case?case={c['id']}",
                            "Kind": KIND_WORDS.get(c["kind"], c["kind"]),
                            "Status": STATUS_WORDS.get(c["status"], c["status"]),
                            "Label": c["label"] or "",
                            "Opened": c["opened_at"],
                            "Resolved": c["resolved_at"],
                            "Evidence": c["evidence_count"],
                            "Risk": round(c["risk_score"]),
                        }
                        for c in cases
                    ]
                )
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "Case": st.column_config.LinkColumn("Case", display_text=r"case\?case=(\d+)")
            },
        )
    if events:
        st.markdown("**Events** (as subject or counterparty)")
        st.dataframe(
            safe_frame(
                pd.DataFrame(
                    [
                        {
                            "When": e["occurred_at"],
                            "Kind": KIND_WORDS.get(e["kind"], e["kind"]),
                            "Event": e["event_id"],
                            "Role": "subject" if e["subject_id"] == account_id else "counterparty",
                            "Outcome": e["outcome"] or "",
                            "Risk": e["risk_score"],
                            "Case": e["case_id"],
                        }
                        for e in events
                    ]
                )
            ),
            hide_index=True,
            width="stretch",
        )


def linked_table(groups: Sequence[LinkedAccount]) -> None:
    """Other accounts tied to this one: one row per account, with every identifier shared."""
    if not groups:
        st.info(
            "No other account shares a device, payment method, document, phone, e-mail "
            "or IP address with this one."
        )
        return
    st.dataframe(
        safe_frame(
            pd.DataFrame(
                [
                    {
                        "Account": f"accounts?account={quote(g.account_id, safe='')}",
                        "Why linked": g.reason_words(),
                        "Shared (masked)": g.tie_words(),
                        "Enforcement": g.enforcement,
                        "Open cases": g.open_cases,
                        "Last seen": g.last_seen_at,
                    }
                    for g in groups
                ]
            )
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Account": st.column_config.LinkColumn(
                "Account", display_text=r"account=(.+)$", width="small"
            ),
            "Why linked": st.column_config.TextColumn("Why linked", width="medium"),
            "Open cases": st.column_config.NumberColumn("Open cases", width="small"),
            "Last seen": st.column_config.DatetimeColumn(
                "Last seen", format="YYYY-MM-DD", width="small"
            ),
        },
    )
    st.caption("One row per linked account; values are masked. The account column opens it.")


def one_timeline(
    account_id: str, timeline: SubjectTimeline, changes: Sequence[EnforcementChange]
) -> None:
    """Every event, case and enforcement change of the account on one timeline, newest first."""
    rows = [
        {
            "When": e["occurred_at"],
            "What": f"{KIND_WORDS.get(e['kind'], e['kind'])} event",
            "Detail": f"{e['event_id']} · "
            + ("subject" if e["subject_id"] == account_id else "counterparty")
            + (f" · {e['outcome']} (risk {e['risk_score']:.0f})" if e["outcome"] else ""),
            "Case": f"case?case={e['case_id']}" if e["case_id"] else None,
        }
        for e in timeline["events"]
    ]
    for c in timeline["cases"]:
        link = f"case?case={c['id']}"
        rows.append(
            {
                "When": c["opened_at"],
                "What": "Case opened",
                "Detail": f"{KIND_WORDS.get(c['kind'], c['kind'])}, {c['evidence_count']} evidence",
                "Case": link,
            }
        )
        if c["resolved_at"]:
            rows.append(
                {
                    "When": c["resolved_at"],
                    "What": "Case resolved",
                    "Detail": f"label {c['label'] or 'none'}",
                    "Case": link,
                }
            )
    rows += [
        {
            "When": ch.at,
            "What": f"Enforcement {ch.previous_state.value} → {ch.state.value}",
            "Detail": f"{ch.source.value} {ch.source_id} by {ch.actor}: {ch.reason}",
            "Case": None,
        }
        for ch in changes
    ]
    if not rows:
        st.info(f"Nothing is recorded about {account_id} yet.")
        return
    frame = pd.DataFrame(rows)
    frame["When"] = pd.to_datetime(frame["When"], utc=True)
    st.dataframe(
        safe_frame(frame.sort_values("When", ascending=False)),
        hide_index=True,
        width="stretch",
        column_config={
            "When": st.column_config.DatetimeColumn(
                "When", format="YYYY-MM-DD HH:mm", width="small"
            ),
            "Case": st.column_config.LinkColumn("Case", display_text=r"case=(\d+)", width="small"),
        },
    )


def audit_table(rows: Sequence[Mapping[str, Any]], *, empty: str) -> None:
    """Audit records: when, who, what, on which object, and what changed."""
    if not rows:
        st.info(empty)
        return
    # A static table: a page of the log is short, and its text stays selectable and searchable.
    st.table(
        pd.DataFrame(
            [
                {
                    "When": f"{r['at']:%Y-%m-%d %H:%M:%S}",
                    "Who": plain(r["actor"]),
                    "What": r["action"].replace("_", " "),
                    "On": plain(f"{r['target_type']} {r['target_id']}"),
                    "Change": plain(changes(r.get("before"), r.get("after"))),
                }
                for r in rows
            ]
        ),
        hide_index=True,
        border="horizontal",
    )


def changes(before: Any, after: Any, *, width: int = 60) -> str:
    """'status: open → in_review; label: none → dismissed': only the fields that changed."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    parts = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        parts.append(
            f"{key}: {_short(old, width)} → {_short(new, width)}"
            if key in before
            else f"{key}: {_short(new, width)}"
        )
    return "; ".join(parts)


def _short(value: Any, width: int) -> str:
    if value is None:
        return "none"
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"
