"""A read-only view of the queue's dead letters, for staff screens that must not import workers.

The workers record each rejected batch in Redis (``workers/dead_letters.py``): a sorted set
``<namespace>:dead-letters`` of message ids by failure time, and a hash
``<namespace>:dead-letters.msgs`` of JSON bodies. This module reads the same two keys and
never writes; replaying stays with ``trust dlq``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import redis

from trust.errors import QueueUnavailableError


def index_key(namespace: str) -> str:
    """The sorted set of dead-letter ids, oldest failure first."""
    return f"{namespace}:dead-letters"


def bodies_key(namespace: str) -> str:
    """The hash of dead-letter bodies by id."""
    return f"{namespace}:dead-letters.msgs"


@dataclass(frozen=True, slots=True)
class DeadLetterSummary:
    """One rejected batch as staff see it: how many records, which events, and the error."""

    id: str
    actor_name: str
    records: int
    event_ids: list[str]
    error: str
    failed_at: datetime
    retries: int


def _summary(letter_id: str, body: dict[str, Any]) -> DeadLetterSummary:
    records = body.get("records") or []
    return DeadLetterSummary(
        id=letter_id,
        actor_name=str(body.get("actor_name", "")),
        records=len(records),
        event_ids=[
            str(r["event_id"]) for r in records if isinstance(r, dict) and r.get("event_id")
        ],
        error=str(body.get("error", "")),
        failed_at=datetime.fromtimestamp(float(body.get("failed_at", 0)), UTC),
        retries=int(body.get("retries", 0)),
    )


def list_dead_letters(
    redis_url: str, namespace: str, *, limit: int = 100
) -> tuple[int, list[DeadLetterSummary]]:
    """How many batches are dead-lettered, and the newest ``limit`` of them.

    Raises QueueUnavailableError when Redis cannot be reached.
    """
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
    try:
        total = int(client.zcard(index_key(namespace)))  # type: ignore[arg-type]
        newest = cast(list[bytes], client.zrevrange(index_key(namespace), 0, limit - 1))
        ids = [i.decode() for i in newest]
        bodies = client.hmget(bodies_key(namespace), ids) if ids else []
    except redis.RedisError as exc:
        raise QueueUnavailableError(f"the queue's Redis is not reachable: {exc}") from exc
    finally:
        client.close()
    letters = [
        _summary(letter_id, json.loads(body))
        for letter_id, body in zip(ids, bodies, strict=True)  # type: ignore[arg-type]
        if body
    ]
    return total, letters
