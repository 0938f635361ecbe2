"""Replaying the quarantine after a fix: accepted records are decided, refused ones re-explained."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import profile_verification_payload, review_payload
from tests.pipeline_invariants import assert_nothing_lost, counts
from trust.composition import build_pipeline
from trust.events.codes import COUNTRY_CODES
from trust.intake import BatchOutcome, IngestBatch, ingest_file, replay_quarantine
from trust.intake.deciding import PipelineSink
from trust.intake.validation import CONFLICTING_CONTENT, TOO_LARGE
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.quarantine import QuarantinedRecord, count_held, quarantine_records
from trust.store.tables import cases, decisions, events, quarantine

NOW = datetime(2026, 3, 20, tzinfo=UTC)


def hold(
    store: Store, raw: str, *, line: int = 1, errors: list[dict[str, str]] | None = None
) -> int:
    record = QuarantinedRecord(
        source="old.jsonl",
        line_number=line,
        raw=raw,
        errors=errors or [{"field": "(record)", "message": "refused by an older schema"}],
        reason=f"line {line}: refused by an older schema",
    )
    with transaction(store.engine) as conn:
        quarantine_records(conn, [record], received_at=NOW)
        return int(conn.execute(select(quarantine.c.id).order_by(quarantine.c.id.desc())).scalar())


@pytest.fixture
def sink(store: Store, settings: Settings) -> PipelineSink:
    """The sink ``trust quarantine replay --direct`` uses: decide in this process."""
    return PipelineSink(build_pipeline(settings, store, source="quarantine replay"))


class FailingSink:
    """A sink that cannot take anything (a queue that is down, say)."""

    def write(self, batch: IngestBatch) -> BatchOutcome:
        raise ConnectionError("queue unavailable")


def row(store: Store, row_id: int) -> Any:
    with store.engine.connect() as conn:
        return conn.execute(select(quarantine).where(quarantine.c.id == row_id)).one()


def stored_ids(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.execute(select(events.c.event_id)).scalars())


def test_a_record_that_now_passes_is_decided_and_closed(store: Store, sink: PipelineSink) -> None:
    payload = review_payload()
    row_id = hold(store, json.dumps(payload))
    summary = replay_quarantine(store, sink)
    assert (summary.examined, summary.accepted, summary.still_held) == (1, 1, 0)
    assert stored_ids(store) == {payload["event_id"]}
    assert_nothing_lost(store, [payload["event_id"]])
    replayed = row(store, row_id)
    assert replayed.status == "replayed" and replayed.replayed_at is not None


def test_a_replayed_flagged_record_gets_one_decision_and_a_case(
    store: Store, sink: PipelineSink
) -> None:
    payload = profile_verification_payload(
        account_id="acct-mallory", document_check={"tamper_score": 0.93}
    )
    hold(store, json.dumps(payload))
    replay_quarantine(store, sink)
    with store.engine.connect() as conn:
        decided = conn.execute(select(decisions)).all()
        opened = conn.execute(select(cases)).all()
    assert [(d.event_id, d.outcome != "allow") for d in decided] == [(payload["event_id"], True)]
    assert [(c.subject_id, c.id) for c in opened] == [("acct-mallory", decided[0].case_id)]
    assert_nothing_lost(store, [payload["event_id"]])


def test_replaying_twice_adds_nothing(store: Store, sink: PipelineSink) -> None:
    hold(store, json.dumps(profile_verification_payload(document_check={"tamper_score": 0.93})))
    hold(store, json.dumps(review_payload()), line=2)
    replay_quarantine(store, sink)
    before = counts(store)
    again = replay_quarantine(store, sink)
    assert (again.examined, again.accepted) == (0, 0)
    assert counts(store) == before
    assert (before.events, before.decisions, before.open_cases) == (2, 2, 1)


def test_an_entry_stays_held_until_the_sink_takes_its_event(
    store: Store, sink: PipelineSink
) -> None:
    payload = review_payload()
    row_id = hold(store, json.dumps(payload))
    with pytest.raises(ConnectionError):
        replay_quarantine(store, FailingSink())
    assert row(store, row_id).status == "held"
    assert stored_ids(store) == set()
    assert replay_quarantine(store, sink).accepted == 1
    assert_nothing_lost(store, [payload["event_id"]])


def test_two_held_copies_of_one_event_are_decided_once(store: Store, sink: PipelineSink) -> None:
    payload = review_payload()
    first = hold(store, json.dumps(payload), line=1)
    second = hold(store, json.dumps(payload), line=2)
    summary = replay_quarantine(store, sink)
    assert (summary.accepted, summary.already_stored) == (1, 1)
    assert {row(store, first).status, row(store, second).status} == {"replayed"}
    assert counts(store).decisions == 1


def test_a_record_still_refused_stays_held_with_a_fresh_reason(
    store: Store, sink: PipelineSink
) -> None:
    row_id = hold(store, json.dumps(review_payload(rating=9)), line=12)
    summary = replay_quarantine(store, sink)
    assert summary.still_held == 1
    held = row(store, row_id)
    assert held.status == "held"
    assert held.reason.startswith("line 12: rating:")
    assert held.errors[0]["field"] == "rating"


def test_a_cut_down_over_long_record_is_left_alone(store: Store, sink: PipelineSink) -> None:
    errors = [{"field": "(record)", "message": "record is 9999999 bytes", "code": TOO_LARGE}]
    row_id = hold(store, '{"kind": "review", "text": "xxxx', errors=errors)
    summary = replay_quarantine(store, sink)
    assert summary.still_held == 1
    assert row(store, row_id).reason == "line 1: refused by an older schema"


def test_an_id_stored_with_other_content_stays_held_as_a_conflict(
    store: Store, settings: Settings, sink: PipelineSink, tmp_path: Path
) -> None:
    payload = review_payload()
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(payload) + "\n")
    ingest_file(store, path, settings)
    row_id = hold(store, json.dumps({**payload, "rating": 1}))
    same_id = hold(store, json.dumps(payload), line=2)
    summary = replay_quarantine(store, sink)
    assert (summary.already_stored, summary.still_held) == (1, 1)
    assert CONFLICTING_CONTENT in row(store, row_id).reason
    assert row(store, same_id).status == "replayed"


def test_replay_by_id_touches_only_the_records_named(store: Store, sink: PipelineSink) -> None:
    wanted = hold(store, json.dumps(review_payload()), line=1)
    other = hold(store, json.dumps(review_payload()), line=2)
    summary = replay_quarantine(store, sink, ids=[wanted, 9999])
    assert (summary.accepted, summary.not_held) == (1, 1)
    assert row(store, other).status == "held"


def test_a_schema_fix_lets_replay_accept_what_ingest_refused(
    store: Store,
    settings: Settings,
    sink: PipelineSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Kosovo's user-assigned code is not in ISO 3166-1; a platform may still send it.
    kosovo = review_payload(network={"ip_country": "XK"})
    path = tmp_path / "in.jsonl"
    plain = review_payload()
    path.write_text(json.dumps(plain) + "\n" + json.dumps(kosovo) + "\n")
    assert ingest_file(store, path, settings, sink=sink).quarantined == 1
    monkeypatch.setattr("trust.events.common.COUNTRY_CODES", COUNTRY_CODES | {"XK"})
    summary = replay_quarantine(store, sink, batch_size=1)
    assert summary.accepted == 1
    assert_nothing_lost(store, [plain["event_id"], kosovo["event_id"]])
    with store.engine.connect() as conn:
        assert count_held(conn) == 0
