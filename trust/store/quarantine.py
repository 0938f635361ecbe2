"""Quarantine: every refused record is kept whole, with the reason, until replayed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from trust.store.tables import quarantine

HELD = "held"
REPLAYED = "replayed"


@dataclass(frozen=True, slots=True)
class QuarantinedRecord:
    """A refused input line with where it came from and why it was refused."""

    source: str
    line_number: int | None
    raw: str
    errors: list[dict[str, str]]
    reason: str
    event_id: str | None = None


def quarantine_records(
    conn: Connection, records: Sequence[QuarantinedRecord], *, received_at: datetime
) -> int:
    """Keep refused records; returns how many were written."""
    if not records:
        return 0
    conn.execute(
        quarantine.insert(),
        [
            {
                "source": r.source[:500],
                "line_number": r.line_number,
                "event_id": r.event_id,
                "raw": r.raw,
                "errors": r.errors,
                "reason": r.reason,
                "received_at": received_at,
                "status": HELD,
            }
            for r in records
        ],
    )
    return len(records)


def held_records(conn: Connection, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Quarantined records still waiting for a fix, newest first."""
    rows = conn.execute(
        select(quarantine)
        .where(quarantine.c.status == HELD)
        .order_by(quarantine.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [dict(row._mapping) for row in rows]


def count_held(conn: Connection) -> int:
    """How many records are held in quarantine."""
    return int(conn.execute(select(func.count()).where(quarantine.c.status == HELD)).scalar_one())


def mark_replayed(conn: Connection, ids: Sequence[int], *, at: datetime) -> None:
    """Close quarantine entries whose record has now been accepted."""
    if ids:
        conn.execute(
            update(quarantine)
            .where(quarantine.c.id.in_(list(ids)))
            .values(status=REPLAYED, replayed_at=at)
        )
