"""``trust ingest`` of a file full of broken records, then ``trust quarantine`` (issue 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.factories import (
    complaint_payload,
    profile_verification_payload,
    reference_check_payload,
    review_payload,
)
from tests.pipeline_invariants import assert_nothing_lost
from trust.cli.main import app
from trust.events.codes import COUNTRY_CODES
from trust.events.validation import MAX_RECORD_BYTES
from trust.settings import get_settings
from trust.store import Store
from trust.store.tables import events, quarantine

runner = CliRunner()


def dumps(record: Any) -> bytes:
    return json.dumps(record).encode()


def review(**overrides: Any) -> bytes:
    return dumps(review_payload(**overrides))


REPEATED = review_payload()
# Broken records: (what is wrong, raw line, text the reason must name as the field).
BROKEN: list[tuple[str, bytes, str]] = [
    ("truncated JSON", review()[:60], "(record): not valid JSON"),
    ("wrong type", review(reviewer_id=12345), "reviewer_id"),
    ("unknown kind", dumps({**review_payload(), "kind": "payout"}), "kind: unknown kind"),
    ("missing kind", dumps(review_payload(kind=...)), "kind: field required"),
    ("unknown field", review(coupon="FREE"), "coupon"),
    ("bad country", review(network={"ip_country": "XX"}), "network.ip_country"),
    ("bad currency", review(amount_paid={"currency": "ABC"}), "amount_paid.currency"),
    ("negative amount", review(amount_paid={"amount": "-5.00"}), "amount_paid.amount"),
    ("rating 0", review(rating=0), "rating"),
    ("rating 6", review(rating=6), "rating"),
    ("naive timestamp", review(occurred_at="2026-03-10T12:00:00"), "occurred_at"),
    ("non-UTF-8 bytes", review(text="café").replace(b"caf\\u00e9", b"caf\xe9"), "UTF-8"),
    ("NUL byte", review(text="nul").replace(b"nul", b"n\x00l"), "(record): not valid JSON"),
    ("escaped NUL", review(text="a\x00b"), "text: contains a NUL"),
    ("huge line", review(text="x" * (MAX_RECORD_BYTES + 1)), "(record): record is"),
    ("array", b"[" + review() + b"]", "(record): expected a JSON object"),
    (
        "invalid email",
        dumps(profile_verification_payload(profile={"email": "nope"})),
        "profile.email",
    ),
    ("bad phone", dumps(profile_verification_payload(profile={"phone": "12345"})), "profile.phone"),
    (
        "contract end before start",
        review(contract_ended_at="2026-01-01T00:00:00Z"),
        "contract_ended_at is before contract_started_at",
    ),
    (
        "same reviewer and reviewee",
        review(reviewee_id="acct-bob"),
        "reviewer_id and reviewee_id are the same",
    ),
    (
        "duplicate id, other content",
        dumps({**REPEATED, "rating": 1}),
        "event_id: event_id already used with different content",
    ),
    (
        "response before request",
        dumps(reference_check_payload(response={"responded_at": "2026-03-01T00:00:00Z"})),
        "responded_at is before request_sent_at",
    ),
    ("bad IP", review(network={"ip": "999.0.0.1"}), "network.ip"),
    (
        "tamper score above 1",
        dumps(profile_verification_payload(document_check={"tamper_score": 1.5})),
        "document_check.tamper_score",
    ),
    (
        "complaint against oneself",
        dumps(complaint_payload(respondent_id="acct-alice")),
        "complainant_id and respondent_id are the same",
    ),
    ("unknown schema version", review(schema_version=2), "schema_version"),
    ("huge integer", b'{"kind": "review", "rating": ' + b"9" * 5000 + b"}", "(record): not valid"),
    ("JSON scalar", b'"review"', "(record): expected a JSON object"),
]


def build_file(path: Path) -> tuple[set[str], dict[int, tuple[str, str]]]:
    """Valid records interleaved with broken ones; returns valid ids and broken lines."""
    valid = [
        REPEATED,
        review_payload(),
        profile_verification_payload(),
        reference_check_payload(),
        complaint_payload(),
        review_payload(text="Zoë was great 👍"),
    ]
    lines: list[bytes] = []
    broken_lines: dict[int, tuple[str, str]] = {}
    for index, (what, raw, field) in enumerate(BROKEN):
        if index < len(valid):
            lines.append(dumps(valid[index]))
        lines.append(raw)
        broken_lines[len(lines)] = (what, field)
        if index % 7 == 0:
            lines.append(b"   ")  # blank lines are skipped, not quarantined
    lines.append(dumps(REPEATED))  # the same event again: a duplicate, not a problem
    path.write_bytes(b"\n".join(lines) + b"\n")
    return {str(v["event_id"]) for v in valid}, broken_lines


def stored(data_dir: Path) -> tuple[set[str], list[Any]]:
    store = Store.open(f"sqlite:///{data_dir / 'trust.db'}")
    with store.engine.connect() as conn:
        ids = set(conn.execute(select(events.c.event_id)).scalars())
        rows = conn.execute(select(quarantine).order_by(quarantine.c.line_number)).all()
    store.close()
    return ids, rows


def test_ingest_accepts_exactly_the_valid_records_and_quarantines_every_broken_one(
    trust_env: Path,
) -> None:
    path = trust_env / "mixed.jsonl"
    valid_ids, broken_lines = build_file(path)
    assert len(broken_lines) >= 20

    result = runner.invoke(app, ["ingest", str(path)])
    assert result.exit_code == 0, result.output
    ids, rows = stored(trust_env / "data")
    assert ids == valid_ids
    assert {row.line_number for row in rows} == set(broken_lines)
    for row in rows:
        what, field = broken_lines[row.line_number]
        assert row.reason.startswith(f"line {row.line_number}: "), what
        assert field in row.reason, f"{what}: {row.reason}"
        assert row.raw, what
    huge = next(r for r in rows if broken_lines[r.line_number][0] == "huge line")
    assert len(huge.raw) <= 4096 < MAX_RECORD_BYTES
    latin = next(r for r in rows if broken_lines[r.line_number][0] == "non-UTF-8 bytes")
    assert "caf\\xe9" in latin.raw

    again = runner.invoke(app, ["ingest", str(path)])
    assert again.exit_code == 0, again.output
    assert stored(trust_env / "data") == (ids, rows)


def test_quarantine_list_shows_line_field_and_time(trust_env: Path) -> None:
    path = trust_env / "two.jsonl"
    path.write_bytes(review() + b"\n" + review(rating=9) + b"\n")
    runner.invoke(app, ["ingest", str(path)])
    result = runner.invoke(app, ["quarantine", "list", "--limit", "5"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "1 held" in result.output
    assert "rating: Input should be less than or equal to 5" in result.output
    assert "two.jsonl" in result.output


def test_quarantine_replay_needs_ids_or_all(trust_env: Path) -> None:
    result = runner.invoke(app, ["quarantine", "replay"])
    assert result.exit_code == 2


def test_quarantine_replay_all_reports_what_stays_held(trust_env: Path) -> None:
    path = trust_env / "bad.jsonl"
    path.write_bytes(review(rating=9) + b"\n")
    runner.invoke(app, ["ingest", str(path)])
    result = runner.invoke(app, ["quarantine", "replay", "--all"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "still held" in result.output
    _, rows = stored(trust_env / "data")
    assert [row.status for row in rows] == ["held"]


def test_quarantine_replay_decides_a_record_a_schema_fix_lets_through(
    trust_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = trust_env / "kosovo.jsonl"
    kosovo = review_payload(network={"ip_country": "XK"})
    path.write_bytes(dumps(kosovo) + b"\n")
    runner.invoke(app, ["ingest", str(path)])
    monkeypatch.setattr("trust.events.common.COUNTRY_CODES", COUNTRY_CODES | {"XK"})
    result = runner.invoke(app, ["quarantine", "replay", "--all"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    store = Store.open(f"sqlite:///{trust_env / 'data' / 'trust.db'}")
    try:
        assert_nothing_lost(store, [kosovo["event_id"]])
    finally:
        store.close()


def test_ingest_of_a_missing_file_is_a_usage_error(trust_env: Path) -> None:
    result = runner.invoke(app, ["ingest", str(trust_env / "nope.jsonl")])
    assert result.exit_code == 2


@pytest.mark.parametrize("command", [["quarantine", "list"], ["quarantine", "replay", "--all"]])
def test_an_unreachable_store_is_one_line_of_error_not_a_traceback(
    trust_env: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("TRUST_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    result = runner.invoke(app, command)
    assert result.exit_code == 4
    assert "error:" in result.output and "Traceback" not in result.output
