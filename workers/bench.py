"""``trust bench pipeline``: end-to-end throughput, the in-process ceiling, latency, decide.

Every scenario runs in a private temp folder with its own embedded Redis, so the bench
never touches the configured store or queue. Figures are wall-clock on this machine,
except ``cpu_us_per_event`` (CPU time of the in-process pipeline, per event).

Scenarios run as production does: with the anomaly model on and a store that already
holds a history. The model is trained once as ``trust up --demo`` trains it
(``workers.demo_models``, on a separate simulated history) and its registry folder is
copied into each scenario's data folder. The history (``--prior-events``) is the first
part of the same simulated marketplace the stream continues, validated and written
straight into the store with ``store_events`` in batches of ``FILL_BATCH`` (events,
accounts and identifiers; no scoring and no decisions), once: SQLite scenarios start
from a copy of that file, PostgreSQL ones from ``CREATE DATABASE ... TEMPLATE`` of it.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.pool import StaticPool

from models.active import active_model_loaded
from trust.composition import build_scorer
from trust.encryption import Keyring
from trust.events import EVENT_KINDS
from trust.intake.validation import sort_records
from trust.pipeline import Pipeline, decide_one, hasher_for
from trust.settings import Settings
from trust.simulate import generate_events
from trust.store import Store, transaction
from trust.store.events import store_events
from trust.store.tables import metadata
from workers.bench_fleet import decided, fleet, percentile, scenario_settings, wait_for
from workers.embedded_redis import EmbeddedRedis
from workers.process import tune_gc
from workers.wiring import build_pipeline

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class BenchOptions:
    """How big and how long each scenario is."""

    events: int = 10_000
    processes: int = 2
    threads: int = 1
    batch_size: int = 250
    latency_rate: int = 2_000
    latency_seconds: float = 10.0
    decide_samples: int = 300
    postgres_url: str | None = None
    seed: int = 17
    # Events already stored before the stream starts (its own simulated past).
    prior_events: int = 100_000
    # Train and activate the anomaly model (as ``trust up --demo`` does) for every scenario.
    model: bool = True
    # Worker process counts for the Redis + PostgreSQL scaling curve (empty: not measured).
    scaling: tuple[int, ...] = ()


# Events per transaction while filling the history: large batches amortise the commit.
FILL_BATCH = 5_000
MODEL_SEED = 99


def simulated(count: int, seed: int) -> list[dict[str, Any]]:
    """At least ``count`` simulated raw records of the scored kinds, in time order (appeals
    and dispute party events are never decided, so they would not be counted)."""
    accounts = max(50, count // 2)
    records = [
        record for record, _ in generate_events(accounts, 30, seed) if record["kind"] in EVENT_KINDS
    ]
    return records[:count]


def ceiling(settings: Settings, records: list[dict[str, Any]], batch: int) -> dict[str, float]:
    """Validate and score in one process, no queue and no store (history in memory)."""
    # Signals need the history of earlier events; it lives in an in-memory database here.
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    metadata.create_all(engine)
    scratch = Store.of_engine(engine, Keyring.from_settings(settings))
    scorer = build_scorer(settings, model=active_model_loaded)
    hasher = hasher_for(settings)
    began = time.perf_counter()
    for start in range(0, len(records), batch):
        events = sort_records(records[start : start + batch], source="bench").events
        with transaction(scratch.engine) as conn:
            fresh = store_events(conn, events, hasher, source="bench", received_at=_now()).fresh
            scorer.score_batch(conn, fresh, hasher, _now())
    seconds = time.perf_counter() - began
    engine.dispose()
    return {"events": len(records), "seconds": seconds, "events_per_s": len(records) / seconds}


def in_process(settings: Settings, records: list[dict[str, Any]], batch: int) -> dict[str, Any]:
    """The whole pipeline in one process on the store, no queue; seconds per stage."""
    store = Store.from_settings(settings)
    # Every kind's model is loaded here (workers.wiring), before the clock starts, as a
    # worker holds them for its lifetime: loading one costs ~0.5 s, which a short run would
    # otherwise bill to its events.
    pipeline = build_pipeline(settings, store)
    pipeline.stage_seconds = {}
    # The garbage collector tuned as in a worker (workers/process.py): without it, collections
    # re-walking this process's simulated world cost ~370 µs of CPU per event, a cost no
    # worker pays.
    tune_gc()
    began = time.perf_counter()
    cpu = time.process_time()
    for start in range(0, len(records), batch):
        pipeline.process(records[start : start + batch])
    cpu = time.process_time() - cpu
    seconds = time.perf_counter() - began
    store.close()
    per_event_us = {k: round(v / len(records) * 1e6, 1) for k, v in pipeline.stage_seconds.items()}
    return {
        "events": len(records),
        "seconds": seconds,
        "events_per_s": len(records) / seconds,
        "cpu_us_per_event": cpu / len(records) * 1e6,
        # Wall time; "write" holds store, decisions, cases and appeals, "commit" is the COMMIT.
        "stage_us_per_event": per_event_us,
    }


def through_queue(
    settings: Settings, records: list[dict[str, Any]], options: BenchOptions, *, noop: bool = False
) -> dict[str, float]:
    """Enqueue every record and wait until all are decided (or, for noop, acknowledged)."""
    store = Store.from_settings(settings)
    try:
        with fleet(settings, options.processes, options.threads, noop=noop) as workers:
            began = time.perf_counter()
            workers.enqueue(records)
            enqueued = time.perf_counter()
            if noop:
                done = wait_for(lambda: workers.pending() == 0, 600)
            else:
                done = wait_for(lambda: decided(store) >= len(records), 600, poll=0.05)
    finally:
        store.close()
    return {
        "events": len(records),
        "seconds": done - began,
        "events_per_s": len(records) / (done - began),
        "enqueue_s": enqueued - began,
    }


def steady_latency(
    settings: Settings, records: list[dict[str, Any]], options: BenchOptions, rate: int
) -> dict[str, float]:
    """Enqueue at a steady rate; latency enqueue -> decision committed, per event.

    A few warm-up batches go first (compiled statements, caches), as in a running system;
    they are left out of the figures.
    """
    store = Store.from_settings(settings)
    size = options.batch_size
    warm_up = records[-size * options.processes * options.threads * 2 :]
    records = records[: len(records) - len(warm_up)]
    total = min(len(records), int(rate * options.latency_seconds))
    interval = size / rate
    try:
        with fleet(settings, options.processes, options.threads) as workers:
            workers.enqueue(warm_up)
            wait_for(lambda: decided(store) >= len(warm_up), 600, poll=0.05)
            skip = {(e["pid"], e["at"]) for e in workers.batch_logs()}
            began = time.perf_counter()
            for number, start in enumerate(range(0, total, size)):
                pause = began + number * interval - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                workers.actors.send_batch(records[start : start + size])
            sent = time.perf_counter()
            wait_for(lambda: decided(store) >= total + len(warm_up), 600, poll=0.05)
            entries = [e for e in workers.batch_logs() if (e["pid"], e["at"]) not in skip]
    finally:
        store.close()
    latencies: list[float] = []
    for entry in entries:
        latencies += [float(entry["latency_s"])] * int(entry["stored"])
    return {
        "events": total,
        "offered_rate": total / (sent - began),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies, default=float("nan")) * 1000,
    }


def redelivery(settings: Settings, records: list[dict[str, Any]]) -> dict[str, float]:
    """SIGKILL a worker holding batches; seconds until they are back in the queue."""
    store = Store.from_settings(settings)
    try:
        with fleet(settings, 1, 1) as workers:
            workers.enqueue(records)
            wait_for(lambda: decided(store) > 0, 300, poll=0.05)
            victims = workers.worker_ids()
            held = sum(workers.held_by(v) for v in victims)
            workers.procs[0].send_signal(signal.SIGKILL)
            killed = time.perf_counter()
            workers.spawn(1)
            back = wait_for(lambda: not victims & workers.worker_ids(), 300, poll=0.1)
            done = wait_for(lambda: decided(store) >= len(records), 600, poll=0.05)
    finally:
        store.close()
    knobs = settings.worker
    return {
        "held_batches": held,
        "redelivered_after_s": back - killed,
        "all_decided_after_s": done - killed,
        "heartbeat_timeout_s": knobs.heartbeat_timeout_ms / 1000,
        "sweep_interval_s": knobs.sweep_interval_s,
    }


def decide_latency(settings: Settings, records: list[dict[str, Any]]) -> dict[str, float]:
    """``trust decide`` in process: one event at a time on a store that has history."""
    store = Store.from_settings(settings)
    pipeline: Pipeline = build_pipeline(settings, store, source="decide")
    warm, measured = records[:20], records[20:]
    for record in warm:
        decide_one(pipeline, record)
    # As the API and worker processes do (``tune_gc``): this process also holds the whole
    # simulated history, which no deciding process does, and every full collection walked
    # it again. On a store of a million events that was the slowest decisions (0.17 s; 0.05
    # once frozen) rather than anything the pipeline did.
    tune_gc()
    times = []
    for record in measured:
        began = time.perf_counter()
        decide_one(pipeline, record)
        times.append((time.perf_counter() - began) * 1000)
    store.close()
    return {
        "samples": len(times),
        "p50_ms": percentile(times, 50),
        "p99_ms": percentile(times, 99),
        "max_ms": max(times, default=float("nan")),
    }


def _now() -> datetime:
    return datetime.now(UTC)


def fill_history(store: Store, settings: Settings, records: list[dict[str, Any]]) -> float:
    """Write ``records`` into ``store`` as history (no decisions); returns seconds taken."""
    began = time.perf_counter()
    hasher = hasher_for(settings)
    events = sort_records(records, source="bench history").events
    received = _now()
    for start in range(0, len(events), FILL_BATCH):
        with transaction(store.engine) as conn:
            store_events(
                conn,
                events[start : start + FILL_BATCH],
                hasher,
                source="bench history",
                received_at=received,
            )
    return time.perf_counter() - began


def train_models(settings: Settings, say: Say) -> list[str]:
    """Train and activate a model per kind in ``settings.data_dir`` as ``trust up --demo``."""
    from workers.demo_models import train_demo_models

    return train_demo_models(settings, MODEL_SEED, lambda line: say(line.strip()))


@dataclass
class Starts:
    """What every scenario starts from: the trained models and the filled history."""

    models: Path | None
    sqlite_file: Path | None
    postgres_template: str | None = None

    def seed_folder(self, folder: Path) -> None:
        """Give a scenario's data folder the models and (for SQLite) the history."""
        if self.models is not None:
            shutil.copytree(self.models, folder / "models", dirs_exist_ok=True)
        if self.sqlite_file is not None:
            shutil.copyfile(self.sqlite_file, folder / "trust.db")


def _sqlite_history(settings: Settings, records: list[dict[str, Any]], say: Say) -> Path:
    store = Store.from_settings(settings)
    seconds = fill_history(store, settings, records)
    store.close()
    path = settings.data_dir / "trust.db"
    # Everything into the main file, so a plain copy carries the whole history.
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    say(f"history: {len(records):,} events into SQLite in {seconds:.1f}s")
    return path


def _postgres_database(
    admin_url: str, template: str | None = None
) -> tuple[str, Callable[[], None]] | None:
    name = f"trust_bench_{uuid.uuid4().hex[:8]}"
    like = f' TEMPLATE "{template}"' if template else ""
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{like}'))
    except Exception:  # no PostgreSQL here: the scenario is reported as skipped
        return None

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{admin_url.rsplit('/', 1)[0]}/{name}", drop


def run_pipeline_bench(base: Settings, options: BenchOptions, say: Say) -> dict[str, Any]:
    """Run every scenario and return the figures (the command prints them)."""
    root = Path(tempfile.mkdtemp(prefix="trust-bench-"))
    base = base.model_copy(
        update={"worker": base.worker.model_copy(update={"batch_size": options.batch_size})}
    )
    records = simulated(
        options.prior_events + options.events + options.decide_samples, options.seed
    )
    history = records[: options.prior_events]
    stream = records[options.prior_events : options.prior_events + options.events]
    held_out = records[options.prior_events + options.events :]
    report: dict[str, Any] = {
        "events": len(stream),
        "prior_events": len(history),
        "batch_size": options.batch_size,
        "processes": options.processes,
        "threads": options.threads,
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg()[0],
    }
    redis = EmbeddedRedis.in_data_dir(root / "redis-home")
    url = redis.start()
    cleanups: list[Callable[[], None]] = []
    try:
        starts = Starts(None, None)

        def scenario(
            name: str, database_url: str | None = None, *, empty: bool = False
        ) -> Settings:
            settings = scenario_settings(base, root / name, url, database_url, f"bench-{name}")
            if not empty:
                starts.seed_folder(settings.data_dir)
            return settings

        if options.model:
            say("anomaly model: training as `trust up --demo` does ...")
            models = scenario("models", empty=True)
            report["model_versions"] = train_models(models, say)
            starts.models = models.data_dir / "models"
        report["model"] = options.model
        if history:
            say(f"history: {len(history):,} prior events ...")
            began = time.perf_counter()
            starts.sqlite_file = _sqlite_history(scenario("history", empty=True), history, say)
            report["history_fill_s"] = {"sqlite": time.perf_counter() - began}
        postgres = options.postgres_url or None
        if postgres and history:
            created = _postgres_database(postgres)
            if created is None:
                postgres = None
                report["postgres"] = {"skipped": "PostgreSQL not reachable"}
            else:
                template_url, drop = created
                cleanups.append(drop)
                began = time.perf_counter()
                filling = scenario("history-pg", template_url, empty=True)
                filled = Store.from_settings(filling)
                try:
                    fill_history(filled, filling, history)
                finally:
                    filled.close()
                report["history_fill_s"]["postgres"] = time.perf_counter() - began
                starts.postgres_template = template_url.rsplit("/", 1)[-1]

        def postgres_scenario(name: str) -> tuple[Settings, Callable[[], None]] | None:
            assert postgres is not None
            made = _postgres_database(postgres, starts.postgres_template)
            if made is None:
                return None
            return scenario(name, made[0]), made[1]

        say("noop dramatiq actor baseline ...")
        report["noop"] = through_queue(scenario("noop", empty=True), stream, options, noop=True)
        say("in-process ceiling (validate + score, no queue, no store) ...")
        report["ceiling"] = ceiling(scenario("ceiling"), stream, options.batch_size)
        say("in-process pipeline on SQLite (no queue), per stage ...")
        report["in_process"] = in_process(scenario("inproc"), stream, options.batch_size)
        say("end to end: Redis + SQLite ...")
        sqlite = scenario("sqlite")
        report["sqlite"] = through_queue(sqlite, stream, options)
        say("trust decide single-event latency ...")
        report["decide"] = decide_latency(sqlite, held_out)
        if postgres and "postgres" not in report:
            made = postgres_scenario("postgresql")
            if made is None:
                report["postgres"] = {"skipped": "PostgreSQL not reachable"}
            else:
                say("end to end: Redis + PostgreSQL ...")
                try:
                    report["postgres"] = through_queue(made[0], stream, options)
                finally:
                    made[1]()
        if options.scaling and postgres and "skipped" not in report.get("postgres", {}):
            report["scaling"] = {}
            for count in options.scaling:
                made = postgres_scenario(f"scaling-{count}")
                if made is None:
                    break
                say(f"scaling: Redis + PostgreSQL, {count} worker process(es) ...")
                try:
                    report["scaling"][str(count)] = through_queue(
                        made[0], stream, replace(options, processes=count)
                    )["events_per_s"]
                finally:
                    made[1]()
        say("redelivery after SIGKILL of a worker holding batches ...")
        report["redelivery"] = redelivery(scenario("redelivery", empty=True), stream[:4000])
        # Enough events for the whole steady run, plus the warm-up batches.
        steady = simulated(
            int(options.latency_rate * options.latency_seconds)
            + options.batch_size * options.processes * options.threads * 2,
            options.seed + 1,
        )
        say(f"latency at a steady {options.latency_rate:,} events/s ...")
        report["latency"] = steady_latency(
            scenario("latency"), steady, options, options.latency_rate
        )
        # Half the rate shows the latency of a pipeline that keeps up, for comparison.
        half = options.latency_rate // 2
        say(f"latency at a steady {half:,} events/s ...")
        report["latency_half_rate"] = steady_latency(
            scenario("latency-half"), steady, options, half
        )
    finally:
        for cleanup in reversed(cleanups):
            cleanup()
        redis.stop()
        shutil.rmtree(root, ignore_errors=True)
    # Other people's work shares this machine: the load says how quiet the run was.
    report["load_after"] = os.getloadavg()[0]
    e2e = report["sqlite"]["events_per_s"]
    report["cpu_us_per_event"] = report["in_process"]["cpu_us_per_event"]
    report["latency_p99_ms"] = report["latency"]["p99_ms"]
    report["decide_p99_ms"] = report["decide"]["p99_ms"]
    report["ratio_to_ceiling"] = e2e / report["ceiling"]["events_per_s"]
    report["ratio_to_noop"] = e2e / report["noop"]["events_per_s"]
    return report
