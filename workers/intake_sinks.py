"""Sinks for ``trust ingest``: into the queue (workers decide) or through the pipeline here."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from trust.errors import QueueInterruptedError
from trust.intake.batches import IngestBatch
from trust.intake.deciding import PipelineSink
from trust.intake.sinks import BatchOutcome, conflict_record
from trust.settings import Settings
from trust.store import Store, snapshot, transaction
from trust.store.events import sort_against_store
from trust.store.quarantine import quarantine_records
from trust.submission import EventSink
from workers.actors import LazyPipeline, declare_actors, error_line, is_transient
from workers.broker import build_broker
from workers.embedded_redis import running_url

log = logging.getLogger(__name__)


def queue_in_use(settings: Settings) -> bool:
    """True when workers consume a queue: an external Redis, or a running embedded one."""
    return bool(settings.redis_url) or running_url(settings.data_dir) is not None


# How long ``trust ingest --queue`` keeps retrying an unreachable queue before it stops.
QUEUE_PATIENCE_S = 60.0


class QueueSink:
    """Quarantines refused records now and queues the events the store lacks for the workers.

    Events already stored are counted, not queued, so a re-ingest reports what it adds;
    an id stored with other content is quarantined here, as direct ingest does.

    A queue that cannot be reached (a Redis restart) is retried with a doubling back-off
    for up to ``patience_s``; then the batch ends in ``QueueInterruptedError`` saying how
    many of its events were queued, and ``ingest_file`` stops there.
    """

    def __init__(
        self,
        store: Store,
        sink: EventSink,
        batch_size: int,
        *,
        source: str,
        patience_s: float = QUEUE_PATIENCE_S,
        min_backoff_s: float = 0.5,
        max_backoff_s: float = 10.0,
    ) -> None:
        self.store = store
        self.sink = sink
        self.batch_size = batch_size
        self.source = source
        self.patience_s = patience_s
        self.min_backoff_s = min_backoff_s
        self.max_backoff_s = max_backoff_s
        # Tries that met an unreachable queue, over the whole ingest.
        self.retries = 0

    def _send(self, records: list[dict[str, Any]]) -> None:
        """One message, retried while the queue is unreachable; raises once patience ran out."""
        deadline = time.monotonic() + self.patience_s
        delay = self.min_backoff_s
        while True:
            try:
                self.sink.send_batch(records)
                return
            except Exception as exc:
                if not is_transient(exc) or time.monotonic() + delay > deadline:
                    raise
                self.retries += 1
                log.warning(
                    "queue unreachable; retrying",
                    extra={
                        "records": len(records),
                        "retry_in_s": delay,
                        "error": error_line(exc),
                    },
                )
                time.sleep(delay)
                delay = min(delay * 2, self.max_backoff_s)

    def write(self, batch: IngestBatch) -> BatchOutcome:
        """Queue one batch's new events; ``accepted`` counts events queued."""
        with snapshot(self.store.engine) as conn:
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
        queued = 0
        for start in range(0, len(records), self.batch_size):
            try:
                self._send(records[start : start + self.batch_size])
            except Exception as exc:
                if not is_transient(exc):
                    raise
                rest = known.new[start:]
                raise QueueInterruptedError(
                    f"the queue stayed unreachable for {self.patience_s:.0f} s: {error_line(exc)}",
                    done=self._outcome(batch, queued, held, len(refused), known.already_stored),
                    not_queued=len(rest),
                    from_line=batch.line_numbers.get(rest[0].event_id),
                ) from exc
            queued += len(records[start : start + self.batch_size])
        return self._outcome(batch, queued, held, len(refused), known.already_stored)

    @staticmethod
    def _outcome(
        batch: IngestBatch, queued: int, held: int, refused: int, already_stored: int
    ) -> BatchOutcome:
        return BatchOutcome(
            accepted=queued,
            duplicates=batch.duplicates,
            quarantined=held,
            already_held=refused - held,
            already_stored=already_stored,
        )


@contextmanager
def ingest_sink(
    settings: Settings,
    store: Store,
    *,
    use_queue: bool | None,
    source: str,
    patience_s: float = QUEUE_PATIENCE_S,
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
        yield QueueSink(
            store,
            actors,
            settings.worker.batch_size,
            source=source[:200],
            patience_s=patience_s,
            min_backoff_s=settings.worker.min_backoff_ms / 1000,
            max_backoff_s=settings.worker.max_backoff_ms / 1000,
        )
    finally:
        broker.close()
