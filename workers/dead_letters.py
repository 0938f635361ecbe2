"""The dead-letter queue: batches that still fail, kept in Redis with their error until replayed.

dramatiq moves a failed message to its own ``.XQ`` set, but stores the message as it was
first enqueued, without the error. We record our own entry, with the error and traceback,
when dramatiq rejects a message, so staff can see why and replay it after a fix.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, cast

import dramatiq
import redis
from dramatiq.errors import ConnectionClosed
from dramatiq.middleware import Middleware

from trust.dead_letters import bodies_key, index_key


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One rejected message: its records, the actor, the error and when it failed."""

    id: str
    actor_name: str
    queue_name: str
    records: list[Any]
    error: str
    traceback: str
    failed_at: float
    retries: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``trust dlq list --json``."""
        return {
            "id": self.id,
            "actor_name": self.actor_name,
            "queue_name": self.queue_name,
            "records": len(self.records),
            "event_ids": [r.get("event_id") for r in self.records if isinstance(r, dict)],
            "error": self.error,
            "failed_at": self.failed_at,
            "retries": self.retries,
        }


class DeadLetters:
    """Our dead-letter entries in Redis: a time-ordered index plus a hash of JSON bodies."""

    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.client = client
        # Key names live in trust.dead_letters, which the dashboard reads without workers/.
        self.index = index_key(namespace)
        self.bodies = bodies_key(namespace)

    def add(self, message: dramatiq.Message[Any], error: str) -> None:
        """Keep a rejected message with its error."""
        self.add_records(
            message.message_id,
            actor_name=message.actor_name,
            queue_name=message.queue_name.removesuffix(".DQ"),
            records=list(message.args[0]) if message.args else [],
            error=error,
            traceback=str(message.options.get("traceback", "")),
            retries=int(message.options.get("retries", 0)),
        )

    def add_records(
        self,
        letter_id: str,
        *,
        actor_name: str,
        queue_name: str,
        records: list[Any],
        error: str,
        traceback: str = "",
        retries: int = 0,
    ) -> None:
        """Keep ``records`` with their error under ``letter_id`` (the same id twice: once)."""
        failed_at = time.time()
        body = {
            "actor_name": actor_name,
            "queue_name": queue_name,
            "records": records,
            "error": error,
            "traceback": traceback,
            "failed_at": failed_at,
            "retries": retries,
        }
        pipe = self.client.pipeline()
        pipe.hset(self.bodies, letter_id, json.dumps(body, default=str))
        pipe.zadd(self.index, {letter_id: failed_at})
        pipe.execute()

    def list(self, limit: int = 100) -> list[DeadLetter]:
        """Dead letters, oldest first."""
        ids = [i.decode() for i in cast(list[bytes], self.client.zrange(self.index, 0, limit - 1))]
        if not ids:
            return []
        bodies = cast(list[bytes | None], self.client.hmget(self.bodies, ids))
        return [DeadLetter(id=i, **json.loads(b)) for i, b in zip(ids, bodies, strict=True) if b]

    def count(self) -> int:
        """How many batches are dead-lettered."""
        return int(cast(int, self.client.zcard(self.index)))

    def remove(self, letter_id: str) -> None:
        """Forget a dead letter (after it was replayed)."""
        pipe = self.client.pipeline()
        pipe.zrem(self.index, letter_id)
        pipe.hdel(self.bodies, letter_id)
        pipe.execute()


class DeadLetterRecorder(Middleware):
    """Records every message dramatiq rejects (retries exhausted or a poison event)."""

    def before_nack(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        # Before dramatiq's own nack: if Redis is down, ConnectionClosed makes the worker
        # retry the whole rejection, so the error is never lost between the two writes.
        client = getattr(broker, "client", None)
        namespace = getattr(broker, "namespace", "dramatiq")
        if client is None:
            return
        try:
            DeadLetters(client, namespace).add(message._message, _last_line(message))
        except redis.ConnectionError as exc:
            raise ConnectionClosed(exc) from None


def _last_line(message: dramatiq.MessageProxy) -> str:
    lines = str(message.options.get("traceback", "")).strip().splitlines()
    return lines[-1] if lines else "rejected"
