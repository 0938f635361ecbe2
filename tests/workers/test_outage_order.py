"""Order-proof: a 15 s store outage mid-stream changes no decision.

The same simulated file is decided twice: by a real worker process into a throwaway
PostgreSQL cluster that is stopped for 15 s mid-stream, and, during that outage, undisturbed
in this process, batch after batch in file order, into a SQLite file (the store gives the
same decisions on either database). The worker
must hold its batch while the store is away (the breaker, ``workers/breaker.py``) instead
of sending it to the back of the queue, so every event is decided with the same history
and the two runs end with the same outcome and score for every event. Its log names held
batches by event id and stays small: no payload is ever logged.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from tests.workers.conftest import ThrowawayPostgres, ThrowawayRedis, WorkerProcesses
from tests.workers.helpers import queue_settings, wait_for_count, wait_until
from tests.workers.test_reliability import _check, _decided, _diagnosis, _enqueue, _scored
from trust.settings import Settings
from trust.simulate import generate_events
from trust.store import Store
from trust.store.tables import decisions
from workers.wiring import build_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

OUTAGE_S = 15
HELD = "store unreachable; holding the batch in place"


def _outcomes(url: str) -> dict[str, tuple[str, float]]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(decisions.c.event_id, decisions.c.outcome, decisions.c.risk_score)
            ).all()
    finally:
        engine.dispose()
    return {event_id: (outcome, float(score)) for event_id, outcome, score in rows}


def _undisturbed(settings: Settings, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The reference: the file decided batch by batch in order, as one worker would."""
    pipeline = build_pipeline(settings, Store.from_settings(settings))
    size = settings.worker.batch_size
    try:
        for start in range(0, len(records), size):
            pipeline.process(records[start : start + size])
    finally:
        pipeline.store.close()
    return _outcomes(settings.resolved_database_url)


def test_a_store_outage_mid_stream_gives_the_outcomes_of_an_undisturbed_run(
    settings: Settings,
    tmp_path: Path,
    throwaway_redis: ThrowawayRedis,
    throwaway_postgres: ThrowawayPostgres,
    workers: WorkerProcesses,
) -> None:
    records = [record for record, _ in generate_events(300, 30, seed=13)]
    current = queue_settings(
        settings, throwaway_redis.url, batch_size=50, max_retries=3, max_backoff_ms=2_000
    )
    undisturbed = current.model_copy(update={"database_url": f"sqlite:///{tmp_path}/ref.db"})
    current = current.model_copy(update={"database_url": throwaway_postgres.url})
    Store.from_settings(current).close()
    broker = _enqueue(current, records)
    workers.start(current, threads=1)
    # Early, so that a fast machine is still mid-stream when the store goes away.
    wait_until(lambda: _decided(current) >= 50, 60, "the first batch decided")
    assert _decided(current) < _scored(records), "the run ended before the outage"

    throwaway_postgres.stop()
    down_at = time.monotonic()
    # The outage leaves this process idle: the reference run uses the time.
    reference = _undisturbed(undisturbed, records)
    assert len(reference) == _scored(records)
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))
    throwaway_postgres.start()
    wait_for_count(
        lambda: _decided(current),
        _scored(records),
        "every event decided",
        lambda: _diagnosis(current, broker, workers),
    )

    _check(current, records)
    after = _outcomes(current.resolved_database_url)
    changed = {k: (reference[k], v) for k, v in after.items() if reference.get(k) != v}
    assert changed == {}, f"{len(changed)} decisions differ from the undisturbed run"
    assert broker.client.zcard(f"{broker.namespace}:dead-letters") == 0

    lines = [json.loads(line) for line in workers.logs().splitlines() if line.startswith("{")]
    held = [line for line in lines if line["message"] == HELD]
    # Held in place with a doubling back-off: a few tries, not a retry per batch.
    assert 1 <= len(held) <= 30, len(held)
    assert all(line.get("error") for line in held)
    assert any(line.get("event_ids") for line in held)
    assert not [line for line in lines if "will be retried" in line["message"]]
    # Ids and errors, never records: no personal or payload field in any line.
    logged = workers.logs()
    assert "_sealed" not in logged and "reviewer_id" not in logged
    assert len(logged) < 500_000
    broker.close()
