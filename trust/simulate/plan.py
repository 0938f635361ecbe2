"""The simulation plan: honest activity first, then every fraud pattern at its documented rate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, NamedTuple

from trust.simulate import (
    fraud_disputes,
    fraud_identity,
    fraud_references,
    fraud_reviews,
    honest,
    payments,
)
from trust.simulate.appeals import appeal_restrictions
from trust.simulate.fraud_evasive import EVASIVE_SCHEMES
from trust.simulate.fraud_payments import PAYMENT_RATES, PAYMENT_SCHEMES
from trust.simulate.fraud_subtle import subtle_anomaly
from trust.simulate.schemes import Scheme, incidents
from trust.simulate.world import NOT_FRAUD, REFERENCE_END, World

# Incidents planted per 1,000 honest accounts per 30 simulated days (at least one each).
# An incident is one ring, one burst, one scammer and their return, one serial complainer...
PATTERN_RATES: dict[str, float] = {
    "review_ring": 1.0,
    "reciprocal_review": 2.5,
    "review_burst_new_accounts": 1.0,
    "self_dealing": 3.0,
    "coerced_review": 3.0,
    "fake_reference": 5.0,
    "document_tampering": 5.0,
    "identity_mismatch": 5.0,
    "duplicate_account": 4.0,
    "ban_evasion": 2.0,
    "serial_complainer": 1.0,
    "non_payment": 3.0,
    "off_platform_payment": 4.0,
    "subtle_anomaly": 4.0,
}
# Payment patterns draw from their own stream (``payments.payment_stream``), after the rest.
FEEDBACK_AND_IDENTITY_PATTERNS: tuple[str, ...] = tuple(PATTERN_RATES)
PATTERN_RATES.update(PAYMENT_RATES)
SCHEMES: dict[str, Scheme] = {
    "review_ring": fraud_reviews.review_ring,
    "reciprocal_review": fraud_reviews.reciprocal_review,
    "review_burst_new_accounts": fraud_reviews.review_burst_new_accounts,
    "self_dealing": fraud_reviews.self_dealing,
    "coerced_review": fraud_reviews.coerced_review,
    "fake_reference": fraud_references.fake_reference,
    "document_tampering": fraud_identity.document_tampering,
    "identity_mismatch": fraud_identity.identity_mismatch,
    "duplicate_account": fraud_identity.duplicate_account,
    "ban_evasion": fraud_identity.ban_evasion,
    "serial_complainer": fraud_disputes.serial_complainer,
    "non_payment": fraud_disputes.non_payment,
    "off_platform_payment": fraud_disputes.off_platform_payment,
    "subtle_anomaly": subtle_anomaly,
    **PAYMENT_SCHEMES,
}
PATTERNS: tuple[str, ...] = tuple(PATTERN_RATES)


def describe(pattern: str) -> str:
    """One sentence on what an incident of ``pattern`` is (its scheme's summary line)."""
    doc = SCHEMES[pattern].__doc__ or pattern
    return doc.strip().splitlines()[0]


class TruthRow(NamedTuple):
    """The ground truth about one event: was it planted fraud, and of which pattern."""

    event_id: str
    is_fraud: bool
    pattern: str


def build_world(
    accounts: int, days: int, seed: int, end: datetime = REFERENCE_END, adversarial: bool = False
) -> tuple[World, dict[str, int]]:
    """Run the whole simulation; returns the world and the incidents planted per pattern.

    ``adversarial`` plants the evasive version of each scheme that has one
    (``trust.simulate.fraud_evasive``) instead of the plain one.
    """
    if accounts < 10 or days < 1:
        raise ValueError("simulate at least 10 accounts over at least 1 day")
    world = World(seed, days, end)
    population = honest.populate(world, accounts)
    honest.verify_all(world, population)
    honest.trade(world, population)
    honest.seek_references(world, population)
    planted: dict[str, int] = {}
    schemes = {**SCHEMES, **EVASIVE_SCHEMES} if adversarial else SCHEMES
    for pattern in FEEDBACK_AND_IDENTITY_PATTERNS:
        planted[pattern] = incidents(PATTERN_RATES[pattern], accounts, days)
        for _ in range(planted[pattern]):
            schemes[pattern](world, population, pattern)
    appeal_restrictions(world)
    with payments.payment_stream(world):
        payments.everyday(world, population)
        for pattern in PAYMENT_RATES:
            planted[pattern] = incidents(PATTERN_RATES[pattern], accounts, days)
            for _ in range(planted[pattern]):
                schemes[pattern](world, population, pattern)
    return world, planted


def ordered_events(world: World) -> Iterator[tuple[dict[str, Any], TruthRow]]:
    """The world's events in time order, each with its id and truth row."""
    prefix = f"sim{world.seed}-"
    world.planted.sort(key=lambda p: (p.ts, p.seq))
    ids: dict[int, str] = {}
    for number, item in enumerate(world.planted):
        event_id = ids[item.seq] = f"{prefix}{number:08d}"
        record = {"event_id": event_id, "schema_version": 1, **item.record}
        if item.appeals is not None:
            # The appealed record happened earlier, so it is numbered already.
            record["decision_event_id"] = ids[item.appeals]
        yield record, TruthRow(event_id, item.pattern not in NOT_FRAUD, item.pattern)
