"""One validation for every way in: a file line and a queued or posted record are judged alike."""

from __future__ import annotations

import json
from pathlib import Path

from tests.factories import review_payload
from trust.intake import iter_batches
from trust.intake.validation import sort_records
from trust.store.quarantine import QuarantinedRecord


def test_a_file_line_and_a_queued_record_are_refused_for_the_same_fields(tmp_path: Path) -> None:
    bad = {**review_payload(), "rating": 9}
    del bad["occurred_at"]
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(review_payload()) + "\n" + json.dumps(bad) + "\n")

    (batch,) = list(iter_batches(path, source="in.jsonl"))
    checked = sort_records([bad], source="queue")

    (from_file,) = batch.quarantined
    (from_queue,) = checked.refused
    assert from_file.errors == from_queue.errors
    assert {e["field"] for e in from_file.errors} >= {"rating", "occurred_at"}
    # A file line is cited by its number; a record's place in a batch is no line to look up.
    assert from_file.reason == f"line 2: {from_queue.reason}"
    assert from_file.event_id == from_queue.event_id == bad["event_id"]


def test_events_validated_already_pass_through_and_text_is_kept_as_sent() -> None:
    event = sort_records([review_payload()], source="api").events[0]
    broken = b'{"kind": "review", "event_id": '

    checked = sort_records([event, broken], source="api")

    assert len(checked.events) == 1 and checked.events[0] is event
    (refused,) = checked.refused
    assert isinstance(refused, QuarantinedRecord)
    assert refused.raw == broken.decode() and refused.line_number == 2


def test_a_record_nested_past_the_recursion_limit_is_refused_with_its_text_clipped() -> None:
    record = review_payload()
    deep: dict[str, object] = {}
    node = deep
    for _ in range(5_000):
        node["x"] = node = {}
    record["rating"] = deep

    result = sort_records([record, review_payload()], source="python")

    assert len(result.events) == 1
    (refused,) = result.refused
    assert refused.reason == "(record): nested too deeply"
    raw = json.loads(refused.raw)
    assert raw["event_id"] == record["event_id"]
    assert "nested deeper than 64 levels" in json.dumps(raw)
