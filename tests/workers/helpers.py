"""Helpers for worker tests: settings on the test Redis, an in-process worker, waiting."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dramatiq

from tests.workers.conftest import ROOT, free_port
from trust.settings import Settings


def queue_settings(settings: Settings, redis_url: str, **worker: Any) -> Settings:
    """``settings`` on ``redis_url`` under a private namespace, fast retries and sweeps."""
    knobs = {
        "redis_namespace": f"trust-test-{uuid.uuid4().hex[:8]}",
        "min_backoff_ms": 100,
        "max_backoff_ms": 1_000,
        "heartbeat_timeout_ms": 3_000,
        "rules_hard_limit_ms": 1_000,
        "sweep_interval_s": 0.5,
        "batch_size": 50,
        **worker,
    }
    return settings.model_copy(
        update={"redis_url": redis_url, "worker": settings.worker.model_copy(update=knobs)}
    )


@contextmanager
def running_worker(broker: dramatiq.Broker, threads: int = 2) -> Iterator[dramatiq.Worker]:
    """A dramatiq worker consuming in this process until the block ends."""
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop(timeout=10_000)


def wait_until(
    condition: Callable[[], bool],
    timeout: float,
    what: str,
    explain: Callable[[], str] | None = None,
) -> float:
    """Poll ``condition`` until true; returns the seconds it took, fails after ``timeout``."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            detail = f"\n{explain()}" if explain is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(0.1)
    return time.monotonic() - began


def wait_for_count(
    count: Callable[[], int],
    target: int,
    what: str,
    explain: Callable[[], str] | None = None,
    *,
    stall: float = 60,
) -> float:
    """Poll ``count`` until it reaches ``target``; fail only when it stops rising for ``stall``
    seconds. A loaded machine decides slower, not wrongly: a fixed deadline would fail a run
    that is still making progress, while a stalled count is the failure these tests look for."""
    began = last_change = time.monotonic()
    seen = count()
    while seen < target:
        time.sleep(0.2)
        now_seen = count()
        if now_seen != seen:
            seen, last_change = now_seen, time.monotonic()
        elif time.monotonic() - last_change > stall:
            detail = f"\n{explain()}" if explain is not None else ""
            raise AssertionError(f"{what}: stuck at {seen} of {target} for {stall:.0f}s{detail}")
    return time.monotonic() - began


def read_lines(stream: object, lines: list[str]) -> None:
    """Append each line of ``stream`` to ``lines`` until it closes (run it in a thread)."""
    for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
        lines.append(raw.decode(errors="replace"))


def wait_for_line(
    lines: list[str], text: str, proc: subprocess.Popen[bytes], timeout: float
) -> None:
    """Wait until ``proc`` printed a line containing ``text``; fail if it exits first."""
    deadline = time.monotonic() + timeout
    while not any(text in line for line in lines):
        if proc.poll() is not None:
            raise AssertionError(f"trust up exited early:\n{''.join(lines)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {text!r} within {timeout:.0f}s:\n{''.join(lines)}")
        time.sleep(0.2)


def start_trust_up(
    tmp_path: Path, *args: str, dashboard_port: int = 0, api_port: int = 0, **env_vars: str
) -> tuple[subprocess.Popen[bytes], list[str], int]:
    """``trust up ARGS`` on a data folder in ``tmp_path``; its output lines, its metrics port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUST_")}
    metrics_port = free_port()
    env.update(
        TRUST_DATA_DIR=str(tmp_path / "data"),
        TRUST_ENVIRONMENT="development",
        TRUST_DASHBOARD_PORT=str(dashboard_port or free_port()),
        TRUST_API__PORT=str(api_port or free_port()),
        TRUST_METRICS_PORT=str(metrics_port),
        PYTHONPATH=str(ROOT),
        **env_vars,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "trust.cli.main", "up", *args],
        env=env,
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    lines: list[str] = []
    threading.Thread(target=read_lines, args=(proc.stdout, lines), daemon=True).start()
    return proc, lines, metrics_port
