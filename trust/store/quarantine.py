"""Quarantine: every refused record is kept whole, with the reason, until replayed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

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


@dataclass(frozen=True, slots=True)
class HeldEntry:
    """A held quarantine entry without the record itself: where it came from and why."""

    id: int
    source: str
    line_number: int | None
    event_id: str | None
    errors: list[dict[str, str]]
    reason: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class HeldRecord(HeldEntry):
    """A held quarantine entry with the record as received."""

    raw: str


_ENTRY_COLUMNS = [c for c in quarantine.c if c.name in HeldEntry.__dataclass_fields__]
_EntryValues = tuple[int, str, int | None, str | None, list[dict[str, str]], str, datetime]


def _entry_values(row: Any) -> _EntryValues:
    """A row's values in ``HeldEntry`` field order."""
    return (
        row.id,
        row.source,
        row.line_number,
        row.event_id,
        row.errors,
        row.reason,
        row.received_at,
    )


def _entry(row: Any) -> HeldEntry:
    return HeldEntry(*_entry_values(row))


def _record(row: Any) -> HeldRecord:
    return HeldRecord(*_entry_values(row), row.raw)


def safe_text(text: str) -> str:
    """Text every store can keep: lone surrogates and NUL written as backslash escapes."""
    if text.isascii() and "\x00" not in text:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _safe_record(record: QuarantinedRecord) -> QuarantinedRecord:
    event_id = safe_text(record.event_id)[:128] if record.event_id is not None else None
    return replace(
        record,
        source=safe_text(record.source)[:500],
        raw=safe_text(record.raw),
        errors=[{k: safe_text(str(v)) for k, v in error.items()} for error in record.errors],
        reason=safe_text(record.reason),
        event_id=event_id,
    )


def quarantine_digest(record: QuarantinedRecord) -> str:
    """SHA-256 of source, line and raw text: the same refused line is held once."""
    text = f"{record.source}\n{record.line_number}\n{record.raw}"
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()


def quarantine_records(
    conn: Connection, records: Sequence[QuarantinedRecord], *, received_at: datetime
) -> int:
    """Keep refused records, each (source, line, raw) once; returns how many were new."""
    if not records:
        return 0
    by_digest: dict[str, QuarantinedRecord] = {}
    for record in records:
        safe = _safe_record(record)
        by_digest.setdefault(quarantine_digest(safe), safe)
    # Re-ingesting a file (or a redelivered batch) must not hold the same bad line twice.
    known = set(
        conn.execute(
            select(quarantine.c.raw_digest).where(quarantine.c.raw_digest.in_(list(by_digest)))
        ).scalars()
    )
    rows = [
        {
            "source": r.source,
            "line_number": r.line_number,
            "event_id": r.event_id,
            "raw": r.raw,
            "errors": r.errors,
            "reason": r.reason,
            "received_at": received_at,
            "status": HELD,
            "raw_digest": digest,
        }
        for digest, r in by_digest.items()
        if digest not in known
    ]
    if rows:
        conn.execute(quarantine.insert(), rows)
    return len(rows)


def held_records(conn: Connection, *, limit: int = 100, offset: int = 0) -> list[HeldEntry]:
    """Quarantined entries still waiting for a fix, newest first.

    The records themselves are left out (a list needs only why; one record may be
    megabytes): read one with ``held_raw``.
    """
    rows = conn.execute(
        select(*_ENTRY_COLUMNS)
        .where(quarantine.c.status == HELD)
        .order_by(quarantine.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_entry(row) for row in rows]


def held_raw(conn: Connection, record_id: int) -> str | None:
    """The refused record ``record_id`` as received (None if there is no such record)."""
    raw = conn.execute(select(quarantine.c.raw).where(quarantine.c.id == record_id)).scalar()
    return None if raw is None else str(raw)


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


def held_by_ids(conn: Connection, ids: Sequence[int]) -> list[HeldRecord]:
    """The held records among ``ids``, oldest first (ids not held are left out)."""
    if not ids:
        return []
    rows = conn.execute(
        select(quarantine)
        .where(quarantine.c.status == HELD, quarantine.c.id.in_(sorted(set(ids))))
        .order_by(quarantine.c.id)
    )
    return [_record(row) for row in rows]


def held_after(conn: Connection, after_id: int, *, limit: int) -> list[HeldRecord]:
    """The next ``limit`` held records with an id above ``after_id``, oldest first."""
    rows = conn.execute(
        select(quarantine)
        .where(quarantine.c.status == HELD, quarantine.c.id > after_id)
        .order_by(quarantine.c.id)
        .limit(limit)
    )
    return [_record(row) for row in rows]


def update_reasons(
    conn: Connection, updates: Sequence[tuple[int, list[dict[str, str]], str]]
) -> None:
    """Rewrite the errors and reason of held records that a replay refused again."""
    if not updates:
        return
    stmt = (
        update(quarantine)
        .where(quarantine.c.id == bindparam("row_id"))
        .values(errors=bindparam("new_errors"), reason=bindparam("new_reason"))
    )
    conn.execute(
        stmt,
        [
            {
                "row_id": row_id,
                "new_errors": [{k: safe_text(v) for k, v in e.items()} for e in errors],
                "new_reason": safe_text(reason),
            }
            for row_id, errors, reason in updates
        ],
    )
