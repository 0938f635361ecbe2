"""Webhook subscriptions and the delivery outbox (one row per subscription and message).

Rows are written in the transaction of the change they report (``trust.webhooks.emit``),
so a committed change always has its messages and a rolled-back one never does. Workers
claim due rows with a lease: a worker that dies mid-delivery leaves the row to be claimed
again when the lease runs out (at least once; receivers deduplicate by ``message_id``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from trust.store.database import insert_ignoring_duplicates
from trust.store.tables import webhook_deliveries, webhook_subscriptions

PENDING = "pending"
SENDING = "sending"
DELIVERED = "delivered"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Subscription:
    """Where to send which event types, with the secret payloads are signed with."""

    id: int
    url: str
    event_types: tuple[str, ...]
    secret: str
    active: bool
    consecutive_failures: int
    disabled_reason: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to one subscription, and how its delivery is going."""

    id: int
    message_id: str
    subscription_id: int
    event_type: str
    payload: dict[str, Any]
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class Message:
    """A change to report: ``message_id`` is stable, so receivers can deduplicate."""

    message_id: str
    event_type: str
    payload: dict[str, Any]


def _subscription(row: Any) -> Subscription:
    return Subscription(
        row.id,
        row.url,
        tuple(row.event_types),
        row.secret,
        row.active,
        row.consecutive_failures,
        row.disabled_reason,
        row.created_at,
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        row.id,
        row.message_id,
        row.subscription_id,
        row.event_type,
        row.payload,
        row.status,
        row.attempts,
        row.created_at,
        row.next_attempt_at,
        row.delivered_at,
        row.last_status_code,
        row.last_error,
    )


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form (``whsec_`` + base64 of 32 bytes)."""
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def add_subscription(
    conn: Connection, url: str, event_types: Sequence[str], now: datetime | None = None
) -> Subscription:
    """Store an active subscription with a fresh secret."""
    row = conn.execute(
        insert(webhook_subscriptions)
        .values(
            url=url,
            event_types=sorted(set(event_types)),
            secret=new_secret(),
            active=True,
            consecutive_failures=0,
            created_at=now or datetime.now(UTC),
        )
        .returning(*webhook_subscriptions.c)
    ).one()
    return _subscription(row)


def subscriptions(conn: Connection) -> list[Subscription]:
    """Every subscription, oldest first."""
    return [
        _subscription(r)
        for r in conn.execute(select(webhook_subscriptions).order_by(webhook_subscriptions.c.id))
    ]


def subscription(conn: Connection, subscription_id: int) -> Subscription | None:
    """One subscription, or None."""
    row = conn.execute(
        select(webhook_subscriptions).where(webhook_subscriptions.c.id == subscription_id)
    ).first()
    return _subscription(row) if row is not None else None


def set_active(
    conn: Connection, subscription_id: int, active: bool, reason: str | None = None
) -> bool:
    """Enable (resetting the failure count) or disable a subscription; False if unknown."""
    values: dict[str, Any] = {"active": active, "disabled_reason": None if active else reason}
    if active:
        values["consecutive_failures"] = 0
    done = conn.execute(
        update(webhook_subscriptions)
        .where(webhook_subscriptions.c.id == subscription_id)
        .values(**values)
    )
    return done.rowcount == 1


def enqueue(conn: Connection, messages: Sequence[Message], now: datetime) -> int:
    """Outbox rows for every active subscription to each message's type; returns rows added.

    A message already queued for a subscription (same ``message_id``) is not queued twice.
    """
    if not messages:
        return 0
    subs = conn.execute(
        select(webhook_subscriptions.c.id, webhook_subscriptions.c.event_types).where(
            webhook_subscriptions.c.active.is_(True)
        )
    ).all()
    rows = [
        {
            "message_id": m.message_id,
            "subscription_id": sub.id,
            "event_type": m.event_type,
            "payload": m.payload,
            "status": PENDING,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        for m in messages
        for sub in subs
        if m.event_type in sub.event_types
    ]
    return insert_ignoring_duplicates(
        conn, webhook_deliveries, rows, ["subscription_id", "message_id"]
    )


def _due(now: datetime) -> Any:
    return (
        webhook_deliveries.c.status.in_([PENDING, SENDING]),
        webhook_deliveries.c.next_attempt_at <= now,
    )


def any_due(conn: Connection, now: datetime) -> bool:
    """Whether some delivery is due (a read, so idle polling takes no write lock)."""
    return (
        conn.execute(select(webhook_deliveries.c.id).where(*_due(now)).limit(1)).first() is not None
    )


def claim_due(conn: Connection, now: datetime, lease: timedelta, limit: int = 100) -> list[int]:
    """Mark up to ``limit`` due deliveries as being sent (until ``now + lease``)."""
    query = (
        select(webhook_deliveries.c.id)
        .where(*_due(now))
        .order_by(webhook_deliveries.c.next_attempt_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(conn.execute(query).scalars())
    if ids:
        conn.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id.in_(ids))
            .values(status=SENDING, next_attempt_at=now + lease)
        )
    return ids


def delivery(conn: Connection, delivery_id: int) -> Delivery | None:
    """One outbox row, or None."""
    row = conn.execute(
        select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
    ).first()
    return _delivery(row) if row is not None else None


def deliveries(
    conn: Connection,
    *,
    subscription_id: int | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[Delivery]:
    """The delivery log, newest first."""
    query = select(webhook_deliveries).order_by(webhook_deliveries.c.id.desc()).limit(limit)
    if subscription_id is not None:
        query = query.where(webhook_deliveries.c.subscription_id == subscription_id)
    if status is not None:
        query = query.where(webhook_deliveries.c.status == status)
    return [_delivery(r) for r in conn.execute(query)]


def record_success(conn: Connection, delivery_id: int, status_code: int, now: datetime) -> None:
    """The receiver took it: the row is done and its subscription's failure count resets."""
    row = conn.execute(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.id == delivery_id)
        .values(
            status=DELIVERED,
            delivered_at=now,
            last_status_code=status_code,
            last_error=None,
            attempts=webhook_deliveries.c.attempts + 1,
        )
        .returning(webhook_deliveries.c.subscription_id)
    ).first()
    if row is not None:
        conn.execute(
            update(webhook_subscriptions)
            .where(webhook_subscriptions.c.id == row.subscription_id)
            .values(consecutive_failures=0)
        )


def record_failure(
    conn: Connection,
    delivery_id: int,
    *,
    status_code: int | None,
    error: str,
    retry_at: datetime | None,
    disable_after: int,
) -> bool:
    """A failed attempt: retry at ``retry_at``, or give up (None). Returns True when the
    subscription was disabled because it reached ``disable_after`` consecutive failures."""
    row = conn.execute(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.id == delivery_id)
        .values(
            status=PENDING if retry_at else FAILED,
            next_attempt_at=retry_at or webhook_deliveries.c.next_attempt_at,
            last_status_code=status_code,
            last_error=error[:500],
            attempts=webhook_deliveries.c.attempts + 1,
        )
        .returning(webhook_deliveries.c.subscription_id)
    ).first()
    if row is None:
        return False
    failures = conn.execute(
        update(webhook_subscriptions)
        .where(webhook_subscriptions.c.id == row.subscription_id)
        .values(consecutive_failures=(webhook_subscriptions.c.consecutive_failures + 1))
        .returning(webhook_subscriptions.c.consecutive_failures, webhook_subscriptions.c.active)
    ).first()
    if failures is None or not failures.active or failures.consecutive_failures < disable_after:
        return False
    set_active(
        conn,
        row.subscription_id,
        False,
        f"{failures.consecutive_failures} consecutive failed deliveries",
    )
    return True


def replay(conn: Connection, delivery_ids: Sequence[int], now: datetime) -> int:
    """Send these deliveries again now (whatever their state); returns rows re-queued."""
    if not delivery_ids:
        return 0
    done = conn.execute(
        update(webhook_deliveries)
        .where(
            webhook_deliveries.c.id.in_(list(delivery_ids)),
            or_(
                webhook_deliveries.c.status != SENDING, webhook_deliveries.c.next_attempt_at <= now
            ),
        )
        .values(status=PENDING, next_attempt_at=now)
    )
    return done.rowcount
