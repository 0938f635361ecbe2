"""The read-only view of the queue's dead letters."""

from __future__ import annotations

import json

import pytest
import redis

from trust.dead_letters import bodies_key, index_key, list_dead_letters
from trust.errors import QueueUnavailableError


def test_dead_letters_are_listed_newest_first_with_their_error(redis_url) -> None:
    client = redis.Redis.from_url(redis_url)
    for n in range(3):
        body = {
            "actor_name": "decide_batch",
            "records": [{"event_id": f"e-{n}"}, {"x": 1}],
            "error": f"error {n}",
            "failed_at": 1000.0 + n,
            "retries": n,
        }
        client.hset(bodies_key("ns"), f"m-{n}", json.dumps(body))
        client.zadd(index_key("ns"), {f"m-{n}": 1000.0 + n})
    total, letters = list_dead_letters(redis_url, "ns", limit=2)
    assert total == 3
    assert [(d.id, d.error, d.records, d.event_ids) for d in letters] == [
        ("m-2", "error 2", 2, ["e-2"]),
        ("m-1", "error 1", 2, ["e-1"]),
    ]


def test_no_dead_letters_is_an_empty_list(redis_url) -> None:
    assert list_dead_letters(redis_url, "empty") == (0, [])


def test_an_unreachable_queue_is_reported_not_raised_raw() -> None:
    with pytest.raises(QueueUnavailableError, match="not reachable"):
        list_dead_letters("redis://127.0.0.1:1/0", "ns")
