"""Queue messages, dead letters and worker logs carry no personal value in clear."""

from __future__ import annotations

import logging

import pytest
import redis

from tests.factories import review_payload
from tests.workers.helpers import queue_settings, running_worker
from tests.workers.test_actors import FlakyScorer
from trust.settings import Settings
from trust.store import Store
from workers.actors import declare_actors
from workers.broker import build_broker
from workers.dlq import dead_letters
from workers.wiring import build_pipeline

pytestmark = pytest.mark.redis

EMAIL = "poison.person@example.org"
PHONE = "+447700900555"


def _everything_in(client: redis.Redis, prefix: str) -> bytes:
    out = b""
    for key in client.scan_iter(f"{prefix}*"):
        kind = client.type(key)
        if kind == b"hash":
            out += b"".join(client.hvals(key))
        elif kind == b"list":
            out += b"".join(client.lrange(key, 0, -1))
        elif kind == b"zset":
            out += b"".join(client.zrange(key, 0, -1))
        elif kind == b"string":
            out += client.get(key) or b""
    return out


def test_a_poison_event_leaves_no_clear_identifier_in_redis_or_the_logs(
    settings: Settings, redis_url: str, sqlite_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    queued = queue_settings(settings, redis_url)
    broker = build_broker(queued)
    records = [review_payload(text=f"pay me at {EMAIL} or {PHONE}") for _ in range(4)]
    poison = records[2]["event_id"]
    pipeline = build_pipeline(queued, sqlite_store)
    pipeline.scorer = FlakyScorer(pipeline.scorer, {poison})
    actors = declare_actors(broker, queued, lambda: pipeline)
    try:
        actors.send_batch(records)
        queued_bytes = _everything_in(broker.client, queued.worker.redis_namespace)
        with caplog.at_level(logging.DEBUG), running_worker(broker):
            broker.join(queued.worker.queue_name, timeout=30_000)
        letters = dead_letters(queued).list()
        kept = _everything_in(broker.client, queued.worker.redis_namespace)
    finally:
        broker.close()

    assert [[r["event_id"] for r in d.records] for d in letters] == [[poison]]
    logged = "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    assert poison in logged  # the logs name the event...
    for value in (EMAIL, PHONE):  # ...never what it said
        assert value.encode() not in queued_bytes
        assert value.encode() not in kept
        assert value not in logged
