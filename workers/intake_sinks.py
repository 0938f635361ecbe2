"""Sinks for ``trust ingest``: into the queue (workers decide) or through the pipeline here."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple, replace
from datetime import UTC, datetime

from trust.events import Event, EventValidationIssue
from trust.intake.batches import IngestBatch, refused_record
from trust.intake.sinks import BatchOutcome, conflict_record
from trust.pipeline import Pipeline
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.events import sort_against_store
from trust.store.quarantine import QuarantinedRecord, quarantine_records
from trust.submit import EventSink
from workers.actors import LazyPipeline, declare_actors, is_transient
from workers.broker import build_broker
from workers.embedded_redis import running_url

log = logging.getLogger(__name__)


def queue_in_use(settings: Settings) -> bool:
    """True when workers consume a queue: an external Redis, or a running embedded one."""
    return bool(settings.redis_url) or running_url(settings.data_dir) is not None


class QueueSink:
    """Quarantines refused records now and queues the events the store lacks for the workers.

    Events already stored are counted, not queued, so a re-ingest reports what it adds;
    an id stored with other content is quarantined here, as direct ingest does.
    """

    def __init__(self, store: Store, sink: EventSink, batch_size: int, *, source: str) -> None:
        self.store = store
        self.sink = sink
        self.batch_size = batch_size
        self.source = source

    def write(self, batch: IngestBatch) -> BatchOutcome:
        """Queue one batch's new events; ``accepted`` counts events queued."""
        with self.store.engine.connect() as conn:
            known = sort_against_store(conn, batch.events)
        refused = batch.quarantined + [
            conflict_record(self.source, batch.line_numbers.get(e.event_id), e)
            for e in known.conflicting
        ]
        held = 0
        if refused:
            with transaction(self.store.engine) as conn:
                held = quarantine_records(conn, refused, received_at=datetime.now(UTC))
        records = [e.model_dump(mode="json") for e in known.new]
        for start in range(0, len(records), self.batch_size):
            self.sink.send_batch(records[start : start + self.batch_size])
        return BatchOutcome(
            accepted=len(records),
            duplicates=batch.duplicates,
            quarantined=held,
            already_held=len(refused) - held,
            already_stored=known.already_stored,
        )


UNDECIDABLE = "could not be decided"


def _plus(a: BatchOutcome, b: BatchOutcome) -> BatchOutcome:
    return BatchOutcome(*(x + y for x, y in zip(astuple(a), astuple(b), strict=True)))


class PipelineSink:
    """Decides each batch in this process, through the same pipeline the workers run.

    A batch that fails for a reason that is not transient is split in halves, as the workers
    split theirs, so one event that breaks the pipeline does not stop the ingest or hold back
    the others; that event alone is quarantined with the error, to replay after the fix.
    """

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def write(self, batch: IngestBatch) -> BatchOutcome:
        """Store, decide and open cases for one batch (one transaction unless it is split)."""
        outcome = self._write(batch.events, batch.quarantined, batch.line_numbers)
        return replace(outcome, duplicates=batch.duplicates)

    def _write(
        self, events: list[Event], refused: list[QuarantinedRecord], lines: dict[str, int]
    ) -> BatchOutcome:
        try:
            return self._decide(events, refused)
        except Exception as exc:
            if is_transient(exc) or not events:
                raise
            if len(events) == 1:
                return self._decide([], [*refused, self._undecidable(events[0], exc, lines)])
            log.warning(
                "batch failed; split in halves",
                extra={"records": len(events), "error": f"{type(exc).__name__}: {exc}"},
            )
            middle = len(events) // 2
            first = self._write(events[:middle], refused, lines)
            return _plus(first, self._write(events[middle:], [], lines))

    def _decide(self, events: list[Event], refused: list[QuarantinedRecord]) -> BatchOutcome:
        result = self.pipeline.process(events, refused=refused)
        held_back = len(refused) + (len(events) - result.stored - result.duplicates)
        return BatchOutcome(
            accepted=result.stored,
            duplicates=0,
            quarantined=result.quarantined,
            already_held=held_back - result.quarantined,
            already_stored=result.duplicates,
        )

    def _undecidable(
        self, event: Event, exc: Exception, lines: dict[str, int]
    ) -> QuarantinedRecord:
        issue = EventValidationIssue("(record)", f"{UNDECIDABLE}: {type(exc).__name__}: {exc}")
        return refused_record(
            self.pipeline.source,
            lines.get(event.event_id),
            event.model_dump_json(),
            [issue],
            event_id=event.event_id,
        )


@contextmanager
def ingest_sink(
    settings: Settings, store: Store, *, use_queue: bool | None, source: str
) -> Iterator[QueueSink | PipelineSink]:
    """The sink ``trust ingest`` uses: the queue when workers consume one, else decide here."""
    from workers.wiring import build_pipeline

    if use_queue is None:
        use_queue = queue_in_use(settings)
    if not use_queue:
        yield PipelineSink(build_pipeline(settings, store, source=source[:200]))
        return
    broker = build_broker(settings)
    try:
        actors = declare_actors(
            broker, settings, LazyPipeline(lambda: build_pipeline(settings)).get
        )
        yield QueueSink(store, actors, settings.worker.batch_size, source=source[:200])
    finally:
        broker.close()
