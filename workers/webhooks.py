"""Webhook delivery: a dispatcher claims due outbox rows, an actor sends each one.

The outbox (``trust.store.webhooks``) is the source of truth: the dispatcher claims due
rows with a lease and sends their ids to the ``deliver_webhook`` actor; the actor signs the
payload (``trust.webhooks.signed_headers``), posts it and records the answer. A failure
schedules the next attempt with exponential back-off in the row itself, so retries survive
a restart; a row whose worker died mid-send is claimed again when its lease runs out.
Delivery is therefore at least once, with the same ``webhook-id`` every time.
Logs name deliveries by id and status, never their payload.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import dramatiq
import httpx

from trust.settings import Settings
from trust.store import Store, snapshot, transaction
from trust.store import webhooks as outbox
from trust.webhooks import body_of, retry_delay, signed_headers
from workers.actors import retry_policy

log = logging.getLogger(__name__)

DELIVER_WEBHOOK = "deliver_webhook"


def webhook_queue(settings: Settings) -> str:
    """The queue deliveries travel on (beside the events queue)."""
    return f"{settings.worker.queue_name}-webhooks"


def lease(settings: Settings) -> timedelta:
    """How long a claimed delivery is left alone before another dispatcher may claim it."""
    return timedelta(seconds=max(30.0, settings.webhook.timeout_s * 4))


class Deliverer:
    """Sends one outbox row and records what the receiver said."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.client = httpx.Client(timeout=settings.webhook.timeout_s, follow_redirects=False)

    def deliver(self, delivery_id: int) -> str:
        """Attempt delivery ``delivery_id``; returns the row's new status."""
        with snapshot(self.store.engine) as conn:
            row = outbox.delivery(conn, delivery_id)
            sub = outbox.subscription(conn, row.subscription_id) if row else None
        if row is None or sub is None or row.status == outbox.DELIVERED:
            return row.status if row else "missing"
        if not sub.active:
            return row.status
        body = body_of(row.payload)
        status_code: int | None = None
        error = ""
        try:
            answer = self.client.post(
                sub.url,
                content=body,
                headers=signed_headers(sub.secret, row.message_id, body, self.clock()),
            )
            status_code = answer.status_code
            if 200 <= answer.status_code < 300:
                with transaction(self.store.engine) as conn:
                    outbox.record_success(conn, delivery_id, answer.status_code, self.clock())
                return outbox.DELIVERED
            error = f"receiver answered {answer.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        return self._failed(row, status_code, error)

    def _failed(self, row: outbox.Delivery, status_code: int | None, error: str) -> str:
        knobs = self.settings.webhook
        attempts = row.attempts + 1
        retry_at = None
        if attempts < knobs.max_attempts:
            retry_at = self.clock() + retry_delay(
                attempts,
                timedelta(milliseconds=knobs.min_backoff_ms),
                timedelta(milliseconds=knobs.max_backoff_ms),
            )
        with transaction(self.store.engine) as conn:
            disabled = outbox.record_failure(
                conn,
                row.id,
                status_code=status_code,
                error=error,
                retry_at=retry_at,
                disable_after=knobs.disable_after,
            )
        log.warning(
            "webhook delivery failed",
            extra={
                "delivery_id": row.id,
                "subscription_id": row.subscription_id,
                "attempts": attempts,
                "status_code": status_code,
                "will_retry": bool(retry_at),
                "subscription_disabled": disabled,
            },
        )
        return outbox.PENDING if retry_at else outbox.FAILED

    def close(self) -> None:
        """Release the HTTP connections."""
        self.client.close()


def declare_webhook_actor(
    broker: dramatiq.Broker, settings: Settings, deliverer: Callable[[], Deliverer]
) -> dramatiq.Actor[[int], None]:
    """The ``deliver_webhook`` actor; store faults are retried by dramatiq as for events."""

    def deliver_webhook(delivery_id: int) -> None:
        deliverer().deliver(delivery_id)

    return dramatiq.actor(
        actor_name=DELIVER_WEBHOOK,
        queue_name=webhook_queue(settings),
        broker=broker,
        retry_when=retry_policy(settings.worker.max_retries),
    )(deliver_webhook)


def dispatch_due(
    store: Store, settings: Settings, send: Callable[[int], object], now: datetime | None = None
) -> int:
    """Claim the deliveries due now and hand each id to ``send``; returns how many."""
    moment = now or datetime.now(UTC)
    with snapshot(store.engine) as conn:
        if not outbox.any_due(conn, moment):
            return 0
    with transaction(store.engine) as conn:
        ids = outbox.claim_due(conn, moment, lease(settings))
    for delivery_id in ids:
        send(delivery_id)
    return len(ids)


class Dispatcher(threading.Thread):
    """Polls the outbox every ``poll_interval_s`` in a worker process until stopped."""

    def __init__(self, store: Store, settings: Settings, send: Callable[[int], object]) -> None:
        super().__init__(name="webhook-dispatcher", daemon=True)
        self.store = store
        self.settings = settings
        self.send = send
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.settings.webhook.poll_interval_s):
            try:
                dispatch_due(self.store, self.settings, self.send)
            except Exception as exc:  # the next poll tries again; the outbox keeps the rows
                log.warning(
                    "webhook dispatch failed", extra={"error": f"{type(exc).__name__}: {exc}"}
                )

    def stop(self) -> None:
        """Stop polling (rows claimed and not sent are claimed again after their lease)."""
        self.stopping.set()
        self.join(timeout=5)
