"""The audit log: append records, search them newest first, one page at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from trust.audit import AuditFilter, record_audit, search_audit
from trust.store import Store, transaction

NOW = datetime(2026, 3, 4, 10, tzinfo=UTC)


def test_records_keep_before_and_after_as_json(store: Store) -> None:
    with transaction(store.engine) as conn:
        record_audit(
            conn,
            actor="ana",
            action="resolved",
            target_type="case",
            target_id=7,
            at=NOW,
            before={"status": "in_review"},
            after={"status": "resolved", "amount": Decimal("12.50"), "at": NOW},
        )
        page = search_audit(conn)
    row = page.rows[0]
    assert row["target_id"] == "7" and row["before"] == {"status": "in_review"}
    assert row["after"] == {"status": "resolved", "amount": "12.50", "at": NOW.isoformat()}


def test_search_filters_and_pages(store: Store) -> None:
    with transaction(store.engine) as conn:
        for i in range(30):
            record_audit(
                conn,
                actor="ana" if i % 2 else "lee",
                action="claimed",
                target_type="case",
                target_id=i,
                at=NOW + timedelta(minutes=i),
            )
        first = search_audit(conn, AuditFilter(actor="ana"), page=1, page_size=10)
        second = search_audit(conn, AuditFilter(actor="ana"), page=2, page_size=10)
        window = search_audit(conn, AuditFilter(since=NOW + timedelta(minutes=25)))
        one = search_audit(conn, AuditFilter(target_type="case", target_id="3"))
    assert first.total == 15 and len(first.rows) == 10 and len(second.rows) == 5
    assert first.rows[0]["target_id"] == "29"  # newest first
    assert window.total == 5
    assert [r["actor"] for r in one.rows] == ["ana"]
