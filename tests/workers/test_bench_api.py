"""The API bench's load: fresh event ids, and each lap later in time than the one before."""

from __future__ import annotations

import itertools
import json

from workers.bench_api import fresh_copies, in_batches


def _records() -> list[dict[str, object]]:
    return [
        {
            "event_id": "e1",
            "occurred_at": "2026-03-01T10:00:00Z",
            "account_created_at": "2025-06-01T09:00:00Z",
            "document": {"date_of_birth": "1990-04-12"},
            "text": "Trusted. Zero issues, delivered by 5pm Z",
        },
        {
            "event_id": "e2",
            "occurred_at": "2026-03-03T10:00:00Z",
            # Three days apart, as the laps are: moving one must not move the other twice.
            "contract_started_at": "2026-02-28T10:00:00Z",
            "notes": ["2026-02-28T10:00:00Z", "e2"],
        },
    ]


def test_each_lap_is_a_later_stretch_of_the_same_stream_with_new_ids() -> None:
    copies = [json.loads(c) for c in itertools.islice(fresh_copies(_records(), "t"), 6)]
    assert [c["event_id"] for c in copies] == ["e1-t0", "e2-t0", "e1-t1", "e2-t1", "e1-t2", "e2-t2"]
    # The records span two days: each lap starts three days after the one before.
    assert [c["occurred_at"] for c in copies[::2]] == [
        "2026-03-01T10:00:00Z",
        "2026-03-04T10:00:00Z",
        "2026-03-07T10:00:00Z",
    ]
    assert copies[2]["account_created_at"] == "2025-06-04T09:00:00Z"
    assert copies[2]["document"] == {"date_of_birth": "1990-04-12"}, "dates are not moments"
    assert copies[2]["text"] == "Trusted. Zero issues, delivered by 5pm Z"
    assert copies[5]["contract_started_at"] == "2026-03-06T10:00:00Z"
    assert copies[5]["notes"] == ["2026-03-06T10:00:00Z", "e2"], "only the event id is renamed"


def test_batches_hold_the_copies_in_order() -> None:
    [body] = itertools.islice(in_batches(fresh_copies(_records(), "b"), 3), 1)
    events = json.loads(body)["events"]
    assert [e["event_id"] for e in events] == ["e1-b0", "e2-b0", "e1-b1"]
