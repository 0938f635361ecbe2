"""Disputes from intake: payment complaints open one case per contract's money; the parties'
statements, evidence and answers join that case's timeline and step its process.

A complaint is a payment dispute when it names a contract and an amount and money is at
stake: a fixed-price milestone whose escrow is funded, or hours an hourly client disputes.
Such complaints never merge into the respondent's complaint case; complaints about the same
respondent are linked instead (``trust.disputes.queries.linked_complaints``). Every flagged
decision of another kind, and every other complaint, goes to ``trust.cases.open_or_join``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    Answered,
    ContractType,
    Proposed,
    Responded,
    Side,
    Split,
    Stage,
    filing_problem,
    open_dispute,
)
from trust.disputes.process import advance, new_proposal
from trust.errors import DisputeError
from trust.events import (
    ComplaintEvent,
    DisputeAnswerEvent,
    DisputeEvent,
    DisputeEvidenceEvent,
    DisputeOfferEvent,
    DisputeStatementEvent,
    Event,
    EventValidationIssue,
)
from trust.intake.batches import refused_record
from trust.intake.sinks import conflict_record, store_events
from trust.pii import PiiHasher
from trust.settings import Settings
from trust.store.disputes import (
    DisputeCase,
    DisputeRow,
    NewDispute,
    attach_to_case,
    change_escrow,
    dispute_case_ids,
    hold_for_dispute,
    insert_dispute,
    insert_dispute_case,
    load_dispute,
    release_held,
    scope_key,
    waiting_for,
)
from trust.store.events import load_events
from trust.store.quarantine import QuarantinedRecord

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
    return is_payment_dispute(event) and filing_problem(
        ContractType(event.contract_type or "fixed_price"), event.occurred_at,
        event.contract_ended_at) is None


def _side(role: str) -> Side:
    return Side.FREELANCER if role in _WORKER_ROLES else Side.CLIENT


def _scope(event: ComplaintEvent | DisputeEvent) -> str:
    return scope_key(str(event.contract_id), event.milestone_id)


def _open(conn: Connection, event: ComplaintEvent, decision: Decision | None,
          now: datetime) -> int:
    money = event.amount_in_dispute
    if money is None or event.contract_id is None:
        raise DisputeError(f"complaint {event.event_id} names no contract or amount")
    state = open_dispute(ContractType(event.contract_type or "fixed_price"),
                         _side(event.complainant_role), money.amount, event.occurred_at)
    risk = decision.risk_score if decision else 0.0
    severity = decision.severity if decision else 0
    codes = list(decision.reason_codes) if decision else []
    due = state.deadline.due_at if state.deadline else None
    case_id = insert_dispute_case(conn, DisputeCase(
        event.respondent_id, risk, severity, state.escrow, money.currency, codes,
        priority_key(risk, severity, state.escrow, due), due), now)
    insert_dispute(conn, NewDispute(case_id, str(event.contract_id), event.milestone_id,
                                    money.currency, event.complainant_id, event.respondent_id,
                                    event.contract_ended_at, state))
    attach_to_case(conn, case_id, [event.event_id], now)
    record_audit(conn, actor=SYSTEM_ACTOR, action="dispute_opened", target_type="case",
                 target_id=case_id, at=now, after=jsonable({
                     "contract_id": event.contract_id, "milestone_id": event.milestone_id,
                     "currency": money.currency, "amount_in_escrow": state.escrow,
                     "contract_type": state.contract_type, "stage": state.stage,
                     "deadline": state.deadline and {"name": state.deadline.name,
                                                     "due_at": state.deadline.due_at},
                     "events": [event.event_id]}))
    return case_id


def _amount_change(conn: Connection, dispute: DisputeRow, event: ComplaintEvent,
                   now: datetime) -> None:
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
        why = ("one dispute has one currency" if money.currency != dispute.currency
               else f"the dispute is in {dispute.stage.value}: its amount is settled")
        record_audit(conn, actor=SYSTEM_ACTOR, action="amount_change_refused",
                     target_type="case", target_id=dispute.case_id, at=now,
                     before=jsonable(before), after=jsonable({**after, "reason": why}))
        return
    change_escrow(conn, dispute, amount)
    case = load_case(conn, dispute.case_id, for_update=True)
    change_case(conn, case, {"money_at_stake": amount}, actor=SYSTEM_ACTOR,
                action="amount_at_stake_changed", now=now,
                details={"event_id": event.event_id, "contract_id": dispute.contract_id})


def _join(conn: Connection, case_id: int, event: ComplaintEvent, now: datetime) -> None:
    dispute = load_dispute(conn, case_id, for_update=True)
    attach_to_case(conn, case_id, [event.event_id], now)
    record_audit(conn, actor=SYSTEM_ACTOR, action="evidence_added", target_type="case",
                 target_id=case_id, at=now, after={"events": [event.event_id]})
    _amount_change(conn, dispute, event, now)


def open_cases_and_disputes(conn: Connection, decisions: Sequence[Decision],
                            settings: Settings, now: datetime) -> dict[str, int]:
    """The pipeline's case opener: payment disputes per contract, everything else merged."""
    now = as_utc(now)
    complaint_ids = [d.event_id for d in decisions if d.kind == "complaint"]
    disputes = [e for e in load_events(conn, complaint_ids)
                if isinstance(e, ComplaintEvent) and opens_dispute(e)]
    taken = {e.event_id for e in disputes}
    result = dict(open_or_join(conn, [d for d in decisions if d.event_id not in taken],
                               settings, now))
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


@dataclass(slots=True)
class PartyIntake:
    """What became of a batch's dispute party events."""

    stored: int = 0
    repeated: int = 0
    refused: list[QuarantinedRecord] = field(default_factory=list)
    case_ids: dict[str, int] = field(default_factory=dict)


def _refusal(source: str, event: Event, path: str, problem: str) -> QuarantinedRecord:
    return refused_record(source, None, event.model_dump_json(),
                          [EventValidationIssue(path, problem)], event_id=event.event_id)


def _routing_problem(event: DisputeEvent, dispute: DisputeRow) -> tuple[str, str]:
    side = dispute.party_side(event.party_id)
    if side is None:
        return "party_id", f"{event.party_id} is not a party to this dispute"
    if side.value != event.side:
        return "side", f"{event.party_id} is on the {side.value} side of this dispute"
    return "", ""


def _fact(event: DisputeEvent, dispute: DisputeRow) -> Responded | Proposed | Answered | None:
    side = Side(event.side)
    if isinstance(event, DisputeOfferEvent):
        if event.currency != dispute.currency:
            raise DisputeError(f"the offer is in {event.currency}; the escrow is in "
                               f"{dispute.currency}")
        return Proposed(Split(event.released_amount, event.refunded_amount, event.party_id),
                        event.occurred_at, side)
    if isinstance(event, DisputeAnswerEvent):
        answer = event
        if answer.proposal_id != dispute.proposal_id:
            raise DisputeError(f"proposal {answer.proposal_id} is not the open proposal "
                               f"({dispute.proposal_id or 'none'})")
        return Answered(side, answer.answer == "accept", event.occurred_at)
    if dispute.stage == Stage.AWAITING_RESPONSE and side == dispute.complainant_side.other:
        return Responded(side, event.occurred_at)
    return None


def _apply(conn: Connection, case_id: int, event: DisputeEvent, now: datetime) -> None:
    dispute = load_dispute(conn, case_id, for_update=True)
    attach_to_case(conn, case_id, [event.event_id], now)
    said = {"event_id": event.event_id, "kind": event.kind, "side": event.side,
            "party_id": event.party_id}
    try:
        fact = _fact(event, dispute)
        if fact is None:
            if dispute.stage == Stage.RESOLVED:
                raise DisputeError("the dispute is resolved; kept on its timeline only")
            record_audit(conn, actor=event.party_id, action=f"{event.kind}_received",
                         target_type="case", target_id=case_id, at=now,
                         after={**said, "stage": dispute.stage.value})
            return
        offer = None
        if isinstance(fact, Proposed):
            comment = event.comment if isinstance(event, DisputeOfferEvent) else ""
            offer = new_proposal(dispute, fact.split.checked(dispute.amount_in_escrow), now,
                                 comment)
            offer["accepted"] = [side.value for side in (fact.side,) if side]
            said["proposal_id"] = offer["id"]
        advance(conn, case_id, fact, actor=event.party_id, now=now, details=said,
                proposal=offer)
    except DisputeError as exc:
        record_audit(conn, actor=event.party_id, action="dispute_event_refused",
                     target_type="case", target_id=case_id, at=now,
                     after={**said, "stage": dispute.stage.value, "reason": str(exc)})


def _party_events(events: Sequence[Event]) -> list[DisputeEvent]:
    return [e for e in events if isinstance(
        e, DisputeStatementEvent | DisputeEvidenceEvent | DisputeOfferEvent | DisputeAnswerEvent)]


def take_party_events(conn: Connection, events: Sequence[DisputeEvent],
                      hasher: PiiHasher, *, source: str, now: datetime) -> PartyIntake:
    """Store and apply the parties' events, oldest first.

    An event for a dispute that is not open yet is stored and held: the complaint may be in
    another worker's batch, and the dispute takes it when it opens. A sender who is not a
    party of an open dispute, or not on that side, is quarantined with the field named; an
    event the process refuses (a late answer, say) stays on the timeline, refusal audited.
    """
    now = as_utc(now)
    outcome = PartyIntake()
    known = dispute_case_ids(conn, [_scope(e) for e in events])
    disputes: Mapping[int, DisputeRow] = {
        case_id: load_dispute(conn, case_id) for case_id in set(known.values())}
    accepted: list[DisputeEvent] = []
    for event in events:
        case_id = known.get(_scope(event))
        path, problem = _routing_problem(event, disputes[case_id]) if case_id else ("", "")
        if problem:
            outcome.refused.append(_refusal(source, event, path, problem))
        else:
            accepted.append(event)
    stored = store_events(conn, accepted, hasher, source=source, received_at=now)
    outcome.stored, outcome.repeated = len(stored.fresh), stored.repeated
    outcome.refused += [conflict_record(source, None, e) for e in stored.conflicting]
    fresh = _party_events(stored.fresh)
    hold_for_dispute(conn, [(e.event_id, _scope(e)) for e in fresh if _scope(e) not in known],
                     now)
    for event in sorted(fresh, key=lambda e: (e.occurred_at, e.event_id)):
        case_id = known.get(_scope(event))
        if case_id is not None:
            _apply(conn, case_id, event, now)
            outcome.case_ids[event.event_id] = case_id
    return outcome


def take_held_events(conn: Connection, now: datetime, scopes: list[str] | None = None
                     ) -> dict[str, int]:
    """Apply held party events whose dispute is open now (all such when ``scopes`` is None);
    event id -> case id. A sender who turns out not to be a party is refused, audited."""
    now = as_utc(now)
    held = waiting_for(conn, scopes)
    known = dispute_case_ids(conn, list(held))
    taken: dict[str, int] = {}
    for scope, event_ids in held.items():
        case_id = known.get(scope)
        if case_id is None:
            continue
        events = sorted(_party_events(load_events(conn, event_ids)),
                        key=lambda e: (e.occurred_at, e.event_id))
        for event in events:
            path, problem = _routing_problem(event, load_dispute(conn, case_id))
            if problem:
                record_audit(conn, actor=event.party_id, action="dispute_event_refused",
                             target_type="case", target_id=case_id, at=now,
                             after={"event_id": event.event_id, "reason": f"{path}: {problem}"})
                continue
            _apply(conn, case_id, event, now)
            taken[event.event_id] = case_id
        release_held(conn, event_ids)
    return taken
