"""Fake references: referees who are the freelancer, their friends, or a reference farm."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trust.simulate import people, records, texts
from trust.simulate.schemes import pick, start_after
from trust.simulate.world import DAY, HOUR, Account, World, iso

# Tell-tale traits of a fake reference; each fake carries two or three of them.
TRAITS = ("free_mail_company", "same_domain", "same_device", "instant", "future_project")
WORKERS = ("freelancer", "agency")


def fake_reference(world: World, pool: Sequence[Account], pattern: str) -> None:
    """A freelancer (or a reference farm serving several) vouches for themself."""
    rng = world.rng
    farm = rng.random() < 0.25
    # A farm reuses one referee identity for many freelancers.
    farm_referee = _referee(world, pick(world, pool, WORKERS), ("free_mail_company",))
    served = rng.randrange(3, 7) if farm else 1
    for freelancer in [pick(world, pool, WORKERS) for _ in range(served)]:
        for _ in range(1 if farm else rng.randrange(1, 4)):
            traits = tuple(rng.sample(TRAITS, rng.randrange(2, 4)))
            referee = farm_referee if farm else _referee(world, freelancer, traits)
            request = start_after(world, freelancer, span=DAY)
            delay = rng.randrange(4, 90) if "instant" in traits else rng.randrange(HOUR, 30 * HOUR)
            responded = request + delay
            network = freelancer.network(rng)
            response: dict[str, Any] = {
                "confirms": True,
                "rating": 5,
                "text": rng.choice(texts.REFERENCE_TEXTS),
                "responded_at": iso(responded),
            }
            if "same_device" in traits:
                response |= {"ip": network["ip"], "device_id": network["device_id"]}
            else:
                country = people.pick_country(rng)
                response |= {
                    "ip": people.ip_address(rng, country),
                    "device_id": people.device_id(rng),
                }
            ended = request - rng.randrange(30, 500) * DAY
            if "future_project" in traits:
                ended = request + rng.randrange(20, 200) * DAY  # work that has not happened yet
            project = (
                rng.choice(texts.PROJECT_TITLES),
                ended - rng.randrange(14, 120) * DAY,
                ended,
            )
            world.emit(
                responded,
                records.reference(freelancer, referee, project, request, response, network),
                pattern,
            )


def _referee(world: World, freelancer: Account, traits: tuple[str, ...]) -> dict[str, str]:
    rng = world.rng
    first, last = people.pick_name(rng)
    company, domain = people.company_domain(rng)
    referee = {
        "name": f"{first} {last}",
        "company": company,
        "role": rng.choice(texts.REFEREE_ROLES),
        "email": f"{first.lower()}.{last.lower()}@{domain}",
    }
    if "same_domain" in traits:
        referee["email"] = f"{first.lower()}@{freelancer.email.rpartition('@')[2]}"
    elif "free_mail_company" in traits:
        referee["email"] = f"{people.email_local(rng, first, last)}@{people.free_mail_domain(rng)}"
    return referee
