"""Decision versions: a re-scored decision replaces the stored one and keeps its past.

The ``decisions`` row is always the latest version, so every reader of "the decision"
(API, CLI, dashboard, cases, reports) reads it without knowing versions exist; each
superseded version is kept whole in ``decision_versions``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from trust.decisions import Decision, FeatureContribution, RuleHit
from trust.store.tables import decision_versions
from trust.store.tables import decisions as decisions_table

# Columns a new version does not change: the event, when it was first decided, its case.
_KEPT = ("event_id", "decided_at", "case_id")


@dataclass(frozen=True, slots=True)
class Revision:
    """A new version of a stored decision and why it was made."""

    decision: Decision
    reason: str


@dataclass(frozen=True, slots=True)
class Superseded:
    """A revision as stored: the version number it got and the outcome it replaced."""

    revision: Revision
    version: int
    previous_outcome: str


def _as_json(row: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(row, default=str))
    return loaded


def supersede_decisions(
    conn: Connection, revisions: Sequence[Revision], now: datetime
) -> list[Superseded]:
    """Store each revision as the event's new decision version; returns the versions written.

    The version it replaces is copied to ``decision_versions`` first. Events without a
    stored decision are skipped.
    """
    if not revisions:
        return []
    current = _current_rows(conn, [r.decision.event_id for r in revisions])
    return _supersede(conn, revisions, current, now)


def supersede_allowed(
    conn: Connection,
    event_ids: Sequence[str],
    revise: Callable[[Decision], Revision],
    now: datetime,
) -> list[Superseded]:
    """``revise`` each still allowed decision on ``event_ids`` (in event-id order) and store
    the revisions as new versions; the rows are read once for both."""
    current = _current_rows(conn, event_ids, outcome="allow")
    revisions = [revise(_as_decision(current[event_id])) for event_id in sorted(current)]
    return _supersede(conn, revisions, current, now)


def _current_rows(
    conn: Connection, event_ids: Sequence[str], *, outcome: str | None = None
) -> dict[str, dict[str, Any]]:
    if not event_ids:
        return {}
    query = select(decisions_table).where(decisions_table.c.event_id.in_(sorted(set(event_ids))))
    if outcome is not None:
        query = query.where(decisions_table.c.outcome == outcome)
    return {row.event_id: dict(row._mapping) for row in conn.execute(query)}


def _supersede(
    conn: Connection,
    revisions: Sequence[Revision],
    current: dict[str, dict[str, Any]],
    now: datetime,
) -> list[Superseded]:
    history = []
    written: list[Superseded] = []
    for revision in revisions:
        old = current.get(revision.decision.event_id)
        if old is None:
            continue
        history.append(
            {
                "event_id": old["event_id"],
                "version": old["version"],
                "outcome": old["outcome"],
                "risk_score": old["risk_score"],
                "decision": _as_json({k: v for k, v in old.items() if k != "id"}),
                "superseded_at": now,
            }
        )
        values = {k: v for k, v in revision.decision.to_row().items() if k not in _KEPT}
        conn.execute(
            decisions_table.update()
            .where(decisions_table.c.event_id == old["event_id"])
            .values(
                **values,
                version=old["version"] + 1,
                revised_at=now,
                version_reason=revision.reason,
            )
        )
        written.append(Superseded(revision, old["version"] + 1, old["outcome"]))
    if history:
        conn.execute(decision_versions.insert(), history)
    return written


@dataclass(frozen=True, slots=True)
class SupersededVersion:
    """An earlier version of a decision as kept in ``decision_versions``.

    ``decision`` is the whole decisions row it replaced, as JSON (times as text).
    """

    event_id: str
    version: int
    outcome: str
    risk_score: float
    superseded_at: datetime
    decision: dict[str, Any]


def superseded_versions(conn: Connection, event_id: str) -> list[SupersededVersion]:
    """The earlier versions of an event's decision, oldest first."""
    query = (
        select(
            decision_versions.c.event_id,
            decision_versions.c.version,
            decision_versions.c.outcome,
            decision_versions.c.risk_score,
            decision_versions.c.superseded_at,
            decision_versions.c.decision,
        )
        .where(decision_versions.c.event_id == event_id)
        .order_by(decision_versions.c.version)
    )
    return [
        SupersededVersion(
            event_id=row.event_id,
            version=row.version,
            outcome=row.outcome,
            risk_score=row.risk_score,
            superseded_at=row.superseded_at,
            decision=dict(row.decision),
        )
        for row in conn.execute(query)
    ]


def latest_decisions(conn: Connection, event_ids: Sequence[str]) -> dict[str, Decision]:
    """The latest decisions on ``event_ids`` as decisions (events never decided left out)."""
    return {k: _as_decision(row) for k, row in _current_rows(conn, event_ids).items()}


def _as_decision(row: dict[str, Any]) -> Decision:
    """A stored decision row as a decision. Severity and money are not stored on a
    decision: they come back as the hits' worst severity and none."""
    hits = [RuleHit(**h) for h in row["rule_hits"]]
    return Decision(
        event_id=row["event_id"],
        kind=row["kind"],
        subject_id=row["subject_id"],
        outcome=row["outcome"],
        risk_score=float(row["risk_score"]),
        rule_hits=hits,
        shadow_hits=[RuleHit(**h) for h in row["shadow_hits"]],
        signals=dict(row["signals"]),
        pack_version=row["pack_version"],
        statement_of_reasons=row["statement_of_reasons"],
        decided_at=row["decided_at"],
        model_score=row["model_score"],
        model_version=row["model_version"],
        model_explanation=[FeatureContribution(**c) for c in row["model_explanation"] or []],
        model_review_cutoff=row["model_review_cutoff"],
        errors=list(row["errors"]),
        severity=max((h.severity for h in hits), default=0),
        automated=bool(row["automated"]),
        case_id=row["case_id"],
    )
