"""The dispute panel of the case screen: the money, the process, the parties' timeline.

Staff see one contract's escrow (never a sum over complaints), the stage and the running
deadline, every statement, piece of evidence (attachments open in a new tab), offer and
answer in order, the deadlines met or defaulted, and the respondent's other cases (linked,
not merged). In mediation the case's holder proposes a split to both parties.
"""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from dashboard import session
from dashboard.components.actions import flash, perform
from dashboard.components.text import plain
from trust.cases import Case, CaseStatus
from trust.disputes.actions import propose_settlement
from trust.disputes.machine import STAFF_DECIDES, Stage
from trust.disputes.queries import DisputeView, TimelineEntry, dispute_view
from trust.staff import StaffMember
from trust.store import snapshot

STAGE_WORDS = {
    Stage.AWAITING_RESPONSE: "Waiting for the respondent's answer",
    Stage.MEDIATION: "Mediation: a settlement is to be proposed",
    Stage.PROPOSAL: "A proposal waits for both parties",
    Stage.WORK_LOG_REVIEW: "Work-log review by a specialist",
    Stage.ARBITRATION: "Arbitration: staff decide the split",
    Stage.SETTLING: "Settlement waiting for a second person's approval",
    Stage.RESOLVED: "Resolved: the money moved",
}
DEADLINE_WORDS = {
    "respond": "respondent's answer",
    "propose": "mediator's proposal",
    "accept": "parties' acceptance",
    "review": "work-log review",
}
ENTRY_WORDS = {
    "complaint": "filed the dispute",
    "dispute_statement": "statement",
    "dispute_evidence": "evidence",
    "dispute_offer": "offer",
    "dispute_answer": "answer",
}
CENT = Decimal("0.01")


@st.cache_data(ttl=15, show_spinner=False)
def _view(db: str, case_id: int) -> DisputeView:
    with snapshot(session.store_for(db).engine) as conn:
        return dispute_view(conn, case_id)


def _entry(entry: TimelineEntry) -> None:
    st.markdown(
        f"**{entry.at:%Y-%m-%d %H:%M} UTC** · {plain(entry.side or '')} "
        f"`{plain(entry.party_id)}` · {ENTRY_WORDS.get(entry.kind, entry.kind)}: "
        f"{plain(entry.summary)}"
    )
    for item in entry.attachments:
        size = int(item.get("size_bytes", 0)) // 1024
        st.markdown(
            f":material/attach_file: [{plain(item.get('filename'))}]({item.get('url')}) "
            f"· {plain(item.get('media_type'))} · {size} KB · "
            f"`{plain(item.get('attachment_id'))}` · sha256 "
            f"`{str(item.get('sha256', ''))[:12]}…`"
        )


def _mediation_form(member: StaffMember, case: Case, view: DisputeView) -> None:
    escrow = view.dispute.amount_in_escrow
    currency = view.dispute.currency
    st.markdown("**Propose a settlement to both parties**")
    released_in = st.number_input(
        f"Released to the freelancer ({currency})",
        0.0,
        float(escrow),
        float(escrow) / 2,
        step=1.0,
        format="%.2f",
        key="mediation-release",
    )
    released = min(Decimal(str(released_in)).quantize(CENT), escrow)
    refunded = escrow - released  # in Decimal, so the two parts always add up
    st.caption(f"Refunded to the client: {refunded} {currency}")
    note = st.text_input("Why this split", key="mediation-note")
    if st.button("Send the proposal to both parties", type="primary", key="mediation-send"):
        done = perform(
            "Proposing",
            lambda conn: propose_settlement(
                conn, case.id, member, released, refunded, session.now(), note
            ),
        )
        if done is not None:
            flash(
                f"Proposal sent: {released} released, {refunded} refunded {currency}. "
                "Both parties must accept it within 2 days."
            )
            st.rerun()


def staff_may_decide(case: Case) -> bool:
    """True when the dispute is at a stage where staff decide the split."""
    return _view(session.database_key(), case.id).dispute.stage in STAFF_DECIDES


def dispute_panel(member: StaffMember, case: Case, holding: bool) -> None:
    """The dispute's money, stage, deadline, timeline, deadlines and linked cases."""
    view = _view(session.database_key(), case.id)
    dispute = view.dispute
    st.subheader("Dispute")
    contract, escrow, stage, due = st.columns(4)
    contract.metric(
        "Contract",
        dispute.contract_id,
        f"milestone {dispute.milestone_id}" if dispute.milestone_id else None,
        delta_color="off",
    )
    escrow.metric("In escrow", f"{dispute.amount_in_escrow} {dispute.currency}")
    stage.markdown(
        f"Stage: **{STAGE_WORDS[dispute.stage]}**  \n"
        f"{dispute.contract_type.value.replace('_', ' ')} contract"
    )
    if dispute.deadline is not None:
        due.markdown(
            f"Deadline: **{DEADLINE_WORDS.get(dispute.deadline.name)}** by "
            f"{dispute.deadline.due_at:%Y-%m-%d %H:%M} UTC"
        )
    st.markdown(
        f"Complainant `{plain(dispute.complainant_id)}` "
        f"({dispute.complainant_side.value}) · respondent "
        f"`{plain(dispute.respondent_id)}` ({dispute.complainant_side.other.value})"
    )
    if dispute.stage == Stage.RESOLVED:
        st.success(
            f"Released {dispute.released} {dispute.currency} to the freelancer, "
            f"refunded {dispute.refunded} {dispute.currency} to the client."
        )
    if dispute.proposal_id and dispute.stage == Stage.PROPOSAL:
        split = (dispute.proposal or {}).get("split", {})
        accepted = ", ".join((dispute.proposal or {}).get("accepted", [])) or "nobody yet"
        st.info(
            f"Proposal {dispute.proposal_id}: release {split.get('released')}, refund "
            f"{split.get('refunded')} {dispute.currency}. Accepted by: {accepted}."
        )
    timeline, deadlines, linked = st.tabs(
        ["Dispute timeline", "Deadlines", f"Linked cases ({len(view.linked)})"]
    )
    with timeline:
        for entry in view.timeline:
            _entry(entry)
    with deadlines:
        st.dataframe(
            [
                {
                    "deadline": DEADLINE_WORDS.get(d.name, d.name),
                    "due (UTC)": d.due_at,
                    "status": d.status,
                    "settled (UTC)": d.settled_at,
                }
                for d in view.deadlines
            ],
            hide_index=True,
        )
    with linked:
        st.caption("Other cases about the respondent: linked, not merged into this one.")
        st.dataframe(
            [
                {
                    "case": f"#{c.case_id}",
                    "kind": c.kind,
                    "status": c.status,
                    "contract": c.contract_id or "",
                }
                for c in view.linked
            ],
            hide_index=True,
        )
    if dispute.stage == Stage.MEDIATION and holding and case.status != CaseStatus.RESOLVED:
        _mediation_form(member, case, view)
