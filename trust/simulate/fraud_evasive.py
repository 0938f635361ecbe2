"""Evasive versions of the feedback schemes, planted by ``trust simulate --adversarial``.

What a fraudster who knows the rules does: every account on its own device and a clean IP
address, accounts aged for months before use, roles split between a client account and a
freelancer account per person, honest-sounding texts, activity dripped over weeks past the
7-day windows, and coercion paraphrased so it shares no wording with the plain phrasings.
Each plants under the same pattern name as the scheme it replaces, so recall per pattern is
comparable between the plain and the adversarial world.
"""

from __future__ import annotations

from collections.abc import Sequence

from trust.simulate import people, texts
from trust.simulate.fraud_reviews import WORKERS, coercion
from trust.simulate.schemes import Scheme, emit_review, pick, quick_contract, start_after, verify
from trust.simulate.world import DAY, HOUR, Account, World


def aged_account(world: World, role: str, pattern: str, country: people.Country) -> Account:
    """An account created months before the window, on its own device and IP address,
    whose verification shows up early in the window."""
    rng = world.rng
    account = world.new_account(
        role, world.start - rng.randrange(60 * DAY, 400 * DAY), country=country
    )
    verify(world, account, world.start + rng.randrange(HOUR, 3 * DAY), pattern)
    return account


def review_ring(world: World, pool: Sequence[Account], pattern: str) -> None:
    """4-7 people, each with a client and a freelancer account, hire one another's
    freelancer accounts over the whole window and leave honest-sounding 5-star reviews."""
    rng = world.rng
    country = people.pick_country(rng)
    people_in_ring = [
        (
            aged_account(world, "client", pattern, country),
            aged_account(world, "freelancer", pattern, country),
        )
        for _ in range(rng.randrange(4, 8))
    ]
    for i, (client, _) in enumerate(people_in_ring):
        for j, (_, freelancer) in enumerate(people_in_ring):
            if i == j or rng.random() > 0.55:
                continue
            ended = world.moment(world.start + 4 * DAY, world.end - DAY)
            contract = quick_contract(
                world,
                client,
                freelancer,
                ended,
                rng.randrange(5_000, 60_000),
                length=rng.randrange(2 * DAY, 20 * DAY),
            )
            emit_review(
                world,
                contract,
                client,
                ended + rng.randrange(HOUR, 3 * DAY),
                5,
                texts.review_text(rng, 5),
                pattern,
            )
            if rng.random() < 0.7:
                emit_review(
                    world,
                    contract,
                    freelancer,
                    ended + rng.randrange(HOUR, 3 * DAY),
                    5,
                    texts.review_text(rng, 5),
                    pattern,
                )


def review_burst_new_accounts(world: World, pool: Sequence[Account], pattern: str) -> None:
    """8-20 aged client accounts, each on its own device and IP, review one freelancer,
    dripped over two to four weeks."""
    rng = world.rng
    target = pick(world, pool, WORKERS, 3 * DAY)
    begin = max(start_after(world, target, span=14 * DAY), world.start + 4 * DAY)
    span = rng.randrange(14 * DAY, 28 * DAY)
    for _ in range(rng.randrange(8, 21)):
        puppet = aged_account(world, "client", pattern, target.country)
        ended = world.moment(begin, begin + span)
        contract = quick_contract(
            world,
            puppet,
            target,
            ended,
            rng.randrange(3_000, 40_000),
            length=rng.randrange(DAY, 10 * DAY),
        )
        emit_review(
            world,
            contract,
            puppet,
            ended + rng.randrange(HOUR, 2 * DAY),
            5,
            texts.review_text(rng, 5),
            pattern,
        )


def coerced_review(world: World, pool: Sequence[Account], pattern: str) -> None:
    """A client extorts a freelancer or trades the rating, in paraphrased words."""
    coercion(
        world, pool, pattern, texts.EVASIVE_EXTORTION_TEXTS, texts.EVASIVE_COERCED_REVIEW_TEXTS
    )


EVASIVE_SCHEMES: dict[str, Scheme] = {
    "review_ring": review_ring,
    "review_burst_new_accounts": review_burst_new_accounts,
    "coerced_review": coerced_review,
}
