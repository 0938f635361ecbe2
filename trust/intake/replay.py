"""Replay the quarantine: re-validate held records, hand the now-valid ones to a sink.

The sink is the one ``trust ingest`` uses (the queue when workers consume one, else the
pipeline in this process), so a replayed event is decided exactly like any other. A held
entry is closed only after the sink has accepted its event: if the sink fails, the entry
stays held and the next replay offers it again (the pipeline is idempotent by event_id).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import Connection

from trust.events import Event, validate_record
from trust.intake.batches import DEFAULT_BATCH_SIZE, IngestBatch
from trust.intake.sinks import BatchSink, conflict_record
from trust.intake.validation import TOO_LARGE, describe
from trust.store import Store, transaction
from trust.store.events import stored_payloads
from trust.store.quarantine import (
    HeldRecord,
    held_after,
    held_by_ids,
    mark_replayed,
    update_reasons,
)

Refusal = tuple[int, list[dict[str, str]], str]


@dataclass(slots=True)
class ReplaySummary:
    """What a replay did with the held records it examined."""

    examined: int = 0
    # Handed to the sink and accepted by it (decided here, or queued for the workers).
    accepted: int = 0
    # Now valid, and the same event was already stored: the entry is closed as replayed.
    already_stored: int = 0
    still_held: int = 0
    # Ids asked for that are not held (unknown, or replayed already).
    not_held: int = 0


@dataclass(slots=True)
class _Sorted:
    """One batch of held rows sorted by what replay does with each."""

    refused: list[Refusal] = field(default_factory=list)
    # Cut-down over-long records: only the start of the line was kept, nothing to replay.
    too_large: int = 0
    # Entries whose event is already stored with the same content: closed at once.
    already_stored: list[int] = field(default_factory=list)
    # One event per event_id for the sink, and the entries each one closes.
    to_send: dict[str, Event] = field(default_factory=dict)
    closes: dict[str, list[int]] = field(default_factory=dict)
    line_numbers: dict[str, int] = field(default_factory=dict)


def _sort_rows(conn: Connection, rows: Sequence[HeldRecord]) -> _Sorted:
    """Re-validate held rows and sort them: still refused, already stored, or to send."""
    out = _Sorted()
    valid: list[tuple[HeldRecord, Event]] = []
    for row in rows:
        if any(error.get("code") == TOO_LARGE for error in row.errors):
            out.too_large += 1
            continue
        result = validate_record(row.raw)
        if result.event is None:
            errors = [issue.as_dict() for issue in result.issues]
            out.refused.append((row.id, errors, describe(row.line_number, result.issues)))
        else:
            valid.append((row, result.event))
    stored = stored_payloads(conn, (event.event_id for _, event in valid))
    for row, event in valid:
        # An id already stored, or already picked in this batch, must carry the same content.
        known = stored.get(event.event_id)
        if known is None and event.event_id in out.to_send:
            known = out.to_send[event.event_id].model_dump(mode="json")
        if known is not None and known != event.model_dump(mode="json"):
            entry = conflict_record(row.source, row.line_number, event)
            out.refused.append((row.id, entry.errors, entry.reason))
        elif event.event_id in stored:
            out.already_stored.append(row.id)
        else:
            out.to_send.setdefault(event.event_id, event)
            out.closes.setdefault(event.event_id, []).append(row.id)
            if row.line_number is not None:
                out.line_numbers.setdefault(event.event_id, row.line_number)
    return out


def _replay_batch(
    store: Store,
    sink: BatchSink,
    load: Callable[[Connection], Sequence[HeldRecord]],
    summary: ReplaySummary,
) -> list[HeldRecord]:
    """Replay the rows ``load`` picks; returns them (an empty list means nothing was left)."""
    with transaction(store.engine) as conn:
        rows = load(conn)
        batch = _sort_rows(conn, rows)
        update_reasons(conn, batch.refused)
        mark_replayed(conn, batch.already_stored, at=datetime.now(UTC))
    summary.examined += len(rows)
    summary.still_held += len(batch.refused) + batch.too_large
    summary.already_stored += len(batch.already_stored)
    if not batch.to_send:
        return list(rows)
    outcome = sink.write(
        IngestBatch(events=list(batch.to_send.values()), line_numbers=batch.line_numbers)
    )
    # Accepted by the sink (decided, or safely queued): only now may the entries close.
    closed = [row_id for row_ids in batch.closes.values() for row_id in row_ids]
    with transaction(store.engine) as conn:
        mark_replayed(conn, closed, at=datetime.now(UTC))
    # An event stored meanwhile with other content is held anew, as a conflict, by the sink.
    held_anew = outcome.quarantined + outcome.already_held
    summary.accepted += outcome.accepted
    summary.still_held += held_anew
    # The rest: stored meanwhile by someone else, or a second entry of the same event.
    summary.already_stored += len(closed) - outcome.accepted - held_anew
    return list(rows)


def replay_quarantine(
    store: Store,
    sink: BatchSink,
    *,
    ids: Sequence[int] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ReplaySummary:
    """Re-validate held records (``ids``, or all held when None); send those that pass to ``sink``.

    ``sink`` is what ``trust ingest`` uses (``workers.intake_sinks.ingest_sink``), so each
    accepted event ends with one decision. Records still refused stay held with their
    reason rewritten for the current schema; replaying again adds nothing.
    """
    summary = ReplaySummary()
    if ids is not None:
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), batch_size):
            chunk = wanted[start : start + batch_size]
            rows = _replay_batch(store, sink, partial(held_by_ids, ids=chunk), summary)
            summary.not_held += len(chunk) - len(rows)
        return summary
    last_id = 0
    while rows := _replay_batch(
        store, sink, partial(held_after, after_id=last_id, limit=batch_size), summary
    ):
        last_id = rows[-1].id
    return summary
