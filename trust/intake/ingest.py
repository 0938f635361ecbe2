"""Ingest a file: read and validate it in batches, hand each batch to a sink, count."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from trust.errors import QueueInterruptedError
from trust.intake.batches import DEFAULT_BATCH_SIZE, IngestBatch, iter_batches
from trust.intake.sinks import BatchOutcome, BatchSink, StoreSink
from trust.pii import hasher_for
from trust.settings import Settings
from trust.store import Store


@dataclass(slots=True)
class IngestSummary:
    """What an ingest did: records new, already stored, repeated and quarantined, how fast."""

    source: str
    accepted: int = 0
    # Repeats of an event earlier in the same file.
    duplicates: int = 0
    quarantined: int = 0
    # Refused records already held from an earlier ingest of the same lines.
    already_held: int = 0
    # Events the store held already, with the same content (a re-ingest adds nothing).
    already_stored: int = 0
    # Records from ``stopped_at_line`` on that were neither queued nor quarantined because
    # the queue stayed unreachable (``trust ingest --queue``); 0 when the ingest finished.
    not_queued: int = 0
    stopped_at_line: int | None = None
    stop_reason: str | None = None
    lines_read: int = 0
    seconds: float = 0.0

    def add(self, batch: IngestBatch, outcome: BatchOutcome) -> None:
        """Count one delivered batch."""
        self.accepted += outcome.accepted
        self.duplicates += outcome.duplicates
        self.quarantined += outcome.quarantined
        self.already_held += outcome.already_held
        self.already_stored += outcome.already_stored
        self.lines_read = batch.lines_read

    @property
    def records(self) -> int:
        """Every record read, whatever became of it."""
        return (
            self.accepted
            + self.already_stored
            + self.duplicates
            + self.quarantined
            + self.already_held
            + self.not_queued
        )

    @property
    def records_per_second(self) -> float:
        """Throughput over the whole ingest."""
        return self.records / self.seconds if self.seconds > 0 else 0.0


ProgressCallback = Callable[[IngestBatch, BatchOutcome], None]


def ingest_file(
    store: Store,
    path: Path,
    settings: Settings,
    *,
    source: str | None = None,
    sink: BatchSink | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: ProgressCallback | None = None,
) -> IngestSummary:
    """Ingest ``path`` (JSON Lines or CSV) into ``sink``, by default straight into ``store``.

    Re-ingesting the same file adds nothing: events are idempotent by ``event_id`` and a
    refused line already held is not held twice. Bad content never raises; only an
    unreadable file or an unavailable store does. A queue that stays unreachable (the sink
    raises ``QueueInterruptedError`` after its retries) stops the ingest where it was: the
    summary keeps what was queued, and counts the rest of the file as not queued from
    ``stopped_at_line``, so running the same command again finishes the job.
    """
    name = source or path.name
    if sink is None:
        sink = StoreSink(store, hasher_for(settings), source=name)
    summary = IngestSummary(source=name)
    started = time.perf_counter()
    for batch in iter_batches(path, source=name, batch_size=batch_size):
        if summary.stopped_at_line is not None:
            summary.not_queued += len(batch)
            summary.lines_read = batch.lines_read
            continue
        first_line = summary.lines_read + 1
        try:
            outcome = sink.write(batch)
        except QueueInterruptedError as exc:
            done = cast(BatchOutcome, exc.done)
            summary.add(batch, done)
            summary.not_queued += exc.not_queued
            summary.stopped_at_line = exc.from_line or first_line
            summary.stop_reason = str(exc)
            continue
        summary.add(batch, outcome)
        if on_batch is not None:
            on_batch(batch, outcome)
    summary.seconds = time.perf_counter() - started
    return summary
