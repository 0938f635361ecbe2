"""The dispute timer: missed deadlines get their default outcome, run by the workers.

An APScheduler interval job in every worker process enqueues one ``apply_dispute_deadlines``
message per interval for the whole fleet (a Redis ``SET NX PX`` slot decides which process
sends it); the actor hands opened disputes their held party events and calls
``trust.disputes.timers.apply_due_deadlines``, in one transaction.
Nothing is lost when a worker is killed: another process's job sends the next tick, a
message in flight is redelivered, and the guarded UPDATE in the store applies each default
exactly once whatever runs twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import dramatiq
from apscheduler.schedulers.background import BackgroundScheduler
from dramatiq.middleware import Middleware

from trust.disputes.parties import take_held_events
from trust.disputes.timers import apply_due_deadlines
from trust.settings import Settings
from trust.store import Store, transaction
from workers.broker import TrustRedisBroker

log = logging.getLogger(__name__)

TIMER_ACTOR = "apply_dispute_deadlines"


def declare_dispute_timer(
    broker: dramatiq.Broker, settings: Settings, store: Callable[[], Store]
) -> dramatiq.Actor[[], None]:
    """Declare the actor that applies missed dispute deadlines; returns it."""

    def apply_dispute_deadlines() -> None:
        now = datetime.now(UTC)
        with transaction(store().engine) as conn:
            take_held_events(conn, now)
            applied = apply_due_deadlines(conn, now)
        for item in applied:
            log.info(
                "dispute deadline missed; default applied",
                extra={
                    "case_id": item.case_id,
                    "deadline": item.deadline,
                    "stage": item.stage.value,
                },
            )

    actor: dramatiq.Actor[[], None] = dramatiq.actor(
        actor_name=TIMER_ACTOR,
        queue_name=settings.worker.queue_name,
        broker=broker,
    )(apply_dispute_deadlines)
    return actor


class DisputeTimer(Middleware):
    """Schedules the timer ticks inside each worker process, from boot to shutdown."""

    def __init__(self, settings: Settings, actor: dramatiq.Actor[[], None]) -> None:
        self.interval_s = settings.disputes.timer_interval_s
        self.slot = f"{settings.worker.redis_namespace}:dispute-timer:slot"
        self.actor = actor
        self.scheduler: BackgroundScheduler | None = None

    def tick(self, broker: TrustRedisBroker) -> bool:
        """Enqueue one check unless another process did in this interval; True if sent."""
        try:
            if not broker.client.set(self.slot, "1", nx=True, px=int(self.interval_s * 1000)):
                return False
            self.actor.send()
        except Exception:  # a Redis blip: the next interval sends it
            log.warning("could not enqueue the dispute timer; will retry", exc_info=True)
            return False
        return True

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if not isinstance(broker, TrustRedisBroker):
            return
        # One line per tick per process would drown the worker logs; failures still show.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.scheduler.add_job(
            self.tick,
            "interval",
            args=[broker],
            seconds=self.interval_s,
            next_run_time=datetime.now(UTC),
            id="dispute-timer",
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
