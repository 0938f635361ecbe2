"""Stored events: append-only raw payloads plus the columns look-ups need.

``store_events`` is the one way a validated batch enters the store (pipeline, direct
ingest, dispute party events, appeals): events first, then the accounts and identifiers
they bring, each written batch-shaped (one look-up of the batch's keys, inserts of what
is new only).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, select

from trust.events import Event, event_adapter
from trust.pii import PiiHasher
from trust.store.accounts import (
    prepare_accounts,
    prepare_batch_identifiers,
    record_batch_identifiers,
    same_events,
)
from trust.store.database import (
    PreparedWrite,
    execute_many,
    execute_prepared,
    ignoring_duplicates,
    prepare_many,
    read_all,
)
from trust.store.dialects import TextIn
from trust.store.lookups import kind_is
from trust.store.tables import events


def event_row(event: Event, *, source: str | None, received_at: datetime) -> dict[str, Any]:
    """The row for one validated event."""
    ids = event.account_ids
    return {
        "event_id": event.event_id,
        "kind": event.kind,
        "occurred_at": event.occurred_at,
        "received_at": received_at,
        "schema_version": event.schema_version,
        "subject_id": ids[0],
        "counterparty_id": ids[1] if len(ids) > 1 else None,
        "source": source,
        "payload": event.model_dump(mode="json"),
    }


# Built once, the ids one bind parameter: no statement is built or re-rendered per batch.
_EXISTING = select(events.c.event_id).where(TextIn(events.c.event_id, "ids"))
_PAYLOADS = select(events.c.event_id, events.c.payload).where(TextIn(events.c.event_id, "ids"))
_REPAYMENTS = select(
    events.c.subject_id, events.c.event_id, events.c.payload["repays_event_id"].as_string()
).where(
    TextIn(events.c.event_id, "ids"),
    # Not ``kind ==``: SQLite then read every client payment through the kind index
    # instead of the batch's few by id (~7 ms a batch at 100k events, growing).
    kind_is("client_payment"),
    events.c.payload["outcome"].as_string() == "repayment",
)


def existing_event_ids(conn: Connection, event_ids: Sequence[str]) -> set[str]:
    """Which of ``event_ids`` are already stored (one query per batch)."""
    if not event_ids:
        return set()
    return {row[0] for row in read_all(conn, _EXISTING, {"ids": list(event_ids)})}


def _first_of_each_id(batch: Sequence[Event], stored: set[str]) -> list[Event]:
    """The events of ``batch`` whose id is not in ``stored``, the first of each id."""
    seen = set(stored)
    fresh: list[Event] = []
    for event in batch:
        if event.event_id not in seen:
            seen.add(event.event_id)
            fresh.append(event)
    return fresh


def insert_events(
    conn: Connection, batch: Sequence[Event], *, source: str | None, received_at: datetime
) -> list[Event]:
    """Store new events, skipping ids already stored or repeated; returns the new ones."""
    fresh = _first_of_each_id(batch, existing_event_ids(conn, [e.event_id for e in batch]))
    rows = [event_row(e, source=source, received_at=received_at) for e in fresh]
    execute_many(conn, _event_insert(conn.dialect.name), rows)
    return fresh


@lru_cache(maxsize=4)
def _event_insert(dialect_name: str) -> Any:
    return ignoring_duplicates(dialect_name, events, ["event_id"])


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """The writes that store a batch's new events, their values bound (``prepare_batch``)
    before the write transaction: sealing payloads, JSON and date strings were ~a third of
    the CPU a batch spent storing, all of it inside the write lock other writers wait on."""

    fresh: tuple[Event, ...]
    events: PreparedWrite | None
    accounts: PreparedWrite | None
    identifiers: PreparedWrite | None

    def serves(self, fresh: Sequence[Event]) -> bool:
        """Whether these writes are for exactly ``fresh`` (the very event objects)."""
        return same_events(fresh, self.fresh)


def prepare_batch(
    dialect: Dialect,
    batch: Sequence[Event],
    hasher: PiiHasher,
    *,
    source: str | None,
    received_at: datetime,
) -> PreparedBatch:
    """The writes of ``store_events`` for ``batch`` if none of its ids is stored yet (the
    first of each id). ``store_events`` runs them as they are when that holds, and
    prepares its own for what is new otherwise (a redelivery, a race)."""
    fresh = _first_of_each_id(batch, set())
    rows = [event_row(e, source=source, received_at=received_at) for e in fresh]
    return PreparedBatch(
        tuple(fresh),
        prepare_many(dialect, _event_insert(dialect.name), rows),
        prepare_accounts(dialect, fresh),
        prepare_batch_identifiers(dialect, fresh, hasher),
    )


def load_events(conn: Connection, event_ids: Sequence[str]) -> list[Event]:
    """Re-validate stored payloads into event objects, in the order asked for."""
    if not event_ids:
        return []
    rows = read_all(conn, _PAYLOADS, {"ids": list(event_ids)})
    by_id = {event_id: event_adapter.validate_python(payload) for event_id, payload in rows}
    return [by_id[i] for i in event_ids if i in by_id]


@dataclass(frozen=True, slots=True)
class StoredEvents:
    """The result of storing a batch: new events, repeats, and ids reused with other content."""

    fresh: list[Event]
    repeated: int
    conflicting: list[Event]


def stored_payloads(conn: Connection, event_ids: Iterable[str]) -> dict[str, Any]:
    """The stored payload of each of ``event_ids`` that is already stored."""
    wanted = sorted(set(event_ids))
    if not wanted:
        return {}
    return dict(read_all(conn, _PAYLOADS, {"ids": wanted}))


@dataclass(frozen=True, slots=True)
class KnownEvents:
    """A batch sorted against the store: new events, ones stored as they are, reused ids."""

    new: list[Event]
    already_stored: int
    conflicting: list[Event]


def sort_against_store(conn: Connection, batch: Sequence[Event]) -> KnownEvents:
    """Which events of ``batch`` the store lacks, holds already, or holds with other content.

    One query per batch; only reads, so a sink that does not store (the queue) can report
    what a re-ingest really adds.
    """
    stored = stored_payloads(conn, (e.event_id for e in batch))
    new: list[Event] = []
    conflicting: list[Event] = []
    for event in batch:
        known = stored.get(event.event_id)
        if known is None:
            new.append(event)
        elif known != event.model_dump(mode="json"):
            conflicting.append(event)
    return KnownEvents(new, len(batch) - len(new) - len(conflicting), conflicting)


def _conflicting(conn: Connection, candidates: Sequence[Event]) -> list[Event]:
    """Events whose id is stored with a different payload (a sender bug staff must see)."""
    stored = stored_payloads(conn, (e.event_id for e in candidates))
    return [e for e in candidates if stored.get(e.event_id) != e.model_dump(mode="json")]


def store_events(
    conn: Connection,
    batch: Sequence[Event],
    hasher: PiiHasher,
    *,
    source: str | None,
    received_at: datetime,
    prepared: PreparedBatch | None = None,
) -> StoredEvents:
    """Store new events with their accounts and identifiers; spot ids reused for new content.

    ``prepared``: ``prepare_batch`` of ``batch`` made before the transaction, used when
    what is new is what it was prepared for.
    """
    fresh = _first_of_each_id(batch, existing_event_ids(conn, [e.event_id for e in batch]))
    if prepared is None or not prepared.serves(fresh):
        prepared = prepare_batch(
            conn.dialect, fresh, hasher, source=source, received_at=received_at
        )
    execute_prepared(conn, prepared.events)
    fresh_ids = {id(e) for e in fresh}
    conflicting = _conflicting(conn, [e for e in batch if id(e) not in fresh_ids])
    if fresh:
        execute_prepared(conn, prepared.accounts)
        record_batch_identifiers(conn, fresh, hasher, prepared.identifiers)
    return StoredEvents(fresh, len(batch) - len(fresh) - len(conflicting), conflicting)


def repaid_chargebacks(conn: Connection, event_ids: Sequence[str]) -> list[tuple[str, str, str]]:
    """(client, repayment event, chargeback event) for each repayment among ``event_ids``."""
    if not event_ids:
        return []
    rows = read_all(conn, _REPAYMENTS, {"ids": sorted(set(event_ids))})
    return [(client, event_id, repays) for client, event_id, repays in rows if repays]
