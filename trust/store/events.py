"""Stored events: append-only raw payloads plus the columns look-ups need."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from trust.events import Event, event_adapter
from trust.store.database import insert_ignoring_duplicates
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


def existing_event_ids(conn: Connection, event_ids: Sequence[str]) -> set[str]:
    """Which of ``event_ids`` are already stored (one query per batch)."""
    if not event_ids:
        return set()
    rows = conn.execute(select(events.c.event_id).where(events.c.event_id.in_(list(event_ids))))
    return {row[0] for row in rows}


def insert_events(
    conn: Connection, batch: Sequence[Event], *, source: str | None, received_at: datetime
) -> list[Event]:
    """Store new events, skipping ids already stored or repeated; returns the new ones."""
    seen = existing_event_ids(conn, [e.event_id for e in batch])
    fresh: list[Event] = []
    for event in batch:
        if event.event_id not in seen:
            seen.add(event.event_id)
            fresh.append(event)
    rows = [event_row(e, source=source, received_at=received_at) for e in fresh]
    insert_ignoring_duplicates(conn, events, rows, ["event_id"])
    return fresh


def load_events(conn: Connection, event_ids: Sequence[str]) -> list[Event]:
    """Re-validate stored payloads into event objects, in the order asked for."""
    rows = conn.execute(
        select(events.c.event_id, events.c.payload).where(events.c.event_id.in_(list(event_ids)))
    ).all()
    by_id = {row.event_id: event_adapter.validate_python(row.payload) for row in rows}
    return [by_id[i] for i in event_ids if i in by_id]


def repaid_chargebacks(conn: Connection, event_ids: Sequence[str]) -> list[tuple[str, str, str]]:
    """(client, repayment event, chargeback event) for each repayment among ``event_ids``."""
    if not event_ids:
        return []
    c = events.c
    rows = conn.execute(
        select(c.subject_id, c.event_id, c.payload["repays_event_id"].as_string()).where(
            c.event_id.in_(sorted(set(event_ids))),
            c.kind == "client_payment",
            c.payload["outcome"].as_string() == "repayment",
        )
    )
    return [(client, event_id, repays) for client, event_id, repays in rows if repays]
