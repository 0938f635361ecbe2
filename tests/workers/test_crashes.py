"""The crash ledger counts deliveries that never ended, on the real Redis."""

from __future__ import annotations

import uuid

import pytest
import redis

from workers.crashes import LEDGER_TTL_S, CrashLedger

pytestmark = pytest.mark.redis


@pytest.fixture
def ledger(redis_url: str) -> CrashLedger:
    return CrashLedger(redis.Redis.from_url(redis_url), f"trust-test-{uuid.uuid4().hex[:8]}")


def test_a_delivery_that_ended_is_forgotten(ledger: CrashLedger) -> None:
    first = ledger.begin("m1")
    ledger.end("m1")
    again = ledger.begin("m1")
    assert (first.crashes, again.crashes, again.in_flight) == (0, 0, None)
    ledger.end("m1")
    assert ledger.client.exists(ledger.prefix + "m1") == 0


def test_deliveries_that_never_ended_count_as_crashes_with_the_event_in_flight(
    ledger: CrashLedger,
) -> None:
    ledger.begin("m2")
    ledger.begin("m2")
    ledger.in_flight("m2", 17)
    third = ledger.begin("m2")
    assert (third.message_id, third.crashes, third.in_flight) == ("m2", 2, 17)
    assert 0 < int(ledger.client.ttl(ledger.prefix + "m2")) <= LEDGER_TTL_S  # type: ignore[arg-type]
    assert ledger.begin("other").crashes == 0
