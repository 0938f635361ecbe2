"""Figures for the metrics and rules screens: backlog, SLA, resolution times, rule precision.

Every function reads one bounded slice of the store (open cases, or a time window) and
returns plain rows, so the dashboard can cache them and chart them without knowing SQL.
Rule hits live in JSON arrays on each decision; they are unnested in the database
(``json_each`` on SQLite, ``json_array_elements`` on PostgreSQL) rather than in Python.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import Connection, DateTime, bindparam, func, select, text

from trust.cases.lifecycle import CaseStatus
from trust.cases.sla import as_utc
from trust.store.dialects import json_array_items
from trust.store.tables import cases, decisions

CONFIRMED = "confirmed"
DISMISSED = "dismissed"
_UNRESOLVED = cases.c.status != CaseStatus.RESOLVED.value


class BacklogRow(TypedDict):
    """Unresolved cases of one kind in one status."""

    kind: str
    status: str
    cases: int


class SlaBreachRow(TypedDict):
    """Cases of one kind past their due time now, and resolved late in the window."""

    kind: str
    breached_open: int
    resolved_late: int


class ResolutionTimeRow(TypedDict):
    """Hours from opening to resolution of one kind's cases resolved in the window."""

    kind: str
    resolved: int
    p50_hours: float
    p95_hours: float


class OutcomeRow(TypedDict):
    """Decisions of one kind with one outcome on one day."""

    day: str
    kind: str
    outcome: str
    decisions: int


class ThroughputRow(TypedDict):
    """Cases one reviewer resolved on one day."""

    day: str
    reviewer: str
    resolved: int


class RuleHitsRow(TypedDict):
    """Hits of one rule (live or shadow) on one day."""

    day: str
    rule_id: str
    state: str
    hits: int


class RulePrecisionRow(TypedDict):
    """How staff judged the cases one rule's hits raised."""

    rule_id: str
    state: str
    confirmed: int
    dismissed: int
    precision: float | None


def _rows(result: Any) -> list[Any]:
    """Rows as dicts; callers name the TypedDict their select's columns make."""
    return [dict(r._mapping) for r in result]


def _day(value: Any) -> str:
    # SQLite's date() gives text, PostgreSQL's a date; charts want one ISO form.
    return value if isinstance(value, str) else value.isoformat()


def backlog_by_kind(conn: Connection) -> list[BacklogRow]:
    """Unresolved cases per kind and status: ``{kind, status, cases}``."""
    stmt = (
        select(cases.c.kind, cases.c.status, func.count().label("cases"))
        .where(_UNRESOLVED)
        .group_by(cases.c.kind, cases.c.status)
        .order_by(cases.c.kind, cases.c.status)
    )
    return _rows(conn.execute(stmt))


def sla_breaches(conn: Connection, now: datetime, since: datetime) -> list[SlaBreachRow]:
    """Per kind: open cases past their due time now, and cases resolved late since ``since``."""
    running = _UNRESOLVED & (cases.c.status != CaseStatus.WAITING_ON_USER.value)
    open_late = conn.execute(
        select(cases.c.kind, func.count().label("n"))
        .where(running, cases.c.sla_due_at < now)
        .group_by(cases.c.kind)
    )
    resolved_late = conn.execute(
        select(cases.c.kind, func.count().label("n"))
        .where(
            cases.c.status == CaseStatus.RESOLVED.value,
            cases.c.resolved_at >= since,
            cases.c.resolved_at > cases.c.sla_due_at,
        )
        .group_by(cases.c.kind)
    )
    table: dict[str, SlaBreachRow] = {}
    for kind, n in open_late:
        table.setdefault(kind, {"kind": kind, "breached_open": 0, "resolved_late": 0})
        table[kind]["breached_open"] = int(n)
    for kind, n in resolved_late:
        table.setdefault(kind, {"kind": kind, "breached_open": 0, "resolved_late": 0})
        table[kind]["resolved_late"] = int(n)
    return sorted(table.values(), key=lambda r: r["kind"])


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values`` by linear interpolation; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def resolution_times(conn: Connection, since: datetime) -> list[ResolutionTimeRow]:
    """Per kind, hours from opening to resolution of cases resolved since ``since``: p50, p95."""
    stmt = select(cases.c.kind, cases.c.opened_at, cases.c.resolved_at).where(
        cases.c.status == CaseStatus.RESOLVED.value, cases.c.resolved_at >= since
    )
    hours: dict[str, list[float]] = {}
    for kind, opened, resolved in conn.execute(stmt):
        spent = (as_utc(resolved) - as_utc(opened)).total_seconds() / 3600
        hours.setdefault(kind, []).append(spent)
    return [
        {
            "kind": kind,
            "resolved": len(values),
            "p50_hours": percentile(values, 0.5),
            "p95_hours": percentile(values, 0.95),
        }
        for kind, values in sorted(hours.items())
    ]


def decisions_per_outcome(conn: Connection, since: datetime) -> list[OutcomeRow]:
    """Decisions per day, kind and outcome since ``since``: ``{day, kind, outcome, decisions}``."""
    day = func.date(decisions.c.decided_at).label("day")
    stmt = (
        select(day, decisions.c.kind, decisions.c.outcome, func.count().label("decisions"))
        .where(decisions.c.decided_at >= since)
        .group_by(day, decisions.c.kind, decisions.c.outcome)
        .order_by(day)
    )
    return [
        {"day": _day(day), "kind": kind, "outcome": outcome, "decisions": int(n)}
        for day, kind, outcome, n in conn.execute(stmt)
    ]


def reviewer_throughput(conn: Connection, since: datetime) -> list[ThroughputRow]:
    """Cases each reviewer resolved per day since ``since``: ``{day, reviewer, resolved}``.

    A four-eyes case counts for both people: the one who proposed it and the lead who
    approved it (``resolved_by``).
    """
    stmt = select(cases.c.resolved_at, cases.c.resolved_by, cases.c.resolution).where(
        cases.c.status == CaseStatus.RESOLVED.value,
        cases.c.resolved_at >= since,
        cases.c.resolved_by.is_not(None),
    )
    counted: Counter[tuple[str, str]] = Counter()
    for resolved_at, resolved_by, resolution in conn.execute(stmt):
        day = as_utc(resolved_at).date().isoformat()
        names = {resolved_by, (resolution or {}).get("proposed_by")} - {None}
        for name in names:
            counted[(day, str(name))] += 1
    return [
        {"day": day, "reviewer": name, "resolved": n} for (day, name), n in sorted(counted.items())
    ]


def _hits_sql(conn: Connection, column: str, select_sql: str, tail: str) -> Any:
    # One unnested row per hit.
    hits, field = json_array_items(conn, f"d.{column}", "hit")
    rule_id = field.format(field="rule_id")
    sql = f"SELECT {select_sql.format(rule_id=rule_id)} FROM decisions d {hits} {tail}"
    return text(sql).bindparams(bindparam("since", type_=DateTime(timezone=True)))


def rule_hits_per_day(conn: Connection, since: datetime) -> list[RuleHitsRow]:
    """Hits per rule and day since ``since``, live and shadow: ``{day, rule_id, state, hits}``."""
    out: list[RuleHitsRow] = []
    for column, state in (("rule_hits", "live"), ("shadow_hits", "shadow")):
        stmt = _hits_sql(
            conn,
            column,
            "date(d.decided_at) AS day, {rule_id} AS rule_id, count(*) AS hits",
            "WHERE d.decided_at >= :since GROUP BY 1, 2 ORDER BY 1, 2",
        )
        out.extend(
            {"day": _day(day), "rule_id": rule_id, "state": state, "hits": int(n)}
            for day, rule_id, n in conn.execute(stmt, {"since": since})
        )
    return out


def rule_precision(conn: Connection, since: datetime) -> list[RulePrecisionRow]:
    """Per rule, how staff judged the cases its hits raised since ``since``.

    Precision is confirmed / (confirmed + dismissed); None until staff have judged one.
    Shadow rules are measured the same way, on the cases other rules raised.
    """
    table: dict[tuple[str, str], RulePrecisionRow] = {}
    for column, state in (("rule_hits", "live"), ("shadow_hits", "shadow")):
        stmt = _hits_sql(
            conn,
            column,
            "{rule_id} AS rule_id, c.label AS label, count(*) AS n",
            "JOIN cases c ON c.id = d.case_id "
            "WHERE d.decided_at >= :since AND c.label IS NOT NULL GROUP BY 1, 2",
        )
        for rule_id, label, n in conn.execute(stmt, {"since": since}):
            row = table.setdefault(
                (rule_id, state),
                {
                    "rule_id": rule_id,
                    "state": state,
                    "confirmed": 0,
                    "dismissed": 0,
                    "precision": None,
                },
            )
            if label == CONFIRMED:
                row["confirmed"] += int(n)
            else:  # dismissed, or any other label: not a confirmation
                row["dismissed"] += int(n)
    for row in table.values():
        judged = row["confirmed"] + row["dismissed"]
        row["precision"] = row["confirmed"] / judged if judged else None
    return sorted(table.values(), key=lambda r: (r["state"], r["rule_id"]))
