"""Feedback fraud: review rings, reciprocal reviews, bursts, self-dealing, coerced reviews."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from trust.simulate import people, records, texts
from trust.simulate.schemes import (
    emit_review,
    pick,
    quick_contract,
    sock_puppet,
    start_after,
    traces,
)
from trust.simulate.world import DAY, HOUR, Account, World

WORKERS = ("freelancer", "agency")


def review_ring(world: World, pool: Sequence[Account], pattern: str) -> None:
    """4-7 farm accounts hire each other for small jobs and leave each other 5 stars."""
    rng = world.rng
    size = rng.randrange(4, 8)
    begin = world.moment(world.start + 2 * DAY, world.end - 14 * DAY)
    country = people.pick_country(rng)
    founder = sock_puppet(
        world, "freelancer", begin - rng.randrange(DAY, 20 * DAY), pattern, country=country
    )
    members = [founder]
    for _ in range(size - 1):
        # The farm works from a handful of devices behind one VPN exit.
        share = ("ip",) if rng.random() < 0.6 else ("ip", "device")
        created = begin - rng.randrange(DAY, 20 * DAY)
        members.append(
            sock_puppet(world, "freelancer", created, pattern, like=founder, share=share)
        )
    for client, freelancer in itertools.permutations(members, 2):
        if rng.random() > 0.55:
            continue
        ended = begin + rng.randrange(0, 12 * DAY)
        contract = quick_contract(world, client, freelancer, ended, rng.randrange(500, 6_000))
        emit_review(
            world,
            contract,
            client,
            ended + rng.randrange(600, 2 * DAY),
            5,
            rng.choice(texts.RING_TEXTS),
            pattern,
        )
        if rng.random() < 0.7:
            emit_review(
                world,
                contract,
                freelancer,
                ended + rng.randrange(600, 2 * DAY),
                5,
                rng.choice(texts.RING_TEXTS),
                pattern,
            )


def reciprocal_review(world: World, pool: Sequence[Account], pattern: str) -> None:
    """Two freelancers trade jobs and 5-star reviews back and forth."""
    rng = world.rng
    first = pick(world, pool, WORKERS, 10 * DAY)
    second = pick(world, pool, WORKERS, 10 * DAY)
    if first is second:
        return
    ts = start_after(world, first, second, span=10 * DAY)
    rounds = rng.randrange(2, 5)
    step = max(4 * HOUR, (world.end - ts - DAY) // rounds)
    for round_ in range(rounds):
        client, freelancer = (first, second) if round_ % 2 == 0 else (second, first)
        ended = ts + rng.randrange(HOUR, step // 2)
        contract = quick_contract(world, client, freelancer, ended, rng.randrange(1_000, 15_000))
        emit_review(
            world,
            contract,
            client,
            ended + rng.randrange(600, 6 * HOUR),
            5,
            texts.review_text(rng, 5),
            pattern,
        )
        emit_review(
            world,
            contract,
            freelancer,
            ended + rng.randrange(600, 6 * HOUR),
            5,
            texts.review_text(rng, 5),
            pattern,
        )
        ts += step


def review_burst_new_accounts(world: World, pool: Sequence[Account], pattern: str) -> None:
    """8-20 client accounts created days ago all review one freelancer within two days."""
    rng = world.rng
    target = pick(world, pool, WORKERS, 3 * DAY)
    burst = start_after(world, target, span=3 * DAY)
    burst = max(burst, world.start + 6 * DAY)
    country = people.pick_country(rng)
    devices = [people.device_id(rng) for _ in range(rng.randrange(2, 4))]
    ips = [people.ip_address(rng, country) for _ in range(rng.randrange(2, 5))]
    for _ in range(rng.randrange(8, 21)):
        puppet = sock_puppet(
            world,
            "client",
            burst - rng.randrange(DAY, 5 * DAY),
            pattern,
            country=country,
            device=rng.choice(devices),
            ip=rng.choice(ips),
        )
        ended = burst + rng.randrange(0, 36 * HOUR)
        contract = quick_contract(world, puppet, target, ended, rng.randrange(500, 4_000))
        emit_review(
            world,
            contract,
            puppet,
            ended + rng.randrange(300, 12 * HOUR),
            5,
            rng.choice(texts.RING_TEXTS),
            pattern,
        )


SELF_DEALING_LINKS = ("device", "payment", "email_stem")


def self_dealing(world: World, pool: Sequence[Account], pattern: str) -> None:
    """A freelancer hires themself from a second account for tiny jobs rated 5 stars."""
    rng = world.rng
    owner = pick(world, pool, WORKERS, 10 * DAY)
    # One strong trace (device, card or e-mail stem), sometimes the home connection too.
    share = rng.sample(traces(owner, SELF_DEALING_LINKS), 1)
    if rng.random() < 0.5:
        share.append("ip")
    begin = start_after(world, owner, span=10 * DAY)
    alias = sock_puppet(
        world, "client", begin - rng.randrange(HOUR, 10 * DAY), pattern, like=owner, share=share
    )
    ts = begin
    for _ in range(rng.randrange(2, 7)):
        ended = ts + rng.randrange(HOUR, DAY)
        # Feedback needs a paid contract: the cheapest that counts, a dollar or a few.
        cents = rng.randrange(100, 500) if rng.random() < 0.8 else rng.randrange(500, 1_500)
        contract = quick_contract(
            world, alias, owner, ended, cents, length=rng.randrange(20 * 60, 6 * HOUR)
        )
        emit_review(
            world,
            contract,
            alias,
            ended + rng.randrange(60, 3 * HOUR),
            5,
            texts.review_text(rng, 5),
            pattern,
            network=alias.network(rng),
        )
        ts = ended + rng.randrange(HOUR, 3 * DAY)


def coerced_review(world: World, pool: Sequence[Account], pattern: str) -> None:
    """A client extorts a freelancer, then retaliates with a review (or trades one for money)."""
    coercion(world, pool, pattern, texts.EXTORTION_TEXTS, texts.COERCED_REVIEW_TEXTS)


def coercion(
    world: World,
    pool: Sequence[Account],
    pattern: str,
    extortion: Sequence[str],
    reviews: Sequence[str],
) -> None:
    """A coerced review with the given wording: an extortion complaint then a 1-star
    retaliation, or a rating traded for money."""
    rng = world.rng
    client = pick(world, pool, ("client",), 4 * DAY)
    freelancer = pick(world, pool, WORKERS, 4 * DAY)
    ended = start_after(world, client, freelancer, span=4 * DAY)
    contract = quick_contract(
        world,
        client,
        freelancer,
        ended,
        rng.randrange(5_000, 80_000),
        length=rng.randrange(3 * DAY, 30 * DAY),
    )
    if rng.random() < 0.6:
        complained = ended + rng.randrange(HOUR, 2 * DAY)
        world.emit(
            complained,
            records.complaint(
                world,
                freelancer,
                client,
                rng.choice(("harassment", "other", "fraud_scam")),
                rng.choice(extortion),
                contract,
                "funded",
            ),
            pattern,
        )
        emit_review(
            world,
            contract,
            client,
            complained + rng.randrange(300, 8 * HOUR),
            1,
            texts.review_text(rng, 1),
            pattern,
        )
    else:
        rating = rng.choice((1, 5))
        text = rng.choice(reviews)
        emit_review(
            world, contract, client, ended + rng.randrange(HOUR, 5 * DAY), rating, text, pattern
        )
