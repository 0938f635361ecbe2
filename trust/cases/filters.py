"""Queue filters shared by the queue page and "claim next": one dataclass, one SQL builder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, literal_column, or_, select

from trust.cases.lifecycle import CaseStatus
from trust.cases.sla import SlaState
from trust.store.tables import case_reasons, cases

DEFAULT_DUE_SOON = timedelta(hours=4)
UNASSIGNED = "-"  # assignee filter value meaning "nobody holds it"
# Written with an inline constant (not a bound parameter) so that SQLite and PostgreSQL can
# prove it matches the WHERE of the partial indexes on unresolved cases, and use them.
UNRESOLVED_SQL = cases.c.status != literal_column("'resolved'")


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What to show or claim; every field left as None matches everything.

    ``assignee`` is a username, or ``UNASSIGNED`` for cases nobody holds a live claim on.
    ``statuses`` defaults (on the queue page) to every unresolved state.
    """

    kind: str | None = None
    reason_code: str | None = None
    sla_state: SlaState | str | None = None
    min_score: float | None = None
    max_score: float | None = None
    assignee: str | None = None
    statuses: tuple[CaseStatus | str, ...] | None = None
    subject_id: str | None = None


def held(now: datetime) -> Any:
    """SQL: someone holds a live claim."""
    return and_(cases.c.claimed_by.is_not(None), cases.c.lease_expires_at > now)


def free(now: datetime) -> Any:
    """SQL: nobody holds a live claim (never claimed, released, or the lease ran out)."""
    return or_(cases.c.claimed_by.is_(None), cases.c.lease_expires_at <= now)


def sla_condition(state: SlaState | str, now: datetime, due_soon: timedelta) -> Any:
    """SQL for one SLA state of unresolved cases (met/missed look at resolved ones)."""
    running = cases.c.status.notin_([CaseStatus.WAITING_ON_USER, CaseStatus.RESOLVED])
    match SlaState(state):
        case SlaState.PAUSED:
            return cases.c.status == CaseStatus.WAITING_ON_USER
        case SlaState.BREACHED:
            return and_(running, cases.c.sla_due_at <= now)
        case SlaState.DUE_SOON:
            return and_(running, cases.c.sla_due_at > now, cases.c.sla_due_at <= now + due_soon)
        case SlaState.ON_TRACK:
            return and_(
                running, or_(cases.c.sla_due_at.is_(None), cases.c.sla_due_at > now + due_soon)
            )
        case SlaState.MET:
            return and_(
                cases.c.status == CaseStatus.RESOLVED, cases.c.resolved_at <= cases.c.sla_due_at
            )
        case SlaState.MISSED:
            return and_(
                cases.c.status == CaseStatus.RESOLVED, cases.c.resolved_at > cases.c.sla_due_at
            )


def filter_conditions(
    f: QueueFilter | None, now: datetime, due_soon: timedelta = DEFAULT_DUE_SOON
) -> list[Any]:
    """The SQL conditions of ``f`` (statuses excluded: callers decide those)."""
    if f is None:
        return []
    out: list[Any] = []
    if f.kind:
        out.append(cases.c.kind == f.kind)
    if f.subject_id:
        out.append(cases.c.subject_id == f.subject_id)
    if f.reason_code:
        out.append(
            cases.c.id.in_(
                select(case_reasons.c.case_id).where(case_reasons.c.reason_code == f.reason_code)
            )
        )
    if f.sla_state:
        out.append(sla_condition(f.sla_state, now, due_soon))
    if f.min_score is not None:
        out.append(cases.c.risk_score >= f.min_score)
    if f.max_score is not None:
        out.append(cases.c.risk_score <= f.max_score)
    if f.assignee == UNASSIGNED:
        out.append(free(now))
    elif f.assignee:
        out.append(and_(cases.c.claimed_by == f.assignee, held(now)))
    return out
