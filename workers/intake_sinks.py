"""Sinks for ``trust ingest``: into the queue (workers decide) or through the pipeline here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from trust.intake.batches import IngestBatch
from trust.intake.deciding import PipelineSink
from trust.intake.sinks import BatchOutcome, conflict_record, sort_against_store
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.quarantine import quarantine_records
from trust.submission import EventSink
from workers.actors import LazyPipeline, declare_actors
from workers.broker import build_broker
from workers.embedded_redis import running_url


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
