"""Group commit of concurrent decisions: grouped, answered in order, a failure kept to itself."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Sequence

import pytest

from tests.factories import review_payload
from trust.api.batcher import DecisionBatcher
from trust.composition import build_pipeline
from trust.errors import TransientStoreError
from trust.pipeline import SingleDecision, decide_many
from trust.settings import Settings
from trust.store import Store


def _raw(record: dict[str, object]) -> bytes:
    return json.dumps(record).encode()


def test_concurrent_requests_are_decided_in_groups_with_the_real_pipeline(
    sqlite_store: Store, settings: Settings
) -> None:
    pipeline = build_pipeline(settings, sqlite_store)
    groups: list[int] = []

    def decide(raws: Sequence[bytes]) -> list[SingleDecision]:
        groups.append(len(raws))
        return decide_many(pipeline, raws)

    batcher = DecisionBatcher(decide, max_batch=8)
    records = [review_payload() for _ in range(20)]
    records.append(records[0])

    async def run() -> list[SingleDecision]:
        return await asyncio.gather(*(batcher.decide_one(_raw(r)) for r in records))

    answers = asyncio.run(run())

    assert [a.event_id for a in answers] == [r["event_id"] for r in records]
    assert {a.status for a in answers[:-1]} == {"decided"}
    assert answers[-1].status == "already_decided", "the repeat came in a later group"
    assert answers[-1].decision["outcome"] == answers[0].decision["outcome"]
    assert groups == [8, 8, 5]


def test_an_event_that_breaks_its_group_fails_alone() -> None:
    def decide(raws: Sequence[bytes]) -> list[SingleDecision]:
        if any(b"poison" in raw for raw in raws):
            raise ValueError("cannot score poison")
        return [SingleDecision("decided", raw.decode(), {}) for raw in raws]

    batcher = DecisionBatcher(decide, max_batch=10)

    async def run() -> list[SingleDecision | BaseException]:
        raws = [b"a", b"poison", b"c"]
        return await asyncio.gather(*(batcher.decide_one(r) for r in raws), return_exceptions=True)

    first, poison, last = asyncio.run(run())
    assert isinstance(first, SingleDecision) and first.event_id == "a"
    assert isinstance(poison, ValueError)
    assert isinstance(last, SingleDecision) and last.event_id == "c"


def test_a_store_fault_fails_the_group_without_retrying_each_event() -> None:
    calls: list[int] = []

    def decide(raws: Sequence[bytes]) -> list[SingleDecision]:
        calls.append(len(raws))
        raise TransientStoreError("database is locked")

    batcher = DecisionBatcher(decide, max_batch=10)

    async def run() -> list[SingleDecision | BaseException]:
        return await asyncio.gather(
            *(batcher.decide_one(r) for r in (b"a", b"b")), return_exceptions=True
        )

    answers = asyncio.run(run())
    assert all(isinstance(a, TransientStoreError) for a in answers)
    assert calls == [2]


@pytest.mark.parametrize("max_batch", [1, 3])
def test_a_lone_request_is_decided_at_once(max_batch: int) -> None:
    batcher = DecisionBatcher(
        lambda raws: [SingleDecision("decided", "x", {})] * len(raws), max_batch=max_batch
    )
    assert asyncio.run(batcher.decide_one(b"x")).status == "decided"


@pytest.mark.parametrize("linger", [0.0, 5.0])
def test_a_group_waits_for_the_clients_the_last_group_answered(linger: float) -> None:
    groups: list[int] = []

    def decide(raws: Sequence[bytes]) -> list[SingleDecision]:
        groups.append(len(raws))
        return [SingleDecision("decided", raw.decode(), {}) for raw in raws]

    batcher = DecisionBatcher(decide, max_batch=10, linger=linger)

    async def client(number: int) -> None:
        for round_ in range(3):
            await batcher.decide_one(f"{number}-{round_}".encode())
            # The first client sends its next request at once, the others a moment later.
            await asyncio.sleep(0.2 if number else 0)

    async def run() -> None:
        await asyncio.gather(*(client(n) for n in range(4)))

    asyncio.run(run())
    if linger:
        assert groups == [4, 4, 4], "each group waited for the clients of the last"
    else:
        assert groups[:2] == [4, 1], "without lingering the first to come back goes alone"


def test_clients_split_into_two_groups_join_again() -> None:
    # Sixteen clients, each sending its next request as soon as it is answered; the second
    # eight come while the first eight are being decided. Waiting only for as many as the
    # last group had, groups of eight alternated for ever, every request waiting out the
    # other eight's group before its own.
    groups: list[int] = []

    def decide(raws: Sequence[bytes]) -> list[SingleDecision]:
        groups.append(len(raws))
        threading.Event().wait(0.05)
        return [SingleDecision("decided", raw.decode(), {}) for raw in raws]

    batcher = DecisionBatcher(decide, max_batch=64, linger=0.5)

    async def client(number: int) -> None:
        if number >= 8:
            await asyncio.sleep(0.02)
        for round_ in range(3):
            await batcher.decide_one(f"{number}-{round_}".encode())

    async def run() -> None:
        await asyncio.gather(*(client(n) for n in range(16)))

    asyncio.run(run())
    assert groups == [8, 16, 16, 8], "the second group waited for the first eight to be back"


def test_a_request_after_a_quiet_spell_is_decided_at_once() -> None:
    groups: list[int] = []

    def decide(raws: Sequence[bytes]) -> list[SingleDecision]:
        groups.append(len(raws))
        return [SingleDecision("decided", raw.decode(), {}) for raw in raws]

    batcher = DecisionBatcher(decide, max_batch=10, linger=0.2)

    async def run() -> float:
        await asyncio.gather(*(batcher.decide_one(f"{n}".encode()) for n in range(4)))
        await asyncio.sleep(0.3)  # longer than the linger: the four are not coming back
        began = time.monotonic()
        await batcher.decide_one(b"lone")
        return time.monotonic() - began

    took = asyncio.run(run())
    assert groups == [4, 1]
    assert took < 0.1, "the lone request did not wait for the four of the last group"


def test_the_batcher_says_how_long_its_group_has_run_and_nothing_when_idle() -> None:
    # A process whose group never returns stops its heartbeat (workers/heartbeat.py).
    release = threading.Event()

    def decide(raws: Sequence[bytes]) -> list[SingleDecision]:
        release.wait(10)
        return [SingleDecision("decided", raw.decode(), None) for raw in raws]

    batcher = DecisionBatcher(decide, max_batch=10)

    async def run() -> tuple[float, float, float]:
        idle = batcher.busy_seconds()
        answer = asyncio.ensure_future(batcher.decide_one(b"a"))
        await asyncio.sleep(0.3)
        busy = batcher.busy_seconds()
        release.set()
        await answer
        return idle, busy, batcher.busy_seconds()

    idle, busy, after = asyncio.run(run())
    assert idle == 0.0
    assert busy >= 0.25
    assert after == 0.0
