"""The parties' statements, evidence, offers and answers: stored, routed to their dispute's
timeline, and applied to its process (``trust.disputes.process.advance``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from trust.audit import record_audit
from trust.cases.sla import as_utc
from trust.disputes.machine import Answered, Proposed, Responded, Side, Split, Stage
from trust.disputes.process import advance, new_proposal
from trust.errors import DisputeError
from trust.events import (
    DisputeAnswerEvent,
    DisputeEvent,
    DisputeEvidenceEvent,
    DisputeOfferEvent,
    DisputeStatementEvent,
    Event,
    EventValidationIssue,
)
from trust.intake.sinks import conflict_record
from trust.intake.validation import refused_record
from trust.pii import PiiHasher
from trust.store.disputes import (
    DisputeRow,
    attach_to_case,
    dispute_case_ids,
    hold_for_dispute,
    load_dispute,
    release_held,
    scope_key,
    waiting_for,
)
from trust.store.events import load_events, store_events
from trust.store.quarantine import QuarantinedRecord


def _scope(event: DisputeEvent) -> str:
    return scope_key(event.contract_id, event.milestone_id)


@dataclass(slots=True)
class PartyIntake:
    """What became of a batch's dispute party events."""

    stored: int = 0
    repeated: int = 0
    refused: list[QuarantinedRecord] = field(default_factory=list)
    case_ids: dict[str, int] = field(default_factory=dict)


def _refusal(source: str, event: Event, path: str, problem: str) -> QuarantinedRecord:
    return refused_record(
        source,
        None,
        event.model_dump_json(),
        [EventValidationIssue(path, problem)],
        event_id=event.event_id,
    )


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
            raise DisputeError(
                f"the offer is in {event.currency}; the escrow is in {dispute.currency}"
            )
        return Proposed(
            Split(event.released_amount, event.refunded_amount, event.party_id),
            event.occurred_at,
            side,
        )
    if isinstance(event, DisputeAnswerEvent):
        answer = event
        if answer.proposal_id != dispute.proposal_id:
            raise DisputeError(
                f"proposal {answer.proposal_id} is not the open proposal "
                f"({dispute.proposal_id or 'none'})"
            )
        return Answered(side, answer.answer == "accept", event.occurred_at)
    if dispute.stage == Stage.AWAITING_RESPONSE and side == dispute.complainant_side.other:
        return Responded(side, event.occurred_at)
    return None


def _apply(conn: Connection, case_id: int, event: DisputeEvent, now: datetime) -> None:
    dispute = load_dispute(conn, case_id, for_update=True)
    attach_to_case(conn, case_id, [event.event_id], now)
    said = {
        "event_id": event.event_id,
        "kind": event.kind,
        "side": event.side,
        "party_id": event.party_id,
    }
    try:
        fact = _fact(event, dispute)
        if fact is None:
            if dispute.stage == Stage.RESOLVED:
                raise DisputeError("the dispute is resolved; kept on its timeline only")
            record_audit(
                conn,
                actor=event.party_id,
                action=f"{event.kind}_received",
                target_type="case",
                target_id=case_id,
                at=now,
                after={**said, "stage": dispute.stage.value},
            )
            return
        offer = None
        if isinstance(fact, Proposed):
            comment = event.comment if isinstance(event, DisputeOfferEvent) else ""
            offer = new_proposal(
                dispute, fact.split.checked(dispute.amount_in_escrow), now, comment
            )
            offer["accepted"] = [side.value for side in (fact.side,) if side]
            said["proposal_id"] = offer["id"]
        advance(conn, case_id, fact, actor=event.party_id, now=now, details=said, proposal=offer)
    except DisputeError as exc:
        record_audit(
            conn,
            actor=event.party_id,
            action="dispute_event_refused",
            target_type="case",
            target_id=case_id,
            at=now,
            after={**said, "stage": dispute.stage.value, "reason": str(exc)},
        )


def _party_events(events: Sequence[Event]) -> list[DisputeEvent]:
    return [
        e
        for e in events
        if isinstance(
            e, DisputeStatementEvent | DisputeEvidenceEvent | DisputeOfferEvent | DisputeAnswerEvent
        )
    ]


def take_party_events(
    conn: Connection,
    events: Sequence[DisputeEvent],
    hasher: PiiHasher,
    *,
    source: str,
    now: datetime,
) -> PartyIntake:
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
        case_id: load_dispute(conn, case_id) for case_id in set(known.values())
    }
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
    hold_for_dispute(conn, [(e.event_id, _scope(e)) for e in fresh if _scope(e) not in known], now)
    for event in sorted(fresh, key=lambda e: (e.occurred_at, e.event_id)):
        case_id = known.get(_scope(event))
        if case_id is not None:
            _apply(conn, case_id, event, now)
            outcome.case_ids[event.event_id] = case_id
    return outcome


def take_held_events(
    conn: Connection, now: datetime, scopes: list[str] | None = None
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
        events = sorted(
            _party_events(load_events(conn, event_ids)), key=lambda e: (e.occurred_at, e.event_id)
        )
        for event in events:
            path, problem = _routing_problem(event, load_dispute(conn, case_id))
            if problem:
                record_audit(
                    conn,
                    actor=event.party_id,
                    action="dispute_event_refused",
                    target_type="case",
                    target_id=case_id,
                    at=now,
                    after={"event_id": event.event_id, "reason": f"{path}: {problem}"},
                )
                continue
            _apply(conn, case_id, event, now)
            taken[event.event_id] = case_id
        release_held(conn, event_ids)
    return taken
