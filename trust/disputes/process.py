"""Applying one fact to a stored dispute: step the machine, settle deadlines, sync the case.

``advance`` is the one place a dispute changes. It steps the pure machine, settles the
deadline the step met or defaulted (a guarded UPDATE: a deadline settled by someone else
meanwhile refuses the step), starts the next one, saves the state (version-guarded),
keeps the case's SLA on the running deadline, puts a money outcome up for four-eyes
approval, and writes one audit record with the stage before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from trust.audit import jsonable, record_audit
from trust.cases.case import change_case, load_case
from trust.cases.lifecycle import CaseStatus
from trust.cases.sla import as_utc
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
    if deadline is not None and deadline.due_at != case.sla_due_at:
        values["sla_due_at"] = deadline.due_at
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
