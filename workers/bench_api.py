"""``trust bench api``: the HTTP API under load on loopback, against the in-process rate.

The service runs as ``trust serve`` in a private temp folder (its own SQLite store, or a
scratch PostgreSQL database, and its own embedded Redis for the events queue, which no
worker drains during the run). An asyncio client on plain HTTP/1.1 keep-alive connections
keeps ``concurrency`` requests in flight for a fixed time; the same run measures
``decide_one`` in process, one event after another, for the ratio. Rates are wall-clock
on this (shared) machine; the CPU seconds the service and the client spent per request
(``psutil``) say what a request costs whatever else the machine runs.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil

from trust.pipeline import decide_one
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.api_keys import create_api_key
from workers.api_metrics import (
    api_metrics_folder,
    decision_groups,
    mean_group_sizes,
    own_metrics_folder,
)
from workers.api_process import serve_command
from workers.bench import simulated
from workers.bench_fleet import ROOT, percentile, scenario_env, scenario_settings
from workers.embedded_redis import EmbeddedRedis
from workers.lifetime import spawn_tied, stop_process
from workers.wiring import build_pipeline

Say = Callable[[str], None]
# CPU seconds per second below which the service counts as idle (all processes started).
IDLE_CPU_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class ApiBenchOptions:
    """Load shape of the run."""

    concurrency: int = 32
    seconds: float = 10.0
    # None: as ``trust serve`` runs by default (TRUST_API__PROCESSES).
    processes: int | None = None
    batch: int = 100
    database_url: str | None = None
    seed: int = 23


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one endpoint did under load."""

    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    # CPU seconds spent meanwhile by the service's processes and by the load generator.
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0

    @property
    def per_second(self) -> float:
        """Successful requests per second."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, float]:
        """Figures for the report."""
        return {
            "requests": self.requests,
            "errors": self.errors,
            "requests_per_s": self.per_second,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "server_cpu_ms_per_request": self._per_request(self.server_cpu_s),
            "client_cpu_ms_per_request": self._per_request(self.client_cpu_s),
        }

    def _per_request(self, cpu_seconds: float) -> float:
        return cpu_seconds * 1000 / self.requests if self.requests else float("nan")


class Connection:
    """One keep-alive HTTP/1.1 connection on loopback: a request out, its answer back.

    A load generator sharing two cores with the service must cost little per request;
    httpx spends more CPU per request than the endpoint under test, so the bench speaks
    plain HTTP/1.1 over asyncio streams (``httpx`` only checks readiness).
    """

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host = host
        self.port = port
        self.head = (
            f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nConnection: keep-alive\r\n"
        )
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> int:
        """POST ``body`` to ``path``; the status code (the body is read and dropped)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            f"POST {path} HTTP/1.1\r\n{self.head}Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        status_line = await self.reader.readline()
        length = 0
        closing = False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                closing = True  # the service evens out its processes' connections
        await self.reader.readexactly(length)
        if closing:
            self.close()
            self.reader = self.writer = None  # the next request opens a new connection
        return int(status_line.split()[1])

    def close(self) -> None:
        """Hang up."""
        if self.writer is not None:
            self.writer.close()


def tree_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of process ``pid`` and its live descendants."""
    try:
        root = psutil.Process(pid)
        family = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in family:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


async def _load(
    base_url: str,
    token: str,
    path: str,
    bodies: Iterator[bytes],
    concurrency: int,
    seconds: float,
    ok: int,
    server_pid: int,
) -> LoadResult:
    host, port = base_url.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        nonlocal errors
        connection = Connection(host, int(port), token)
        try:
            while time.perf_counter() < deadline:
                payload = next(bodies, None)
                if payload is None:
                    return
                began = time.perf_counter()
                status = await connection.post(path, payload)
                latencies.append((time.perf_counter() - began) * 1000)
                if status != ok:
                    errors += 1
        finally:
            connection.close()

    server_before, client_before = tree_cpu_seconds(server_pid), time.process_time()
    began = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(concurrency)))
    took = time.perf_counter() - began
    return LoadResult(
        len(latencies),
        errors,
        took,
        percentile(latencies, 50),
        percentile(latencies, 99),
        server_cpu_s=tree_cpu_seconds(server_pid) - server_before,
        client_cpu_s=time.process_time() - client_before,
    )


def _moments(value: Any) -> set[str]:
    """Every timestamp (``…T…Z``) in ``value``, as written; dates are not moments."""
    if isinstance(value, dict):
        return set().union(*map(_moments, value.values()))
    if isinstance(value, list):
        return set().union(*map(_moments, value))
    if isinstance(value, str) and value.endswith("Z") and "T" in value:
        try:
            datetime.fromisoformat(value.removesuffix("Z") + "+00:00")
        except ValueError:
            return set()
        return {value}
    return set()


@dataclass(frozen=True, slots=True)
class _Template:
    """One record encoded once: its text, its id as written and its moments, parsed."""

    text: str
    event_id: str
    moments: tuple[tuple[str, datetime], ...]

    @classmethod
    def of(cls, record: dict[str, Any]) -> _Template:
        # Latest first: a moment moved later can then never be taken for one still to move.
        moments = tuple(
            (f'"{m}"', datetime.fromisoformat(m.removesuffix("Z") + "+00:00"))
            for m in sorted(_moments(record), reverse=True)
        )
        return cls(json.dumps(record), json.dumps({"event_id": record["event_id"]})[1:-1], moments)

    def copy(self, delta: timedelta, suffix: str) -> bytes:
        text = self.text.replace(self.event_id, f'{self.event_id[:-1]}{suffix}"', 1)
        for written, moment in self.moments:
            later = (moment + delta).isoformat().replace("+00:00", "Z")
            text = text.replace(written, f'"{later}"')
        return text.encode()


def fresh_copies(records: list[dict[str, Any]], tag: str) -> Iterator[bytes]:
    """``records`` JSON-encoded over and over, each copy with an event id never used before
    and each lap later than the one before by the records' span and a day, as a stream
    that goes on does. (Replaying the same moments would make every copy history that
    arrived late for the previous lap's events, re-scored on every request.)

    Each record is encoded once and each copy made from its text: the load generator shares
    the machine with the service, and walking and re-encoding every record cost it 30 µs of
    CPU an event. Copies are made when asked for: making a whole lap at once stalled every
    client of the load generator (one event loop) for 70-160 ms every few thousand
    requests, a pause the p99 then billed to the service.
    """
    moments = [datetime.fromisoformat(r["occurred_at"].replace("Z", "+00:00")) for r in records]
    span = max(moments) - min(moments) + timedelta(days=1)
    templates = [_Template.of(record) for record in records]
    for lap in itertools.count():
        for template in templates:
            yield template.copy(lap * span, f"-{tag}{lap}")


def in_batches(copies: Iterator[bytes], size: int) -> Iterator[bytes]:
    """``POST /v1/events`` bodies of ``size`` events each."""
    while True:
        yield b'{"events": [' + b", ".join(itertools.islice(copies, size)) + b"]}"


def _settle(pid: int, timeout: float = 120.0) -> None:
    """Wait until the service idles: every process has started, not just the first to answer.

    A process still importing and building its pipeline would bill its start to the load.
    """
    deadline = time.monotonic() + timeout
    spent = tree_cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = tree_cpu_seconds(pid)
        if now - spent < IDLE_CPU_SECONDS:
            return
        spent = now


def _wait_ready(base_url: str, proc: Any, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"trust serve exited with {proc.returncode}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("trust serve did not become ready in time")


def in_process_rate(settings: Settings, records: list[dict[str, Any]]) -> dict[str, float]:
    """``decide_one`` in this process, one event after another: decisions per second."""
    store = Store.from_settings(settings)
    pipeline = build_pipeline(settings, store, source="bench")
    for record in records[:20]:
        decide_one(pipeline, record)
    measured = records[20:]
    began = time.perf_counter()
    for record in measured:
        decide_one(pipeline, record)
    took = time.perf_counter() - began
    store.close()
    return {"decisions": len(measured), "decisions_per_s": len(measured) / took}


def run_api_bench(base: Settings, options: ApiBenchOptions, say: Say) -> dict[str, Any]:
    """Start ``trust serve``, load both POST endpoints, measure in process; the figures."""
    root = Path(tempfile.mkdtemp(prefix="trust-bench-api-"))
    processes = options.processes or base.api.processes
    report: dict[str, Any] = {
        "concurrency": options.concurrency,
        "seconds": options.seconds,
        "processes": processes,
        "batch": options.batch,
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg(),
    }
    redis = EmbeddedRedis.in_data_dir(root / "redis-home")
    url = redis.start()
    proc = None
    try:
        settings = scenario_settings(base, root / "api", url, options.database_url, "bench-api")
        report["store"] = Store.from_settings(settings).dialect
        with Store.from_settings(settings) as store, transaction(store.engine) as conn:
            token = create_api_key(
                conn, "bench", {"events:write", "decisions:write"}, created_by="bench"
            ).token
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        # The service's own metrics folder (<data>/api-metrics), read for its group sizes.
        env = {
            **own_metrics_folder(scenario_env(settings)),
            "TRUST_BIND_HOST": "127.0.0.1",
            "TRUST_API__RATE_PER_SECOND": "1000000",
            "TRUST_API__BURST": "1000000",
        }
        log = (root / "serve.log").open("wb")
        proc = spawn_tied(
            serve_command(port, processes),
            env=env,
            stdout=log,
            stderr=log,
            cwd=str(ROOT),
        )
        say(f"trust serve on {base_url} with {processes} processes ...")
        _wait_ready(base_url, proc)
        _settle(proc.pid)
        records = simulated(4_000, options.seed)

        groups = api_metrics_folder(settings.data_dir)

        def measure(path: str, bodies: Iterator[bytes], ok: int) -> tuple[LoadResult, list[float]]:
            """The load's figures, and each process's mean group of decisions meanwhile."""
            # A short warm-up first (connections, key cache, compiled queries), not counted.
            warm = min(2.0, options.seconds / 4)
            asyncio.run(
                _load(base_url, token, path, bodies, options.concurrency, warm, ok, proc.pid)
            )
            before = decision_groups(groups)
            result = asyncio.run(
                _load(
                    base_url,
                    token,
                    path,
                    bodies,
                    options.concurrency,
                    options.seconds,
                    ok,
                    proc.pid,
                )
            )
            return result, mean_group_sizes(before, decision_groups(groups))

        say(f"POST /v1/decisions, {options.concurrency} clients, {options.seconds:.0f} s ...")
        decisions, group_sizes = measure("/v1/decisions", fresh_copies(records, "d"), 200)
        report["decisions"] = {**decisions.as_dict(), "mean_group_sizes": group_sizes}
        say(f"POST /v1/events, batches of {options.batch}, {options.concurrency} clients ...")
        events, _ = measure(
            "/v1/events", in_batches(fresh_copies(records, "e"), options.batch), 202
        )
        report["events"] = {**events.as_dict(), "events_per_s": events.per_second * options.batch}
    finally:
        if proc is not None:
            stop_process(proc)
        redis.stop()
    try:
        say("decide_one in process, one event after another ...")
        solo = scenario_settings(base, root / "solo", url, options.database_url, "bench-solo")
        report["in_process"] = in_process_rate(
            solo.model_copy(update={"redis_url": None}), simulated(520, options.seed + 2)
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report["load_after"] = os.getloadavg()
    report["ratio_api_to_in_process"] = (
        report["decisions"]["requests_per_s"] / report["in_process"]["decisions_per_s"]
    )
    return report


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
