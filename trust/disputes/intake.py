"""Disputes from intake: payment complaints open one case per contract's money; the parties'
statements, evidence and answers join that case's timeline and step its process.

A complaint is a payment dispute when it names a contract and an amount and money is at
stake: a fixed-price milestone whose escrow is funded, or hours an hourly client disputes.
Such complaints never merge into the respondent's complaint case; complaints about the same
respondent are linked instead (the case screen and ``trust cases export`` list them). Every
flagged decision of another kind, and every other complaint, goes to
``trust.cases.open_or_join``. The parties' own events are ``trust.disputes.parties``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection

from trust.audit import SYSTEM_ACTOR, jsonable, record_audit
from trust.cases.case import change_case, load_case
from trust.cases.intake import open_or_join
from trust.cases.priority import priority_key
from trust.cases.sla import as_utc
from trust.decisions import Decision
from trust.disputes.machine import (
    ContractType,
    Side,
    Stage,
    filing_problem,
    open_dispute,
)
from trust.disputes.parties import take_held_events
from trust.disputes.process import dispute_reasons
from trust.errors import DisputeError
from trust.events import (
    ComplaintEvent,
    DisputeEvent,
)
from trust.settings import Settings
from trust.store.disputes import (
    DisputeCase,
    DisputeRow,
    NewDispute,
    add_evidence,
    attach_to_case,
    change_escrow,
    dispute_case_ids,
    drop_unused_case,
    insert_dispute,
    insert_dispute_case,
    load_dispute,
    scope_key,
)
from trust.store.events import load_events

_WORKER_ROLES = frozenset({"freelancer", "agency"})


def is_payment_dispute(event: ComplaintEvent) -> bool:
    """True when the complaint is about one contract's money (see the module docstring)."""
    if event.contract_id is None or event.amount_in_dispute is None:
        return False
    if event.contract_type == "hourly":
        return event.disputed_hours is not None and event.complainant_role == "client"
    return event.escrow_state == "funded"


def opens_dispute(event: ComplaintEvent) -> bool:
    """A payment dispute filed inside its window (a late one stays a plain complaint)."""
    return (
        is_payment_dispute(event)
        and filing_problem(
            ContractType(event.contract_type or "fixed_price"),
            event.occurred_at,
            event.contract_ended_at,
        )
        is None
    )


def _side(role: str) -> Side:
    return Side.FREELANCER if role in _WORKER_ROLES else Side.CLIENT


def _scope(event: ComplaintEvent | DisputeEvent) -> str:
    return scope_key(str(event.contract_id), event.milestone_id)


def _open(conn: Connection, event: ComplaintEvent, decision: Decision | None, now: datetime) -> int:
    """Open the dispute on the complaint's money; a worker that loses the race to open it
    (PostgreSQL waits on the winner's row) joins the winner's dispute instead."""
    money = event.amount_in_dispute
    if money is None or event.contract_id is None:
        raise DisputeError(f"complaint {event.event_id} names no contract or amount")
    state = open_dispute(
        ContractType(event.contract_type or "fixed_price"),
        _side(event.complainant_role),
        money.amount,
        event.occurred_at,
    )
    risk = decision.risk_score if decision else 0.0
    codes, severity = dispute_reasons(
        state.stage,
        list(decision.reason_codes) if decision else [],
        None,
        decision.severity if decision else 0,
    )
    due = state.deadline.due_at if state.deadline else None
    case_id = insert_dispute_case(
        conn,
        DisputeCase(
            event.respondent_id,
            risk,
            severity,
            state.escrow,
            money.currency,
            codes,
            priority_key(risk, severity, state.escrow, due),
            due,
        ),
        now,
    )
    if not insert_dispute(
        conn,
        NewDispute(
            case_id,
            str(event.contract_id),
            event.milestone_id,
            money.currency,
            event.complainant_id,
            event.respondent_id,
            event.contract_ended_at,
            state,
        ),
    ):
        drop_unused_case(conn, case_id)
        winner = dispute_case_ids(conn, [_scope(event)])[_scope(event)]
        _join(conn, winner, event, now)
        return winner
    attach_to_case(conn, case_id, [event.event_id], now)
    record_audit(
        conn,
        actor=SYSTEM_ACTOR,
        action="dispute_opened",
        target_type="case",
        target_id=case_id,
        at=now,
        after=jsonable(
            {
                "contract_id": event.contract_id,
                "milestone_id": event.milestone_id,
                "currency": money.currency,
                "amount_in_escrow": state.escrow,
                "contract_type": state.contract_type,
                "stage": state.stage,
                "deadline": state.deadline
                and {"name": state.deadline.name, "due_at": state.deadline.due_at},
                "events": [event.event_id],
            }
        ),
    )
    return case_id


def _amount_change(
    conn: Connection, dispute: DisputeRow, event: ComplaintEvent, now: datetime
) -> None:
    """A later complaint on the same money: an audited change of the amount, or a refusal."""
    money = event.amount_in_dispute
    if money is None:
        return
    amount = money.amount.quantize(Decimal("0.01"))
    if money.currency == dispute.currency and amount == dispute.amount_in_escrow:
        return
    before = {"amount_in_escrow": dispute.amount_in_escrow, "currency": dispute.currency}
    after = {"amount_in_escrow": amount, "currency": money.currency, "event_id": event.event_id}
    open_stage = dispute.stage in (Stage.AWAITING_RESPONSE, Stage.MEDIATION)
    if money.currency != dispute.currency or not open_stage:
        why = (
            "one dispute has one currency"
            if money.currency != dispute.currency
            else f"the dispute is in {dispute.stage.value}: its amount is settled"
        )
        record_audit(
            conn,
            actor=SYSTEM_ACTOR,
            action="amount_change_refused",
            target_type="case",
            target_id=dispute.case_id,
            at=now,
            before=jsonable(before),
            after=jsonable({**after, "reason": why}),
        )
        return
    change_escrow(conn, dispute, amount)
    case = load_case(conn, dispute.case_id, for_update=True)
    change_case(
        conn,
        case,
        {"money_at_stake": amount},
        actor=SYSTEM_ACTOR,
        action="amount_at_stake_changed",
        now=now,
        details={"event_id": event.event_id, "contract_id": dispute.contract_id},
    )


def _join(conn: Connection, case_id: int, event: ComplaintEvent, now: datetime) -> None:
    dispute = load_dispute(conn, case_id, for_update=True)
    add_evidence(conn, case_id, [event.event_id], now)
    _amount_change(conn, dispute, event, now)


def open_cases_and_disputes(
    conn: Connection, decisions: Sequence[Decision], settings: Settings, now: datetime
) -> dict[str, int]:
    """The pipeline's case opener: payment disputes per contract, everything else merged."""
    now = as_utc(now)
    complaint_ids = [d.event_id for d in decisions if d.kind == "complaint"]
    disputes = [
        e
        for e in load_events(conn, complaint_ids)
        if isinstance(e, ComplaintEvent) and opens_dispute(e)
    ]
    taken = {e.event_id for e in disputes}
    result = dict(
        open_or_join(conn, [d for d in decisions if d.event_id not in taken], settings, now)
    )
    by_id = {d.event_id: d for d in decisions}
    known = dispute_case_ids(conn, [_scope(e) for e in disputes])
    for event in sorted(disputes, key=lambda e: (e.occurred_at, e.event_id)):
        scope = _scope(event)
        if scope in known:
            _join(conn, known[scope], event, now)
        else:
            known[scope] = _open(conn, event, by_id.get(event.event_id), now)
            take_held_events(conn, now, [scope])
        result[event.event_id] = known[scope]
        decision = by_id.get(event.event_id)
        if decision is not None:
            decision.case_id = known[scope]
    return result
