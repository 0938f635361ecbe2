"""Batches whose processing killed the worker: counted across deliveries, then isolated.

An exception is handled in the actor (retry, split, dead letter). A worker that dies
instead (a segfault in native code, the out-of-memory killer, SIGKILL, the rules watchdog)
handles nothing: the queue hands the batch to another worker after the heartbeat lapses,
and a batch that kills every worker would do so forever. So each delivery is written down
in Redis when processing starts and forgotten when it ends, by success or by exception;
a count above one means earlier deliveries ended with their worker dead.

After ``crash_retries`` such deliveries the batch is decided one event at a time, the
index of the event in flight written down before each. The next worker to receive it
after another death knows the culprit: it is dead-lettered with ``CRASHED_REASON`` and
the events after it are decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import redis

CRASHED_REASON = "worker died while processing this event"
# Long enough to outlive any redelivery delay; short enough that abandoned entries go.
LEDGER_TTL_S = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery of a message as the ledger saw it begin."""

    message_id: str
    # Deliveries begun without ending since the message was last processed cleanly,
    # this one included.
    starts: int
    # The event (index in the batch) being decided alone when a worker died, if any.
    in_flight: int | None

    @property
    def crashes(self) -> int:
        """Earlier deliveries of this message that ended with their worker dead."""
        return self.starts - 1


class CrashLedger:
    """Per-message delivery counts in Redis: ``<namespace>:deliveries:<message id>``."""

    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.client = client
        self.prefix = f"{namespace}:deliveries:"

    def begin(self, message_id: str) -> Delivery:
        """Count a delivery whose processing starts now."""
        key = self.prefix + message_id
        pipe = self.client.pipeline()
        pipe.hincrby(key, "starts", 1)
        pipe.hget(key, "in_flight")
        pipe.expire(key, LEDGER_TTL_S)
        starts, in_flight, _ = pipe.execute()
        at = cast(bytes | None, in_flight)
        return Delivery(message_id, int(starts), int(at) if at is not None else None)

    def in_flight(self, message_id: str, index: int) -> None:
        """The event at ``index`` is being decided alone now."""
        self.client.hset(self.prefix + message_id, "in_flight", str(index))

    def end(self, message_id: str) -> None:
        """Processing ended without the worker dying: forget the message."""
        self.client.delete(self.prefix + message_id)
