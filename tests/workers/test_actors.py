"""The process_events actor on the real Redis: batches decided, faults retried, poison isolated."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import pytest
import redis
from sqlalchemy import select

from tests.factories import review_payload
from tests.pipeline_invariants import assert_nothing_lost, counts
from tests.workers.conftest import ThrowawayRedis
from tests.workers.helpers import queue_settings, running_worker, wait_until
from trust.decisions import Decision
from trust.errors import TransientStoreError
from trust.events import Event
from trust.pii import PiiHasher
from trust.pipeline import Pipeline
from trust.settings import Settings
from trust.store import Store
from trust.store.tables import quarantine
from trust.submission import submit
from workers.actors import Actors, declare_actors
from workers.broker import TrustRedisBroker, build_broker
from workers.crashes import CRASHED_REASON, CrashLedger
from workers.dlq import dead_letters, replay_dead_letters
from workers.wiring import build_pipeline

pytestmark = pytest.mark.redis


class FlakyScorer:
    """The real scorer, but raising for chosen event ids (poison) or the first N calls."""

    def __init__(self, real: Any, poison: set[str], transient_failures: int = 0) -> None:
        self.real = real
        self.poison = poison
        self.transient_failures = transient_failures
        self.calls = 0

    def score_batch(
        self, conn: Any, events: Sequence[Event], hasher: PiiHasher, now: datetime
    ) -> list[Decision]:
        self.calls += 1
        if self.calls <= self.transient_failures:
            raise TransientStoreError("database is locked")
        bad = [e.event_id for e in events if e.event_id in self.poison]
        if bad:
            raise ValueError(f"cannot score {bad[0]}")
        return self.real.score_batch(conn, events, hasher, now)  # type: ignore[no-any-return]


@pytest.fixture
def queued(settings: Settings, redis_url: str) -> Settings:
    return queue_settings(settings, redis_url)


@pytest.fixture
def broker(queued: Settings) -> Iterator[TrustRedisBroker]:
    broker = build_broker(queued)
    yield broker
    broker.close()


def _actors(broker: TrustRedisBroker, settings: Settings, pipeline: Pipeline) -> Actors:
    return declare_actors(broker, settings, lambda: pipeline)


def test_events_submitted_to_the_queue_are_decided_by_a_worker(
    broker: TrustRedisBroker, queued: Settings, sqlite_store: Store
) -> None:
    actors = _actors(broker, queued, build_pipeline(queued, sqlite_store))
    records = [review_payload() for _ in range(120)] + [{"kind": "review", "rating": 3}]

    result = submit(records, sink=actors, store=sqlite_store, settings=queued)
    with running_worker(broker):
        broker.join(queued.worker.queue_name, timeout=30_000)

    assert (result.queued, result.quarantined, result.batches) == (120, 1, 3)
    assert counts(sqlite_store).decisions == 120
    assert_nothing_lost(sqlite_store, [r["event_id"] for r in records[:-1]])


def test_poison_events_are_split_out_dead_lettered_or_quarantined_with_their_reason(
    broker: TrustRedisBroker, queued: Settings, store: Store
) -> None:
    records: list[Any] = [review_payload() for _ in range(40)]
    poison = records[17]["event_id"]
    records[30] = {**review_payload(), "rating": "ten"}
    pipeline = build_pipeline(queued, store)
    pipeline.scorer = FlakyScorer(pipeline.scorer, {poison})
    actors = _actors(broker, queued, pipeline)

    actors.send_batch(records)
    with running_worker(broker):
        broker.join(queued.worker.queue_name, timeout=30_000)

    accepted = [r["event_id"] for i, r in enumerate(records) if r["event_id"] != poison and i != 30]
    assert_nothing_lost(store, accepted)
    letters = dead_letters(queued).list()
    assert [[r["event_id"] for r in d.records] for d in letters] == [[poison]]
    assert f"cannot score {poison}" in letters[0].error
    with store.engine.connect() as conn:
        held = conn.execute(select(quarantine.c.event_id, quarantine.c.reason)).all()
    assert [(h.event_id, "rating" in h.reason) for h in held] == [(records[30]["event_id"], True)]


def test_transient_store_errors_are_retried_until_the_batch_goes_through(
    broker: TrustRedisBroker, queued: Settings, sqlite_store: Store
) -> None:
    records = [review_payload() for _ in range(10)]
    pipeline = build_pipeline(queued, sqlite_store)
    flaky = FlakyScorer(pipeline.scorer, set(), transient_failures=3)
    pipeline.scorer = flaky
    actors = _actors(broker, queued, pipeline)

    actors.send_batch(records)
    with running_worker(broker):
        wait_until(lambda: counts(sqlite_store).decisions == 10, 30, "the retried batch")

    assert flaky.calls == 4
    assert dead_letters(queued).count() == 0


def test_replaying_a_dead_letter_after_the_fix_decides_its_events(
    broker: TrustRedisBroker, queued: Settings, sqlite_store: Store
) -> None:
    record = review_payload()
    pipeline = build_pipeline(queued, sqlite_store)
    flaky = FlakyScorer(pipeline.scorer, {record["event_id"]})
    pipeline.scorer = flaky
    _actors(broker, queued, pipeline).send_batch([record])
    with running_worker(broker):
        wait_until(lambda: dead_letters(queued).count() == 1, 30, "the dead letter")

        flaky.poison.clear()  # "the fix"
        replayed = replay_dead_letters(queued, None)
        wait_until(lambda: counts(sqlite_store).decisions == 1, 30, "the replayed event")

    assert replayed == 1
    assert dead_letters(queued).count() == 0


def test_the_broker_keeps_its_keys_in_its_own_namespace(
    broker: TrustRedisBroker, queued: Settings, sqlite_store: Store, redis_url: str
) -> None:
    _actors(broker, queued, build_pipeline(queued, sqlite_store)).send_batch([review_payload()])

    keys = redis.Redis.from_url(redis_url).keys("*")

    assert keys
    assert all(k.decode().startswith(queued.worker.redis_namespace + ":") for k in keys)


def test_connect_wires_trust_submit_to_the_queue(queued: Settings) -> None:
    import trust
    import workers
    from trust.submission import use_sink

    store = Store.from_settings(queued)
    actors = workers.connect(queued)
    try:
        result = trust.submit([review_payload(), review_payload()], store=store, settings=queued)
    finally:
        use_sink(None)
    broker = actors.process_events.broker
    with running_worker(broker):
        broker.join(queued.worker.queue_name, timeout=30_000)  # type: ignore[attr-defined]
    broker.close()

    assert result.queued == 2
    assert counts(store).decisions == 2
    store.close()


def test_a_batch_that_killed_its_workers_is_decided_one_event_at_a_time(
    settings: Settings, throwaway_redis: ThrowawayRedis, sqlite_store: Store
) -> None:
    # The worker deaths are set up as earlier deliveries left them: the crash retries
    # spent, and a one-by-one pass that decided events 0-4 and died at event 5. On a
    # private Redis: another test session's FLUSHDB of the shared one would erase them.
    queued = queue_settings(settings, throwaway_redis.url)
    broker = build_broker(queued)
    records = [review_payload() for _ in range(12)]
    poison = records[8]["event_id"]
    pipeline = build_pipeline(queued, sqlite_store)
    for record in records[:5]:
        pipeline.process([record])
    pipeline.scorer = FlakyScorer(pipeline.scorer, {poison})
    actors = _actors(broker, queued, pipeline)
    message = actors.process_events.message(records)
    ledger = CrashLedger(broker.client, broker.namespace)
    for _ in range(queued.worker.crash_retries + 1):
        ledger.begin(message.message_id)
    ledger.in_flight(message.message_id, 5)

    broker.enqueue(message)
    with running_worker(broker):
        broker.join(queued.worker.queue_name, timeout=30_000)

    culprit = records[5]["event_id"]
    decided = [r["event_id"] for r in records if r["event_id"] not in {culprit, poison}]
    assert_nothing_lost(sqlite_store, decided)
    assert counts(sqlite_store).decisions == len(decided)
    letters = {d.records[0]["event_id"]: d.error for d in dead_letters(queued).list()}
    assert letters[culprit] == CRASHED_REASON
    assert f"cannot score {poison}" in letters[poison]
    assert len(letters) == 2
    assert broker.client.exists(ledger.prefix + message.message_id) == 0
    broker.close()
