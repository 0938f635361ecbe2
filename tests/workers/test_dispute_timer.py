"""The dispute timer in real workers: a missed deadline's default applies exactly once,
also across several timer processes and a worker killed with SIGKILL and restarted."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import complaint_payload
from tests.workers.conftest import WorkerProcesses, kill_hard
from tests.workers.helpers import queue_settings, running_worker, wait_until
from trust.settings import Settings
from trust.store import Store
from trust.store.tables import audit_log, dispute_deadlines
from workers.broker import build_broker
from workers.dispute_timer import DisputeTimer, declare_dispute_timer
from workers.wiring import build_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def _timer_settings(settings: Settings, redis_url: str, tmp_path: Path) -> Settings:
    base = queue_settings(settings, redis_url)
    return base.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'timer.db'}",
            "disputes": base.disputes.model_copy(update={"timer_interval_s": 1.0}),
        }
    )


def _open_overdue_dispute(settings: Settings, contract: str) -> None:
    """A dispute filed in March 2026: its 5 business days to respond are long gone."""
    store = Store.from_settings(settings)
    try:
        build_pipeline(settings, store).process([complaint_payload(contract_id=contract)])
    finally:
        store.close()


def _defaults(settings: Settings) -> tuple[int, int]:
    """(deadlines defaulted, audit records of a missed deadline)."""
    store = Store.from_settings(settings, migrate=False)
    try:
        with store.engine.connect() as conn:
            settled = conn.execute(
                select(func.count())
                .select_from(dispute_deadlines)
                .where(dispute_deadlines.c.status == "defaulted")
            ).scalar_one()
            audited = conn.execute(
                select(func.count())
                .select_from(audit_log)
                .where(audit_log.c.action == "dispute_deadline_missed")
            ).scalar_one()
        return int(settled), int(audited)
    finally:
        store.close()


def test_two_timer_processes_apply_a_missed_deadline_once(
    settings: Settings, redis_url: str, tmp_path: Path
) -> None:
    settings = _timer_settings(settings, redis_url, tmp_path)
    _open_overdue_dispute(settings, "ct-timer-1")
    store = Store.from_settings(settings, migrate=False)
    brokers = []
    for _ in range(2):  # two worker processes' worth of brokers, schedulers and actors
        broker = build_broker(settings)
        actor = declare_dispute_timer(broker, settings, lambda: store)
        broker.add_middleware(DisputeTimer(settings, actor))
        brokers.append(broker)
    try:
        with running_worker(brokers[0]), running_worker(brokers[1]):
            wait_until(lambda: _defaults(settings)[0] == 1, 30, "the default to apply")
            _open_overdue_dispute(settings, "ct-timer-2")
            wait_until(lambda: _defaults(settings)[0] == 2, 30, "the second default")
        assert _defaults(settings) == (2, 2)
    finally:
        store.close()
        for broker in brokers:
            broker.close()


def test_a_timer_killed_and_restarted_defaults_each_deadline_once(
    settings: Settings, redis_url: str, tmp_path: Path, workers: WorkerProcesses
) -> None:
    settings = _timer_settings(settings, redis_url, tmp_path)
    _open_overdue_dispute(settings, "ct-kill-1")
    first = workers.start(settings, threads=1)
    wait_until(lambda: _defaults(settings)[0] == 1, 60, "the first default", workers.logs)
    kill_hard(first)
    _open_overdue_dispute(settings, "ct-kill-2")
    workers.start(settings, threads=1)
    workers.start(settings, threads=1)
    wait_until(
        lambda: _defaults(settings)[0] == 2, 60, "the default after the restart", workers.logs
    )
    assert _defaults(settings) == (2, 2)
