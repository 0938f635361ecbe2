"""Where a validated batch goes: the store directly (here), or a queue (plugged by workers)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Connection, select

from trust.events import Event, EventValidationIssue
from trust.intake.batches import IngestBatch
from trust.intake.validation import CONFLICTING_CONTENT, refused_record
from trust.pii import PiiHasher
from trust.store import Store, transaction
from trust.store.accounts import record_accounts, record_batch_identifiers
from trust.store.events import insert_events
from trust.store.quarantine import QuarantinedRecord, quarantine_records
from trust.store.tables import events as events_table


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What a sink did with one batch."""

    # New events: stored and decided, or queued for the workers.
    accepted: int
    # Repeats of an event earlier in the same file (same id, same content).
    duplicates: int
    quarantined: int
    already_held: int = 0
    # Events the store already held with the same content (a re-ingest).
    already_stored: int = 0


class BatchSink(Protocol):
    """Takes each batch ``iter_batches`` produces; ``trust ingest`` counts what it returns."""

    def write(self, batch: IngestBatch) -> BatchOutcome:
        """Deliver one batch (valid events and quarantine records) and say what happened."""
        ...


@dataclass(frozen=True, slots=True)
class StoredEvents:
    """The result of storing a batch: new events, repeats, and ids reused with other content."""

    fresh: list[Event]
    repeated: int
    conflicting: list[Event]


def stored_payloads(conn: Connection, event_ids: Iterable[str]) -> dict[str, Any]:
    """The stored payload of each of ``event_ids`` that is already stored."""
    wanted = sorted(set(event_ids))
    if not wanted:
        return {}
    rows = conn.execute(
        select(events_table.c.event_id, events_table.c.payload).where(
            events_table.c.event_id.in_(wanted)
        )
    )
    return {row.event_id: row.payload for row in rows}


@dataclass(frozen=True, slots=True)
class KnownEvents:
    """A batch sorted against the store: new events, ones stored as they are, reused ids."""

    new: list[Event]
    already_stored: int
    conflicting: list[Event]


def sort_against_store(conn: Connection, batch: Sequence[Event]) -> KnownEvents:
    """Which events of ``batch`` the store lacks, holds already, or holds with other content.

    One query per batch; only reads, so a sink that does not store (the queue) can report
    what a re-ingest really adds.
    """
    stored = stored_payloads(conn, (e.event_id for e in batch))
    new: list[Event] = []
    conflicting: list[Event] = []
    for event in batch:
        known = stored.get(event.event_id)
        if known is None:
            new.append(event)
        elif known != event.model_dump(mode="json"):
            conflicting.append(event)
    return KnownEvents(new, len(batch) - len(new) - len(conflicting), conflicting)


def _conflicting(conn: Connection, candidates: Sequence[Event]) -> list[Event]:
    """Events whose id is stored with a different payload (a sender bug staff must see)."""
    stored = stored_payloads(conn, (e.event_id for e in candidates))
    return [e for e in candidates if stored.get(e.event_id) != e.model_dump(mode="json")]


def store_events(
    conn: Connection,
    batch: Sequence[Event],
    hasher: PiiHasher,
    *,
    source: str | None,
    received_at: datetime,
) -> StoredEvents:
    """Store new events with their accounts and identifiers; spot ids reused for new content."""
    fresh = insert_events(conn, batch, source=source, received_at=received_at)
    fresh_ids = {id(e) for e in fresh}
    conflicting = _conflicting(conn, [e for e in batch if id(e) not in fresh_ids])
    if fresh:
        record_accounts(conn, fresh)
        record_batch_identifiers(conn, fresh, hasher)
    return StoredEvents(fresh, len(batch) - len(fresh) - len(conflicting), conflicting)


def conflict_record(source: str, line_number: int | None, event: Event) -> QuarantinedRecord:
    """The quarantine entry for an event whose id is already stored with other content."""
    issue = EventValidationIssue("event_id", CONFLICTING_CONTENT)
    return refused_record(
        source, line_number, event.model_dump_json(), [issue], event_id=event.event_id
    )


class StoreSink:
    """Stores each batch in one transaction: quarantine, events, accounts, identifiers."""

    def __init__(
        self,
        store: Store,
        hasher: PiiHasher,
        *,
        source: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.hasher = hasher
        self.source = source
        self.clock = clock

    def write(self, batch: IngestBatch) -> BatchOutcome:
        """Store one batch; a failure rolls the whole batch back (nothing half-written)."""
        now = self.clock()
        with transaction(self.store.engine) as conn:
            stored = store_events(
                conn, batch.events, self.hasher, source=self.source[:200], received_at=now
            )
            refused = batch.quarantined + [
                conflict_record(self.source, batch.line_numbers.get(e.event_id), e)
                for e in stored.conflicting
            ]
            held = quarantine_records(conn, refused, received_at=now)
        return BatchOutcome(
            accepted=len(stored.fresh),
            duplicates=batch.duplicates,
            quarantined=held,
            already_held=len(refused) - held,
            already_stored=stored.repeated,
        )
