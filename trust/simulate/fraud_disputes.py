"""Dispute abuse: serial complainers, clients who never pay, off-platform payment requests."""

from __future__ import annotations

from collections.abc import Sequence

from trust.simulate import records, texts
from trust.simulate.honest import play_dispute
from trust.simulate.schemes import pick, quick_contract, start_after, victims
from trust.simulate.world import DAY, HOUR, Account, World

WORKERS = ("freelancer", "agency")


def serial_complainer(world: World, pool: Sequence[Account], pattern: str) -> None:
    """One client files low-effort complaints (and 1-star reviews) against many freelancers."""
    rng = world.rng
    span = (world.end - world.start) // 2
    complainer = pick(world, pool, ("client",), span)
    ts = start_after(world, complainer, span=span)
    targets = victims(world, pool, WORKERS, rng.randrange(6, 16), complainer)
    # Spread the spree over the rest of the window so all of it is observed.
    step = max(2 * HOUR, (world.end - ts - 4 * DAY) // len(targets))
    for freelancer in targets:
        ended = ts + rng.randrange(HOUR, DAY)
        contract = quick_contract(
            world,
            complainer,
            freelancer,
            ended,
            rng.randrange(3_000, 40_000),
            length=rng.randrange(DAY, 9 * DAY),
        )
        category, description = texts.serial_complaint_text(rng)
        world.emit(
            ended + rng.randrange(HOUR, DAY),
            records.complaint(
                world, complainer, freelancer, category, description, contract, "funded"
            ),
            pattern,
        )
        if rng.random() < 0.5:
            world.emit(
                ended + rng.randrange(DAY, 3 * DAY),
                records.review(world, contract, complainer, 1, texts.review_text(rng, 1)),
                pattern,
            )
        ts += rng.randrange(step // 2, step + 1)


def non_payment(world: World, pool: Sequence[Account], pattern: str) -> None:
    """A client has several freelancers work on unfunded milestones, then never pays."""
    rng = world.rng
    client = pick(world, pool, ("client",), 8 * DAY)
    ts = start_after(world, client, span=8 * DAY)
    for freelancer in victims(world, pool, WORKERS, rng.randrange(3, 7), client):
        ended = ts + rng.randrange(HOUR, 2 * DAY)
        contract = quick_contract(
            world,
            client,
            freelancer,
            ended,
            rng.randrange(15_000, 300_000),
            length=rng.randrange(5 * DAY, 25 * DAY),
        )
        overdue = rng.randrange(15, 40)
        escrow = "unfunded" if rng.random() < 0.75 else "funded"
        category = "non_payment" if rng.random() < 0.8 else "late_payment"
        record = records.complaint(
            world,
            freelancer,
            client,
            category,
            texts.non_payment_text(rng, overdue),
            contract,
            escrow,
        )
        play_dispute(
            world,
            contract,
            freelancer,
            client,
            record,
            ended + rng.randrange(12 * HOUR, 3 * DAY),
            pattern,
        )
        ts += rng.randrange(3 * HOUR, 12 * HOUR)


def off_platform_payment(world: World, pool: Sequence[Account], pattern: str) -> None:
    """An account asks counterparties to pay outside escrow; they report it."""
    rng = world.rng
    culprit = pick(world, pool, ("freelancer", "client", "agency"), 5 * DAY)
    ts = start_after(world, culprit, span=5 * DAY)
    roles = ("client",) if culprit.role != "client" else WORKERS
    for other in victims(world, pool, roles, rng.randrange(1, 4), culprit):
        client, freelancer = (other, culprit) if culprit.role != "client" else (culprit, other)
        ended = ts + rng.randrange(HOUR, 3 * DAY)
        contract = quick_contract(
            world,
            client,
            freelancer,
            ended,
            rng.randrange(5_000, 90_000),
            length=rng.randrange(DAY, 10 * DAY),
        )
        # The category is not always the right one: the text is what gives it away.
        category = rng.choice(
            ("off_platform_payment", "off_platform_payment", "other", "communication")
        )
        description = texts.off_platform_text(rng, culprit.first)
        world.emit(
            ended - rng.randrange(HOUR, DAY),
            records.complaint(
                world,
                other,
                culprit,
                category,
                description,
                contract,
                rng.choice(("funded", "unfunded")),
            ),
            pattern,
        )
        ts = ended + rng.randrange(HOUR, 2 * DAY)
