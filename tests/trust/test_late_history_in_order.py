"""A batch that arrives in order is cleared of late history by the kind index alone.

Finding decided events that a batch was history for probes every account's events and the
identifiers they share (``_ANY_LATER``), a cost that grew with the store. In order, no
event of a scored kind is stored from after the batch's first moment but the batch's own,
and one range of ``ix_events_kind_occurred`` per kind says so first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.trust.store.plans import explain
from trust import late_history
from trust.composition import build_pipeline
from trust.settings import Settings
from trust.simulate import generate_events
from trust.store import Store

pytestmark = pytest.mark.slow


def _halves() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    records = [record for record, _ in generate_events(60, 30, seed=5)]
    middle = len(records) // 2
    return records[:middle], records[middle:]


def _statements_run(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, store: Store, batches: list[Any]
) -> tuple[list[Any], int]:
    """The selects late history ran for the last batch, and the revisions it made."""
    pipeline = build_pipeline(settings, store)
    for batch in batches[:-1]:
        pipeline.process(batch)
    run: list[Any] = []

    def spy(conn: Any, stmt: Any, params: Any) -> list[tuple[Any, ...]]:
        run.append(stmt)
        return real(conn, stmt, params)

    real = late_history.read_all
    monkeypatch.setattr(late_history, "read_all", spy)
    revisions = pipeline.process(batches[-1]).revisions
    return run, len(revisions)


def test_an_in_order_batch_never_reads_its_accounts_events(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, store: Store
) -> None:
    earlier, later = _halves()
    run, revised = _statements_run(monkeypatch, settings, store, [earlier, later])
    assert run == [late_history._ANY_STORED_AFTER]
    assert revised == 0


def test_a_batch_that_arrives_late_is_still_looked_for_account_by_account(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, store: Store
) -> None:
    earlier, later = _halves()
    run, revised = _statements_run(monkeypatch, settings, store, [later, earlier])
    assert run[:2] == [late_history._ANY_STORED_AFTER, late_history._ANY_LATER]
    assert revised > 0, "the earlier half is history for decisions of the later one"


def test_sqlite_reads_the_stored_after_check_from_the_kind_index(sqlite_store: Store) -> None:
    plan = explain(
        sqlite_store,
        late_history._ANY_STORED_AFTER,
        {"since": datetime(2026, 3, 1, tzinfo=UTC), "fresh": '["e1"]'},
    )
    assert "USING INDEX ix_events_kind_occurred (kind=? AND occurred_at>?)" in plan
