"""Stored decisions: idempotent inserts, the stored row of an event, and staff labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Connection, select

from trust.decisions import Decision, StoredDecisionRow
from trust.store.appeals import overturned_decision_ids
from trust.store.database import insert_ignoring_duplicates
from trust.store.tables import case_evidence, cases
from trust.store.tables import decisions as decisions_table

# Case labels that count as ground truth: staff confirmed the flag, or dismissed it.
CONFIRMED, DISMISSED = "confirmed", "dismissed"


def insert_decisions(conn: Connection, decisions: Sequence[Decision]) -> int:
    """Store decisions; an event that already has one keeps it. Returns rows written."""
    rows = [d.to_row() for d in decisions]
    return insert_ignoring_duplicates(conn, decisions_table, rows, ["event_id"])


def stored_decision(conn: Connection, event_id: str) -> StoredDecisionRow | None:
    """The decision row already stored for ``event_id``, if any."""
    row = conn.execute(
        select(decisions_table).where(decisions_table.c.event_id == event_id)
    ).first()
    return cast(StoredDecisionRow, dict(row._mapping)) if row is not None else None


def decided_event_ids(conn: Connection, event_ids: Sequence[str]) -> set[str]:
    """Which of ``event_ids`` already have a decision."""
    if not event_ids:
        return set()
    query = select(decisions_table.c.event_id).where(
        decisions_table.c.event_id.in_(list(event_ids))
    )
    return {row[0] for row in conn.execute(query)}


def staff_labels(conn: Connection) -> dict[str, bool]:
    """Ground truth from resolved cases: event id -> True (confirmed) / False (dismissed).

    A decision overturned on appeal is labelled False whatever its case said: the appeal
    reviewer, who took no part in it, found the flag wrong.
    """
    query = (
        select(case_evidence.c.event_id, cases.c.label)
        .join(cases, cases.c.id == case_evidence.c.case_id)
        .where(cases.c.label.in_([CONFIRMED, DISMISSED]))
    )
    labels = {event_id: label == CONFIRMED for event_id, label in conn.execute(query)}
    labels.update(dict.fromkeys(overturned_decision_ids(conn), False))
    return labels
