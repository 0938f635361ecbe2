"""trust.submit: valid events queued in batches, invalid ones quarantined with their reason."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

import trust
from tests.factories import make_review, review_payload
from trust.errors import QueueUnavailableError
from trust.settings import Settings
from trust.store import Store
from trust.store.quarantine import held_records
from trust.submission import use_sink


class ListSink:
    def __init__(self) -> None:
        self.batches: list[list[dict[str, Any]]] = []

    def send_batch(self, records: Sequence[dict[str, Any]]) -> None:
        self.batches.append(list(records))


@pytest.fixture
def small_batches(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"worker": settings.worker.model_copy(update={"batch_size": 2})}
    )


def test_valid_events_go_to_the_sink_in_batches(
    small_batches: Settings, sqlite_store: Store
) -> None:
    sink = ListSink()
    events = [review_payload(), make_review(), review_payload()]

    result = trust.submit(events, sink=sink, store=sqlite_store, settings=small_batches)

    assert (result.queued, result.batches, result.quarantined) == (3, 2, 0)
    assert [len(b) for b in sink.batches] == [2, 1]
    assert sink.batches[0][1]["event_id"] == events[1].event_id  # type: ignore[union-attr]


def test_invalid_records_are_quarantined_with_the_field_and_not_queued(
    small_batches: Settings, sqlite_store: Store
) -> None:
    sink = ListSink()
    bad = review_payload(rating=9)

    result = trust.submit(
        [bad, review_payload()], sink=sink, store=sqlite_store, settings=small_batches
    )

    assert (result.queued, result.quarantined) == (1, 1)
    assert result.refused[0][0] == bad["event_id"]
    with sqlite_store.engine.connect() as conn:
        held = held_records(conn)
    assert len(held) == 1 and "rating" in held[0].reason


def test_the_default_sink_is_the_one_wired_at_start_up(
    small_batches: Settings, sqlite_store: Store
) -> None:
    sink = ListSink()
    use_sink(sink)
    try:
        trust.submit([review_payload()], store=sqlite_store, settings=small_batches)
    finally:
        use_sink(None)

    assert len(sink.batches) == 1


def test_without_a_sink_submit_says_how_to_wire_one(small_batches: Settings) -> None:
    with pytest.raises(QueueUnavailableError, match=r"workers\.connect"):
        trust.submit([review_payload()], settings=small_batches)
