"""A batch that kills every worker taking it: its culprit dead-lettered, the rest decided.

A real worker process (``tests/workers/crashing_worker.py``) SIGKILLs itself whenever it
starts deciding one chosen event, as a native crash or the out-of-memory killer would. The
test restarts workers as a supervisor does and waits for the batch to settle, on a private
redis-server.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.factories import review_payload
from tests.pipeline_invariants import assert_nothing_lost
from tests.workers.conftest import ROOT, ThrowawayRedis, WorkerProcesses, worker_env
from tests.workers.crashing_worker import CRASH_ON_ENV
from tests.workers.helpers import queue_settings
from trust.settings import Settings
from trust.store import Store
from trust.store.tables import decisions
from workers.actors import declare_actors
from workers.broker import build_broker
from workers.crashes import CRASHED_REASON
from workers.dead_letters import DeadLetters

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

SECRET = "call me on +44 7700 900123"


def _decided(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.execute(select(decisions.c.event_id)).scalars())


def _decision_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(decisions)).scalar_one())


def _dlq_list(settings: Settings) -> list[dict[str, Any]]:
    shown = subprocess.run(
        [sys.executable, "-m", "trust.cli.main", "dlq", "list", "--json"],
        env=worker_env(settings), cwd=str(ROOT), capture_output=True, text=True, timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)  # type: ignore[no-any-return]


def test_a_batch_that_kills_its_worker_dead_letters_the_culprit_and_decides_the_rest(
    settings: Settings, throwaway_redis: ThrowawayRedis, workers: WorkerProcesses
) -> None:
    current = queue_settings(settings, throwaway_redis.url, batch_size=100, crash_retries=2)
    store = Store.from_settings(current)
    records = [review_payload() for _ in range(30)]
    records[17] = culprit = review_payload(text=f"Great work, {SECRET}")
    broker = build_broker(current)
    letters = DeadLetters(broker.client, broker.namespace)
    declare_actors(broker, current, lambda: pytest.fail("the test process decides nothing"))
    broker.get_actor("process_events").send(records)

    def start_crasher() -> subprocess.Popen[bytes]:
        return workers.start(current, threads=1, module="tests.workers.crashing_worker",
                             env={CRASH_ON_ENV: culprit["event_id"]})

    worker = start_crasher()
    deaths = 0
    deadline = time.monotonic() + 200
    while _decision_count(store) < len(records) - 1 or letters.count() == 0:
        if worker.poll() is not None:
            assert worker.returncode == -signal.SIGKILL, workers.logs()
            deaths += 1
            worker = start_crasher()
        assert time.monotonic() < deadline, f"not settled after {deaths} deaths\n{workers.logs()}"
        time.sleep(0.2)

    # Two whole-batch deliveries, then one event at a time until the culprit killed again.
    assert deaths == current.worker.crash_retries + 1
    others = [r["event_id"] for r in records if r is not culprit]
    assert_nothing_lost(store, others)
    assert culprit["event_id"] not in _decided(store)
    (letter,) = _dlq_list(current)
    assert letter["event_ids"] == [culprit["event_id"]]
    assert letter["error"] == CRASHED_REASON
    logs = workers.logs()
    assert culprit["event_id"] in logs
    assert SECRET not in logs, "a worker log holds the batch's payload"
    store.close()
    broker.close()
