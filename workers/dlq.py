"""Operations on the dead-letter queue behind ``trust dlq list`` and ``trust dlq replay``."""

from __future__ import annotations

from collections.abc import Sequence

import redis

from trust.settings import Settings
from workers.actors import LazyPipeline, declare_actors
from workers.broker import build_broker, redis_url_of
from workers.dead_letters import DeadLetters

REPLAY_LIMIT = 100_000


def dead_letters(settings: Settings) -> DeadLetters:
    """The dead letters of the configured queue."""
    client = redis.Redis.from_url(redis_url_of(settings))
    return DeadLetters(client, settings.worker.redis_namespace)


def replay_dead_letters(settings: Settings, ids: Sequence[str] | None) -> int:
    """Re-enqueue dead-lettered batches (all when ``ids`` is None); returns how many."""
    from workers.wiring import build_pipeline

    broker = build_broker(settings)
    try:
        actors = declare_actors(
            broker, settings, LazyPipeline(lambda: build_pipeline(settings)).get
        )
        letters = DeadLetters(broker.client, settings.worker.redis_namespace)
        wanted = set(ids) if ids is not None else None
        replayed = 0
        for letter in letters.list(REPLAY_LIMIT):
            if wanted is not None and letter.id not in wanted:
                continue
            # Enqueue first, forget second: a crash in between replays twice, harmlessly.
            actors.send_batch(letter.records)
            letters.remove(letter.id)
            replayed += 1
        return replayed
    finally:
        broker.close()
