"""The hostile corpus gives the same outcome, line by line, on every path into the pipeline:
``trust ingest --direct``, ``trust ingest --queue`` with a real worker, and ``trust decide``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET
from tests.hostile_corpus import (
    DECIDED,
    QUARANTINED,
    HostileLine,
    hostile_corpus,
    ingest_outcomes,
    write_corpus,
)
from tests.pipeline_invariants import counts
from tests.workers.conftest import ThrowawayRedis, WorkerProcesses, worker_env
from tests.workers.helpers import queue_settings, wait_until
from trust.cli.main import app
from trust.settings import Settings, get_settings
from trust.store import Store
from trust.store.tables import decisions, quarantine
from workers.actors import declare_actors
from workers.broker import build_broker
from workers.dlq import dead_letters
from workers.wiring import build_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
runner = CliRunner()


def _fresh_settings(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings of one path's own store; no TRUST_ variable of another path leaks in."""
    for name in [n for n in os.environ if n.startswith("TRUST_")]:
        monkeypatch.delenv(name)
    return Settings(environment="test", data_dir=folder, secret_key=TEST_SECRET)


def _use_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name, value in env.items():
        if name.startswith("TRUST_"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def _invoke(args: list[str]) -> tuple[int, str]:
    """Run a command; nothing may escape the CLI's error boundary or print a traceback."""
    result = runner.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{args[0]} raised {type(result.exception).__name__}: {result.exception}"
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout


def _direct(
    tmp: Path, corpus: list[HostileLine], monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    settings = _fresh_settings(tmp / "direct", monkeypatch)
    _use_env(monkeypatch, {**worker_env(settings), "TRUST_REDIS_URL": ""})
    path = write_corpus(tmp / "direct.jsonl", corpus)

    code, output = _invoke(["ingest", str(path), "--direct"])

    assert code == 0, output
    with Store.from_settings(settings, migrate=False) as store:
        return ingest_outcomes(store, corpus, path.name)


def _queued(
    tmp: Path,
    corpus: list[HostileLine],
    monkeypatch: pytest.MonkeyPatch,
    redis_server: ThrowawayRedis,
    workers: WorkerProcesses,
) -> dict[str, str]:
    settings = queue_settings(_fresh_settings(tmp / "queue", monkeypatch), redis_server.url)
    Store.from_settings(settings).close()
    workers.start(settings, threads=1)
    _use_env(monkeypatch, worker_env(settings))
    path = write_corpus(tmp / "queued.jsonl", corpus)

    code, output = _invoke(["ingest", str(path), "--queue"])

    assert code == 0, output
    expected_decisions = sum(line.expected == DECIDED for line in corpus)
    with Store.from_settings(settings, migrate=False) as store:

        def decided() -> int:
            with store.engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(decisions)).scalar_one())

        wait_until(
            lambda: decided() >= expected_decisions, 120, "the worker's decisions", workers.logs
        )
        outcomes = ingest_outcomes(store, corpus, path.name)
    assert dead_letters(settings).count() == 0
    # A batch that failed would have been split (and its events maybe dead-lettered).
    assert "split in halves" not in workers.logs()
    return outcomes


def _decided_one_by_one(
    tmp: Path, corpus: list[HostileLine], monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    settings = _fresh_settings(tmp / "decide", monkeypatch)
    _use_env(monkeypatch, {**worker_env(settings), "TRUST_REDIS_URL": ""})
    outcomes: dict[str, str] = {}
    for number, line in enumerate(corpus, start=1):
        path = tmp / f"decide-{number}.json"
        path.write_bytes(line.line)

        code, output = _invoke(["decide", str(path)])

        answer = json.loads(output)
        outcomes[line.name] = QUARANTINED if answer["status"] == "quarantined" else DECIDED
        assert code == (1 if outcomes[line.name] == QUARANTINED else 0), output
    with Store.from_settings(settings, migrate=False) as store, store.engine.connect() as conn:
        held = conn.execute(select(func.count()).select_from(quarantine)).scalar_one()
        stored = conn.execute(select(func.count()).select_from(decisions)).scalar_one()
    # Nothing lost: each refusal is held with its reason, each decision is stored.
    assert held == sum(o == QUARANTINED for o in outcomes.values())
    assert stored == sum(o == DECIDED for o in outcomes.values())
    return outcomes


def test_the_hostile_corpus_has_the_same_outcome_on_every_path(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    throwaway_redis: ThrowawayRedis,
    workers: WorkerProcesses,
) -> None:
    corpus = hostile_corpus()
    expected = {line.name: line.expected for line in corpus}
    try:
        queued = _queued(tmp_path, corpus, monkeypatch, throwaway_redis, workers)
        direct = _direct(tmp_path, corpus, monkeypatch)
        one_by_one = _decided_one_by_one(tmp_path, corpus, monkeypatch)
    finally:
        get_settings.cache_clear()

    assert direct == expected
    assert queued == expected
    assert one_by_one == expected


def test_a_worker_handed_the_raw_corpus_decides_or_quarantines_every_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    throwaway_redis: ThrowawayRedis,
    workers: WorkerProcesses,
) -> None:
    # What an older producer, or a replayed dead letter, may put on the queue: unvalidated text.
    corpus = hostile_corpus()
    settings = queue_settings(_fresh_settings(tmp_path / "raw", monkeypatch), throwaway_redis.url)
    store = Store.from_settings(settings)
    broker = build_broker(settings)
    actors = declare_actors(broker, settings, lambda: build_pipeline(settings, store))
    actors.send_batch([line.line.decode("utf-8", "surrogateescape") for line in corpus])
    broker.close()
    workers.start(settings, threads=1)

    def handled() -> int:
        held_and_decided = counts(store)
        return held_and_decided.quarantined + held_and_decided.decisions

    try:
        wait_until(lambda: handled() >= len(corpus), 120, "every line handled", workers.logs)
        with store.engine.connect() as conn:
            decided = set(conn.execute(select(decisions.c.event_id)).scalars())
        assert decided == {line.event_id for line in corpus if line.expected == DECIDED}
        assert counts(store).quarantined == sum(line.expected == QUARANTINED for line in corpus)
        assert dead_letters(settings).count() == 0
        assert "split in halves" not in workers.logs()
    finally:
        store.close()
