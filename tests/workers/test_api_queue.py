"""The API in front of the workers' queue: batches queued on Redis, decided by a worker;
Redis gone means 503 problems and a readiness check that says so."""

from __future__ import annotations

from typing import cast

import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import review_payload
from tests.workers.conftest import ThrowawayRedis
from tests.workers.helpers import queue_settings, running_worker, wait_until
from trust.api import create_app
from trust.events import ReviewEvent, event_adapter
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.api_keys import create_api_key
from trust.store.events import load_events
from trust.store.sealed import SEALED_KEY
from trust.store.tables import decisions
from workers.actors import LazyPipeline, declare_actors
from workers.broker import build_broker
from workers.serve import BrokerSink, api_context
from workers.wiring import build_pipeline


def test_batches_go_through_the_queue_and_a_lost_redis_is_a_503(
    settings: Settings, throwaway_redis: ThrowawayRedis
) -> None:
    queued = queue_settings(settings, throwaway_redis.url)
    Store.from_settings(queued).close()
    context = api_context(queued)
    assert isinstance(context.sink, BrokerSink)
    with transaction(context.store.engine) as conn:
        token = create_api_key(conn, "shop", {"events:write"}, created_by="tests").token
    headers = {"Authorization": f"Bearer {token}"}
    client = TestClient(create_app(context), raise_server_exceptions=False)
    events = [review_payload() for _ in range(29)]
    # Sent as written (padded text, an amount as a number): the queue carries the record as
    # the client sent it, personal fields sealed, and the worker stores the validated form.
    padded = review_payload(
        text="  Fine work overall, paid on time.  ", amount_paid={"amount": 80, "currency": "USD"}
    )
    events.append(padded)

    answer = client.post("/v1/events", json={"events": events}, headers=headers)
    assert answer.status_code == 202 and answer.json()["accepted"] == 30
    client_of_redis = redis.Redis.from_url(throwaway_redis.url)
    bodies: list[bytes] = []
    for key in client_of_redis.scan_iter(f"{queued.worker.redis_namespace}*"):
        if client_of_redis.type(key) == b"hash":
            bodies += cast(list[bytes], client_of_redis.hvals(key))
    queued_text = b"".join(bodies)
    client_of_redis.close()
    assert b"198.51.100.7" not in queued_text and b"Fine work overall" not in queued_text
    assert SEALED_KEY.encode() in queued_text
    assert client.get("/readyz").json()["checks"]["redis"] == "ok"

    broker = build_broker(queued)
    declare_actors(broker, queued, LazyPipeline(lambda: build_pipeline(queued)).get)

    def decided() -> int:
        with context.store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(decisions)).scalar_one())

    with running_worker(broker):
        wait_until(lambda: decided() == 30, 30, "the worker deciding the queued batch")
    with context.store.engine.connect() as conn:
        (stored,) = load_events(conn, [padded["event_id"]])
    assert stored == event_adapter.validate_python(padded)
    assert isinstance(stored, ReviewEvent) and stored.text == "Fine work overall, paid on time."
    broker.close()

    throwaway_redis.stop()
    down = client.post("/v1/events", json={"events": [review_payload()]}, headers=headers)
    assert down.status_code == 503, down.text
    assert down.headers["content-type"] == "application/problem+json"
    assert down.headers["retry-after"] == "1"
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["redis"].startswith("unavailable")
    context.store.close()
