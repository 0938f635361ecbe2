"""The actors: thin wrappers that hand a batch of raw records to ``trust.pipeline``.

Failure policy, in one place:
- a transient fault (database locked or unreachable, Redis blip) is raised, and dramatiq's
  Retries middleware runs the same batch again with exponential backoff;
- any other failure of a batch of several events splits it in halves, each re-enqueued, so
  one bad event does not hold back the others;
- a single event that still fails is retried ``POISON_RETRIES`` times (a race between two
  workers looks like this too) and then dead-lettered with its error.
Processing is idempotent by event_id, so every redelivery above is safe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dramatiq
import redis
from dramatiq.errors import ConnectionError as BrokerConnectionError
from dramatiq.middleware import CurrentMessage

from trust.encryption import Keyring
from trust.errors import PoisonEventError, TransientStoreError
from trust.pipeline import Pipeline
from trust.settings import Settings
from trust.store.sealed import seal_records
from workers.metrics import pipeline_metrics

log = logging.getLogger(__name__)

PROCESS_EVENTS = "process_events"
POISON_RETRIES = 2
TRANSIENT = (TransientStoreError, redis.ConnectionError, redis.TimeoutError, BrokerConnectionError)


def is_transient(exc: BaseException) -> bool:
    """True for faults that a later attempt of the same batch may not meet."""
    return isinstance(exc, TRANSIENT)


def _retry_when(max_retries: int) -> Callable[[int, BaseException], bool]:
    def retry_when(retries: int, exc: BaseException) -> bool:
        if isinstance(exc, PoisonEventError):
            return retries < POISON_RETRIES
        return retries < max_retries

    return retry_when


class LazyPipeline:
    """Builds the pipeline on first use, once per process (workers fork before that)."""

    def __init__(self, factory: Callable[[], Pipeline]) -> None:
        self._factory = factory
        self._pipeline: Pipeline | None = None
        self._lock = threading.Lock()

    def get(self) -> Pipeline:
        """The process's pipeline."""
        with self._lock:
            if self._pipeline is None:
                self._pipeline = self._factory()
            return self._pipeline


@dataclass
class Actors:
    """The actors declared on one broker."""

    process_events: dramatiq.Actor[[list[dict[str, Any]]], None]
    # Seals each record's personal fields, so Redis and its append-only file never hold
    # them in clear; the pipeline opens them. None only for the benchmark's no-op actor.
    keyring: Keyring | None = None

    def send_batch(self, records: Sequence[Any]) -> None:
        """Enqueue one batch (implements ``trust.submit.EventSink``)."""
        if self.keyring is None:
            self.process_events.send(list(records))
        else:
            self.process_events.send(seal_records(records, self.keyring))


def _enqueued_at() -> float | None:
    message = CurrentMessage.get_current_message()
    return message.message_timestamp / 1000 if message is not None else None


def _event_id(record: Any) -> str | None:
    return record.get("event_id") if isinstance(record, dict) else None


def declare_noop_actor(broker: dramatiq.Broker, settings: Settings) -> Actors:
    """An actor with our name and queue that does nothing: the benchmark's baseline."""

    def process_events(records: list[dict[str, Any]]) -> None:
        del records

    actor: dramatiq.Actor[[list[dict[str, Any]]], None] = dramatiq.actor(
        actor_name=PROCESS_EVENTS, queue_name=settings.worker.queue_name, broker=broker
    )(process_events)
    return Actors(actor)


def declare_actors(
    broker: dramatiq.Broker, settings: Settings, pipeline: Callable[[], Pipeline]
) -> Actors:
    """Declare our actors on ``broker``; ``pipeline`` returns the process's pipeline."""
    queue = settings.worker.queue_name

    def process_events(records: list[dict[str, Any]]) -> None:
        started = time.perf_counter()
        try:
            result = pipeline().process(records)
        except Exception as exc:
            if is_transient(exc):
                log.warning("transient failure; batch will be retried", extra={
                    "records": len(records), "error": str(exc)})
                raise
            if len(records) > 1:
                middle = len(records) // 2
                actor.send(records[:middle])
                actor.send(records[middle:])
                pipeline_metrics().splits.inc()
                log.warning("batch failed; split in halves", extra={
                    "records": len(records), "error": f"{type(exc).__name__}: {exc}"})
                return
            raise PoisonEventError(
                _event_id(records[0]) if records else None, f"{type(exc).__name__}: {exc}"
            ) from exc
        took = time.perf_counter() - started
        enqueued_at = _enqueued_at()
        pipeline_metrics().observe_batch(result, enqueued_at=enqueued_at, took=took)
        log.info("batch processed", extra={
            "records": result.received, "stored": result.stored,
            "duplicates": result.duplicates, "quarantined": result.quarantined,
            "cases": len(result.case_ids), "seconds": round(took, 4),
            "latency_s": round(time.time() - enqueued_at, 4) if enqueued_at else None})

    actor: dramatiq.Actor[[list[dict[str, Any]]], None] = dramatiq.actor(
        actor_name=PROCESS_EVENTS,
        queue_name=queue,
        broker=broker,
        retry_when=_retry_when(settings.worker.max_retries),
    )(process_events)
    return Actors(actor, Keyring.from_settings(settings))
