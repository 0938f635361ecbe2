"""What the case screen shows about a dispute: its money, deadlines, timeline and links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from trust.cases.sla import as_utc
from trust.store.disputes import DeadlineRecord, DisputeRow, deadline_history, load_dispute
from trust.store.tables import DISPUTE_KIND, case_evidence, cases, disputes, events


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One thing a party sent: a complaint, a statement, evidence, an offer or an answer."""

    event_id: str
    kind: str
    at: datetime
    party_id: str
    side: str | None
    summary: str
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LinkedCase:
    """Another case about the same respondent: linked, never merged."""

    case_id: int
    kind: str
    status: str
    contract_id: str | None


@dataclass(frozen=True, slots=True)
class DisputeView:
    """Everything the dispute panel of the case screen needs."""

    dispute: DisputeRow
    deadlines: list[DeadlineRecord]
    timeline: list[TimelineEntry]
    linked: list[LinkedCase]


def _summary(kind: str, payload: dict[str, Any]) -> str:
    if kind == "complaint":
        money = payload.get("amount_in_dispute") or {}
        return (
            f"Dispute filed ({payload.get('category')}): {money.get('amount')} "
            f"{money.get('currency')}. {payload.get('description', '')}"
        )
    if kind == "dispute_statement":
        return str(payload.get("text", ""))
    if kind == "dispute_evidence":
        return str(payload.get("description") or "Evidence added")
    if kind == "dispute_offer":
        return (
            f"Offers: release {payload.get('released_amount')}, refund "
            f"{payload.get('refunded_amount')} {payload.get('currency')}"
        )
    if kind == "dispute_answer":
        answer = str(payload.get("answer", "")).capitalize()
        return f"{answer}s proposal {payload.get('proposal_id')}"
    return kind


def _timeline(conn: Connection, case_id: int) -> list[TimelineEntry]:
    rows = conn.execute(
        select(events.c.event_id, events.c.kind, events.c.occurred_at, events.c.payload)
        .join(case_evidence, case_evidence.c.event_id == events.c.event_id)
        .where(case_evidence.c.case_id == case_id)
        .order_by(events.c.occurred_at, case_evidence.c.id)
    )
    entries = []
    for event_id, kind, at, payload in rows:
        party = payload.get("party_id") or payload.get("complainant_id", "")
        side = payload.get("side")
        if kind == "complaint":
            side = "client" if payload.get("complainant_role") == "client" else "freelancer"
        entries.append(
            TimelineEntry(
                event_id,
                kind,
                as_utc(at),
                party,
                side,
                _summary(kind, payload),
                list(payload.get("attachments") or []),
            )
        )
    return entries


def _linked(conn: Connection, dispute: DisputeRow) -> list[LinkedCase]:
    rows = conn.execute(
        select(cases.c.id, cases.c.kind, cases.c.status, disputes.c.contract_id)
        .outerjoin(disputes, disputes.c.case_id == cases.c.id)
        .where(cases.c.subject_id == dispute.respondent_id, cases.c.id != dispute.case_id)
        .order_by(cases.c.id)
    )
    return [LinkedCase(int(i), k, s, c if k == DISPUTE_KIND else None) for i, k, s, c in rows]


def dispute_view(conn: Connection, case_id: int) -> DisputeView:
    """The dispute of case ``case_id`` as the case screen shows it."""
    dispute = load_dispute(conn, case_id)
    return DisputeView(
        dispute, deadline_history(conn, case_id), _timeline(conn, case_id), _linked(conn, dispute)
    )
