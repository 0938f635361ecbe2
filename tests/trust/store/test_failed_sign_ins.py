"""Failed sign-ins across accounts are read from an index of their own, successes left unread.

The failures from one address in the hour before a failing sign-in were read by kind and
time, every sign-in of the hour a row read to learn its outcome; on a busy marketplace most
of them are successes, so the look-up grew with the sign-ins an hour.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import make_event
from trust.events import SignInEvent
from trust.store import Store, transaction
from trust.store.events import insert_events
from trust.store.lookups import _FAILED_SIGN_INS, failed_sign_in_rows

HOUR = (datetime(2026, 3, 20, 7, 0, tzinfo=UTC), datetime(2026, 3, 20, 8, 0, tzinfo=UTC))


def _plan(store: Store, explain: str) -> str:
    """The store's plan for the look-up's own select, one hour's window written in."""
    with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            # A near-empty table is cheapest to scan: forbid that, so the plan shows whether
            # the select's conditions let PostgreSQL use the partial index at all.
            conn.exec_driver_sql("SET enable_seqscan = off")
        select = _FAILED_SIGN_INS.params(lo=HOUR[0], hi=HOUR[1]).compile(
            dialect=conn.dialect, compile_kwargs={"literal_binds": True}
        )
        return " | ".join(str(row[-1]) for row in conn.exec_driver_sql(f"{explain} {select}"))


def _sign_in(event_id: str, at: str, outcome: str, ip: str = "198.51.100.7") -> SignInEvent:
    return make_event(
        "sign_in",
        event_id=event_id,
        occurred_at=at,
        outcome=outcome,
        account_id=f"acct-{event_id}",
        network={"ip": ip, "ip_country": "GB", "device_id": f"dev-{event_id}"},
    )


def test_only_the_failures_of_the_window_are_read_with_their_address_opened(store: Store) -> None:
    with transaction(store.engine) as conn:
        insert_events(
            conn,
            [
                _sign_in("in-1", "2026-03-20T07:10:00Z", "failure"),
                _sign_in("in-2", "2026-03-20T07:50:00Z", "failure", ip="203.0.113.99"),
                _sign_in("ok", "2026-03-20T07:30:00Z", "success"),
                _sign_in("early", "2026-03-20T06:59:00Z", "failure"),
                _sign_in("late", "2026-03-20T08:01:00Z", "failure"),
            ],
            source="test",
            received_at=datetime.now(UTC),
        )
        rows = failed_sign_in_rows(conn, [HOUR])
    assert sorted((event_id, account, ip) for _, account, event_id, ip in rows) == [
        ("in-1", "acct-in-1", "198.51.100.7"),
        ("in-2", "acct-in-2", "203.0.113.99"),
    ]


def test_sqlite_reads_failed_sign_ins_from_their_partial_index(sqlite_store: Store) -> None:
    # Told to (INDEXED BY): without planner statistics SQLite took the (kind, occurred_at)
    # index, every sign-in of the hour.
    assert "ix_events_failed_sign_ins" in _plan(sqlite_store, "EXPLAIN QUERY PLAN")


def test_postgresql_can_read_failed_sign_ins_from_their_partial_index(
    postgres_store: Store,
) -> None:
    assert "ix_events_failed_sign_ins" in _plan(postgres_store, "EXPLAIN")
