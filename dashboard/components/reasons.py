"""Why an event was flagged: rule hits with their reasons, and the model's explanation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from dashboard.components.text import plain

SEVERITY_WORDS = {0: "info", 1: "low", 2: "moderate", 3: "high", 4: "severe", 5: "critical"}


def reason_list(
    hits: Sequence[Mapping[str, Any]],
    *,
    empty: str = "No rule matched.",
    named: Mapping[str, str] | None = None,
) -> None:
    """One line per rule hit: severity, the reason in words, the rule and its policy.

    ``named``: for reasons that count linked accounts, the accounts named with their state
    when the event was decided (``trust.linked_accounts.named_in_reason``), by reason code.
    """
    if not hits:
        st.caption(empty)
        return
    for hit in sorted(hits, key=lambda h: (-int(h.get("severity", 0)), -float(h["score"]))):
        severity = SEVERITY_WORDS.get(int(hit.get("severity", 0)), str(hit.get("severity")))
        # The reason text carries event values (names, amounts): shown as text, not markup.
        who = (named or {}).get(hit["reason_code"])
        st.markdown(
            f"- **{plain(hit.get('reason') or hit['reason_code'])}**"
            + (f" ({plain(who)})" if who else "")
            + "  \n"
            f"  {plain(hit['reason_code'])} · rule {plain(hit['rule_id'])} · severity "
            f"{severity} · +{float(hit['score']):g} points"
            + (f" · policy {plain(hit['policy'])}" if hit.get("policy") else "")
        )


def explanation_list(model_score: float | None, explanation: Sequence[Mapping[str, Any]]) -> None:
    """The anomaly model's percentile and the sentences that say what pushed it up."""
    if model_score is None:
        st.caption("No anomaly model scored this event.")
        return
    st.markdown(f"Anomaly percentile: **{model_score:.1%}** (higher is more unusual)")
    if not explanation:
        st.caption("The model gave no feature-level explanation.")
    for item in explanation:
        st.markdown(f"- {plain(item['sentence'])}")
