"""A batch that kills every worker taking it: its culprit dead-lettered, the rest decided.

Real worker processes die on one chosen event, either by SIGKILL (``crashing_worker.py``,
as a native crash or the out-of-memory killer would) or by the rules watchdog, on a rule
that is within the load-time limits but runs away on that event. The test restarts
workers as a supervisor does and waits for the batch to settle, on a private redis-server.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from tests.factories import review_payload
from tests.pipeline_invariants import assert_nothing_lost
from tests.trust.rules.conftest import RULES_DIR, valid_rule
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
# Within every load-time limit (386 tokens, comprehensions 2 deep), yet 216,000 list
# items built per rating-1 review: about 0.7 s of CPU.
ITEMS = "[" + ", ".join(str(i) for i in range(60)) + "]"
RUNAWAY_WHEN = f"event.rating == 1 && size({ITEMS}.map(x, {ITEMS}.map(y, {ITEMS}))) > 0"


def _decision_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(decisions)).scalar_one())


def _decided(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.execute(select(decisions.c.event_id)).scalars())


def _dlq_list(settings: Settings) -> list[dict[str, Any]]:
    shown = subprocess.run(
        [sys.executable, "-m", "trust.cli.main", "dlq", "list", "--json"],
        env=worker_env(settings),
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)  # type: ignore[no-any-return]


def _settle(
    settings: Settings,
    records: list[dict[str, Any]],
    start_worker: Callable[[], subprocess.Popen[bytes]],
    workers: WorkerProcesses,
) -> list[int]:
    """Send one batch and restart workers until all but one event are decided and one is
    dead-lettered; returns the exit codes of the workers that died."""
    store = Store.from_settings(settings)
    broker = build_broker(settings)
    letters = DeadLetters(broker.client, broker.namespace)
    declare_actors(broker, settings, lambda: pytest.fail("the test process decides nothing"))
    broker.get_actor("process_events").send(records)
    worker = start_worker()
    deaths: list[int] = []
    deadline = time.monotonic() + 200
    try:
        while _decision_count(store) < len(records) - 1 or letters.count() == 0:
            if worker.poll() is not None:
                deaths.append(worker.returncode)
                worker = start_worker()
            assert time.monotonic() < deadline, f"not settled: {deaths}\n{workers.logs()}"
            time.sleep(0.2)
    finally:
        store.close()
        broker.close()
    return deaths


def _check_settled(
    settings: Settings, records: list[dict[str, Any]], culprit: dict[str, Any], logs: str
) -> None:
    store = Store.from_settings(settings, migrate=False)
    try:
        assert_nothing_lost(store, [r["event_id"] for r in records if r is not culprit])
        assert culprit["event_id"] not in _decided(store)
    finally:
        store.close()
    (letter,) = _dlq_list(settings)
    assert letter["event_ids"] == [culprit["event_id"]]
    assert letter["error"] == CRASHED_REASON
    assert culprit["event_id"] in logs
    assert SECRET not in logs, "a worker log holds the batch's payload"


def test_a_batch_that_kills_its_worker_dead_letters_the_culprit_and_decides_the_rest(
    settings: Settings, throwaway_redis: ThrowawayRedis, workers: WorkerProcesses
) -> None:
    current = queue_settings(settings, throwaway_redis.url, batch_size=100, crash_retries=2)
    records = [review_payload() for _ in range(30)]
    records[17] = culprit = review_payload(text=f"Great work, {SECRET}")

    deaths = _settle(
        current,
        records,
        lambda: workers.start(
            current,
            threads=1,
            module="tests.workers.crashing_worker",
            env={CRASH_ON_ENV: culprit["event_id"]},
        ),
        workers,
    )

    # Two whole-batch deliveries, then one event at a time until the culprit killed again.
    assert deaths == [-signal.SIGKILL] * (current.worker.crash_retries + 1)
    _check_settled(current, records, culprit, workers.logs())


def test_a_rule_that_runs_away_ends_its_worker_and_its_event_is_dead_lettered(
    settings: Settings,
    throwaway_redis: ThrowawayRedis,
    workers: WorkerProcesses,
    tmp_path: Path,
) -> None:
    rules = shutil.copytree(RULES_DIR, tmp_path / "rules")
    runaway = valid_rule(
        id="rv_runaway_v1",
        when=RUNAWAY_WHEN,
        examples=[
            {"name": "one star", "expect": "hit", "event": {"rating": 1}},
            {"name": "five stars", "expect": "miss"},
        ],
    )
    (rules / "review" / "runaway.yaml").write_text(yaml.safe_dump({"rules": [runaway]}))
    current = queue_settings(
        settings, throwaway_redis.url, batch_size=100, crash_retries=1, rules_hard_limit_ms=150
    ).model_copy(update={"rules_dir": rules})
    records = [review_payload() for _ in range(20)]
    records[6] = culprit = review_payload(rating=1, text=f"Awful, {SECRET}")

    deaths = _settle(
        current,
        records,
        lambda: workers.start(current, threads=1, env={"TRUST_RULES_DIR": str(rules)}),
        workers,
    )

    assert deaths == [-signal.SIGVTALRM] * (current.worker.crash_retries + 1)
    _check_settled(current, records, culprit, workers.logs())
