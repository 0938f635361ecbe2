"""Stored events: idempotent by event_id, and read back as the events that went in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from tests.factories import make_complaint, make_event, make_review
from trust.errors import StoreError
from trust.events import EVENT_KINDS
from trust.store import Store, snapshot, transaction
from trust.store.database import execute_many, read_all
from trust.store.dialects import TextIn
from trust.store.events import event_row, existing_event_ids, insert_events, load_events
from trust.store.lookups import kind_is
from trust.store.tables import events

NOW = datetime(2026, 3, 20, tzinfo=UTC)


def stored_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(events)).scalar_one())


def test_inserting_the_same_batch_twice_stores_it_once(store: Store) -> None:
    batch = [make_review(), make_complaint()]
    with transaction(store.engine) as conn:
        assert insert_events(conn, batch, source="a", received_at=NOW) == batch
    with transaction(store.engine) as conn:
        assert insert_events(conn, batch, source="a", received_at=NOW) == []
    assert stored_count(store) == 2


def test_a_batch_repeating_an_id_keeps_the_first_occurrence(store: Store) -> None:
    first = make_review(event_id="rv-dup", rating=5)
    again = make_review(event_id="rv-dup", rating=1)
    with transaction(store.engine) as conn:
        fresh = insert_events(conn, [first, again, first], source=None, received_at=NOW)
        assert fresh == [first]
        assert load_events(conn, ["rv-dup"])[0].rating == 5


def test_events_of_every_kind_load_back_equal_in_the_order_asked(store: Store) -> None:
    batch = [make_event(kind) for kind in EVENT_KINDS]
    with transaction(store.engine) as conn:
        insert_events(conn, batch, source="test", received_at=NOW)
    wanted = [e.event_id for e in reversed(batch)] + ["missing-id"]
    with store.engine.connect() as conn:
        assert load_events(conn, wanted) == list(reversed(batch))
        assert existing_event_ids(conn, wanted) == {e.event_id for e in batch}
        assert existing_event_ids(conn, []) == set()


def test_the_row_keeps_subject_counterparty_and_source_for_look_ups(store: Store) -> None:
    review = make_review()
    with transaction(store.engine) as conn:
        insert_events(conn, [review], source="partner", received_at=NOW)
    with store.engine.connect() as conn:
        row = conn.execute(select(events)).one()
    assert (row.subject_id, row.counterparty_id) == (review.reviewer_id, review.reviewee_id)
    assert (row.kind, row.source, row.schema_version) == ("review", "partner", 1)


# Constants (the kind), a JSON path, a date-time column and a bound date-time, an id list
# as one parameter and a sealed payload column: every kind of value read_all processes.
_READ_BACK = select(
    events.c.event_id,
    events.c.occurred_at,
    events.c.payload["rating"].as_integer(),
    events.c.payload,
).where(
    TextIn(events.c.event_id, "ids"),
    kind_is("review"),
    events.c.occurred_at <= bindparam("until"),
)


def test_read_all_gives_the_rows_and_values_conn_execute_gives(store: Store) -> None:
    """The driver-SQL path of the per-batch look-ups reads exactly what SQLAlchemy reads."""
    batch = [make_review(event_id="rv-a", rating=2), make_review(event_id="rv-b"), make_complaint()]
    with transaction(store.engine) as conn:
        insert_events(conn, batch, source="a", received_at=NOW)
    params = {"ids": ["rv-a", "rv-b", batch[2].event_id, "missing"], "until": NOW}
    with store.engine.connect() as conn:
        fast = read_all(conn, _READ_BACK, params)
        slow = [tuple(row) for row in conn.execute(_READ_BACK, params).all()]
        assert sorted(fast) == sorted(slow)
        assert {row[0] for row in fast} == {"rv-a", "rv-b"}
        assert [type(value) for value in fast[0]] == [type(value) for value in slow[0]]
        with pytest.raises(SQLAlchemyError, match="until"):
            read_all(conn, _READ_BACK, {"ids": ["rv-a"]})


_NOWHERE = select(Table("nowhere", MetaData(), Column("x", Integer)).c.x)


def test_read_all_begins_a_transaction_and_raises_driver_errors_as_sqlalchemy_does(
    store: Store,
) -> None:
    # SQLite reads run on the driver's cursor: they must still open the transaction
    # execute() would (the engine's begin hook) and fail the way execute() fails, so that
    # transaction() and snapshot() turn the error into a StoreError.
    with store.engine.connect() as conn:
        assert not conn.in_transaction()
        assert read_all(conn, _READ_BACK, {"ids": ["none"], "until": NOW}) == []
        assert conn.in_transaction()
    with store.engine.connect() as conn, pytest.raises(DBAPIError, match="nowhere"):
        read_all(conn, _NOWHERE, {})
    with pytest.raises(StoreError, match="nowhere"), snapshot(store.engine) as conn:
        read_all(conn, _NOWHERE, {})


def test_a_batch_insert_repeating_a_key_fails_as_sqlalchemy_fails(store: Store) -> None:
    row = event_row(make_review(event_id="rv-twice"), source="a", received_at=NOW)
    with store.engine.connect() as conn, pytest.raises(IntegrityError):
        execute_many(conn, insert(events), [row, row])
    with pytest.raises(StoreError), transaction(store.engine) as conn:
        execute_many(conn, insert(events), [row, row])
    assert stored_count(store) == 0
