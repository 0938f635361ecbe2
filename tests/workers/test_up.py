"""``trust up --demo``: everything comes up, the demo stream is decided, Ctrl-C leaves nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select

from tests.factories import review_payload
from tests.pipeline_invariants import assert_nothing_lost, counts
from tests.workers.conftest import ROOT, ThrowawayRedis, free_port, worker_env
from tests.workers.helpers import queue_settings, start_trust_up, wait_for_line, wait_until
from trust.settings import Settings
from trust.store import Store
from trust.store.tables import decisions
from workers.actors import declare_actors
from workers.broker import build_broker
from workers.embedded_redis import running_url
from workers.wiring import build_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _alive(family: list[psutil.Process]) -> list[psutil.Process]:
    return [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def _assert_demo_decisions_carry_the_model(data_dir: Path) -> None:
    """Every decision names the model that scored it; flagged ones carry its explanation."""
    store = Store.open(f"sqlite:///{data_dir / 'trust.db'}")
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(
                select(
                    decisions.c.outcome,
                    decisions.c.model_version,
                    decisions.c.model_score,
                    decisions.c.model_explanation,
                )
            ).all()
    finally:
        store.close()
    assert rows and all(r.model_version and r.model_score is not None for r in rows)
    explained = [r for r in rows if r.outcome != "allow" and r.model_explanation]
    assert explained, "no flagged demo decision carries a model explanation"
    assert all(e["sentence"] for r in explained for e in r.model_explanation)


def test_trust_up_demo_decides_the_stream_and_leaves_no_process_after_ctrl_c(
    tmp_path: Path,
) -> None:
    dashboard_port, api_port = free_port(), free_port()
    proc, lines, metrics_port = start_trust_up(
        tmp_path,
        "--demo",
        "--demo-accounts",
        "200",
        dashboard_port=dashboard_port,
        api_port=api_port,
    )
    try:
        wait_for_line(lines, "all decided", proc, 150)
        wait_for_line(lines, "decisions of their members sent to review", proc, 60)
        family = psutil.Process(proc.pid).children(recursive=True)
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics") as response:
            metrics = response.read().decode()
        wait_until(
            lambda: _answers(f"http://127.0.0.1:{dashboard_port}/_stcore/health"),
            60,
            "the dashboard",
        )
        wait_until(lambda: _answers(f"http://127.0.0.1:{api_port}/readyz"), 60, "the API")

        # An impatient Ctrl-C, pressed twice: a second signal while the first is being
        # handled once deadlocked the supervisor's main thread (trust/shutdown.py).
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    output = "".join(lines)
    assert "demo login demo-lead / " in output
    assert f"api        http://127.0.0.1:{api_port}" in output
    assert "demo key   tpk_" in output
    assert "review: trained on" in output
    _assert_demo_decisions_carry_the_model(tmp_path / "data")
    assert "trust_events_total" in metrics
    assert "dramatiq_messages_total" in metrics
    assert "trust_queue_depth" in metrics
    assert proc.returncode == 0, output
    assert len(family) >= 3, "expected redis and two workers"
    assert _alive(family) == [], f"left behind: {[p.cmdline() for p in _alive(family)]}"
    assert running_url(tmp_path / "data") is None


def test_a_killed_trust_up_takes_redis_and_its_workers_with_it(tmp_path: Path) -> None:
    proc, lines, _ = start_trust_up(tmp_path, "--no-dashboard")
    try:
        wait_for_line(lines, "press Ctrl-C", proc, 60)
        family = psutil.Process(proc.pid).children(recursive=True)

        proc.kill()  # no chance to clean up: the kernel's PDEATHSIG must do it
        proc.wait(10)
        _gone, alive = psutil.wait_procs(family, timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert len(family) >= 3
    assert _alive(alive) == [], f"left behind: {[p.cmdline() for p in _alive(alive)]}"
    assert running_url(tmp_path / "data") is None


def test_trust_worker_decides_queued_events_and_stops_cleanly_on_sigterm(
    tmp_path: Path, settings: Settings, throwaway_redis: ThrowawayRedis
) -> None:
    current = queue_settings(settings, throwaway_redis.url)
    Store.from_settings(current).close()
    broker = build_broker(current)
    actors = declare_actors(broker, current, lambda: build_pipeline(current))
    records = [review_payload() for _ in range(60)]
    actors.send_batch(records)
    env = {**worker_env(current), "TRUST_METRICS_PORT": str(free_port())}
    log_path = tmp_path / "worker.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "trust.cli.main", "worker", "--processes", "1", "--threads", "1"],
        env=env,
        cwd=str(ROOT),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        store = Store.from_settings(current, migrate=False)
        wait_until(lambda: counts(store).decisions == 60, 90, "the worker's decisions")
        family = psutil.Process(proc.pid).children(recursive=True)

        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        broker.close()
        log.close()

    assert proc.returncode == 0
    assert family and _alive(family) == []
    assert_nothing_lost(store, [r["event_id"] for r in records])
    store.close()
    logged = log_path.read_text(errors="replace")
    assert "worker stopped" in logged
    # A clean stop logs nothing alarming (it once logged a critical traceback per middleware).
    alarming = [
        line
        for line in logged.splitlines()
        if '"level": "critical"' in line or '"level": "error"' in line or "Traceback" in line
    ]
    assert alarming == [], "\n".join(alarming)
