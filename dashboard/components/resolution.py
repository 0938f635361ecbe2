"""Resolving a case: the action and reason pickers, dispute amounts, and four-eyes approval."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from dashboard import session
from dashboard.components.actions import flash, perform
from dashboard.components.text import plain
from trust.cases import Case, CaseStatus
from trust.cases.reasons import RESOLUTION_REASONS, SUGGESTED
from trust.cases.resolution import (
    CENT,
    DISPUTE_OUTCOMES,
    FOUR_EYES,
    Action,
    Resolution,
    approve_proposal,
    reject_proposal,
    resolve,
)
from trust.staff import Permission, StaffMember, has_permission

ACTION_WORDS: dict[Action, str] = {
    Action.APPROVE: "Approve (nothing wrong)",
    Action.DISMISS: "Dismiss as a false positive",
    Action.REMOVE_REVIEW: "Remove the review",
    Action.REJECT_VERIFICATION: "Reject the verification",
    Action.REQUEST_DOCUMENTS: "Request documents from the user",
    Action.HOLD_ACCOUNT: "Hold the account",
    Action.BLOCK_ACCOUNT: "Block the account (needs a lead's approval)",
    Action.ESCALATE: "Escalate to a lead",
    Action.RELEASE: "Release the escrow to the freelancer (needs approval)",
    Action.REFUND: "Refund the escrow to the client (needs approval)",
    Action.SPLIT: "Split the escrow (needs approval)",
}
_ONLY_FOR = {
    Action.REMOVE_REVIEW: "review",
    Action.REJECT_VERIFICATION: "profile_verification",
    **dict.fromkeys(DISPUTE_OUTCOMES, "dispute"),
}
# A dispute ends only in a money outcome (or goes to a lead first).
_DISPUTE_ACTIONS = (Action.RELEASE, Action.REFUND, Action.SPLIT, Action.ESCALATE)


def actions_for(kind: str) -> list[Action]:
    """The actions that make sense for a case of ``kind``, in the order staff read them."""
    if kind == "dispute":
        return list(_DISPUTE_ACTIONS)
    return [a for a in ACTION_WORDS if _ONLY_FOR.get(a, kind) == kind]


def reason_words(code: str) -> str:
    """'fake_review' -> 'Feedback building: … (fake_review)'."""
    return f"{RESOLUTION_REASONS.get(code, code)} ({code})"


def resolution_words(resolution: dict[str, object]) -> str:
    """'Dismiss as a false positive — The flag was wrong: … (false_positive)', approver too."""
    words = (
        f"{ACTION_WORDS.get(Action(str(resolution.get('action'))), '?')} — "
        f"{reason_words(str(resolution.get('reason_code', '')))}"
    )
    if resolution.get("proposed_by"):
        words += (
            f"; proposed by {resolution['proposed_by']}, "
            f"approved by {resolution.get('approved_by')}"
        )
    return words


def _amounts(case: Case, action: Action) -> tuple[Decimal | None, Decimal | None]:
    if action != Action.SPLIT:
        return None, None
    stake = float(case.money_at_stake)
    st.caption(
        f"{case.money_at_stake} {case.currency or ''} is in escrow; the two parts must "
        "add up to it."
    )
    release = st.number_input(
        "Released to the freelancer",
        0.0,
        max(stake, 0.0),
        stake / 2,
        step=1.0,
        format="%.2f",
        key="split-release",
    )
    released = min(Decimal(str(release)).quantize(CENT), case.money_at_stake)
    # The refund is what is left, in Decimal, so the two parts always add up to the stake.
    refunded = case.money_at_stake - released
    st.caption(f"Refunded to the client: {refunded} {case.currency or ''}")
    return released, refunded


QUICK_DISMISS = Resolution(Action.DISMISS, "false_positive")


def quick_dismiss(member: StaffMember, case: Case) -> None:
    """The commonest decision in one keyed button (Alt+D): dismiss as a false positive."""
    if not st.button(
        "Dismiss as a false positive",
        key="quick-dismiss",
        help="Resolves the case now with the reason 'The flag was wrong' (Alt+D); "
        "for anything else use the form below.",
    ):
        return
    _resolve(member, case, QUICK_DISMISS)


def resolution_form(member: StaffMember, case: Case) -> None:
    """Pick an action, a reason code and a note; severe actions become a proposal."""
    # Nothing is preselected: a decision about someone's account is always a deliberate pick.
    action = st.selectbox(
        "What do you decide?",
        actions_for(case.kind),
        index=None,
        format_func=lambda a: ACTION_WORDS[a],
        key="resolve-action",
        placeholder="Choose an action",
    )
    if action is None:
        st.caption("Choose an action to see the reasons that fit it.")
        return
    reasons = list(SUGGESTED.get(action.value, ())) or list(RESOLUTION_REASONS)
    reason = st.selectbox("Reason", reasons, format_func=reason_words, key="resolve-reason")
    release, refund = _amounts(case, action)
    note = st.text_area(
        "Note for the record",
        key="resolve-note",
        placeholder="What you checked and why you decided so",
    )
    label = "Propose for approval" if action in FOUR_EYES else "Resolve"
    if not st.button(label, type="primary", key="resolve-submit"):
        return
    _resolve(member, case, Resolution(action, reason, note, release, refund))


def _resolve(member: StaffMember, case: Case, decision: Resolution) -> None:
    action, reason = decision.action, decision.reason_code
    done = perform(
        "Resolving",
        lambda conn: resolve(conn, case.id, member, decision, session.now(), session.settings().qa),
    )
    if done is None:
        return
    outcome = done.value
    if outcome.status == CaseStatus.AWAITING_APPROVAL:
        flash(f"Proposed: {ACTION_WORDS[action]}. A lead other than you must approve it.")
    elif outcome.status == CaseStatus.RESOLVED:
        flash(f"Case #{case.id} resolved: {ACTION_WORDS[action]} — {reason_words(reason)}.")
    else:
        flash(f"Case #{case.id} is now {outcome.status.value.replace('_', ' ')}.")
    st.rerun()


def proposal_panel(member: StaffMember, case: Case) -> None:
    """Show who proposed what; a lead other than the proposer approves or rejects it."""
    proposal = case.proposed_action or {}
    action = Action(proposal.get("action", Action.BLOCK_ACCOUNT))
    st.warning(
        f"**{case.proposed_by}** proposed: {ACTION_WORDS[action]} — "
        f"{reason_words(str(proposal.get('reason_code', '')))}"
        + (f"  \nNote: {plain(proposal['note'])}" if proposal.get("note") else "")
        + (
            f"  \nReleased {proposal['release_amount']}, refunded {proposal['refund_amount']}"
            if action in DISPUTE_OUTCOMES
            else ""
        )
    )
    if case.proposed_by == member.username:
        st.info("You proposed this. A lead other than you must approve or reject it.")
        return
    if not has_permission(member, Permission.APPROVE_FOUR_EYES):
        st.info("Only a lead can approve or reject this proposal.")
        return
    note = st.text_input("Note (optional)", key="proposal-note")
    approve, reject = st.columns(2)
    if approve.button("Approve", type="primary", key="proposal-approve") and perform(
        "Approving",
        lambda conn: approve_proposal(
            conn, case.id, member, session.now(), note, session.settings().qa
        ),
    ):
        flash(f"Approved: case #{case.id} is resolved ({ACTION_WORDS[action]}).")
        st.rerun()
    if reject.button("Reject", key="proposal-reject") and perform(
        "Rejecting", lambda conn: reject_proposal(conn, case.id, member, session.now(), note)
    ):
        flash(f"Rejected: case #{case.id} is back in the queue.", "info")
        st.rerun()
