"""Benchmark plumbing: a private Redis, worker processes per scenario, waiting and timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import func, select

from trust.settings import Settings
from trust.store import Store, snapshot
from trust.store.tables import decisions
from workers.actors import Actors, LazyPipeline, declare_actors
from workers.broker import TrustRedisBroker, build_broker
from workers.lifetime import spawn_tied, stop_process

ROOT = Path(__file__).resolve().parent.parent
BENCH_SECRET = "bench-only-key-" + "0" * 40


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def scenario_settings(
    base: Settings, folder: Path, redis_url: str, database_url: str | None, namespace: str
) -> Settings:
    """Settings of one scenario: its own data folder, store and Redis namespace."""
    folder.mkdir(parents=True, exist_ok=True)
    return base.model_copy(
        update={
            "environment": "test",
            "data_dir": folder,
            "secret_key": BENCH_SECRET,
            "redis_url": redis_url,
            "database_url": database_url,
            "worker": base.worker.model_copy(update={"redis_namespace": namespace}),
        }
    )


def scenario_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process exactly ``settings``."""
    env = dict(os.environ)
    env.update(
        TRUST_ENVIRONMENT="test",
        TRUST_DATA_DIR=str(settings.data_dir),
        TRUST_SECRET_KEY=BENCH_SECRET,
        TRUST_REDIS_URL=str(settings.redis_url),
        TRUST_DATABASE_URL=settings.resolved_database_url,
        TRUST_RULES_DIR=str(settings.rules_dir),
        TRUST_WORKER__REDIS_NAMESPACE=settings.worker.redis_namespace,
        TRUST_WORKER__BATCH_SIZE=str(settings.worker.batch_size),
        PYTHONPATH=str(ROOT),
    )
    return env


@dataclass
class Fleet:
    """Worker processes of one scenario, the broker that feeds them and their logs."""

    settings: Settings
    broker: TrustRedisBroker
    actors: Actors
    logs: list[Path] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def spawn(self, threads: int, *, noop: bool = False) -> subprocess.Popen[bytes]:
        """Start one more worker process, its output in the scenario's log folder."""
        log_dir = self.settings.data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / f"{'noop' if noop else 'worker'}-{len(self.procs)}.log"
        command = [sys.executable, "-m", "workers.process", "--threads", str(threads)]
        with path.open("wb") as handle:
            proc = spawn_tied(
                [*command, *(["--noop"] if noop else [])],
                env=scenario_env(self.settings),
                stdout=handle,
                stderr=subprocess.STDOUT,
                cwd=str(ROOT),
            )
        self.logs.append(path)
        self.procs.append(proc)
        return proc

    def worker_ids(self) -> set[str]:
        """Broker ids of the workers whose heartbeat is registered (not ours)."""
        key = f"{self.broker.namespace}:__heartbeats__"
        members = cast(list[bytes], self.broker.client.zrange(key, 0, -1))
        return {m.decode() for m in members} - {self.broker.broker_id}

    def held_by(self, worker_id: str) -> int:
        """Messages ``worker_id`` has fetched and not acknowledged."""
        key = f"{self.broker.namespace}:__acks__.{worker_id}.{self.settings.worker.queue_name}"
        return int(cast(int, self.broker.client.scard(key)))

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Until every worker has registered its heartbeat (it then consumes)."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.worker_ids()) >= len(self.procs):
                return
            dead = [p.returncode for p in self.procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"workers did not start (exit codes {dead}); see {self.logs}")
            time.sleep(0.1)

    def enqueue(self, records: Sequence[dict[str, Any]]) -> None:
        """Send ``records`` in batches of the configured size."""
        size = self.settings.worker.batch_size
        for start in range(0, len(records), size):
            self.actors.send_batch(records[start : start + size])

    def pending(self) -> int:
        """Messages not yet acknowledged (waiting, in flight or delayed)."""
        return int(self.broker.do_qsize(self.settings.worker.queue_name))

    def batch_logs(self) -> list[dict[str, Any]]:
        """The workers' "batch processed" log entries."""
        found = []
        for path in self.logs:
            for line in path.read_text(errors="replace").splitlines():
                if '"batch processed"' in line:
                    found.append(json.loads(line))
        return found


@contextmanager
def fleet(
    settings: Settings, processes: int, threads: int, *, noop: bool = False
) -> Iterator[Fleet]:
    """Start ``processes`` workers for ``settings``; stop them (and the broker) afterwards."""
    broker = build_broker(settings)
    actors = declare_actors(broker, settings, LazyPipeline(_no_pipeline).get)
    found = Fleet(settings, broker, actors)
    try:
        for _ in range(processes):
            found.spawn(threads, noop=noop)
        found.wait_ready()
        yield found
    finally:
        for proc in found.procs:
            stop_process(proc, timeout=30)
        broker.close()


def _no_pipeline() -> Any:
    raise RuntimeError("the benchmark process only enqueues")


def decided(store: Store) -> int:
    """Decisions committed so far."""
    with snapshot(store.engine) as conn:
        return int(conn.execute(select(func.count()).select_from(decisions)).scalar_one())


def wait_for(condition: Callable[[], bool], timeout: float, poll: float = 0.02) -> float:
    """Poll until true; returns when it became true (perf_counter), raises after ``timeout``."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"benchmark step did not finish within {timeout:.0f}s")
        time.sleep(poll)
    return time.perf_counter()
