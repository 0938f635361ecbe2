"""Nothing lost: real worker processes survive SIGKILL, a Redis restart and a database outage.

Each test streams a simulated marketplace through real worker subprocesses and ends with
the same check: every accepted event has exactly one decision, no subject has two open
cases of one kind, and nothing valid sits in quarantine.

They run on a private redis-server (a real one, on its own port): a run takes several
seconds, and any other test session on the machine FLUSHes the shared test database.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.pool import NullPool

from tests.pipeline_invariants import assert_nothing_lost, counts
from tests.workers.conftest import (
    ThrowawayPostgres,
    ThrowawayRedis,
    WorkerProcesses,
    kill_hard,
)
from tests.workers.helpers import queue_settings, wait_for_count, wait_until
from trust.events import EVENT_KINDS
from trust.settings import Settings
from trust.simulate import generate_events
from trust.store import Store
from trust.store.tables import appeals, decisions, quarantine
from trust.submission import submit
from workers.actors import LazyPipeline, declare_actors
from workers.broker import TrustRedisBroker, build_broker
from workers.wiring import build_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _stream(accounts: int, days: int = 30) -> list[dict[str, Any]]:
    return [record for record, _ in generate_events(accounts, days, seed=11)]


def _scored(records: list[dict[str, Any]]) -> int:
    """How many decisions a stream ends with (dispute party events step disputes instead)."""
    return sum(record["kind"] in EVENT_KINDS for record in records)


def _enqueue(settings: Settings, records: list[dict[str, Any]]) -> TrustRedisBroker:
    broker = build_broker(settings)
    actors = declare_actors(broker, settings, LazyPipeline(lambda: build_pipeline(settings)).get)
    store = Store.from_settings(settings)
    submit(records, sink=actors, store=store, settings=settings)
    store.close()
    return broker


_engines: dict[str, Engine] = {}


def _decided(settings: Settings) -> int:
    """Events handled so far: decisions, appeals with their case, and appeals refused at
    intake (the only quarantine entries a simulated stream makes). One cheap query per table
    on a kept engine: it is polled."""
    url = settings.resolved_database_url
    engine = _engines.get(url) or _engines.setdefault(url, create_engine(url, poolclass=NullPool))
    with engine.connect() as conn:
        return sum(
            int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in (decisions, appeals, quarantine)
        )


def _check(settings: Settings, records: list[dict[str, Any]]) -> None:
    store = Store.from_settings(settings, migrate=False)
    try:
        assert_nothing_lost(store, [r["event_id"] for r in records])
    finally:
        store.close()


def _diagnosis(settings: Settings, broker: TrustRedisBroker, workers: WorkerProcesses) -> str:
    dead = broker.client.zcard(f"{broker.namespace}:dead-letters")
    pending = broker.do_qsize(settings.worker.queue_name)
    store = Store.from_settings(settings, migrate=False)
    try:
        held = counts(store)
    finally:
        store.close()
    problems = [line for line in workers.logs().splitlines() if "batch processed" not in line]
    return f"{held}; dead letters {dead}, unacknowledged {pending}\n" + "\n".join(problems)


def _held_by(broker: TrustRedisBroker, worker_id: str, queue: str) -> int:
    key = f"{broker.namespace}:__acks__.{worker_id}.{queue}"
    return int(broker.client.scard(key))


def test_a_worker_killed_mid_batch_loses_nothing_and_its_batches_come_back(
    settings: Settings, throwaway_redis: ThrowawayRedis, workers: WorkerProcesses
) -> None:
    redis_url = throwaway_redis.url
    # A short heartbeat keeps the test quick; `trust bench pipeline` times the defaults.
    current = queue_settings(settings, redis_url, batch_size=50)
    Store.from_settings(current).close()
    records = _stream(600)
    queue = current.worker.queue_name
    broker = _enqueue(current, records)
    victim = workers.start(current, threads=1)
    heartbeats = f"{broker.namespace}:__heartbeats__"

    def others() -> set[str]:
        return {m.decode() for m in broker.client.zrange(heartbeats, 0, -1)} - {broker.broker_id}

    def deciding_and_holding() -> bool:
        return _decided(current) > 0 and sum(_held_by(broker, v, queue) for v in others()) > 0

    wait_until(deciding_and_holding, 60, "the worker to be mid-stream, holding batches")
    victim_ids = others()

    kill_hard(victim)
    workers.start(current, threads=2)
    wait_until(
        lambda: not victim_ids & {m.decode() for m in broker.client.zrange(heartbeats, 0, -1)},
        60,
        "the killed worker's batches to be requeued",
    )
    wait_for_count(
        lambda: _decided(current),
        _scored(records),
        "every event decided",
        lambda: _diagnosis(current, broker, workers),
    )

    _check(current, records)
    broker.close()


def test_a_redis_restart_during_a_run_is_survived_without_manual_action(
    settings: Settings, throwaway_redis: ThrowawayRedis, workers: WorkerProcesses
) -> None:
    current = queue_settings(settings, throwaway_redis.url, batch_size=50, max_retries=30)
    Store.from_settings(current).close()
    records = _stream(400)
    broker = _enqueue(current, records)
    workers.start(current, threads=1)
    wait_until(lambda: _decided(current) > 0, 60, "the worker to start deciding")

    assert _decided(current) < _scored(records), "the run ended before Redis was restarted"
    throwaway_redis.stop()
    time.sleep(2)
    throwaway_redis.start()

    wait_for_count(
        lambda: _decided(current),
        _scored(records),
        "every event decided",
        lambda: _diagnosis(current, broker, workers),
    )
    _check(current, records)
    broker.close()


def test_a_database_outage_is_retried_until_every_event_is_decided(
    settings: Settings,
    throwaway_redis: ThrowawayRedis,
    throwaway_postgres: ThrowawayPostgres,
    workers: WorkerProcesses,
) -> None:
    redis_url = throwaway_redis.url
    current = queue_settings(settings, redis_url, batch_size=50, max_retries=30)
    current = current.model_copy(update={"database_url": throwaway_postgres.url})
    Store.from_settings(current).close()
    records = _stream(400)
    broker = _enqueue(current, records)
    workers.start(current, threads=1)
    wait_until(lambda: _decided(current) > 0, 60, "the worker to start deciding")

    assert _decided(current) < _scored(records), "the run ended before the outage"
    throwaway_postgres.stop()
    time.sleep(4)
    throwaway_postgres.start()

    wait_for_count(
        lambda: _decided(current),
        _scored(records),
        "every event decided",
        lambda: _diagnosis(current, broker, workers),
    )
    _check(current, records)
    assert broker.client.zcard(f"{broker.namespace}:dead-letters") == 0
    broker.close()


@pytest.mark.postgres
def test_two_worker_processes_share_one_stream_on_postgresql_without_duplicates(
    settings: Settings,
    throwaway_redis: ThrowawayRedis,
    postgres_store: Store,
    workers: WorkerProcesses,
) -> None:
    redis_url = throwaway_redis.url
    current = queue_settings(settings, redis_url, batch_size=25, max_retries=30)
    current = current.model_copy(
        update={"database_url": postgres_store.engine.url.render_as_string(hide_password=False)}
    )
    records = _stream(300)
    broker = _enqueue(current, records)

    workers.start(current, threads=2)
    workers.start(current, threads=2)

    wait_for_count(
        lambda: _decided(current),
        _scored(records),
        "every event decided",
        lambda: _diagnosis(current, broker, workers),
    )
    broker.join(current.worker.queue_name, timeout=30_000)
    _check(current, records)
    held = counts(postgres_store)
    assert held.events + held.quarantined == len(records)
    assert redis.Redis.from_url(redis_url).zcard(f"{broker.namespace}:dead-letters") == 0
    broker.close()
