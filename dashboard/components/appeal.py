"""An appeal case: what is appealed, who may not review it, and the uphold/overturn form."""

from __future__ import annotations

import streamlit as st

from dashboard import session
from dashboard.components.actions import flash, perform
from dashboard.components.text import plain
from trust.appeals import APPEAL_GROUNDS, UPHOLD_REASONS, AppealOutcome, decide_appeal
from trust.appeals.queries import AppealView
from trust.cases import Case, CaseStatus
from trust.enforcement import STATE_WORDS, EnforcementState
from trust.staff import StaffMember

OUTCOME_WORDS = {
    AppealOutcome.UPHELD: "Uphold: the decision stands",
    AppealOutcome.OVERTURNED: "Overturn: lift the enforcement and mark the decision overturned",
}


def _state(view: AppealView) -> EnforcementState:
    return view.enforcement.state if view.enforcement else EnforcementState.NONE


def appeal_summary(view: AppealView) -> None:
    """The appeals on the case, the decisions they appeal, and the enforcement in force."""
    state = _state(view)
    st.markdown(f"Enforcement in force on the account: **{state.value}** ({STATE_WORDS[state]})")
    if view.enforcement is not None and state != EnforcementState.NONE:
        st.caption(
            f"Set by {view.enforcement.source.value} {plain(view.enforcement.source_id)}"
            f" on {view.enforcement.since:%Y-%m-%d %H:%M} UTC: "
            f"{plain(view.enforcement.reason)}"
        )
    for record in view.appeals:
        appealed = record.decision_event_id or f"the {record.appealed_state} on the account"
        new = (
            "brings new information"
            if record.has_new_information
            else "brings **no** new information"
        )
        outcome = f" · **{record.outcome}** by {record.decided_by}" if record.outcome else ""
        # Identifiers hold no backticks (the event schema forbids them): code spans are safe.
        st.markdown(
            f"- Appeal `{record.event_id}` against `{appealed}`, "
            f"received {record.received_at:%Y-%m-%d %H:%M} UTC; {new}{outcome}"
        )
    overturned = {a.decision_event_id for a in view.appeals if a.outcome == "overturned"}
    for event_id, decision in view.decisions.items():
        mark = " (overturned on appeal)" if event_id in overturned else ""
        with st.popover(f"Original statement of reasons of {event_id}{mark}"):
            st.text(decision.get("statement_of_reasons", ""))
    deciders = view.original_deciders
    st.caption(
        "Took part in the original decision (may not review the appeal): "
        + (", ".join(deciders) if deciders else "nobody; it was automated")
    )


def appeal_form(member: StaffMember, case: Case, view: AppealView) -> None:
    """Uphold or overturn, with the ground; refused to whoever took the original decision."""
    if member.username in view.original_deciders:
        st.warning(
            "You took part in the original decision; someone else must review this "
            "appeal. Release the claim so a colleague can take it."
        )
        return
    outcome = st.radio(
        "Appeal outcome",
        list(AppealOutcome),
        index=None,
        format_func=lambda o: OUTCOME_WORDS[o],
        key="appeal-outcome",
    )
    if outcome is None:
        st.caption("Choose an outcome to see the grounds that fit it.")
        return
    grounds = APPEAL_GROUNDS if outcome == AppealOutcome.OVERTURNED else UPHOLD_REASONS
    choices = [g for g in grounds if g != "new_information" or view.has_new_information]
    ground = st.selectbox(
        "Ground", choices, format_func=lambda g: f"{grounds[g]} ({g})", key="appeal-ground"
    )
    note = st.text_area("What you checked (goes into the statement of reasons)", key="appeal-note")
    if not st.button("Decide the appeal", type="primary", key="appeal-submit"):
        return
    done = perform(
        "Deciding the appeal",
        lambda conn: decide_appeal(conn, case.id, member, outcome, ground, note, session.now()),
    )
    if done is not None:
        flash(
            f"Appeal case #{case.id} {outcome.value}; the account is now "
            f"{done.value.enforcement_after.value}."
        )
        st.rerun()


def appeal_outcome(case: Case, view: AppealView) -> None:
    """A decided appeal: the outcome and the statement of reasons sent to the user."""
    if case.status != CaseStatus.RESOLVED:
        return
    st.success(
        f"Appeal {case.label} by {case.resolved_by} on {case.resolved_at:%Y-%m-%d %H:%M} UTC."
    )
    statement = next((a.statement_of_reasons for a in view.appeals if a.statement_of_reasons), "")
    st.markdown("**Statement of reasons sent to the user**")
    st.text(statement)
