"""``TextIn``: a list of strings bound as one parameter, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, select

from tests.factories import make_review
from trust.store import Store, transaction
from trust.store.dialects import TextIn
from trust.store.events import insert_events
from trust.store.tables import events

NOW = datetime(2026, 3, 20, tzinfo=UTC)
_BY_ID = select(events.c.event_id).where(TextIn(events.c.event_id, "ids"))


def _found(conn: Connection, ids: list[str]) -> set[str]:
    return {row[0] for row in conn.execute(_BY_ID, {"ids": ids})}


def test_text_in_finds_exactly_the_listed_values(store: Store) -> None:
    batch = [make_review(event_id=f"rv-{n}") for n in range(5)]
    with transaction(store.engine) as conn:
        insert_events(conn, batch, source="a", received_at=NOW)
        assert _found(conn, ["rv-1", "rv-3", "rv-9"]) == {"rv-1", "rv-3"}
        # Repeats and quotes are plain values; an empty list matches nothing.
        assert _found(conn, ["rv-2", "rv-2", 'rv-"0']) == {"rv-2"}
        assert _found(conn, []) == set()


def test_text_in_renders_one_statement_whatever_the_list_length(store: Store) -> None:
    # One text for every list: compiled once, and the driver prepares it once.
    with store.engine.connect() as conn:
        texts = {
            conn.execute(_BY_ID, {"ids": [f"x{n}" for n in range(size)]}).context.statement
            for size in (1, 2, 250)
        }
    assert len(texts) == 1


def test_a_constant_list_is_part_of_the_statement(store: Store) -> None:
    batch = [make_review(event_id="rv-a"), make_review(event_id="rv-b")]
    fixed = select(events.c.event_id).where(TextIn(events.c.event_id, "fixed", ["rv-b"]))
    with transaction(store.engine) as conn:
        insert_events(conn, batch, source="a", received_at=NOW)
        assert [row[0] for row in conn.execute(fixed)] == ["rv-b"]
