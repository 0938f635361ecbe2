"""Building blocks every planted fraud scheme uses: accomplices, sock puppets, timing."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from trust.simulate import people, records
from trust.simulate.records import Contract
from trust.simulate.world import DAY, HOUR, Account, World

# A scheme plants one incident of its pattern into the world, using the honest population.
Scheme = Callable[[World, Sequence[Account], str], None]


def pick(world: World, pool: Sequence[Account], roles: tuple[str, ...], span: int = DAY) -> Account:
    """An existing account with one of ``roles``, verified at least ``span`` before the end.

    The margin leaves the scheme room to play out inside the window, after the account's
    identity is on record (so link signals can see it).
    """
    rng = world.rng
    latest = world.end - span - HOUR
    fallback = pool[rng.randrange(len(pool))]
    for _ in range(400):
        account = pool[rng.randrange(len(pool))]
        if account.role in roles:
            fallback = account
            if (account.verified_at or world.start) <= latest:
                return account
    return fallback


def victims(
    world: World, pool: Sequence[Account], roles: tuple[str, ...], count: int, exclude: Account
) -> list[Account]:
    """``count`` distinct accounts with one of ``roles``, other than ``exclude``."""
    chosen: list[Account] = []
    seen = {exclude.account_id}
    for _ in range(count * 20):
        if len(chosen) == count:
            break
        account = pick(world, pool, roles)
        if account.account_id not in seen:
            seen.add(account.account_id)
            chosen.append(account)
    return chosen


def start_after(world: World, *accounts: Account, span: int = 7 * DAY) -> int:
    """When an incident starts: after its accounts verified, leaving ``span`` before the end."""
    earliest = max([world.start] + [(a.verified_at or world.start) + HOUR for a in accounts])
    latest = max(earliest + HOUR, world.end - span)
    return world.moment(earliest, latest)


def verify(world: World, account: Account, ts: int, pattern: str, **overrides: Any) -> None:
    """Emit a verification of ``account`` at ``ts`` labelled with ``pattern``."""
    account.verified_at = ts
    world.emit(ts, records.verification(world, account, ts, **overrides), pattern)


def sock_puppet(
    world: World,
    role: str,
    created_at: int,
    pattern: str,
    *,
    like: Account | None = None,
    share: Sequence[str] = (),
    country: people.Country | None = None,
    device: str | None = None,
    ip: str | None = None,
) -> Account:
    """A new account controlled by a fraudster, verified soon after it is created.

    ``share`` names the identifiers copied from ``like`` (device, ip, payment, phone,
    document, email_stem), and ``device``/``ip`` are a farm's shared equipment: the traces
    that tie the puppet to its owner.
    """
    rng = world.rng
    created_at = max(created_at, world.start)  # puppets are new: their sign-up is observed
    if country is None and like is not None:
        country = like.country
    account = world.new_account(role, created_at, country=country)
    if like is not None:
        copy_identity(rng, account, like, share)
    account.device = device or account.device
    account.ip = ip or account.ip
    verify(world, account, created_at + rng.randrange(120, 6 * HOUR), pattern)
    return account


def copy_identity(
    rng: random.Random, account: Account, source: Account, share: Sequence[str]
) -> None:
    """Give ``account`` the named identifiers of ``source``."""
    if "device" in share:
        account.device = source.device
        account.extra_devices = []  # so every event shows the shared device
    if "ip" in share:
        account.ip = source.ip
    if "payment" in share and source.payment:
        account.payment = source.payment
    if "phone" in share and source.phone:
        account.phone = source.phone
    if "document" in share:
        account.doc_number, account.doc_type = source.doc_number, source.doc_type
        account.dob, account.doc_expiry = source.dob, source.doc_expiry
    if "email_stem" in share:
        stem = "".join(ch for ch in source.email.split("@")[0].split("+")[0] if ch.isalpha())
        account.email = f"{stem}{rng.randrange(10, 999)}@{people.free_mail_domain(rng)}"


def traces(account: Account, kinds: Sequence[str]) -> list[str]:
    """The kinds in ``kinds`` that ``account`` really has (phone and card are optional)."""
    missing = {"phone": account.phone is None, "payment": account.payment is None}
    return [kind for kind in kinds if not missing.get(kind, False)]


def quick_contract(
    world: World,
    client: Account,
    freelancer: Account,
    ended: int,
    cents: int,
    length: int | None = None,
) -> Contract:
    """A contract ending at ``ended``; short unless ``length`` says otherwise."""
    length = length if length is not None else world.rng.randrange(2 * HOUR, 3 * DAY)
    return records.new_contract(world, client, freelancer, ended - length, ended, cents)


def emit_review(
    world: World,
    contract: Contract,
    reviewer: Account,
    ts: int,
    rating: int,
    text: str,
    pattern: str,
    network: dict[str, str] | None = None,
) -> None:
    """Emit a review of ``contract`` by ``reviewer`` labelled with ``pattern``."""
    world.emit(ts, records.review(world, contract, reviewer, rating, text, network), pattern)


def incidents(rate: float, accounts: int, days: int) -> int:
    """How many incidents a rate (per 1,000 accounts per 30 days) gives; at least one."""
    return max(1, round(rate * accounts / 1000 * days / 30))
