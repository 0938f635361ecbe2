"""Worker health in Redis: each worker's store breaker, where ``/readyz`` can read it.

Every worker process keeps one key, ``<namespace>:health:<broker id>``, holding its breaker
as JSON (``BreakerView.as_dict`` plus the pid and host). A reporter thread rewrites it every
``REPORT_INTERVAL_S`` and at once when the breaker changes; the key expires after
``KEY_TTL_S`` so a worker that died stops being reported; a clean stop deletes it. The
same state is the gauge ``trust_store_breaker_state`` (0 closed, 1 half-open, 2 open).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from dataclasses import dataclass
from typing import cast

import dramatiq
import redis
from dramatiq.middleware import Middleware

from workers.breaker import BreakerView, StoreBreaker
from workers.metrics import pipeline_metrics

log = logging.getLogger(__name__)

REPORT_INTERVAL_S = 2.0
KEY_TTL_S = 10


def health_prefix(namespace: str) -> str:
    """Prefix of the health keys of the workers of ``namespace``."""
    return f"{namespace}:health:"


@dataclass(frozen=True, slots=True)
class WorkerHealth:
    """One worker's last report."""

    worker: str
    state: str
    failures: int
    retry_in_s: float
    error: str | None
    pid: int | None
    host: str | None


def read_worker_health(client: redis.Redis, namespace: str) -> list[WorkerHealth]:
    """Reports of the workers alive now (their keys have not expired), by worker id."""
    prefix = health_prefix(namespace)
    keys = sorted(k.decode() for k in client.scan_iter(match=f"{prefix}*", count=500))
    values = cast(list[bytes | None], client.mget(keys)) if keys else []
    found = []
    for key, raw in zip(keys, values, strict=True):
        if raw is None:  # expired between the scan and the read
            continue
        data = json.loads(raw)
        found.append(
            WorkerHealth(
                worker=key[len(prefix) :],
                state=str(data["state"]),
                failures=int(data.get("failures", 0)),
                retry_in_s=float(data.get("retry_in_s", 0.0)),
                error=data.get("error"),
                pid=data.get("pid"),
                host=data.get("host"),
            )
        )
    return found


def describe_workers(reports: list[WorkerHealth]) -> str:
    """One line for ``/readyz``: ``ok: …`` when no worker is kept from the store."""
    if not reports:
        return "ok: no worker reporting"
    blocked = [r for r in reports if r.state != "closed"]
    if not blocked:
        return f"ok: {len(reports)} workers, store reachable"
    soonest = min(r.retry_in_s for r in blocked)
    error = next((r.error for r in blocked if r.error), None)
    return (
        f"unavailable: store breaker open in {len(blocked)} of {len(reports)} workers "
        f"(next try in {soonest:.1f} s; {error or 'store unreachable'})"
    )


class BreakerHealth(Middleware):
    """Publishes one worker process's breaker: gauge at each change, Redis key on a timer."""

    def __init__(self) -> None:
        self.breaker: StoreBreaker | None = None
        self._changed = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def attach(self, breaker: StoreBreaker) -> None:
        """The breaker to report (the actors create it)."""
        self.breaker = breaker

    def on_change(self, view: BreakerView) -> None:
        """Breaker callback: set the gauge now, wake the reporter to rewrite the key."""
        pipeline_metrics().breaker_state.set(view.state.level)
        self._changed.set()

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        client = getattr(broker, "client", None)
        if client is None or self.breaker is None:
            return
        key = health_prefix(getattr(broker, "namespace", "dramatiq")) + str(broker.broker_id)  # type: ignore[attr-defined]
        pipeline_metrics().breaker_state.set(self.breaker.state.level)
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(self.breaker, client, key), name="trust-health", daemon=True
        )
        self._thread.start()

    def _run(self, breaker: StoreBreaker, client: redis.Redis, key: str) -> None:
        host = socket.gethostname()
        while not self._stop.is_set():
            self._changed.clear()
            report = {**breaker.view().as_dict(), "pid": os.getpid(), "host": host}
            # Redis down: the next tick writes it again.
            with contextlib.suppress(redis.RedisError):
                client.set(key, json.dumps(report), ex=KEY_TTL_S)
            self._changed.wait(REPORT_INTERVAL_S)
        try:
            client.delete(key)
        except redis.RedisError:
            log.warning("worker health key not removed; it expires by itself")

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # Threads holding a batch while the breaker is open give it back now.
        if self.breaker is not None:
            self.breaker.stop()
        self._stop.set()
        self._changed.set()
        if self._thread is not None:
            self._thread.join(5)
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            from prometheus_client import multiprocess

            # The gauge keeps live processes only: this one's file goes with it.
            multiprocess.mark_process_dead(os.getpid())
