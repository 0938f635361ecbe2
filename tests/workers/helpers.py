"""Helpers for worker tests: settings on the test Redis, an in-process worker, waiting."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import dramatiq

from trust.settings import Settings


def queue_settings(settings: Settings, redis_url: str, **worker: Any) -> Settings:
    """``settings`` on ``redis_url`` under a private namespace, fast retries and sweeps."""
    knobs = {
        "redis_namespace": f"trust-test-{uuid.uuid4().hex[:8]}",
        "min_backoff_ms": 100,
        "max_backoff_ms": 1_000,
        "heartbeat_timeout_ms": 3_000,
        "rules_hard_limit_ms": 1_000,
        "sweep_interval_s": 0.5,
        "batch_size": 50,
        **worker,
    }
    return settings.model_copy(
        update={"redis_url": redis_url, "worker": settings.worker.model_copy(update=knobs)}
    )


@contextmanager
def running_worker(broker: dramatiq.Broker, threads: int = 2) -> Iterator[dramatiq.Worker]:
    """A dramatiq worker consuming in this process until the block ends."""
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop(timeout=10_000)


def wait_until(
    condition: Callable[[], bool],
    timeout: float,
    what: str,
    explain: Callable[[], str] | None = None,
) -> float:
    """Poll ``condition`` until true; returns the seconds it took, fails after ``timeout``."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            detail = f"\n{explain()}" if explain is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(0.1)
    return time.monotonic() - began
