"""The store breaker: closed / open / half-open with doubling back-off, and a worker that
holds its batch in place while the store is unreachable, reporting it in Redis."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from tests.factories import review_payload
from tests.workers.conftest import ThrowawayRedis
from tests.workers.helpers import queue_settings, running_worker, wait_until
from trust.errors import TransientStoreError
from trust.pipeline import BatchResult
from trust.settings import Settings
from workers.actors import declare_actors
from workers.breaker import BreakerState, BreakerStopped, BreakerView, StoreBreaker
from workers.broker import build_broker
from workers.health import WorkerHealth, describe_workers, read_worker_health


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_on_a_fault_backs_off_doubling_and_closes_on_success() -> None:
    clock = FakeClock()
    changes: list[BreakerView] = []
    breaker = StoreBreaker(0.5, 2.0, on_change=changes.append, clock=clock)
    breaker.acquire()  # closed: at once

    assert breaker.failed("OperationalError: connection refused").retry_in_s == 0.5
    assert breaker.state is BreakerState.OPEN
    clock.now += 0.5
    breaker.acquire()  # the back-off elapsed: this thread is the half-open trial
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.failed("again").retry_in_s == 1.0
    clock.now += 1.0
    breaker.acquire()
    assert breaker.failed("again").retry_in_s == 2.0
    clock.now += 2.0
    breaker.acquire()
    assert breaker.failed("again").retry_in_s == 2.0  # capped
    clock.now += 2.0
    breaker.acquire()
    breaker.succeeded()

    view = breaker.view()
    assert (view.state, view.failures, view.error) == (BreakerState.CLOSED, 0, None)
    assert [c.state for c in changes] == [
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.CLOSED,
    ]
    with pytest.raises(ValueError, match="backoff"):
        StoreBreaker(2.0, 1.0)


def test_while_one_thread_tries_the_others_wait_and_shutdown_releases_them() -> None:
    breaker = StoreBreaker(0.05, 0.05)
    breaker.failed("down")
    breaker.acquire()  # this thread is the trial once 50 ms passed
    released: list[str] = []

    def waiter() -> None:
        try:
            breaker.acquire()
            released.append("acquired")
        except BreakerStopped:
            released.append("stopped")

    thread = threading.Thread(target=waiter)
    thread.start()
    time.sleep(0.2)
    assert released == [], "a second thread went to the store during the trial"
    breaker.succeeded()
    thread.join(5)
    assert released == ["acquired"]

    breaker = StoreBreaker(60.0, 60.0)
    breaker.failed("down for a minute")
    stopping = threading.Thread(target=waiter)
    stopping.start()
    time.sleep(0.1)
    breaker.stop()
    stopping.join(5)
    assert released == ["acquired", "stopped"]


def test_readiness_line_names_blocked_workers() -> None:
    closed = WorkerHealth("a", "closed", 0, 0.0, None, 1, "h")
    blocked = WorkerHealth("b", "open", 3, 2.5, "OperationalError: refused", 2, "h")
    assert describe_workers([]) == "ok: no worker reporting"
    assert describe_workers([closed]) == "ok: 1 workers, store reachable"
    line = describe_workers([closed, blocked])
    assert line.startswith("unavailable: store breaker open in 1 of 2 workers")
    assert "OperationalError: refused" in line


class FlakyPipeline:
    """Fails with a transient store fault ``failures`` times, then decides nothing."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def process(self, records: list[dict[str, Any]]) -> BatchResult:
        self.calls += 1
        if self.calls <= self.failures:
            raise TransientStoreError("connection refused")
        return BatchResult(received=len(records), stored=len(records), duplicates=0, quarantined=0)


def test_a_worker_holds_its_batch_while_the_store_is_down_and_reports_it(
    settings: Settings, throwaway_redis: ThrowawayRedis
) -> None:
    current = queue_settings(settings, throwaway_redis.url, min_backoff_ms=300, max_backoff_ms=600)
    broker = build_broker(current)
    flaky = FlakyPipeline(failures=3)
    actors = declare_actors(broker, current, lambda: flaky)  # type: ignore[arg-type,return-value]
    actors.send_batch([review_payload() for _ in range(3)])
    seen: list[str] = []

    with running_worker(broker, threads=1):

        def reported_open() -> bool:
            line = describe_workers(read_worker_health(broker.client, broker.namespace))
            seen.append(line)
            return line.startswith("unavailable")

        wait_until(reported_open, 10, "the worker reporting its open breaker")
        wait_until(lambda: flaky.calls == 4, 10, "the batch tried again in place")
        wait_until(
            lambda: (
                describe_workers(read_worker_health(broker.client, broker.namespace))
                == "ok: 1 workers, store reachable"
            ),
            10,
            "the worker reporting the store reachable again",
        )
        # Never handed to Retries: nothing went back to the queue or its delay queue. The
        # breaker reports the store reachable before the batch's ack lands, so the queue is
        # awaited; a batch that had gone back would have been processed a fifth time.
        wait_until(lambda: broker.do_qsize(current.worker.queue_name) == 0, 10, "the batch's ack")
        assert flaky.calls == 4
        assert broker.client.zcard(f"{broker.namespace}:dead-letters") == 0
    # A clean stop removes the worker's key.
    assert read_worker_health(broker.client, broker.namespace) == []
    assert any("connection refused" in line for line in seen)
    broker.close()


def test_a_worker_stopped_during_an_outage_hands_its_batch_back_without_an_error(
    settings: Settings, throwaway_redis: ThrowawayRedis, caplog: pytest.LogCaptureFixture
) -> None:
    current = queue_settings(settings, throwaway_redis.url, min_backoff_ms=300, max_backoff_ms=600)
    broker = build_broker(current)
    flaky = FlakyPipeline(failures=10**9)
    actors = declare_actors(broker, current, lambda: flaky)  # type: ignore[arg-type,return-value]
    actors.send_batch([review_payload() for _ in range(3)])

    with running_worker(broker, threads=1):
        wait_until(lambda: flaky.calls >= 2, 10, "the worker holding its batch")

    # qsize counts the queue and its delay queue, where a Retry puts the batch.
    waiting = broker.do_qsize(current.worker.queue_name)
    assert waiting == 1, "the held batch was not handed back to the queue"
    assert broker.client.zcard(f"{broker.namespace}:dead-letters") == 0
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    broker.close()
