"""Stored events and quarantined records keep their personal fields sealed at rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from tests.conftest import TEST_KEYRING
from tests.factories import (
    complaint_payload,
    profile_verification_payload,
    reference_check_payload,
    review_payload,
)
from trust.events import EVENT_TYPES, event_adapter
from trust.events.personal import personal_paths
from trust.store import Store, transaction
from trust.store.events import insert_events, load_events
from trust.store.quarantine import QuarantinedRecord, quarantine_records
from trust.store.sealed import SEALED_KEY, open_records, seal_payload, seal_records
from trust.store.tables import events, quarantine

NOW = datetime(2026, 3, 20, tzinfo=UTC)
PAYLOADS = {
    "profile_verification": profile_verification_payload,
    "review": lambda: review_payload(text="call me on +447700900123"),
    "reference_check": reference_check_payload,
    "complaint": complaint_payload,
}


def _raw_payload(store: Store, event_id: str) -> str:
    with store.engine.connect() as conn:
        return str(conn.execute(text("SELECT payload FROM events WHERE event_id = :i"),
                                {"i": event_id}).scalar_one())


def _personal_values(payload: dict[str, Any], kind: str) -> list[str]:
    values = []
    for path in personal_paths(EVENT_TYPES[kind]):
        node: Any = payload
        for step in path:
            node = node.get(step) if isinstance(node, dict) else None
        if node not in (None, ""):
            values.append(str(node))
    return values


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_a_stored_event_holds_none_of_its_personal_values_in_clear_and_reads_back_whole(
    store: Store, kind: str
) -> None:
    event = event_adapter.validate_python(PAYLOADS[kind]())
    with transaction(store.engine) as conn:
        insert_events(conn, [event], source="test", received_at=NOW)
    raw = _raw_payload(store, event.event_id)
    personal = _personal_values(event.model_dump(mode="json"), kind)
    assert personal and SEALED_KEY in raw
    assert [v for v in personal if v in raw] == []
    with store.engine.connect() as conn:
        assert load_events(conn, [event.event_id]) == [event]


def test_fields_that_are_not_personal_stay_queryable_in_sql(store: Store) -> None:
    event = event_adapter.validate_python(review_payload(rating=2))
    with transaction(store.engine) as conn:
        insert_events(conn, [event], source="test", received_at=NOW)
    with store.engine.connect() as conn:
        rating = conn.execute(select(events.c.payload["rating"].as_integer())).scalar_one()
    assert rating == 2


def test_a_quarantined_record_is_sealed_whole_and_read_back_clear(store: Store) -> None:
    raw = '{"kind": "review", "text": "mail jane@example.com"}'
    record = QuarantinedRecord("test", 1, raw, [{"field": "x", "problem": "y"}], "x: y")
    with transaction(store.engine) as conn:
        quarantine_records(conn, [record], received_at=NOW)
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT raw FROM quarantine")).scalar_one()
        assert conn.execute(select(quarantine.c.raw)).scalar_one() == raw
    assert "jane" not in stored


def test_payloads_stored_in_clear_before_sealing_existed_still_read(sqlite_store: Store) -> None:
    payload = review_payload()
    with sqlite_store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO events (event_id, kind, occurred_at, received_at, schema_version,"
                 " subject_id, payload) VALUES (:i, 'review', :t, :t, 1, 'a', :p)"),
            {"i": payload["event_id"], "t": NOW, "p": json.dumps(payload)},
        )
    with sqlite_store.engine.connect() as conn:
        assert load_events(conn, [payload["event_id"]]) == [event_adapter.validate_python(payload)]


def test_queue_records_are_sealed_per_record_and_open_to_the_same_records() -> None:
    records = [profile_verification_payload(), review_payload(text="x@y.org"), {"junk": 1}]
    sealed = seal_records(records, TEST_KEYRING)
    assert "x@y.org" not in str(sealed) and records[0]["profile"]["email"] not in str(sealed)
    assert [r.get("event_id") for r in sealed] == [r.get("event_id") for r in records]
    assert open_records(sealed, TEST_KEYRING) == records


def test_sealing_does_not_change_the_callers_payload() -> None:
    payload = profile_verification_payload()
    before = repr(payload)
    seal_payload(payload, TEST_KEYRING)
    assert repr(payload) == before
