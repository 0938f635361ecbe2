"""Batch-shaped writes: ``execute_many`` sends what ``conn.execute`` would, identifier
sightings insert only new pairs, and name words are rewritten only when a name changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from tests.conftest import TEST_SECRET
from tests.factories import make_profile_verification, make_review
from trust.pii import PiiHasher
from trust.store import Store, transaction
from trust.store.accounts import (
    batch_identifier_rows,
    record_batch_identifiers,
    record_name_words,
    write_identifier_rows,
)
from trust.store.database import as_utc, execute_many
from trust.store.events import event_row, store_events
from trust.store.tables import account_identifiers, account_name_words, events, quarantine

HASHER = PiiHasher(TEST_SECRET.encode())
RECEIVED = datetime(2026, 3, 20, 8, 30, 15, 123456, tzinfo=UTC)


def _identifiers(store: Store) -> dict[tuple[str, str], Any]:
    """Stored sightings by (account, hash of the value)."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(account_identifiers)).all()
    return {(r.account_id, r.value_hash): r for r in rows}


def test_execute_many_stores_exactly_what_execute_stores(store: Store) -> None:
    """Sealed payloads, JSON and dates read back the same whichever way they were written,
    and a constant of the statement reaches every row."""
    fast, slow = make_review(), make_review()
    with transaction(store.engine) as conn:
        written = execute_many(
            conn, insert(events), [event_row(fast, source="a", received_at=RECEIVED)]
        )
        conn.execute(insert(events), [event_row(slow, source="a", received_at=RECEIVED)])
    assert written == 1
    with store.engine.connect() as conn:
        rows = {r.event_id: r for r in conn.execute(select(events))}
        # The same text in the database, not only the same value read back.
        raw = dict(
            conn.exec_driver_sql("SELECT event_id, CAST(received_at AS TEXT) FROM events").all()
        )
    assert rows[fast.event_id].payload == fast.model_dump(mode="json")
    assert as_utc(rows[fast.event_id].occurred_at) == fast.occurred_at
    assert raw[fast.event_id] == raw[slow.event_id]
    assert "_sealed" not in rows[fast.event_id].payload  # opened on read, sealed at rest
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql(
            f"SELECT CAST(payload AS TEXT) FROM events WHERE event_id = '{fast.event_id}'"
        ).scalar_one()
    assert "_sealed" in stored and "198.51.100.7" not in stored

    with transaction(store.engine) as conn:
        conn.execute(
            insert(quarantine),
            [
                {"source": "s", "raw": "x", "errors": [], "reason": "r", "received_at": RECEIVED}
                for _ in range(3)
            ],
        )
        changed = execute_many(
            conn,
            update(quarantine).values(status="replayed"),
            [{}],
        )
    assert changed == 3
    with store.engine.connect() as conn:
        assert {r.status for r in conn.execute(select(quarantine))} == {"replayed"}

    # The same statement shape with another constant: each run sends its own constant.
    with transaction(store.engine) as conn:
        execute_many(conn, update(quarantine).values(status="held"), [{}])
    with store.engine.connect() as conn:
        assert {r.status for r in conn.execute(select(quarantine))} == {"held"}


def test_execute_many_reuses_its_compiled_statement_across_batches(store: Store) -> None:
    """The second batch of a statement sends what the first did, with its own rows."""
    first, second = make_review(), make_review()
    with transaction(store.engine) as conn:
        for event in (first, second):
            stmt = insert(events)  # built anew per batch, as callers do
            assert execute_many(conn, stmt, [event_row(event, source="b", received_at=RECEIVED)])
    with store.engine.connect() as conn:
        rows = {r.event_id: r for r in conn.execute(select(events))}
    assert rows[first.event_id].payload == first.model_dump(mode="json")
    assert rows[second.event_id].payload == second.model_dump(mode="json")


def test_identifier_sightings_insert_only_the_pairs_the_store_lacks(store: Store) -> None:
    first = make_review(
        occurred_at="2026-03-10T12:00:00Z",
        network={"ip": "198.51.100.7", "device_id": "dev-1"},
    )
    with transaction(store.engine) as conn:
        assert write_identifier_rows(conn, batch_identifier_rows([first], HASHER)) == 2
    before = _identifiers(store)
    ip_key = ("acct-bob", HASHER.hash("ip", "198.51.100.7"))
    device_key = ("acct-bob", HASHER.hash("device", "dev-1"))
    assert set(before) == {ip_key, device_key}

    # Same pairs again (an older and a later sighting) plus one new device.
    older = make_review(
        occurred_at="2026-03-01T00:00:00Z",
        network={"ip": "198.51.100.7", "device_id": "dev-1"},
    )
    later = make_review(
        occurred_at="2026-03-12T00:00:00Z",
        network={"ip": "198.51.100.7", "device_id": "dev-2"},
    )
    with transaction(store.engine) as conn:
        # The device dev-2 is new; the IP moved later; dev-1 was only seen earlier: untouched.
        assert write_identifier_rows(conn, batch_identifier_rows([older, later], HASHER)) == 2
    after = _identifiers(store)
    assert len(after) == 3
    ip, device = after[ip_key], before[device_key]
    # Stored pairs keep their row, their first sighting and the event that made it.
    assert ip.id == before[ip_key].id
    assert (as_utc(ip.first_seen_at), ip.event_id) == (
        datetime(2026, 3, 10, 12, tzinfo=UTC),
        first.event_id,
    )
    assert as_utc(ip.last_seen_at) == datetime(2026, 3, 12, tzinfo=UTC)
    with store.engine.connect() as conn:
        kept = conn.execute(
            select(account_identifiers).where(account_identifiers.c.id == device.id)
        ).one()
    assert as_utc(kept.last_seen_at) == datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert kept.event_id == first.event_id

    with transaction(store.engine) as conn:
        # Nothing new and nothing later: nothing written.
        assert write_identifier_rows(conn, batch_identifier_rows([older], HASHER)) == 0
        assert write_identifier_rows(conn, {}) == 0


def test_identifier_rows_of_a_batch_are_built_once_for_the_same_events() -> None:
    """Signals and the store ask for the same batch's rows: the second asks for nothing."""
    batch = [make_review(), make_profile_verification(account_id="acct-carol")]
    rows = batch_identifier_rows(batch, HASHER)
    assert batch_identifier_rows(list(batch), HASHER) is rows
    # Other event objects, even equal ones, or another hasher: built anew.
    assert batch_identifier_rows(batch[:1], HASHER) is not rows
    assert batch_identifier_rows(batch, PiiHasher(b"another key of 16+ bytes")) is not rows
    again = batch_identifier_rows([e.model_copy() for e in batch], HASHER)
    assert again is not rows and again == rows


def test_store_events_writes_a_repeated_batch_once(store: Store) -> None:
    batch = [make_review(), make_profile_verification(account_id="acct-carol")]
    with transaction(store.engine) as conn:
        stored = store_events(conn, batch, HASHER, source="t", received_at=RECEIVED)
    assert (len(stored.fresh), stored.repeated, stored.conflicting) == (2, 0, [])
    pairs = _identifiers(store)
    with transaction(store.engine) as conn:
        again = store_events(conn, batch, HASHER, source="t", received_at=RECEIVED)
    assert (again.fresh, again.repeated, again.conflicting) == ([], 2, [])
    assert {k: r.id for k, r in _identifiers(store).items()} == {k: r.id for k, r in pairs.items()}


def test_name_words_change_only_with_the_name(store: Store) -> None:
    def words() -> set[tuple[str, str]]:
        with store.engine.connect() as conn:
            return {tuple(r) for r in conn.execute(select(account_name_words))}  # type: ignore[misc]

    anna = make_profile_verification(account_id="acct-anna", profile={"display_name": "Anna K."})
    with transaction(store.engine) as conn:
        record_batch_identifiers(conn, [anna], HASHER)
    assert words() == {("acct-anna", HASHER.hash("name_word", "anna"))}
    with transaction(store.engine) as conn:
        record_name_words(conn, {"acct-anna": "anna k"}, HASHER)  # same words, other spelling
        record_name_words(conn, {}, HASHER)
    assert words() == {("acct-anna", HASHER.hash("name_word", "anna"))}
    with transaction(store.engine) as conn:
        record_name_words(conn, {"acct-anna": "Anna-Maria Kowalska"}, HASHER)
    assert words() == {
        ("acct-anna", HASHER.hash("name_word", w)) for w in ("anna", "maria", "kowalska")
    }


def test_a_statement_with_its_own_value_is_never_answered_from_the_compile_cache(
    store: Store,
) -> None:
    """Same shape, another constant: the second update writes its own value, not the first's;
    a repeated insert of the same shape is served compiled and still writes its rows."""
    with transaction(store.engine) as conn:
        conn.execute(
            insert(quarantine),
            [{"source": "s", "raw": "x", "errors": [], "reason": "r", "received_at": RECEIVED}],
        )
        execute_many(conn, update(quarantine).values(status="replayed"), [{}])
        execute_many(conn, update(quarantine).values(status="discarded"), [{}])
        for review in (make_review(), make_review()):
            execute_many(
                conn, insert(events), [event_row(review, source="a", received_at=RECEIVED)]
            )
    with store.engine.connect() as conn:
        assert {r.status for r in conn.execute(select(quarantine))} == {"discarded"}
        assert len(conn.execute(select(events)).all()) == 2
