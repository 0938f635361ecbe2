"""The actors: thin wrappers that hand a batch of raw records to ``trust.pipeline``.

Failure policy, in one place:
- a transient store fault (database locked or unreachable) opens the process's store
  breaker (``workers/breaker.py``): the actor keeps its message and tries it again in
  place after a doubling back-off, while the process's other threads wait too, so no
  batch goes to the back of the queue and none is taken that cannot be stored;
- another transient fault (a Redis blip) is raised, and dramatiq's Retries middleware
  runs the same batch again with exponential backoff; a worker stopping while the store
  is still unreachable hands its batch back the same way (``trust/late_history.py``
  re-scores what that reordering decided without its history);
- any other failure of a batch of several events splits it in halves, each re-enqueued, so
  one bad event does not hold back the others;
- a single event that still fails is retried ``POISON_RETRIES`` times (a race between two
  workers looks like this too) and then dead-lettered with its error;
- a batch whose processing killed its worker (no exception at all) is counted across
  deliveries and, after ``crash_retries``, decided one event at a time so that the event
  that kills is dead-lettered and the others decided (``workers/crashes.py``).
Processing is idempotent by event_id, so every redelivery above is safe. Logs name the
events by id and the error by its first line, never the records themselves: they hold
personal data.
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
from trust.pipeline import BatchResult, Pipeline
from trust.settings import Settings
from trust.store.sealed import seal_records
from workers.breaker import BreakerStopped, BreakerView, StoreBreaker
from workers.crashes import CRASHED_REASON, CrashLedger, Delivery
from workers.dead_letters import DeadLetters
from workers.health import BreakerHealth
from workers.metrics import pipeline_metrics

log = logging.getLogger(__name__)

PROCESS_EVENTS = "process_events"
POISON_RETRIES = 2
TRANSIENT = (TransientStoreError, redis.ConnectionError, redis.TimeoutError, BrokerConnectionError)


def is_transient(exc: BaseException) -> bool:
    """True for faults that a later attempt of the same batch may not meet."""
    return isinstance(exc, TRANSIENT)


def retry_policy(max_retries: int) -> Callable[[int, BaseException], bool]:
    """Dramatiq's retry_when: poison events get few retries, transient faults many."""

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
        """Enqueue one batch (implements ``trust.submission.EventSink``)."""
        if self.keyring is None:
            self.process_events.send(list(records))
        else:
            self.process_events.send(seal_records(records, self.keyring))


def _enqueued_at() -> float | None:
    message = CurrentMessage.get_current_message()
    return message.message_timestamp / 1000 if message is not None else None


def _event_id(record: Any) -> str | None:
    return record.get("event_id") if isinstance(record, dict) else None


def _event_ids(records: Sequence[Any]) -> list[str | None]:
    return [_event_id(r) for r in records]


# Exception texts can quote what failed (a database error's detail line names the value);
# the first line says what went wrong without it.
ERROR_CHARS = 300


def error_line(exc: BaseException) -> str:
    """``Type: first line of the message``, short: what logs and dead letters show."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    line = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return line if len(line) <= ERROR_CHARS else line[: ERROR_CHARS - 1] + "…"


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
    client = getattr(broker, "client", None)
    namespace = getattr(broker, "namespace", "dramatiq")
    ledger = CrashLedger(client, namespace) if client is not None else None
    health = BreakerHealth()
    breaker = StoreBreaker(
        settings.worker.min_backoff_ms / 1000,
        settings.worker.max_backoff_ms / 1000,
        on_change=health.on_change,
    )
    health.attach(breaker)
    broker.add_middleware(health)

    def observe(result: BatchResult, took: float) -> None:
        enqueued_at = _enqueued_at()
        pipeline_metrics().observe_batch(result, enqueued_at=enqueued_at, took=took)
        log.info(
            "batch processed",
            extra={
                "records": result.received,
                "stored": result.stored,
                "duplicates": result.duplicates,
                "quarantined": result.quarantined,
                "cases": len(result.case_ids),
                "revised": len(result.revisions),
                "reopened": len(result.reopened),
                "seconds": round(took, 4),
                "latency_s": round(time.time() - enqueued_at, 4) if enqueued_at else None,
            },
        )

    def process_held(records: list[dict[str, Any]]) -> tuple[BatchResult, float]:
        """``pipeline().process(records)``, holding the batch while the store is unreachable.

        Returns the result and the seconds the processing itself took (waits excluded).
        """
        held_since: float | None = None
        while True:
            try:
                breaker.acquire()
            except BreakerStopped:
                # Handed back through Retries; a Retry is not logged as a failure, so a
                # clean stop during an outage logs no error.
                log.warning(
                    "worker stopping while the store is unreachable; batch handed back",
                    extra={"records": len(records), "event_ids": _event_ids(records)},
                )
                raise dramatiq.Retry(delay=settings.worker.min_backoff_ms) from None
            started = time.perf_counter()
            try:
                result = pipeline().process(records)
            except TransientStoreError as exc:
                view = breaker.failed(error_line(exc))
                if held_since is None:
                    held_since = time.perf_counter()
                    pipeline_metrics().breaker_trips.inc()
                log_held(records, view, first=view.failures == 1)
                continue
            except Exception:
                breaker.succeeded()  # the store answered; the batch's own fault follows
                raise
            except BaseException:  # a time limit or shutdown interrupted the try
                breaker.abandon()
                raise
            breaker.succeeded()
            if held_since is not None:
                held = time.perf_counter() - held_since
                pipeline_metrics().breaker_held_seconds.inc(held)
                log.info(
                    "store reachable again; held batch processed in place",
                    extra={"records": len(records), "held_s": round(held, 3)},
                )
            return result, time.perf_counter() - started

    def log_held(records: list[dict[str, Any]], view: BreakerView, *, first: bool) -> None:
        # Once per opening with the ids; then one short line per failed try, which the
        # doubling back-off keeps rare.
        extra: dict[str, Any] = {
            "records": len(records),
            "failures": view.failures,
            "retry_in_s": round(view.retry_in_s, 3),
            "error": view.error,
        }
        if first:
            extra["event_ids"] = _event_ids(records)
        log.warning("store unreachable; holding the batch in place", extra=extra)

    def decide_batch(records: list[dict[str, Any]]) -> None:
        try:
            result, took = process_held(records)
        except dramatiq.Retry:
            raise
        except Exception as exc:
            if is_transient(exc):
                log.warning(
                    "transient failure; batch will be retried",
                    extra={
                        "records": len(records),
                        "event_ids": _event_ids(records),
                        "error": error_line(exc),
                    },
                )
                raise
            if len(records) > 1:
                middle = len(records) // 2
                actor.send(records[:middle])
                actor.send(records[middle:])
                pipeline_metrics().splits.inc()
                log.warning(
                    "batch failed; split in halves",
                    extra={
                        "records": len(records),
                        "event_ids": _event_ids(records),
                        "error": error_line(exc),
                    },
                )
                return
            raise PoisonEventError(
                _event_id(records[0]) if records else None, error_line(exc)
            ) from exc
        observe(result, took)

    def decide_one_by_one(
        records: list[dict[str, Any]], delivery: Delivery, crash_ledger: CrashLedger
    ) -> None:
        start = 0
        # A batch of one needs no pass to find its culprit.
        in_flight = 0 if len(records) == 1 else delivery.in_flight
        if in_flight is not None and in_flight < len(records):
            culprit = records[in_flight]
            # One letter id per (message, event): a death right after this adds no second.
            DeadLetters(crash_ledger.client, namespace).add_records(
                f"{delivery.message_id}.{in_flight}",
                actor_name=PROCESS_EVENTS,
                queue_name=queue,
                records=[culprit],
                error=CRASHED_REASON,
                retries=delivery.crashes,
            )
            log.error(
                "event dead-lettered: its worker died while processing it",
                extra={"event_id": _event_id(culprit), "crashes": delivery.crashes},
            )
            start = in_flight + 1
        else:
            log.warning(
                "batch killed its worker; deciding it one event at a time",
                extra={
                    "records": len(records),
                    "event_ids": _event_ids(records),
                    "crashes": delivery.crashes,
                },
            )
        for index in range(start, len(records)):
            crash_ledger.in_flight(delivery.message_id, index)
            # Each event alone, with the usual policy for an exception (retries, then a
            # dead letter with its error) in a message of its own.
            try:
                result, took = process_held(records[index : index + 1])
            except dramatiq.Retry:
                raise
            except Exception as exc:
                actor.send(records[index : index + 1])
                log.warning(
                    "event failed; sent on its own",
                    extra={"event_id": _event_id(records[index]), "error": error_line(exc)},
                )
                continue
            observe(result, took)

    def process_events(records: list[dict[str, Any]]) -> None:
        message = CurrentMessage.get_current_message()
        if ledger is None or message is None:
            decide_batch(records)
            return
        delivery = ledger.begin(message.message_id)
        try:
            if delivery.crashes >= settings.worker.crash_retries:
                decide_one_by_one(records, delivery, ledger)
            else:
                decide_batch(records)
        finally:
            ledger.end(message.message_id)

    actor: dramatiq.Actor[[list[dict[str, Any]]], None] = dramatiq.actor(
        actor_name=PROCESS_EVENTS,
        queue_name=queue,
        broker=broker,
        retry_when=retry_policy(settings.worker.max_retries),
    )(process_events)
    return Actors(actor, Keyring.from_settings(settings))
