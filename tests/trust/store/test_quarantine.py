"""The quarantine table: refused records kept whole, once, and closed when replayed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from trust.store import Store, transaction
from trust.store.quarantine import (
    QuarantinedRecord,
    count_held,
    held_after,
    held_by_ids,
    held_raw,
    held_records,
    mark_replayed,
    quarantine_records,
    safe_text,
    update_reasons,
)
from trust.store.tables import quarantine

NOW = datetime(2026, 3, 20, tzinfo=UTC)


def refused(line: int, raw: str = '{"kind": "review"}', **fields: object) -> QuarantinedRecord:
    values: dict[str, object] = {
        "source": "in.jsonl",
        "line_number": line,
        "raw": raw,
        "errors": [{"field": "rating", "message": "field required"}],
        "reason": f"line {line}: rating: field required",
        "event_id": "rv-1",
    }
    values.update(fields)
    return QuarantinedRecord(**values)  # type: ignore[arg-type]


def test_a_refused_record_round_trips_with_its_reason(store: Store) -> None:
    with transaction(store.engine) as conn:
        assert quarantine_records(conn, [refused(3)], received_at=NOW) == 1
    with store.engine.connect() as conn:
        (row,) = held_records(conn)
        assert count_held(conn) == 1
        raw = held_raw(conn, row.id)
        status, digest = conn.execute(
            select(quarantine.c.status, quarantine.c.raw_digest).where(quarantine.c.id == row.id)
        ).one()
    assert (row.line_number, raw, row.event_id) == (3, '{"kind": "review"}', "rv-1")
    assert row.errors == [{"field": "rating", "message": "field required"}]
    assert status == "held" and len(digest) == 64


def test_the_same_line_is_held_once_but_equal_lines_elsewhere_are_all_kept(store: Store) -> None:
    with transaction(store.engine) as conn:
        assert quarantine_records(conn, [refused(1), refused(2), refused(1)], received_at=NOW) == 2
    with transaction(store.engine) as conn:
        assert quarantine_records(conn, [refused(1), refused(2)], received_at=NOW) == 0
        assert quarantine_records(conn, [refused(1, source="other.jsonl")], received_at=NOW) == 1


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("plain", "plain"),
        ("nul\x00inside", "nul\\x00inside"),
        ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
        ("café 👍", "café 👍"),
    ],
)
def test_text_no_database_can_store_is_escaped_not_lost(store: Store, text: str, kept: str) -> None:
    assert safe_text(text) == kept
    record = refused(
        1, raw=text, reason=text, event_id=text, errors=[{"field": text, "message": text}]
    )
    with transaction(store.engine) as conn:
        quarantine_records(conn, [record], received_at=NOW)
    with store.engine.connect() as conn:
        row = conn.execute(select(quarantine)).one()
    assert row.raw == row.reason == row.event_id == kept
    assert row.errors == [{"field": kept, "message": kept}]


def test_replayed_records_leave_the_held_list(store: Store) -> None:
    with transaction(store.engine) as conn:
        quarantine_records(conn, [refused(n) for n in range(1, 6)], received_at=NOW)
        ids = [r.id for r in held_after(conn, 0, limit=10)]
        mark_replayed(conn, ids[:2], at=NOW)
        assert [r.id for r in held_by_ids(conn, ids)] == ids[2:]
        assert [r.id for r in held_after(conn, ids[2], limit=1)] == [ids[3]]
        assert count_held(conn) == 3
        assert [r.id for r in held_records(conn, limit=2, offset=1)] == [ids[3], ids[2]]
        replayed = conn.execute(select(quarantine).where(quarantine.c.id == ids[0])).one()
    assert replayed.status == "replayed" and replayed.replayed_at is not None


def test_update_reasons_rewrites_errors_and_reason(store: Store) -> None:
    with transaction(store.engine) as conn:
        quarantine_records(conn, [refused(4)], received_at=NOW)
        (row,) = held_after(conn, 0, limit=1)
        update_reasons(
            conn,
            [(row.id, [{"field": "text", "message": "too long"}], "line 4: text: too long")],
        )
        (after,) = held_by_ids(conn, [row.id])
    assert after.reason == "line 4: text: too long"
    assert after.errors == [{"field": "text", "message": "too long"}]
