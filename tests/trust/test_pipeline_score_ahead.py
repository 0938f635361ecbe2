"""Scoring ahead of the write lock: same decisions, and a store that moved on is re-read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select

from tests.factories import profile_verification_payload, review_payload
from tests.pipeline_invariants import assert_nothing_lost
from trust.composition import build_scorer, default_pipeline
from trust.decisions import Decision
from trust.encryption import Keyring
from trust.enforcement_actions import enforce_decisions
from trust.events import EVENT_KINDS, Event
from trust.intake.validation import sort_records
from trust.pii import PiiHasher
from trust.pipeline import hasher_for
from trust.scoring import Scorer
from trust.settings import Settings
from trust.simulate import generate_events
from trust.store import Store, transaction
from trust.store.events import PreparedBatch, StoredEvents, store_events
from trust.store.tables import decisions

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


class _RacedScorer:
    """Scores ahead like ``Scorer``, but another worker stores the first event meanwhile."""

    def __init__(self, real: Scorer, store: Store, settings: Settings) -> None:
        self.real, self.store, self.settings = real, store, settings
        self.locked_batches = 0

    def score_unstored(
        self, conn: Connection, events: Sequence[Event], hasher: PiiHasher, now: datetime
    ) -> list[Decision]:
        found = self.real.score_unstored(conn, events, hasher, now)
        other = default_pipeline(self.store, self.settings, self.real)
        other.process([events[0]], now)
        return found

    def score_batch(
        self, conn: Connection, events: Sequence[Event], hasher: PiiHasher, now: datetime
    ) -> list[Decision]:
        self.locked_batches += 1
        return self.real.score_batch(conn, events, hasher, now)


def test_an_event_stored_by_another_worker_meanwhile_is_decided_once(
    store: Store, settings: Settings
) -> None:
    records = [review_payload(), profile_verification_payload(), review_payload()]
    scorer = _RacedScorer(build_scorer(settings), store, settings)

    result = default_pipeline(store, settings, scorer).process(records, NOW)

    assert scorer.locked_batches == 1
    assert [d.event_id for d in result.decisions] == [r["event_id"] for r in records[1:]]
    assert_nothing_lost(store, [r["event_id"] for r in records])


def test_decisions_scored_ahead_equal_those_scored_inside_the_transaction(
    tmp_path: Path, settings: Settings
) -> None:
    # Appeals are not scored: this compares scoring only.
    records = [r for r, _ in generate_events(60, 30, 9) if r["kind"] in EVENT_KINDS][:600]
    scorer = build_scorer(settings)
    hasher = hasher_for(settings)
    keyring = Keyring.from_settings(settings)
    ahead = Store.open(f"sqlite:///{tmp_path / 'ahead.db'}", keyring=keyring)
    inside = Store.open(f"sqlite:///{tmp_path / 'inside.db'}", keyring=keyring)
    pipeline = default_pipeline(ahead, settings, scorer)
    expected: dict[str, object] = {}
    for start in range(0, len(records), 100):
        batch = records[start : start + 100]
        pipeline.process(batch, NOW)
        # The same batch scored the way it was before: stored first, in the transaction.
        # Dispute party events are not scored (they step their dispute).
        events = [e for e in sort_records(batch, source="test").events if e.kind in EVENT_KINDS]
        with transaction(inside.engine) as conn:
            fresh = store_events(conn, events, hasher, source="test", received_at=NOW).fresh
            scored = scorer.score_batch(conn, fresh, hasher, NOW)
            # Holds the pipeline imposes (a withdrawal sent to review) are read by later
            # batches' signals: both stores must carry them.
            enforce_decisions(conn, scored, NOW)
            for decision in scored:
                expected[decision.event_id] = decision.to_row()["signals"]
    with ahead.engine.connect() as conn:
        rows = conn.execute(select(decisions.c.event_id, decisions.c.signals)).all()
        stored = {event_id: signals for event_id, signals in rows}
    ahead.close()
    inside.close()
    assert len(stored) == sum(r["kind"] in EVENT_KINDS for r in records)
    assert stored == expected


def test_a_redelivery_binds_before_the_lock_only_the_events_that_are_new(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import trust.pipeline as pipeline_module

    records = [review_payload() for _ in range(4)]
    pipeline = default_pipeline(store, settings, build_scorer(settings))
    pipeline.process(records[:2], NOW)
    runs: list[tuple[PreparedBatch | None, list[str]]] = []
    real = pipeline_module.store_events

    def spy(conn: Connection, batch: Sequence[Event], *args: Any, **kwargs: Any) -> StoredEvents:
        stored = real(conn, batch, *args, **kwargs)
        runs.append((kwargs.get("prepared"), [e.event_id for e in stored.fresh]))
        return stored

    monkeypatch.setattr(pipeline_module, "store_events", spy)
    result = pipeline.process(records, NOW)  # the first two again, and two new

    [(prepared, fresh)] = runs
    assert fresh == [r["event_id"] for r in records[2:]]
    assert prepared is not None and [e.event_id for e in prepared.fresh] == fresh
    assert result.duplicates == 2
    assert_nothing_lost(store, [r["event_id"] for r in records])
