"""Stored events and quarantined records keep their personal fields sealed at rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from tests.conftest import TEST_KEYRING, TEST_SECRET
from tests.factories import (
    complaint_payload,
    profile_verification_payload,
    reference_check_payload,
    review_payload,
)
from trust.account_search import search_accounts
from trust.cli.main import app
from trust.encryption import Keyring
from trust.events import EVENT_TYPES, event_adapter
from trust.events.personal import personal_paths
from trust.pii import PiiHasher
from trust.settings import get_settings
from trust.store import Store, transaction
from trust.store.events import insert_events, load_events
from trust.store.quarantine import QuarantinedRecord, quarantine_records
from trust.store.reseal import reseal_store
from trust.store.sealed import SEALED_KEY, open_records, seal_payload, seal_records
from trust.store.tables import events, quarantine

NOW = datetime(2026, 3, 20, tzinfo=UTC)
HASHER = PiiHasher(TEST_SECRET.encode())
PAYLOADS = {
    "profile_verification": profile_verification_payload,
    "review": lambda: review_payload(text="call me on +447700900123"),
    "reference_check": reference_check_payload,
    "complaint": complaint_payload,
}


def _raw_payload(store: Store, event_id: str) -> str:
    with store.engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT payload FROM events WHERE event_id = :i"), {"i": event_id}
            ).scalar_one()
        )


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
            text(
                "INSERT INTO events (event_id, kind, occurred_at, received_at, schema_version,"
                " subject_id, payload) VALUES (:i, 'review', :t, :t, 1, 'a', :p)"
            ),
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


def test_resealing_after_a_rotation_leaves_every_row_readable_with_the_new_key_alone(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'rotate.db'}"
    old, new = b"old-material-" + b"1" * 32, b"new-material-" + b"2" * 32
    event = event_adapter.validate_python(profile_verification_payload())
    record = QuarantinedRecord("test", 1, "broken jane@example.com", [], "x: y")
    with Store.open(url, keyring=Keyring([old])) as store, transaction(store.engine) as conn:
        insert_events(conn, [event], source="test", received_at=NOW)
        quarantine_records(conn, [record], received_at=NOW)

    with Store.open(url, keyring=Keyring([new, old])) as store:
        first = reseal_store(store.engine, HASHER)
        again = reseal_store(store.engine, HASHER)
    assert (first.events, first.quarantined, first.already_current) == (1, 1, 0)
    assert (again.events, again.quarantined, again.already_current) == (0, 0, 2)

    with Store.open(url, keyring=Keyring([new])) as store, store.engine.connect() as conn:
        assert load_events(conn, [event.event_id]) == [event]
        assert conn.execute(select(quarantine.c.raw)).scalar_one() == record.raw


def test_trust_encryption_reseal_seals_a_store_written_in_clear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRUST_SECRET_KEY", TEST_SECRET)
    monkeypatch.delenv("TRUST_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    payload = review_payload(text="reach me at jane@example.com")
    with Store.open(f"sqlite:///{tmp_path / 'trust.db'}") as store, store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO events (event_id, kind, occurred_at, received_at, schema_version,"
                " subject_id, payload) VALUES (:i, 'review', :t, :t, 1, 'a', :p)"
            ),
            {"i": payload["event_id"], "t": NOW, "p": json.dumps(payload)},
        )
        conn.execute(
            text(
                "INSERT INTO accounts (account_id, status, first_seen_at, last_seen_at,"
                " display_name) VALUES ('acct-old', 'active', :t, :t, 'Old Name')"
            ),
            {"t": NOW},
        )
    result = CliRunner().invoke(app, ["encryption", "reseal"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 events" in result.output
    assert "1 display names" in result.output
    assert b"jane@example.com" not in (tmp_path / "trust.db").read_bytes()
    assert b"Old Name" not in (tmp_path / "trust.db").read_bytes()
    with Store.open(f"sqlite:///{tmp_path / 'trust.db'}") as store, store.engine.connect() as conn:
        found = search_accounts(conn, "old name", PiiHasher(TEST_SECRET.encode()))
    assert [r["account_id"] for r in found] == ["acct-old"]
