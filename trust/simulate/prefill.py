"""Fill a store with simulated prior history, fast, for benchmarks and profiles.

Scaling figures (per-event CPU at 10k, 100k and 1M prior events) need a store that already
holds that much history. ``prefill`` writes simulated events straight through the store's
batched writes (events, accounts, identifiers; no decisions, no cases), in large
transactions, a world of ``CHUNK_EVENTS`` at a time so memory stays bounded at any size.
Each chunk is its own simulated marketplace (seed ``seed + n``) over the same window, so
the history shares the time range of a stream simulated with the defaults: time-windowed
look-ups see as many rows in range as a store of that size would hold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from trust.events import Event, validate_record
from trust.intake.sinks import store_events
from trust.pii import PiiHasher
from trust.simulate import generate_events
from trust.store import Store, transaction

# Events per simulated world; about 3.2 events per account in a 30-day window.
CHUNK_EVENTS = 100_000
EVENTS_PER_ACCOUNT = 3.2
WRITE_BATCH = 5_000
HISTORY_DAYS = 30
PREFILL_SOURCE = "prefill"


def history_records(count: int, seed: int, days: int = HISTORY_DAYS) -> Iterator[dict[str, Any]]:
    """``count`` simulated raw records, chunk after chunk (each chunk in time order)."""
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    left = count
    chunk = 0
    while left > 0:
        size = min(left, CHUNK_EVENTS)
        accounts = max(10, math.ceil(size / EVENTS_PER_ACCOUNT) + 10)
        produced = 0
        for record, _truth in generate_events(accounts, days, seed + chunk):
            if produced == size:
                break
            yield record
            produced += 1
        left -= produced
        chunk += 1
        if produced == 0:  # pragma: no cover - a world always has events
            raise RuntimeError("the simulator produced no events")


def prefill(
    store: Store,
    hasher: PiiHasher,
    count: int,
    *,
    seed: int = 1_000,
    days: int = HISTORY_DAYS,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Store ``count`` simulated prior events in ``store``; returns how many were new.

    ``seed`` should differ from the stream the benchmark then scores (the default does from
    the bench's 17), so history and stream are different events. ``progress`` is told the
    running total after each write.
    """
    received_at = datetime.now(UTC)
    stored = 0
    batch: list[Event] = []

    def flush() -> None:
        nonlocal stored, batch
        with transaction(store.engine) as conn:
            stored += len(
                store_events(
                    conn, batch, hasher, source=PREFILL_SOURCE, received_at=received_at
                ).fresh
            )
        batch = []
        if progress is not None:
            progress(stored)

    for record in history_records(count, seed, days):
        event = validate_record(record).event
        if event is not None:
            batch.append(event)
        if len(batch) >= WRITE_BATCH:
            flush()
    if batch:
        flush()
    return stored
