"""Replay the quarantine: re-validate held records against today's schema, accept the fixed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from trust.events import Event, validate_record
from trust.intake.batches import DEFAULT_BATCH_SIZE, TOO_LARGE, describe
from trust.intake.sinks import conflict_record, store_events
from trust.pii import PiiHasher
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.quarantine import held_after, held_by_ids, mark_replayed, update_reasons


@dataclass(slots=True)
class ReplaySummary:
    """What a replay did with the held records it examined."""

    examined: int = 0
    accepted: int = 0
    # Now valid, and the same event was already stored: the entry is closed as replayed.
    already_stored: int = 0
    still_held: int = 0
    # Ids asked for that are not held (unknown, or replayed already).
    not_held: int = 0


def _replay_rows(
    conn: Connection, rows: Sequence[dict[str, Any]], hasher: PiiHasher, now: datetime,
    summary: ReplaySummary,
) -> None:
    refused: list[tuple[int, list[dict[str, str]], str]] = []
    valid: dict[str, list[tuple[dict[str, Any], Event]]] = {}
    for row in rows:
        summary.examined += 1
        if any(error.get("code") == TOO_LARGE for error in row["errors"]):
            summary.still_held += 1  # only the start of the line was kept: nothing to replay
            continue
        result = validate_record(row["raw"])
        if result.event is None:
            errors = [issue.as_dict() for issue in result.issues]
            refused.append((row["id"], errors, describe(row["line_number"], result.issues)))
        else:
            valid.setdefault(row["source"], []).append((row, result.event))
    replayed: list[int] = []
    for source, pairs in valid.items():
        stored = store_events(
            conn, [event for _, event in pairs], hasher, source=source[:200], received_at=now
        )
        fresh = {id(e) for e in stored.fresh}
        conflicting = {id(e) for e in stored.conflicting}
        for row, event in pairs:
            if id(event) in conflicting:
                entry = conflict_record(source, row["line_number"], event)
                refused.append((row["id"], entry.errors, entry.reason))
                continue
            replayed.append(row["id"])
            if id(event) in fresh:
                summary.accepted += 1
            else:
                summary.already_stored += 1
    summary.still_held += len(refused)
    update_reasons(conn, refused)
    mark_replayed(conn, replayed, at=now)


def replay_quarantine(
    store: Store,
    settings: Settings,
    *,
    ids: Sequence[int] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ReplaySummary:
    """Re-validate held records (``ids``, or all held when None) and store those that pass.

    Records still refused stay held with their reason rewritten for the current schema.
    Each batch is one transaction.
    """
    hasher = PiiHasher(settings.resolved_secret_key())
    summary = ReplaySummary()
    if ids is not None:
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), batch_size):
            with transaction(store.engine) as conn:
                chunk = wanted[start : start + batch_size]
                rows = held_by_ids(conn, chunk)
                summary.not_held += len(chunk) - len(rows)
                _replay_rows(conn, rows, hasher, datetime.now(UTC), summary)
        return summary
    last_id = 0
    while True:
        with transaction(store.engine) as conn:
            rows = held_after(conn, last_id, limit=batch_size)
            if not rows:
                return summary
            _replay_rows(conn, rows, hasher, datetime.now(UTC), summary)
        last_id = rows[-1]["id"]
