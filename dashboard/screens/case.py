"""Case: why it was flagged, the evidence, the subject's history and links, notes, the decision."""

from __future__ import annotations

import streamlit as st

from dashboard import cached, session
from dashboard.components.actions import flash, perform, show_flash
from dashboard.components.appeal import appeal_form, appeal_outcome, appeal_summary
from dashboard.components.case_actions import sla_editor, waiting_panel
from dashboard.components.case_table import KIND_WORDS, STATUS_WORDS
from dashboard.components.claim import claim_controls
from dashboard.components.cluster import cluster_members
from dashboard.components.dispute import dispute_panel, staff_may_decide
from dashboard.components.evidence import evidence_item
from dashboard.components.history import audit_table, linked_table, timeline_tables
from dashboard.components.next_case import claim_next_button
from dashboard.components.resolution import (
    proposal_panel,
    quick_dismiss,
    resolution_form,
    resolution_words,
)
from dashboard.components.security import security_chain
from dashboard.components.sla import sla_badge
from dashboard.components.text import plain
from trust.appeals import APPEAL_KIND
from trust.cases import CaseStatus
from trust.cases.priority import priority_parts
from trust.cases.workflow import add_note
from trust.errors import CaseError
from trust.staff import Permission
from trust.store.clusters import RING_KIND

member = session.current_staff()
db = session.database_key()
now = session.now()

asked = st.query_params.get("case", "")
typed = st.sidebar.number_input(
    "Open case number", min_value=1, step=1, value=None, key="case-number", placeholder="e.g. 12"
)
case_id = int(typed) if typed else int(asked) if asked.isdigit() else None
if case_id is None:
    st.title("Case")
    st.info("Open a case from the **Queue**, or type its number in the sidebar.")
    st.stop()
st.query_params["case"] = str(case_id)

try:
    detail = cached.case(db, case_id)
except CaseError:
    st.error(f"There is no case #{case_id}. Check the number, or open one from the Queue.")
    st.stop()
case = detail.case

st.title(f"Case #{case.id}: {KIND_WORDS.get(case.kind, case.kind)} · {plain(case.subject_id)}")
show_flash()
status, sla, priority, opened = st.columns(4)
status.markdown(f"Status: **{STATUS_WORDS.get(case.status, case.status)}**")
parts = priority_parts(
    case.risk_score,
    case.severity,
    case.money_at_stake,
    case.priority,
    now,
    sla_due_at=case.sla_due_at,
)
priority.markdown(f"Priority **{parts.level} · {parts.total:.0f}**", help=parts.words())
opened.markdown(f"Opened {case.opened_at:%Y-%m-%d %H:%M} UTC")
with sla:
    sla_badge(case.sla_state(now, session.settings()), case.sla_due_at, now)
holding = claim_controls(member, case)

confirm = cached.confirm(db, (case.id,)).get(case.id)
score, severity, money, evidence, learned = st.columns(5)
score.metric("Risk score", f"{case.risk_score:.0f} / 100")
severity.metric("Worst severity", f"{case.severity} / 5")
money.metric(
    "Money at stake",
    f"{case.money_at_stake} {case.currency or ''}" if case.money_at_stake else "none",
)
evidence.metric("Pieces of evidence", case.evidence_count)
learned.metric(
    "P(confirm)",
    f"{confirm:.0%}" if confirm is not None else "no model",
    help="Probability a reviewer confirms this flag, from the learned model of "
    "past decisions (`trust model learn`); 'no model' until one is active.",
)
st.markdown("Reasons: " + (", ".join(f"`{code}`" for code in case.reason_codes) or "none"))
if case.kind == "dispute":
    dispute_panel(member, case, holding)

groups = cached.linked(db, case.subject_id)
why, timeline, linked, notes, history = st.tabs(
    [
        "Why it was flagged",
        "Subject's timeline",
        f"Linked accounts ({len(groups)})",
        "Notes",
        "History",
    ]
)
with why:
    if groups:
        st.markdown(
            "Linked: "
            + "; ".join(plain(g.reason_words()) for g in groups[:5])
            + (f"; and {len(groups) - 5} more" if len(groups) > 5 else "")
            + " (see **Linked accounts**)."
        )
    for record in cached.appeals_against(db, tuple(e["event_id"] for e in detail.evidence)):
        words = (
            f"**overturned** by {record.decided_by} ({record.ground})"
            if record.outcome == "overturned"
            else f"**{record.outcome}**"
            if record.outcome
            else "pending"
        )
        st.warning(
            f"The decision on {plain(str(record.decision_event_id))} was appealed "
            f"([appeal case #{record.case_id}](case?case={record.case_id})): {words}."
        )
    ranked = sorted(
        detail.evidence, key=lambda e: -(e["decision"]["risk_score"] if e["decision"] else 0.0)
    )
    for index, item in enumerate(ranked[:20]):
        evidence_item(member, item, expanded=index == 0)
    if len(ranked) > 20:
        st.caption(f"Showing the 20 riskiest of {case.evidence_count} pieces of evidence.")
with timeline:
    security_chain(cached.security_steps(db, case.subject_id))
    timeline_tables(case.subject_id, cached.timeline(db, case.subject_id))
with linked:
    if case.kind == RING_KIND:
        cluster_members(member, case.id, cached.cluster_members(db, case.id))
    else:
        linked_table(groups)
with notes:
    for note in detail.notes:
        st.markdown(
            f"**{note['author']}** · {note['created_at']:%Y-%m-%d %H:%M}  \n{plain(note['body'])}"
        )
    if not detail.notes:
        st.caption("No notes yet.")
    if session.may(Permission.ADD_NOTE):
        body = st.text_area("Add a note", key="note-body")
        if st.button("Save note", key="note-save", disabled=not body.strip()) and perform(
            "Saving the note", lambda conn: add_note(conn, case.id, member, body, now)
        ):
            flash("Note saved.")
            st.rerun()
with history:
    audit_table(detail.audit, empty="Nothing has happened to this case yet.")

st.subheader("Decision")
if case.kind == APPEAL_KIND:
    appeal = cached.appeal(db, case.id)
    appeal_summary(appeal)
    if case.status == CaseStatus.RESOLVED:
        appeal_outcome(case, appeal)
    elif holding:
        appeal_form(member, case, appeal)
    else:
        st.info("Claim the case to decide the appeal.")
elif case.status == CaseStatus.RESOLVED:
    st.success(
        f"Resolved by {case.resolved_by} on {case.resolved_at:%Y-%m-%d %H:%M} UTC: "
        f"{resolution_words(case.resolution or {})}. Label: **{case.label}**."
    )
elif case.status == CaseStatus.AWAITING_APPROVAL:
    proposal_panel(member, case)
elif case.status == CaseStatus.WAITING_ON_USER:
    waiting_panel(member, case)
elif holding and case.kind == "dispute" and not staff_may_decide(case):
    st.info(
        "Staff decide the split in arbitration or the work-log review; until then the "
        "parties answer, offer and accept, and the mediator proposes (above)."
    )
elif holding:
    quick_dismiss(member, case)
    resolution_form(member, case)
else:
    st.info("Claim the case to decide it.")
sla_editor(member, case)
st.divider()
claim_next_button(member, "Claim the next case")
