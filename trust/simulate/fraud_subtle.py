"""Subtle fraud that breaks no rule: odd amounts and timing only an anomaly model may notice."""

from __future__ import annotations

from collections.abc import Sequence

from trust.simulate import people, records, texts
from trust.simulate.schemes import emit_review, pick, quick_contract, start_after, verify
from trust.simulate.world import DAY, HOUR, Account, World, money

WORKERS = ("freelancer", "agency")


def subtle_anomaly(world: World, pool: Sequence[Account], pattern: str) -> None:
    """One of: a huge payment for a day's work, an instant micro-contract, an inflated dispute,
    an implausible new profile."""
    rng = world.rng
    client = pick(world, pool, ("client",), 2 * DAY)
    freelancer = pick(world, pool, WORKERS, 2 * DAY)
    ended = start_after(world, client, freelancer, span=2 * DAY)
    variant = rng.randrange(4)
    if variant == 3:
        implausible_profile(world, pattern)
    elif variant == 0:
        # Money moved through a "contract": far above the freelancer's rate, done in hours.
        contract = quick_contract(
            world,
            client,
            freelancer,
            ended,
            rng.randrange(1_800_000, 6_000_000),
            length=rng.randrange(2 * HOUR, DAY),
        )
        emit_review(
            world,
            contract,
            client,
            ended + rng.randrange(60, HOUR),
            5,
            texts.review_text(rng, 5),
            pattern,
        )
    elif variant == 1:
        # A contract opened and closed within minutes, reviewed within a minute, at night.
        night = ended - ended % DAY + rng.randrange(1 * HOUR, 4 * HOUR)
        contract = quick_contract(
            world,
            client,
            freelancer,
            night,
            rng.randrange(20_000, 90_000),
            length=rng.randrange(60, 900),
        )
        emit_review(
            world,
            contract,
            client,
            night + rng.randrange(20, 90),
            rng.choice((4, 5)),
            texts.review_text(rng, 5),
            pattern,
        )
    elif variant == 2:
        # A dispute claiming many times what the contract was worth.
        contract = quick_contract(
            world,
            client,
            freelancer,
            ended,
            rng.randrange(2_000, 20_000),
            length=rng.randrange(DAY, 10 * DAY),
        )
        world.emit(
            ended + rng.randrange(HOUR, 3 * DAY),
            records.complaint(
                world,
                client,
                freelancer,
                "quality",
                rng.choice(texts.COMPLAINT_TEXTS["quality"]),
                contract,
                "funded",
                disputed_cents=contract.cents * rng.randrange(8, 40),
            ),
            pattern,
        )


def implausible_profile(world: World, pattern: str) -> None:
    """A night-time sign-up, verified within a minute, with a rate and skill list nobody has."""
    rng = world.rng
    day = world.moment(world.start, world.end - DAY)
    created = day - day % DAY + rng.randrange(HOUR, 4 * HOUR)
    account = world.new_account("freelancer", created)
    cents = rng.randrange(100, 300) if rng.random() < 0.5 else rng.randrange(40_000, 90_000)
    profile = {
        "hourly_rate": money(cents, account.currency),
        "photo_present": False,
        "skills": list(rng.sample(people.SKILLS, 25)),
    }
    verify(world, account, created + rng.randrange(30, 90), pattern, profile=profile)
