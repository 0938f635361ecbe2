"""``trust ingest`` into the queue or straight through the pipeline: every event decided once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import review_payload
from tests.pipeline_invariants import assert_nothing_lost, counts
from tests.workers.helpers import queue_settings, running_worker
from trust.events import Event
from trust.intake import ingest_file, replay_quarantine
from trust.intake.deciding import UNDECIDABLE, PipelineSink
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.quarantine import QuarantinedRecord, count_held, quarantine_records
from trust.store.tables import quarantine
from workers.actors import declare_actors
from workers.broker import build_broker
from workers.intake_sinks import ingest_sink, queue_in_use
from workers.wiring import build_pipeline


def _file(tmp_path: Path, records: list[object]) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return path


def test_without_a_queue_ingest_decides_each_event_in_process(
    tmp_path: Path, settings: Settings, sqlite_store: Store
) -> None:
    records = [review_payload() for _ in range(30)]
    path = _file(tmp_path, [*records, "{broken"])

    assert not queue_in_use(settings)
    with ingest_sink(settings, sqlite_store, use_queue=None, source="file") as sink:
        summary = ingest_file(sqlite_store, path, settings, sink=sink)

    assert (summary.accepted, summary.quarantined) == (30, 1)
    assert counts(sqlite_store).decisions == 30
    assert_nothing_lost(sqlite_store, [r["event_id"] for r in records])


class BreaksOn:
    """The real scorer, raising a non-transient error for chosen event ids (a pipeline bug)."""

    def __init__(self, real: Any, poison: set[str]) -> None:
        self.real = real
        self.poison = poison

    def score_batch(self, conn: Any, events: Sequence[Event], hasher: Any, now: Any) -> Any:
        if any(e.event_id in self.poison for e in events):
            raise OverflowError("date value out of range")
        return self.real.score_batch(conn, events, hasher, now)


def test_direct_ingest_quarantines_an_event_that_breaks_the_pipeline_and_decides_the_rest(
    tmp_path: Path, settings: Settings, sqlite_store: Store
) -> None:
    records = [review_payload() for _ in range(21)]
    poison = str(records[13]["event_id"])
    path = _file(tmp_path, [*records, "{broken"])
    pipeline = build_pipeline(settings, sqlite_store, source="file")
    sink = PipelineSink(replace(pipeline, scorer=BreaksOn(pipeline.scorer, {poison})))

    summary = ingest_file(sqlite_store, path, settings, sink=sink)

    assert (summary.accepted, summary.quarantined) == (20, 2)
    assert_nothing_lost(sqlite_store, [r["event_id"] for r in records if r["event_id"] != poison])
    with sqlite_store.engine.connect() as conn:
        [reason] = conn.execute(
            select(quarantine.c.reason).where(quarantine.c.event_id == poison)
        ).scalars()
    assert reason == f"line 14: (record): {UNDECIDABLE}: OverflowError: date value out of range"


@pytest.mark.redis
def test_with_workers_in_use_ingest_queues_events_and_workers_decide_them(
    tmp_path: Path, settings: Settings, redis_url: str, sqlite_store: Store
) -> None:
    queued = queue_settings(settings, redis_url)
    queued = queued.model_copy(
        update={"database_url": sqlite_store.engine.url.render_as_string(hide_password=False)}
    )
    records = [review_payload() for _ in range(120)]
    path = _file(tmp_path, [*records, {"kind": "review"}])

    assert queue_in_use(queued)
    with ingest_sink(queued, sqlite_store, use_queue=None, source="file") as sink:
        summary = ingest_file(sqlite_store, path, queued, sink=sink)
    assert counts(sqlite_store).decisions == 0
    broker = build_broker(queued)
    declare_actors(broker, queued, lambda: build_pipeline(queued, sqlite_store))
    with running_worker(broker):
        broker.join(queued.worker.queue_name, timeout=30_000)
    broker.close()

    assert (summary.accepted, summary.quarantined) == (120, 1)
    assert_nothing_lost(sqlite_store, [r["event_id"] for r in records])


@pytest.mark.redis
def test_a_queued_re_ingest_reports_what_is_already_stored_and_queues_only_the_new(
    tmp_path: Path, settings: Settings, redis_url: str, sqlite_store: Store
) -> None:
    queued = queue_settings(settings, redis_url)
    stored = [review_payload() for _ in range(4)]
    with ingest_sink(settings, sqlite_store, use_queue=False, source="first") as sink:
        ingest_file(sqlite_store, _file(tmp_path, stored), settings, sink=sink)
    reused = {**stored[0], "text": "Other content under a stored id."}
    fresh = review_payload()
    path = _file(tmp_path, [*stored[1:], reused, fresh, fresh])

    with ingest_sink(queued, sqlite_store, use_queue=True, source="again") as sink:
        summary = ingest_file(sqlite_store, path, queued, sink=sink)
    broker = build_broker(queued)
    waiting = broker.queue_depth(queued.worker.queue_name)
    broker.close()

    assert (summary.accepted, summary.already_stored, summary.duplicates, summary.quarantined) == (
        1,
        3,
        1,
        1,
    )
    assert waiting == 1  # one message holding the one new event
    with sqlite_store.engine.connect() as conn:
        assert count_held(conn) == 1


@pytest.mark.redis
def test_with_workers_in_use_replay_queues_the_fixed_records_and_workers_decide_them(
    settings: Settings, redis_url: str, sqlite_store: Store
) -> None:
    queued = queue_settings(settings, redis_url)
    queued = queued.model_copy(
        update={"database_url": sqlite_store.engine.url.render_as_string(hide_password=False)}
    )
    records = [review_payload() for _ in range(3)]
    held = [
        QuarantinedRecord(
            source="old.jsonl",
            line_number=n,
            raw=json.dumps(r),
            errors=[{"field": "(record)", "message": "older schema"}],
            reason="refused by an older schema",
            event_id=str(r["event_id"]),
        )
        for n, r in enumerate(records, start=1)
    ]
    with transaction(sqlite_store.engine) as conn:
        quarantine_records(conn, held, received_at=datetime.now(UTC))

    with ingest_sink(queued, sqlite_store, use_queue=None, source="replay") as sink:
        summary = replay_quarantine(sqlite_store, sink)
    with sqlite_store.engine.connect() as conn:
        assert count_held(conn) == 0
    broker = build_broker(queued)
    declare_actors(broker, queued, lambda: build_pipeline(queued, sqlite_store))
    with running_worker(broker):
        broker.join(queued.worker.queue_name, timeout=30_000)
    broker.close()

    assert summary.accepted == 3
    assert_nothing_lost(sqlite_store, [r["event_id"] for r in records])
