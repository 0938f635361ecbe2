"""Read side of the queue: one page of cases, a case with its evidence, a subject's history.

Everything is paginated or bounded, and ordered by indexed columns, so a queue of 100,000
open cases loads a page without reading them all (``trust bench dashboard`` measures it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict, cast

from sqlalchemy import Connection, func, or_, select

from trust.cases.case import Case, load_case
from trust.cases.filters import UNRESOLVED_SQL, QueueFilter, filter_conditions, held
from trust.cases.lifecycle import UNRESOLVED, CaseStatus
from trust.cases.priority import priority_parts, priority_sql
from trust.cases.sla import SlaState, as_utc
from trust.decisions import StoredDecisionRow
from trust.settings import Settings
from trust.staff.roles import HasRole
from trust.store.tables import (
    account_identifiers,
    accounts,
    audit_log,
    case_evidence,
    case_notes,
    cases,
    decisions,
    events,
)

# Identifier kinds that link two accounts; e-mail domains are shared by millions (gmail.com).
LINKING_KINDS = ("device", "payment", "document", "phone", "email", "ip")


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One row of the queue: the case plus what the clock says about it now."""

    case: Case
    priority: float
    sla_state: SlaState
    time_left: timedelta | None
    holder: str | None


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page of the queue, highest priority first, and how many cases match in total."""

    items: list[QueueItem]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """How many pages the matching cases fill (at least 1)."""
        return max(1, -(-self.total // self.page_size))


def queue_item(case: Case, now: datetime, settings: Settings) -> QueueItem:
    """Decorate a case with its current priority, SLA state, time left and holder."""
    left = case.sla_due_at - now if case.sla_due_at else None
    priority = priority_parts(
        case.risk_score,
        case.severity,
        case.money_at_stake,
        case.priority,
        now,
        sla_due_at=case.sla_due_at,
    ).total
    return QueueItem(case, priority, case.sla_state(now, settings), left, case.holder(now))


def queue_page(
    conn: Connection,
    filters: QueueFilter | None,
    now: datetime,
    settings: Settings,
    *,
    page: int = 1,
    page_size: int = 50,
) -> QueuePage:
    """Cases matching ``filters`` (unresolved by default), by priority, one page at a time."""
    now = as_utc(now)
    wanted = {CaseStatus(s) for s in (filters.statuses if filters and filters.statuses else ())}
    conditions = [
        *([cases.c.status.in_(sorted(wanted))] if wanted and wanted != UNRESOLVED else []),
        *([UNRESOLVED_SQL] if CaseStatus.RESOLVED not in wanted else []),
        *filter_conditions(filters, now, timedelta(hours=settings.sla.due_soon_hours)),
    ]
    total = conn.execute(select(func.count()).select_from(cases).where(*conditions)).scalar_one()
    page, page_size = max(page, 1), min(max(page_size, 1), 500)
    rows = conn.execute(
        select(cases)
        .where(*conditions)
        .order_by(priority_sql(now).desc(), cases.c.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    items = [queue_item(Case.from_row(r), now, settings) for r in rows]
    return QueuePage(items, int(total), page, page_size)


def my_cases(
    conn: Connection, staff: HasRole, now: datetime, settings: Settings
) -> list[QueueItem]:
    """Cases ``staff`` holds a live claim on, and their proposals waiting for approval."""
    now = as_utc(now)
    rows = conn.execute(
        select(cases)
        .where(
            or_(
                (cases.c.claimed_by == staff.username) & held(now),
                (cases.c.proposed_by == staff.username)
                & (cases.c.status == CaseStatus.AWAITING_APPROVAL),
            )
        )
        .order_by(priority_sql(now).desc(), cases.c.id)
        .limit(200)
    )
    return [queue_item(Case.from_row(r), now, settings) for r in rows]


def awaiting_approval_by(
    conn: Connection, staff: HasRole, now: datetime, settings: Settings, *, limit: int = 200
) -> list[QueueItem]:
    """Proposals (blocks, escrow outcomes) ``staff`` may approve: someone else's, oldest first."""
    now = as_utc(now)
    rows = conn.execute(
        select(cases)
        .where(
            cases.c.status == CaseStatus.AWAITING_APPROVAL, cases.c.proposed_by != staff.username
        )
        .order_by(priority_sql(now).desc(), cases.c.id)
        .limit(limit)
    )
    return [queue_item(Case.from_row(r), now, settings) for r in rows]


class EvidenceRow(TypedDict):
    """One event attached to a case, as stored (payload unmasked), with its decision."""

    event_id: str
    added_at: datetime
    kind: str
    occurred_at: datetime
    payload: dict[str, Any]
    decision: StoredDecisionRow | None


class NoteRow(TypedDict):
    """A case note (``case_notes``)."""

    id: int
    case_id: int
    author: str
    body: str
    created_at: datetime


class AuditRow(TypedDict):
    """One audit-log entry (``audit_log``)."""

    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    before: Any
    after: Any


class AccountRow(TypedDict):
    """An account (``accounts``); ``display_name`` opened from its sealed form."""

    account_id: str
    role: str | None
    status: str
    created_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    display_name: str | None
    country: str | None


class TimelineEvent(TypedDict):
    """An event of a subject's history, with its decision's outcome when it has one."""

    event_id: str
    kind: str
    occurred_at: datetime
    subject_id: str
    counterparty_id: str | None
    outcome: str | None
    risk_score: float | None
    case_id: int | None


class TimelineCase(TypedDict):
    """A case of a subject's history."""

    id: int
    kind: str
    status: str
    label: str | None
    opened_at: datetime
    resolved_at: datetime | None
    evidence_count: int
    risk_score: float
    resolution: dict[str, Any] | None


class SubjectTimeline(TypedDict):
    """An account's history, newest first."""

    events: list[TimelineEvent]
    cases: list[TimelineCase]


@dataclass(frozen=True, slots=True)
class CaseDetail:
    """Everything the case screen shows; evidence is capped at ``evidence_limit`` newest."""

    case: Case
    evidence: list[EvidenceRow]
    notes: list[NoteRow]
    audit: list[AuditRow]
    account: AccountRow | None


def _rows(result: Any) -> list[Any]:
    """Rows as dicts; callers name the TypedDict their select's columns make."""
    return [dict(r._mapping) for r in result]


def case_detail(conn: Connection, case_id: int, *, evidence_limit: int = 100) -> CaseDetail:
    """A case with its evidence (event, raw payload, decision), notes, audit trail and account.

    Payloads are returned as stored: pass them through ``trust.staff.mask_payload`` before
    showing them to anyone without the reveal permission.
    """
    case = load_case(conn, case_id)
    evidence_rows = conn.execute(
        select(
            case_evidence.c.event_id,
            case_evidence.c.added_at,
            events.c.kind,
            events.c.occurred_at,
            events.c.payload,
        )
        .join(events, events.c.event_id == case_evidence.c.event_id)
        .where(case_evidence.c.case_id == case_id)
        .order_by(case_evidence.c.id.desc())
        .limit(evidence_limit)
    )
    evidence: list[EvidenceRow] = _rows(evidence_rows)
    by_event: dict[str, StoredDecisionRow] = {
        r["event_id"]: r
        for r in _rows(
            conn.execute(
                select(decisions).where(decisions.c.event_id.in_([e["event_id"] for e in evidence]))
            )
        )
    }
    for item in evidence:
        item["decision"] = by_event.get(item["event_id"])
    notes: list[NoteRow] = _rows(
        conn.execute(
            select(case_notes).where(case_notes.c.case_id == case_id).order_by(case_notes.c.id)
        )
    )
    audit: list[AuditRow] = _rows(
        conn.execute(
            select(audit_log)
            .where(audit_log.c.target_type == "case", audit_log.c.target_id == str(case_id))
            .order_by(audit_log.c.id)
        )
    )
    account = conn.execute(select(accounts).where(accounts.c.account_id == case.subject_id)).first()
    return CaseDetail(
        case,
        evidence,
        notes,
        audit,
        cast(AccountRow, dict(account._mapping)) if account else None,
    )


def subject_timeline(conn: Connection, account_id: str, *, limit: int = 200) -> SubjectTimeline:
    """An account's history, newest first: ``{events, cases}``; each event with its decision.

    Events are those where the account is the subject or the counterparty.
    """
    event_rows: list[TimelineEvent] = _rows(
        conn.execute(
            select(
                events.c.event_id,
                events.c.kind,
                events.c.occurred_at,
                events.c.subject_id,
                events.c.counterparty_id,
                decisions.c.outcome,
                decisions.c.risk_score,
                decisions.c.case_id,
            )
            .outerjoin(decisions, decisions.c.event_id == events.c.event_id)
            .where(or_(events.c.subject_id == account_id, events.c.counterparty_id == account_id))
            .order_by(events.c.occurred_at.desc())
            .limit(limit)
        )
    )
    case_rows: list[TimelineCase] = _rows(
        conn.execute(
            select(
                cases.c.id,
                cases.c.kind,
                cases.c.status,
                cases.c.label,
                cases.c.opened_at,
                cases.c.resolved_at,
                cases.c.evidence_count,
                cases.c.risk_score,
                cases.c.resolution,
            )
            .where(cases.c.subject_id == account_id)
            .order_by(cases.c.opened_at.desc())
            .limit(limit)
        )
    )
    return {"events": event_rows, "cases": case_rows}


@dataclass(frozen=True, slots=True)
class SharedIdentifier:
    """Another account holding one of an account's identifiers (in its masked form)."""

    account_id: str
    kind: str
    masked: str
    status: str | None  # the other account's status; None when it has no accounts row
    last_seen_at: datetime  # when the other account was last seen with the identifier


def linked_accounts(
    conn: Connection, account_id: str, *, limit: int = 200
) -> list[SharedIdentifier]:
    """Other accounts sharing a device, payment, document, phone, e-mail or IP with this one.

    One row per (other account, shared identifier); values are the masked forms stored
    with the link, never the clear ones.
    """
    mine = (
        select(account_identifiers.c.kind, account_identifiers.c.value_hash)
        .where(
            account_identifiers.c.account_id == account_id,
            account_identifiers.c.kind.in_(LINKING_KINDS),
        )
        .subquery()
    )
    other = account_identifiers.alias("other")
    rows = conn.execute(
        select(
            other.c.account_id,
            other.c.kind,
            other.c.masked,
            accounts.c.status,
            other.c.last_seen_at,
        )
        .join(mine, (mine.c.kind == other.c.kind) & (mine.c.value_hash == other.c.value_hash))
        .outerjoin(accounts, accounts.c.account_id == other.c.account_id)
        .where(other.c.account_id != account_id)
        .order_by(other.c.kind, other.c.account_id)
        .limit(limit)
    )
    return [SharedIdentifier(*row) for row in rows.tuples()]


def open_case_counts(conn: Connection, account_ids: list[str]) -> dict[str, int]:
    """How many unresolved cases each of ``account_ids`` is the subject of (absent: none)."""
    return dict(
        conn.execute(
            select(cases.c.subject_id, func.count())
            .where(cases.c.subject_id.in_(account_ids), UNRESOLVED_SQL)
            .group_by(cases.c.subject_id)
        )
        .tuples()
        .all()
    )
