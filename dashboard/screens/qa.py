"""Quality review: re-review resolved cases blind; leads settle disagreements."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlalchemy import Connection

from dashboard import cached, session
from dashboard.components.actions import flash, perform, show_flash
from dashboard.components.case_table import KIND_WORDS
from dashboard.components.evidence import evidence_item
from dashboard.components.resolution import ACTION_WORDS, actions_for, reason_words
from dashboard.components.text import plain
from trust.cases.reasons import RESOLUTION_REASONS, SUGGESTED
from trust.cases.resolution import NOT_FINAL, Action
from trust.qa.review import ORIGINAL, SECOND, rule_on, submit_review
from trust.staff import Permission, has_permission
from trust.store.qa import DISAGREED, PENDING, QaReview

member = session.current_staff()
db = session.database_key()


def decision_words(action: str, reason: str) -> str:
    """'Dismiss as a false positive — The flag was wrong: … (false_positive)'."""
    try:
        return f"{ACTION_WORDS[Action(action)]} — {reason_words(reason)}"
    except ValueError:
        return f"{action} — {reason}"


def ruling_on(review_id: int, ruling: str) -> Callable[[Connection], QaReview]:
    """The action a lead's ruling button performs."""
    return lambda conn: rule_on(conn, review_id, member, ruling, session.now())


st.title("Quality review")
show_flash()
st.caption(
    "A share of resolved cases (and every high-risk case an analyst closed alone) is "
    "re-reviewed blind: you see the evidence, not the first decision."
)

waiting = [r for r in cached.qa_reviews(db, PENDING) if member.username not in r.original_reviewers]
if not waiting:
    st.info("No resolved case is waiting for your blind re-review.")
else:
    review = st.selectbox(
        f"{len(waiting)} cases waiting for a blind re-review",
        waiting,
        format_func=lambda r: f"Case #{r.case_id} · picked because {r.selected_because}",
        key="qa-pick",
    )
    case, evidence = cached.qa_case(db, review)
    st.subheader(
        f"Case #{case.id}: {KIND_WORDS.get(case.kind, case.kind)} · {plain(case.subject_id)}"
    )
    st.markdown(
        f"Risk score **{case.risk_score:.0f}**, worst severity **{case.severity}**; "
        "reasons: " + (", ".join(f"`{c}`" for c in case.reason_codes) or "none")
    )
    for index, item in enumerate(evidence[:10]):
        evidence_item(member, item, expanded=index == 0)
    choices = [a for a in actions_for(case.kind) if a not in NOT_FINAL]
    action = st.selectbox(
        "What would you have decided?",
        choices,
        index=None,
        format_func=lambda a: ACTION_WORDS[a],
        key="qa-action",
        placeholder="Choose an action",
    )
    if action is not None:
        reasons = list(SUGGESTED.get(action.value, ())) or list(RESOLUTION_REASONS)
        reason = st.selectbox("Reason", reasons, format_func=reason_words, key="qa-reason")
        if st.button("Submit the re-review", type="primary", key="qa-submit"):
            chosen = action.value
            done = perform(
                "Submitting the re-review",
                lambda conn: submit_review(conn, review.id, member, chosen, reason, session.now()),
            )
            if done is not None:
                agreed = done.value.status != DISAGREED
                flash(
                    f"Re-review of case #{case.id} recorded: "
                    + (
                        "you agree with the first decision."
                        if agreed
                        else "you disagree; a lead will rule on it."
                    ),
                    "success" if agreed else "warning",
                )
                st.rerun()

if has_permission(member, Permission.APPROVE_FOUR_EYES):
    st.divider()
    st.subheader("Disagreements for a lead")
    disputed = [
        r
        for r in cached.qa_reviews(db, DISAGREED)
        if member.username not in (*r.original_reviewers, r.reviewer)
    ]
    if not disputed:
        st.info("No disagreement is waiting for a ruling.")
    for disagreement in disputed:
        st.markdown(
            f"**[Case #{disagreement.case_id}](case?case={disagreement.case_id})**  \n"
            f"First ({', '.join(disagreement.original_reviewers)}): "
            f"{decision_words(disagreement.original_action, disagreement.original_reason)}  \n"
            f"Second ({disagreement.reviewer}): "
            f"{decision_words(str(disagreement.review_action), str(disagreement.review_reason))}"
        )
        first, second = st.columns(2)
        for column, ruling, label in (
            (first, ORIGINAL, "First decision stands"),
            (second, SECOND, "Second review is right"),
        ):
            if column.button(label, key=f"qa-rule-{disagreement.id}-{ruling}") and perform(
                "Ruling", ruling_on(disagreement.id, ruling)
            ):
                flash(f"Ruled on case #{disagreement.case_id}.")
                st.rerun()
