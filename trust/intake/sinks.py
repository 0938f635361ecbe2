"""Where a validated batch goes: the store directly (here), or a queue (plugged by workers).

Writing the store is ``trust.store.events.store_events``; this module only routes batches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from trust.events import Event, EventValidationIssue
from trust.intake.batches import IngestBatch
from trust.intake.validation import CONFLICTING_CONTENT, refused_record
from trust.pii import PiiHasher
from trust.store import Store, transaction
from trust.store.events import store_events
from trust.store.quarantine import QuarantinedRecord, quarantine_records


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
