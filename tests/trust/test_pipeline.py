"""The decision flow: one transaction per batch, idempotent by event_id, bad input quarantined."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import (
    make_profile_verification,
    profile_verification_payload,
    review_payload,
)
from tests.pipeline_invariants import StoreCounts, assert_nothing_lost, counts
from trust.composition import build_pipeline, default_pipeline
from trust.pipeline import Pipeline, decide_one
from trust.settings import Settings
from trust.simulate import generate_events
from trust.store import Store
from trust.store.tables import case_evidence, cases, quarantine

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def _tampered(**overrides: Any) -> dict[str, Any]:
    return profile_verification_payload(document_check={"tamper_score": 0.93}, **overrides)


@pytest.fixture
def pipeline(store: Store, settings: Settings) -> Pipeline:
    return build_pipeline(settings, store)


def test_a_batch_is_stored_decided_and_its_flagged_events_open_cases(pipeline: Pipeline) -> None:
    records = [review_payload(), _tampered(account_id="acct-mallory"), review_payload()]

    result = pipeline.process(records, NOW)

    assert (result.received, result.stored, result.duplicates, result.quarantined) == (3, 3, 0, 0)
    assert [d.event_id for d in result.decisions] == [r["event_id"] for r in records]
    flagged = [d for d in result.decisions if d.flagged]
    assert [d.subject_id for d in flagged] == ["acct-mallory"]
    assert set(result.case_ids) == {flagged[0].event_id}
    assert_nothing_lost(pipeline.store, [r["event_id"] for r in records])


def test_a_redelivered_batch_writes_nothing_twice(pipeline: Pipeline) -> None:
    records = [_tampered(account_id="acct-mallory"), review_payload(), {"kind": "review"}]
    pipeline.process(records, NOW)
    before = counts(pipeline.store)

    again = pipeline.process(records, NOW)

    assert (again.stored, again.duplicates, again.quarantined, again.decisions) == (0, 2, 0, [])
    assert counts(pipeline.store) == before
    with pipeline.store.engine.connect() as conn:
        assert len(conn.execute(select(case_evidence)).all()) == 1


def test_flagged_events_of_one_subject_and_kind_share_one_open_case(pipeline: Pipeline) -> None:
    first = _tampered(account_id="acct-mallory")
    second = _tampered(account_id="acct-mallory", occurred_at="2026-03-02T10:00:00Z")

    pipeline.process([first], NOW)
    pipeline.process([second], NOW)

    with pipeline.store.engine.connect() as conn:
        opened = conn.execute(select(cases.c.id, cases.c.evidence_count)).all()
    assert len(opened) == 1
    assert opened[0].evidence_count == 2


def test_invalid_records_are_quarantined_with_a_reason_naming_the_field(
    pipeline: Pipeline,
) -> None:
    bad_rating = review_payload(rating=11)

    result = pipeline.process([review_payload(), bad_rating, "{not json"], NOW)

    assert (result.stored, result.quarantined) == (1, 2)
    with pipeline.store.engine.connect() as conn:
        held = conn.execute(select(quarantine).order_by(quarantine.c.line_number)).all()
    assert [h.line_number for h in held] == [2, 3]
    assert "rating" in held[0].reason
    assert held[0].event_id == bad_rating["event_id"]
    assert "not valid JSON" in held[1].reason


class _ExplodingScorer:
    def score_batch(self, *_args: Any) -> list[Any]:
        raise RuntimeError("scorer bug")


def test_a_failing_batch_leaves_no_trace_in_the_store(store: Store, settings: Settings) -> None:
    with pytest.raises(RuntimeError, match="scorer bug"):
        default_pipeline(store, settings, _ExplodingScorer()).process(
            [review_payload(), {"kind": "review"}]
        )

    assert counts(store) == StoreCounts(events=0, decisions=0, open_cases=0, quarantined=0)


def test_validated_event_objects_are_accepted_as_they_are(pipeline: Pipeline) -> None:
    event = make_profile_verification()

    result = pipeline.process([event], NOW)

    assert [d.event_id for d in result.decisions] == [event.event_id]


def test_a_simulated_marketplace_keeps_every_promise(store: Store, settings: Settings) -> None:
    records = [record for record, _ in generate_events(150, 20, seed=5)]
    pipeline = build_pipeline(settings, store)

    for start in range(0, len(records), 100):
        pipeline.process(records[start : start + 100], NOW)
    # A second delivery of everything, as after a crash before the acks.
    pipeline.process(records, NOW)

    assert_nothing_lost(store, [r["event_id"] for r in records])
    assert counts(store).open_cases > 0


def test_decide_one_decides_now_then_returns_the_stored_decision(pipeline: Pipeline) -> None:
    record = _tampered(account_id="acct-mallory")

    first = decide_one(pipeline, record, NOW)
    second = decide_one(pipeline, record, NOW)

    assert first.status == "decided"
    assert first.decision is not None and first.decision["outcome"] != "allow"
    assert first.decision["case_id"] is not None
    assert second.status == "already_decided"
    assert second.decision is not None
    assert second.decision["outcome"] == first.decision["outcome"]
    assert second.decision["case_id"] == first.decision["case_id"]


def test_decide_one_reports_a_refused_record_with_its_reason(pipeline: Pipeline) -> None:
    result = decide_one(pipeline, review_payload(rating="five"), NOW)

    assert result.status == "quarantined"
    assert result.decision is None
    assert result.reason is not None and "rating" in result.reason


def test_an_event_id_reused_with_other_content_is_quarantined_not_decided_twice(
    pipeline: Pipeline,
) -> None:
    original = review_payload()
    pipeline.process([original], NOW)

    result = decide_one(pipeline, {**original, "rating": 1}, NOW)

    assert result.status == "quarantined"
    assert result.reason is not None and "different content" in result.reason
    assert counts(pipeline.store).decisions == 1
