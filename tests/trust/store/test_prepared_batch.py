"""A batch's inserts bound before the write transaction store what binding inside it stores.

The pipeline binds its events, accounts and identifier sightings (sealing, JSON, dates)
before it takes the write lock (``prepare_batch``), so the lock is held only to run them.
``store_events`` uses those values only when what is new is exactly what they were bound
for; a batch partly stored meanwhile (a redelivery racing the original) is bound again
for its new events.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import TEST_KEYRING, TEST_SECRET
from tests.factories import make_event, make_profile_verification, make_review
from trust.errors import StoreError
from trust.pii import PiiHasher
from trust.store import Store, transaction
from trust.store.events import prepare_batch, store_events
from trust.store.tables import account_identifiers, accounts, events

HASHER = PiiHasher(TEST_SECRET.encode())
RECEIVED = datetime(2026, 3, 20, 8, 30, 15, 123456, tzinfo=UTC)


def _batch() -> list[Any]:
    verification = make_profile_verification()
    return [
        verification,
        make_review(),
        make_event("sign_in", account_id=verification.account_id),
        make_review(),
    ]


def _contents(store: Store) -> dict[str, Any]:
    """Everything the batch wrote, without the row ids the database chose."""
    with store.engine.connect() as conn:
        stored = {
            r.event_id: (r.kind, r.payload, r.occurred_at, r.received_at, r.source)
            for r in conn.execute(select(events))
        }
        people = {tuple(r._mapping.values()) for r in conn.execute(select(accounts))}
        seen = {
            (r.account_id, r.kind, r.value_hash, r.masked, r.first_seen_at, r.last_seen_at)
            for r in conn.execute(select(account_identifiers))
        }
    return {"events": stored, "accounts": people, "identifiers": seen}


def _store(store: Store, batch: list[Any], *, prepared: bool) -> Any:
    ready = (
        prepare_batch(store.engine.dialect, batch, HASHER, source="s", received_at=RECEIVED)
        if prepared
        else None
    )
    with transaction(store.engine) as conn:
        return store_events(conn, batch, HASHER, source="s", received_at=RECEIVED, prepared=ready)


def test_prepared_inserts_store_what_binding_in_the_transaction_stores(
    store: Store, tmp_path: Any
) -> None:
    batch = _batch()
    ready = prepare_batch(store.engine.dialect, batch, HASHER, source="s", received_at=RECEIVED)
    with transaction(store.engine) as conn:
        result = store_events(conn, batch, HASHER, source="s", received_at=RECEIVED, prepared=ready)
    assert [e.event_id for e in result.fresh] == [e.event_id for e in batch]
    assert ready.serves(result.fresh), "the prepared writes were the ones run"
    bound_ahead = _contents(store)
    assert len(bound_ahead["events"]) == 4 and bound_ahead["identifiers"]

    if store.dialect == "sqlite":
        other = Store.open(f"sqlite:///{tmp_path / 'other.db'}", keyring=TEST_KEYRING)
    else:
        with transaction(store.engine) as conn:
            for table in (account_identifiers, accounts, events):
                conn.execute(table.delete())
        other = store
    _store(other, batch, prepared=False)
    assert _contents(other) == bound_ahead


def test_a_batch_partly_stored_meanwhile_is_bound_again_for_what_is_new(store: Store) -> None:
    batch = _batch()
    ready = prepare_batch(store.engine.dialect, batch, HASHER, source="s", received_at=RECEIVED)
    _store(store, batch[:2], prepared=False)  # another worker stored the first two
    with transaction(store.engine) as conn:
        result = store_events(conn, batch, HASHER, source="s", received_at=RECEIVED, prepared=ready)
    assert [e.event_id for e in result.fresh] == [e.event_id for e in batch[2:]]
    assert result.repeated == 2 and result.conflicting == []
    assert not ready.serves(result.fresh)
    with store.engine.connect() as conn:
        assert sorted(conn.scalars(select(events.c.event_id))) == sorted(e.event_id for e in batch)


def test_a_repeated_id_in_the_batch_is_stored_once_from_the_prepared_writes(
    store: Store,
) -> None:
    first = make_review()
    batch = [first, first.model_copy(), make_review()]
    result = _store(store, batch, prepared=True)
    assert [e.event_id for e in result.fresh] == [first.event_id, batch[2].event_id]
    assert result.repeated == 1


def test_a_write_bound_for_one_database_is_refused_by_another(
    sqlite_store: Store, postgres_store: Store
) -> None:
    ready = prepare_batch(
        postgres_store.engine.dialect, _batch(), HASHER, source="s", received_at=RECEIVED
    )
    refused = pytest.raises(StoreError, match="prepared for postgresql cannot run on sqlite")
    with refused, transaction(sqlite_store.engine) as conn:
        store_events(
            conn, list(ready.fresh), HASHER, source="s", received_at=RECEIVED, prepared=ready
        )
