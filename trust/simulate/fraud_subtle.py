"""Subtle fraud that breaks no rule: odd amounts and timing only an anomaly model may notice."""

from __future__ import annotations

from collections.abc import Sequence

from trust.simulate import records, texts
from trust.simulate.schemes import emit_review, pick, quick_contract, start_after
from trust.simulate.world import DAY, HOUR, Account, World

WORKERS = ("freelancer", "agency")


def subtle_anomaly(world: World, pool: Sequence[Account], pattern: str) -> None:
    """One of: a huge payment for a day's work, an instant micro-contract, an inflated dispute."""
    rng = world.rng
    client = pick(world, pool, ("client",), 2 * DAY)
    freelancer = pick(world, pool, WORKERS, 2 * DAY)
    ended = start_after(world, client, freelancer, span=2 * DAY)
    variant = rng.randrange(3)
    if variant == 0:
        # Money moved through a "contract": far above the freelancer's rate, done in hours.
        contract = quick_contract(world, client, freelancer, ended,
                                  rng.randrange(1_800_000, 6_000_000),
                                  length=rng.randrange(2 * HOUR, DAY))
        emit_review(world, contract, client, ended + rng.randrange(60, HOUR), 5,
                    texts.review_text(rng, 5), pattern)
    elif variant == 1:
        # A contract opened and closed within minutes, reviewed within a minute, at night.
        night = ended - ended % DAY + rng.randrange(1 * HOUR, 4 * HOUR)
        contract = quick_contract(world, client, freelancer, night, rng.randrange(20_000, 90_000),
                                  length=rng.randrange(60, 900))
        emit_review(world, contract, client, night + rng.randrange(20, 90),
                    rng.choice((4, 5)), texts.review_text(rng, 5), pattern)
    else:
        # A dispute claiming many times what the contract was worth.
        contract = quick_contract(world, client, freelancer, ended, rng.randrange(2_000, 20_000),
                                  length=rng.randrange(DAY, 10 * DAY))
        world.emit(ended + rng.randrange(HOUR, 3 * DAY), records.complaint(
            world, client, freelancer, "quality", rng.choice(texts.COMPLAINT_TEXTS["quality"]),
            contract, "funded", disputed_cents=contract.cents * rng.randrange(8, 40)), pattern)
