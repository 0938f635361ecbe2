"""Signals computed before a batch is stored equal those computed after storing it."""

from __future__ import annotations

import gc
import random
import weakref
from datetime import UTC, datetime, timedelta, timezone

from trust.events import EVENT_KINDS, Event, validate_record
from trust.signals import compute_signals
from trust.signals.context import BatchContext
from trust.simulate import generate_events
from trust.store import Store
from trust.store.accounts import record_accounts, record_batch_identifiers
from trust.store.events import existing_event_ids, insert_events

from .conftest import HASHER

PLUS_TWO = timezone(timedelta(hours=2))


def _simulated(count: int) -> list[Event]:
    found = []
    for record, _truth in generate_events(60, 30, 5):
        if record["kind"] not in EVENT_KINDS:  # appeals are not scored
            continue
        event = validate_record(record).event
        assert event is not None
        if event.kind in EVENT_KINDS:  # dispute party events have no signals
            found.append(event)
    return found[:count]


def _batches(events: list[Event], size: int) -> list[list[Event]]:
    batches = [events[i : i + size] for i in range(0, len(events), size)]
    # Late batches, repeats inside a batch and offsets other than UTC must all merge alike.
    random.Random(3).shuffle(batches)
    for number, batch in enumerate(batches):
        if number % 3 == 0:
            batch[::4] = [
                e.model_copy(update={"occurred_at": e.occurred_at.astimezone(PLUS_TWO)})
                for e in batch[::4]
            ]
        if number % 4 == 0:
            batch.append(batch[0])
    return batches


def test_signals_of_an_unstored_batch_equal_those_after_storing_it(store: Store) -> None:
    for batch in _batches(_simulated(900), 60):
        with store.engine.connect() as conn:
            stored = existing_event_ids(conn, [e.event_id for e in batch])
            fresh = list({e.event_id: e for e in batch if e.event_id not in stored}.values())
            before = compute_signals(conn, fresh, HASHER, unstored=True)
        with store.engine.begin() as conn:
            inserted = insert_events(conn, batch, source="test", received_at=datetime.now(UTC))
            record_accounts(conn, inserted)
            record_batch_identifiers(conn, inserted, HASHER)
            after = compute_signals(conn, inserted, HASHER)
        assert [e.event_id for e in inserted] == [e.event_id for e in fresh]
        assert before == after


def test_a_batch_context_is_freed_without_the_garbage_collector(store: Store) -> None:
    # A reference cycle through the context would leave every batch's history to the
    # collector: pauses of tens of milliseconds in a busy API instead of a free at once.
    batch = _simulated(300)
    with store.engine.connect() as conn:
        gc.collect()
        gc.disable()
        try:
            context = weakref.ref(BatchContext(conn, batch, HASHER, unstored=True))
            assert context() is None
        finally:
            gc.enable()
