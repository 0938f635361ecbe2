"""Ingesting files into a store: batches, idempotency, duplicates and conflicting ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tests.factories import (
    complaint_payload,
    profile_verification_payload,
    reference_check_payload,
    review_payload,
)
from trust.intake import IngestBatch, ingest_file, iter_batches
from trust.intake.sinks import BatchOutcome
from trust.intake.validation import CONFLICTING_CONTENT
from trust.settings import Settings
from trust.store import Store
from trust.store.accounts import accounts_sharing
from trust.store.tables import account_identifiers, accounts, events, quarantine


def write_jsonl(path: Path, records: list[dict[str, Any] | str]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n")
    return path


def count(store: Store, table: Any) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_batches_split_valid_events_from_refused_records(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [review_payload() for _ in range(5)] + ["{oops"])
    batches = list(iter_batches(path, source="test", batch_size=2))
    assert sum(len(b.events) for b in batches) == 5
    assert [r.line_number for b in batches for r in b.quarantined] == [6]
    assert batches[-1].bytes_read == path.stat().st_size
    assert batches[-1].lines_read == 6


def test_a_repeated_event_counts_as_a_duplicate_and_a_changed_one_is_quarantined(
    tmp_path: Path,
) -> None:
    first = review_payload()
    changed = {**first, "rating": 1}
    path = write_jsonl(tmp_path / "in.jsonl", [first, first, changed])
    (batch,) = iter_batches(path, source="test")
    assert len(batch.events) == 1 and batch.duplicates == 1
    (refused,) = batch.quarantined
    assert refused.line_number == 3 and CONFLICTING_CONTENT in refused.reason
    assert refused.event_id == first["event_id"]


def test_ingest_stores_events_accounts_and_identifiers(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    records = [
        profile_verification_payload(account_id="acct-a", payment_fingerprint="pm-shared"),
        profile_verification_payload(
            account_id="acct-b", payment_fingerprint="pm-shared", profile={"email": "b@example.com"}
        ),
        review_payload(),
        reference_check_payload(),
        complaint_payload(),
    ]
    summary = ingest_file(store, write_jsonl(tmp_path / "in.jsonl", records), settings)
    assert (summary.accepted, summary.duplicates, summary.quarantined) == (5, 0, 0)
    assert count(store, events) == 5
    with store.engine.connect() as conn:
        ids = set(conn.execute(select(accounts.c.account_id)).scalars())
        payment_hashes = list(
            conn.execute(
                select(account_identifiers.c.value_hash).where(
                    account_identifiers.c.kind == "payment"
                )
            ).scalars()
        )
        shared = accounts_sharing(conn, "payment", payment_hashes)
    assert {"acct-a", "acct-b", "acct-alice", "acct-bob"} <= ids
    assert list(shared.values()) == [{"acct-a", "acct-b"}]


def test_ingesting_the_same_file_twice_adds_nothing(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [review_payload(), complaint_payload(), "[1]"])
    first = ingest_file(store, path, settings)
    second = ingest_file(store, path, settings)
    assert (first.accepted, first.quarantined) == (2, 1)
    assert (
        second.accepted,
        second.already_stored,
        second.duplicates,
        second.quarantined,
        second.already_held,
    ) == (0, 2, 0, 0, 1)
    assert count(store, events) == 2 and count(store, quarantine) == 1


def test_an_id_reused_with_other_content_in_a_later_file_is_quarantined(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    original = review_payload()
    ingest_file(store, write_jsonl(tmp_path / "a.jsonl", [original]), settings)
    later = write_jsonl(tmp_path / "b.jsonl", [review_payload(), {**original, "rating": 2}])
    summary = ingest_file(store, later, settings)
    assert (summary.accepted, summary.quarantined) == (1, 1)
    with store.engine.connect() as conn:
        row = conn.execute(select(quarantine)).one()
    assert row.line_number == 2 and row.source == "b.jsonl"
    assert row.reason == f"line 2: event_id: {CONFLICTING_CONTENT}"


def test_csv_files_are_ingested_like_json_lines(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "complaints.csv"
    path.write_text(
        "kind,event_id,occurred_at,complainant_id,respondent_id,complainant_role,"
        "respondent_role,category,amount_in_dispute.amount,amount_in_dispute.currency,"
        "description,evidence_refs.0,evidence_refs.1\n"
        "complaint,cp-csv-1,2026-03-15T08:00:00Z,acct-a,acct-b,freelancer,client,non_payment,"
        '800.00,USD,"Unpaid, for 20 days",f-1,f-2\n'
        "complaint,cp-csv-2,2026-03-15T08:00:00Z,acct-a,acct-b,freelancer,client,non_payment,"
        "-3,USD,negative,,\n"
    )
    summary = ingest_file(store, path, settings, source="partner-csv")
    assert (summary.accepted, summary.quarantined) == (1, 1)
    with store.engine.connect() as conn:
        payload = conn.execute(select(events.c.payload)).scalar_one()
        reason = conn.execute(select(quarantine.c.reason)).scalar_one()
    assert payload["evidence_refs"] == ["f-1", "f-2"]
    assert payload["amount_in_dispute"] == {"amount": "800.00", "currency": "USD"}
    assert reason.startswith("line 3: amount_in_dispute.amount:")


class RecordingSink:
    """A sink that keeps what it is given, as a queue sink would enqueue it."""

    def __init__(self) -> None:
        self.batches: list[IngestBatch] = []

    def write(self, batch: IngestBatch) -> BatchOutcome:
        self.batches.append(batch)
        return BatchOutcome(len(batch.events), batch.duplicates, len(batch.quarantined))


def test_another_sink_can_take_the_batches_instead_of_the_store(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [review_payload() for _ in range(7)])
    sink = RecordingSink()
    summary = ingest_file(store, path, settings, sink=sink, batch_size=3)
    assert summary.accepted == 7
    assert [len(b.events) for b in sink.batches] == [3, 3, 1]
    assert count(store, events) == 0
