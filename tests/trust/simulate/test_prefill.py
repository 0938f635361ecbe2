"""Prefilled history: the asked number of events, with their accounts and identifiers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from trust.pii import hasher_for
from trust.simulate import prefill as prefill_module
from trust.simulate.prefill import history_records, prefill
from trust.store.tables import account_identifiers, accounts, events


def test_prefill_stores_exactly_the_events_asked_for_across_worlds(
    sqlite_store, settings, monkeypatch
):
    # Small worlds and writes, so the test crosses both boundaries.
    monkeypatch.setattr(prefill_module, "CHUNK_EVENTS", 150)
    monkeypatch.setattr(prefill_module, "WRITE_BATCH", 100)
    totals: list[int] = []
    stored = prefill(sqlite_store, hasher_for(settings), 400, seed=3, progress=totals.append)
    assert stored == 400
    assert totals == sorted(totals) and totals[-1] == 400
    with sqlite_store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(events)) == 400
        assert conn.scalar(select(func.count()).select_from(accounts)) > 0
        assert conn.scalar(select(func.count()).select_from(account_identifiers)) > 0
        # Three worlds of their own seeds: event ids never collide between them.
        prefixes = {row[0].split("-")[0] for row in conn.execute(select(events.c.event_id))}
    assert prefixes == {"sim3", "sim4", "sim5"}
    # Filling again adds nothing: the same seeds give the same events.
    assert prefill(sqlite_store, hasher_for(settings), 400, seed=3) == 0


def test_history_records_refuses_a_negative_count():
    with pytest.raises(ValueError, match="count must be 0 or more"):
        list(history_records(-1, seed=1))
    assert list(history_records(0, seed=1)) == []
