"""The one place that builds the dramatiq broker, from settings.

dramatiq's Redis broker returns the messages of a dead worker to the queue only during
"maintenance", which runs on a random 0.1% of Redis commands and only for the queue of
that command, after the worker has missed heartbeats for 60 s. An idle single worker took
nearly five minutes to see a SIGKILLed batch again. We keep the protocol and make the
timing deterministic: a shorter heartbeat timeout, and a sweeper thread in every worker
process that runs maintenance on each queue every few seconds.
"""

from __future__ import annotations

import threading
from typing import Any, cast

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import dq_name
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from trust.errors import ConfigurationError
from trust.settings import Settings


class TrustRedisBroker(RedisBroker):
    """dramatiq's Redis broker with on-demand queue maintenance (``sweep``)."""

    def __init__(self, *, sweep_interval: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sweep_interval = sweep_interval
        self._forced = threading.local()

    def _should_do_maintenance(self, command: str) -> int:
        if getattr(self._forced, "on", False):
            return 1
        return super()._should_do_maintenance(command)

    def sweep(self) -> None:
        """Requeue messages held by workers whose heartbeat expired, on every declared queue."""
        self._forced.on = True
        try:
            for queue in sorted(self.get_declared_queues()):
                for name in (queue, dq_name(queue)):
                    # qsize is a read-only command; with maintenance forced it also requeues.
                    self.do_qsize(name)
        finally:
            self._forced.on = False

    def queue_depth(self, queue_name: str) -> int:
        """Messages waiting (not yet fetched) on ``queue_name``."""
        return int(cast(int, self.client.llen(f"{self.namespace}:{queue_name}")))


class Sweeper(Middleware):
    """Runs ``broker.sweep()`` every ``sweep_interval`` seconds inside each worker process."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if not isinstance(broker, TrustRedisBroker):
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(broker,), name="trust-sweeper", daemon=True
        )
        self._thread.start()

    def _run(self, broker: TrustRedisBroker) -> None:
        while not self._stop.wait(broker.sweep_interval):
            try:
                broker.sweep()
            except Exception:  # a Redis blip: the next sweep will do it
                broker.logger.warning("queue sweep failed; will retry", exc_info=True)

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()


def redis_url_of(settings: Settings) -> str:
    """The Redis the queue lives on; the embedded one must have been started already."""
    if settings.redis_url:
        return settings.redis_url
    from workers.embedded_redis import running_url

    url = running_url(settings.data_dir)
    if url is None:
        raise ConfigurationError(
            "no Redis: set TRUST_REDIS_URL, or start the embedded one with `trust up`"
        )
    return url


def build_broker(
    settings: Settings, *, url: str | None = None, extra: list[Middleware] | None = None
) -> TrustRedisBroker:
    """A Redis broker in our own namespace, with retries, dead letters and fast redelivery."""
    from workers.dead_letters import DeadLetterRecorder

    knobs = settings.worker
    broker = TrustRedisBroker(
        url=url or redis_url_of(settings),
        namespace=knobs.redis_namespace,
        heartbeat_timeout=knobs.heartbeat_timeout_ms,
        sweep_interval=knobs.sweep_interval_s,
        middleware=[
            AgeLimit(),
            TimeLimit(),
            ShutdownNotifications(),
            Callbacks(),
            Pipelines(),
            Retries(
                max_retries=knobs.max_retries,
                min_backoff=knobs.min_backoff_ms,
                max_backoff=knobs.max_backoff_ms,
            ),
            CurrentMessage(),
            Sweeper(),
        ],
    )
    broker.add_middleware(DeadLetterRecorder())
    for middleware in extra or []:
        broker.add_middleware(middleware)
    return broker
