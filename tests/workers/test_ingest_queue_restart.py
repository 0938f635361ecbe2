"""``trust ingest --queue`` across a Redis restart: it waits, resumes and says what it did.

A private redis-server (its own port, append-only file) is stopped after the first batch
was queued and started again two seconds later: the ingest retries with back-off, queues
the rest, and every event is decided once. When Redis does not come back in time, the
ingest stops with a summary of what was queued and from which line nothing was.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET
from tests.factories import review_payload
from tests.pipeline_invariants import assert_nothing_lost
from tests.workers.conftest import ThrowawayRedis
from tests.workers.helpers import queue_settings, running_worker
from trust.cli.main import app
from trust.intake import IngestBatch, IngestSummary, ingest_file
from trust.intake.sinks import BatchOutcome
from trust.settings import Settings, get_settings
from trust.store import Store
from workers.actors import declare_actors
from workers.broker import build_broker
from workers.intake_sinks import QueueSink, ingest_sink
from workers.wiring import build_pipeline

pytestmark = [pytest.mark.timeout(120)]


def _file(tmp_path: Path, count: int) -> tuple[Path, list[dict[str, object]]]:
    records = [review_payload() for _ in range(count)]
    path = tmp_path / "events.jsonl"
    lines = [json.dumps(r) for r in records] + ['{"kind": "review"}']
    path.write_text("\n".join(lines) + "\n")
    return path, records


def test_a_redis_restart_during_a_queued_ingest_is_waited_out_and_nothing_is_lost(
    tmp_path: Path, settings: Settings, throwaway_redis: ThrowawayRedis
) -> None:
    current = queue_settings(
        settings, throwaway_redis.url, batch_size=50, min_backoff_ms=200, max_backoff_ms=1_000
    )
    store = Store.from_settings(current)
    path, records = _file(tmp_path, 600)
    first_queued, redis_down = threading.Event(), threading.Event()

    def pause_after_first(batch: IngestBatch, outcome: BatchOutcome) -> None:
        if not first_queued.is_set():
            first_queued.set()
            redis_down.wait(30)

    summaries: list[IngestSummary] = []
    retries: list[int] = []

    def run_ingest() -> None:
        with ingest_sink(current, store, use_queue=True, source="file", patience_s=30) as sink:
            assert isinstance(sink, QueueSink)
            summaries.append(
                ingest_file(
                    store, path, current, sink=sink, batch_size=100, on_batch=pause_after_first
                )
            )
            retries.append(sink.retries)

    ingesting = threading.Thread(target=run_ingest)
    ingesting.start()
    assert first_queued.wait(30), "the first batch was not queued"
    # Restarted from this thread: the server dies with the thread that started it.
    throwaway_redis.stop()
    redis_down.set()
    time.sleep(2)
    throwaway_redis.start()
    ingesting.join(60)
    summary = summaries[0]

    assert retries[0] >= 1
    assert (summary.accepted, summary.quarantined, summary.not_queued) == (600, 1, 0)
    assert summary.stopped_at_line is None
    broker = build_broker(current)
    declare_actors(broker, current, lambda: build_pipeline(current, store))
    with running_worker(broker):
        broker.join(current.worker.queue_name, timeout=60_000)
    broker.close()
    assert_nothing_lost(store, [str(r["event_id"]) for r in records])

    # The same file again: everything is already stored, nothing is queued.
    with ingest_sink(current, store, use_queue=True, source="file") as sink:
        again = ingest_file(store, path, current, sink=sink, batch_size=100)
    assert (again.accepted, again.already_stored, again.already_held) == (0, 600, 1)
    store.close()


def test_an_ingest_whose_redis_stays_down_says_what_was_queued_and_what_was_not(
    tmp_path: Path, settings: Settings, throwaway_redis: ThrowawayRedis
) -> None:
    path, _records = _file(tmp_path, 300)
    env = {
        "TRUST_DATA_DIR": str(tmp_path / "data"),
        "TRUST_SECRET_KEY": TEST_SECRET,
        "TRUST_ENVIRONMENT": "test",
        "TRUST_REDIS_URL": throwaway_redis.url,
        "TRUST_WORKER__BATCH_SIZE": "50",
        "TRUST_WORKER__MIN_BACKOFF_MS": "100",
        "TRUST_WORKER__REDIS_NAMESPACE": "trust-test-ingest-down",
        "COLUMNS": "200",
    }
    runner = CliRunner()
    get_settings.cache_clear()
    throwaway_redis.stop()
    began = time.monotonic()
    try:
        result = runner.invoke(
            app, ["ingest", str(path), "--queue", "--queue-patience", "1"], env=env
        )
    finally:
        get_settings.cache_clear()
    took = time.monotonic() - began

    assert result.exit_code == 4, result.output
    assert "Traceback" not in result.output
    output = " ".join(result.output.split())
    # Nothing could be queued: 300 events were not; the refused line was still quarantined
    # (it was read before the first send, which is what stops the ingest at line 1).
    assert "stopped at line 1: the queue stayed unreachable for 1 s" in output
    assert "300 records from there on were not queued" in output
    assert took < 30
