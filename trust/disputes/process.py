"""Applying one fact to a stored dispute: step the machine, settle deadlines, sync the case.

``advance`` is the one place a dispute changes. It steps the pure machine, settles the
deadline the step met or defaulted (a guarded UPDATE: a deadline settled by someone else
meanwhile refuses the step), starts the next one, saves the state (version-guarded),
keeps the case's SLA on the running deadline, puts a money outcome up for four-eyes
approval, and writes one audit record with the stage before and after.

When a step leaves no deadline running (a settlement waits for approval, an arbitration
for a decision), the case's SLA restarts: staff get ``STAFF_DECISION_TIME`` (business time)
from then. The case carries the dispute's facts for the queue (``case_reasons``): the stage
as a reason code (``dispute_arbitration``), every missed deadline
(``respond_deadline_missed``), and a severity from the stage, one more once a deadline was
missed — so a dispute is ranked
against other cases by what is at stake in it, not only by how late it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from trust.audit import jsonable, record_audit
from trust.cases.case import Case, change_case, load_case
from trust.cases.lifecycle import CaseStatus
from trust.cases.priority import MAX_SEVERITY, priority_key
from trust.cases.sla import add_business_time, as_utc
from trust.disputes.machine import (
    Answered,
    ApprovalRefused,
    Approved,
    DeadlinePassed,
    Decided,
    Fact,
    Proposed,
    Responded,
    Split,
    Stage,
    Step,
    step,
)
from trust.errors import DisputeError
from trust.store.disputes import (
    DEFAULTED,
    MET,
    DisputeRow,
    load_dispute,
    save_state,
    set_case_reasons,
    settle_deadline,
    start_deadline,
)

FACT_ACTIONS: dict[type, str] = {
    Responded: "dispute_response",
    Proposed: "dispute_proposal",
    Answered: "dispute_answer",
    Decided: "dispute_decided",
    Approved: "dispute_settled",
    ApprovalRefused: "dispute_settlement_refused",
    DeadlinePassed: "dispute_deadline_missed",
}
# The reason code a money outcome carries when it comes from the process, not a person.
DEFAULT_REASON = "non_payment"
SETTLED_REASON = "partial_delivery"


# How much a dispute weighs in the queue at each stage (rule severities run 0-5): a person
# must decide the money in arbitration and approve a settlement.
STAGE_SEVERITY: dict[Stage, int] = {
    Stage.AWAITING_RESPONSE: 2,
    Stage.MEDIATION: 3,
    Stage.PROPOSAL: 3,
    Stage.WORK_LOG_REVIEW: 3,
    Stage.ARBITRATION: 4,
    Stage.SETTLING: 4,
    Stage.RESOLVED: 0,
}
# How long staff have to decide or approve once the parties' deadlines stop running.
STAFF_DECISION_TIME = timedelta(days=1)
STAGE_PREFIX = "dispute_"
MISSED_SUFFIX = "_deadline_missed"


def dispute_reasons(
    stage: Stage, codes: list[str], missed: str | None, decided_severity: int
) -> tuple[list[str], int]:
    """The case's reason codes and severity for a dispute at ``stage``.

    ``codes``: the case's codes so far (the stage code is replaced, missed deadlines and the
    complaint's own codes stay); ``missed``: the deadline this step defaulted, if any;
    ``decided_severity``: the severity so far (the complaint decision's, or an earlier
    stage's: a dispute does not become less pressing by moving on).
    """
    kept = [c for c in codes if not c.startswith(STAGE_PREFIX)]
    if missed:
        kept.append(f"{missed}{MISSED_SUFFIX}")
    new = list(dict.fromkeys([f"{STAGE_PREFIX}{stage.value}", *kept]))
    late = any(c.endswith(MISSED_SUFFIX) for c in new)
    severity = min(STAGE_SEVERITY.get(stage, 0) + (1 if late else 0), MAX_SEVERITY)
    return new, max(severity, decided_severity)


def _queue_values(case: Case, result: Step, due: datetime | None) -> dict[str, Any]:
    """Reason codes, severity and priority key the step gives the case (only what changed)."""
    codes, severity = dispute_reasons(
        result.state.stage,
        case.reason_codes,
        result.defaulted.name if result.defaulted else None,
        case.severity,
    )
    values: dict[str, Any] = {}
    if codes != case.reason_codes:
        values["reason_codes"] = codes
    if severity != case.severity:
        values["severity"] = severity
    key = priority_key(case.risk_score, severity, case.money_at_stake, due)
    if values or due != case.sla_due_at:
        values["priority"] = key
    return values


@dataclass(frozen=True, slots=True)
class Advanced:
    """A dispute after one fact: its stored row before, and the machine's step."""

    dispute: DisputeRow
    step: Step


def money_action(split: Split) -> str:
    """release, refund or split: the case action a settlement is."""
    if split.refunded == 0:
        return "release"
    if split.released == 0:
        return "refund"
    return "split"


def settlement_proposal(
    dispute: DisputeRow, split: Split, reason_code: str, note: str
) -> dict[str, Any]:
    """The case proposal (``Resolution.as_dict`` form) a settlement becomes, naming the money."""
    return {
        "action": money_action(split),
        "reason_code": reason_code,
        "note": note,
        "release_amount": str(split.released),
        "refund_amount": str(split.refunded),
        "contract_id": dispute.contract_id,
        "milestone_id": dispute.milestone_id,
        "currency": dispute.currency,
    }


def new_proposal(
    dispute: DisputeRow, split: Split, now: datetime, note: str = ""
) -> dict[str, Any]:
    """The stored form of a new proposal; its id is its number within the dispute."""
    number = int((dispute.proposal or {}).get("number", 0)) + 1
    return {
        "id": str(number),
        "number": number,
        "accepted": [],
        "split": {"released": str(split.released), "refunded": str(split.refunded), "by": split.by},
        "at": now.isoformat(),
        "note": note,
    }


def _describe(state_stage: Stage, deadline: Any) -> dict[str, Any]:
    return {
        "stage": state_stage.value,
        "deadline": None
        if deadline is None
        else {"name": deadline.name, "due_at": deadline.due_at},
    }


def _sync_case(
    conn: Connection,
    dispute: DisputeRow,
    result: Step,
    *,
    actor: str,
    now: datetime,
    reason_code: str,
    note: str,
) -> None:
    case = load_case(conn, dispute.case_id, for_update=True)
    if case.status == CaseStatus.RESOLVED:
        return
    values: dict[str, Any] = {}
    deadline = result.state.deadline
    due = case.sla_due_at
    if deadline is not None and deadline.due_at != case.sla_due_at:
        values["sla_due_at"] = due = deadline.due_at
    elif deadline is None and (result.met or result.defaulted) and case.sla_due_at is not None:
        # The parties' clock stopped (a settlement to approve, an arbitration to decide):
        # staff have their own time from now, not the parties' deadline that just passed.
        values["sla_due_at"] = due = add_business_time(now, STAFF_DECISION_TIME)
    values.update(_queue_values(case, result, due))
    settlement = result.state.settlement
    if result.settling and settlement is not None and case.status != CaseStatus.AWAITING_APPROVAL:
        values.update(
            status=CaseStatus.AWAITING_APPROVAL,
            proposed_by=settlement.by,
            proposed_action=settlement_proposal(dispute, settlement, reason_code, note),
            claimed_by=None,
            claimed_at=None,
            lease_expires_at=None,
        )
    elif (
        result.state.stage == Stage.ARBITRATION
        and result.defaulted is not None
        and case.status in (CaseStatus.OPEN, CaseStatus.IN_REVIEW)
    ):
        values.update(
            status=CaseStatus.ESCALATED, claimed_by=None, claimed_at=None, lease_expires_at=None
        )
    if values:
        change_case(
            conn,
            case,
            values,
            actor=actor,
            action="dispute_case_updated",
            now=now,
            details={"stage": result.state.stage.value},
        )
    if "reason_codes" in values:
        set_case_reasons(conn, case.id, values["reason_codes"])


def advance(
    conn: Connection,
    case_id: int,
    fact: Fact,
    *,
    actor: str,
    now: datetime,
    details: dict[str, Any] | None = None,
    proposal: dict[str, Any] | None = None,
    reason_code: str = SETTLED_REASON,
    note: str = "",
) -> Advanced:
    """Apply ``fact`` to the dispute of case ``case_id``; raises DisputeError when refused.

    ``proposal`` is the stored form of a new mediator proposal (with its id).
    """
    now = as_utc(now)
    dispute = load_dispute(conn, case_id, for_update=True)
    before = dispute.state()
    result = step(before, fact)
    for deadline, status in ((result.met, MET), (result.defaulted, DEFAULTED)):
        if deadline is not None and not settle_deadline(conn, case_id, deadline.name, status, now):
            raise DisputeError(
                f"the {deadline.name} deadline of dispute {case_id} was settled meanwhile"
            )
    if result.started is not None:
        start_deadline(conn, case_id, result.started)
    if isinstance(fact, Proposed):
        stored: dict[str, Any] | bool | None = proposal
    elif result.state.proposal is None and dispute.proposal_id is not None:
        # The proposal is over; its number stays so the next one gets a new id.
        stored = {"number": (dispute.proposal or {}).get("number", 0)}
    else:
        stored = False
    save_state(conn, dispute, result.state, now, proposal=stored)
    after = _describe(result.state.stage, result.state.deadline)
    after.update(
        met=result.met and result.met.name,
        defaulted=result.defaulted and result.defaulted.name,
        **(details or {}),
    )
    if result.state.settlement is not None and result.state.settlement != before.settlement:
        after["settlement"] = {
            "released": result.state.settlement.released,
            "refunded": result.state.settlement.refunded,
            "currency": dispute.currency,
            "by": result.state.settlement.by,
        }
    record_audit(
        conn,
        actor=actor,
        action=FACT_ACTIONS[type(fact)],
        target_type="case",
        target_id=case_id,
        at=now,
        before=jsonable(_describe(before.stage, before.deadline)),
        after=jsonable(after),
    )
    _sync_case(conn, dispute, result, actor=actor, now=now, reason_code=reason_code, note=note)
    return Advanced(dispute, result)
