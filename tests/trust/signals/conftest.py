"""Signal-test helpers: store a batch the way the pipeline does, then compute its signals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest

from trust.decisions import Signals
from trust.events import Event
from trust.pii import PiiHasher
from trust.signals import compute_signals
from trust.store import Store
from trust.store.accounts import record_accounts, record_batch_identifiers
from trust.store.events import insert_events

HASHER = PiiHasher(b"signals-test-key-0123456789abcdef")
StoreEvents = Callable[..., list[Signals]]


def store_and_compute(store: Store, *batches: Sequence[Event]) -> list[Signals]:
    """Store every batch as the pipeline does; return the signals of the last one."""
    signals: list[Signals] = []
    for batch in batches:
        with store.engine.begin() as conn:
            insert_events(conn, batch, source="test", received_at=datetime.now(UTC))
            record_accounts(conn, batch)
            record_batch_identifiers(conn, batch, HASHER)
            signals = compute_signals(conn, batch, HASHER)
    return signals


@pytest.fixture
def signals_of(sqlite_store: Store) -> StoreEvents:
    """``signals_of(batch1, batch2, ...)`` -> signals of the last batch, on SQLite."""
    return lambda *batches: store_and_compute(sqlite_store, *batches)
