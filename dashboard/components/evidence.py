"""One piece of evidence on a case: the event's decision, why it was flagged, and its payload."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from dashboard import cached, session
from dashboard.components.attachments import attachment_list
from dashboard.components.case_table import KIND_WORDS
from dashboard.components.payload import masked_payload
from dashboard.components.reasons import explanation_list, reason_list
from dashboard.components.text import plain
from trust.cases.queries import EvidenceRow
from trust.linked_accounts import REASON_TIES, named_in_reason
from trust.staff import StaffMember

OUTCOME_COLOURS = {"allow": "green", "review": "orange", "block": "red"}


def _title(item: EvidenceRow) -> str:
    decision = item["decision"]
    # Appeals and dispute party events are never scored: they have no decision.
    outcome = decision["outcome"] if decision else "no decision"
    score = decision["risk_score"] if decision else None
    kind = KIND_WORDS.get(item["kind"], item["kind"])
    when = f"{item['occurred_at']:%Y-%m-%d %H:%M}"
    risk = f" · risk {score:.0f}" if score is not None else ""
    return f"{kind} {plain(item['event_id'])} · {when} · {outcome}{risk}"


def _linked_named(item: EvidenceRow, decision: Mapping[str, Any]) -> dict[str, str]:
    """The linked accounts each linked-account reason counted, as they stood at the decision."""
    codes = [h["reason_code"] for h in decision.get("rule_hits") or []]
    if not any(code in REASON_TIES for code in codes):
        return {}
    links = cached.links_then(
        session.database_key(), decision["subject_id"], item["occurred_at"], decision["decided_at"]
    )
    found = {code: named_in_reason(code, links) for code in codes}
    return {code: words for code, words in found.items() if words}


def evidence_item(member: StaffMember, item: EvidenceRow, *, expanded: bool) -> None:
    """An expander with the decision, every rule hit, the model's view and the masked payload."""
    decision = item["decision"]
    with st.expander(_title(item), expanded=expanded):
        if item["kind"] == "appeal":
            st.caption(
                "An appeal is not scored: a person who took no part in the original "
                "decision reviews it (see Decision below)."
            )
        elif not decision and str(item["kind"]).startswith("dispute_"):
            st.caption("A dispute party's event: it steps the dispute and is not scored.")
        elif not decision:
            st.caption("This event has no stored decision yet.")
        else:
            outcome = decision["outcome"]
            st.badge(
                f"{outcome} · risk {decision['risk_score']:.0f}/100",
                color=OUTCOME_COLOURS.get(outcome, "gray"),  # type: ignore[arg-type]
            )
            st.markdown("**Rules that matched**")
            reason_list(decision.get("rule_hits") or [], named=_linked_named(item, decision))
            if decision.get("shadow_hits"):
                with st.popover("Shadow rules (recorded, not counted)"):
                    reason_list(decision["shadow_hits"])
            st.markdown("**Anomaly model**")
            explanation_list(decision.get("model_score"), decision.get("model_explanation") or [])
            with st.popover("Statement of reasons sent to the user"):
                st.text(decision.get("statement_of_reasons", ""))
        st.markdown("**Event as received** (personal data masked)")
        masked_payload(member, item["event_id"], item["kind"], item["payload"])
        refs = item["payload"].get("evidence_refs") or []
        attachment_list(member, item["event_id"], [str(r) for r in refs])
