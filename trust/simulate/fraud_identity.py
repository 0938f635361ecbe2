"""Identity fraud: tampered or mismatched documents, duplicate accounts, ban evasion."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trust.simulate import people, records, texts
from trust.simulate.schemes import (
    copy_identity,
    pick,
    quick_contract,
    start_after,
    traces,
    verify,
)
from trust.simulate.world import DAY, HOUR, Account, World, iso_day

ROLES = ("freelancer", "client", "agency")
LINKS = ("document", "phone", "device", "payment")
_ROLE_CHOICE = people.Weighted(ROLES, (6, 3, 1))


def _newcomer(world: World, begin: int | None = None) -> Account:
    rng = world.rng
    created = begin if begin is not None else world.moment(world.start, world.end - DAY)
    role = _ROLE_CHOICE.draw(rng)
    return world.new_account(role, created)


def _elsewhere(world: World, account: Account) -> people.Country:
    """A country other than the account's profile country."""
    while True:
        country = people.pick_country(world.rng)
        if country.code != account.country.code:
            return country


def document_tampering(world: World, pool: Sequence[Account], pattern: str) -> None:
    """An edited document photo: high tamper score, broken MRZ; often a second attempt."""
    rng = world.rng
    account = _newcomer(world)
    ts = account.created_at + rng.randrange(300, 8 * HOUR)
    for attempt in range(2 if rng.random() < 0.45 else 1):
        check: dict[str, Any] = {
            "tamper_score": round(rng.uniform(0.68, 0.99), 3),
            "mrz_consistent": False if rng.random() < 0.7 else None,
            "selfie_match_score": round(rng.uniform(0.5, 0.95), 3),
            "liveness_passed": rng.random() < 0.8,
        }
        document: dict[str, Any] = {}
        if rng.random() < 0.3:  # the expiry date is what was edited
            document["expires_on"] = iso_day(ts + rng.randrange(3000, 5000) * DAY)
        if attempt:
            account.doc_number = people.document_number(rng, account.country)
            ts += rng.randrange(20 * 60, 30 * HOUR)
        verify(world, account, ts, pattern, check=check, document=document)


def identity_mismatch(world: World, pool: Sequence[Account], pattern: str) -> None:
    """Someone else's document: low selfie match, other name, countries that disagree."""
    rng = world.rng
    account = _newcomer(world)
    ts = account.created_at + rng.randrange(300, 8 * HOUR)
    traits = rng.sample(("selfie", "name", "countries", "expired"), rng.randrange(2, 4))
    check: dict[str, Any] = {
        "tamper_score": round(rng.betavariate(1.5, 12), 3),
        "mrz_consistent": True,
        "selfie_match_score": round(rng.uniform(0.82, 0.97), 3),
        "liveness_passed": True,
    }
    document: dict[str, Any] = {}
    network: dict[str, str] | None = None
    if "selfie" in traits:
        check["selfie_match_score"] = round(rng.uniform(0.04, 0.45), 3)
        check["liveness_passed"] = rng.random() < 0.6
    if "name" in traits:
        first, last = people.pick_name(rng)
        document["name_on_document"] = f"{first} {last}"
    if "countries" in traits:
        doc_country, ip_country = _elsewhere(world, account), _elsewhere(world, account)
        document["issuing_country"] = doc_country.code
        network = {
            "ip": people.ip_address(rng, ip_country),
            "ip_country": ip_country.code,
            "device_id": account.device,
        }
    if "expired" in traits:
        document["expires_on"] = iso_day(ts - rng.randrange(30, 1500) * DAY)
    verify(world, account, ts, pattern, check=check, document=document, network=network)


def duplicate_account(world: World, pool: Sequence[Account], pattern: str) -> None:
    """A person opens a second account reusing their document, phone, device or card."""
    rng = world.rng
    original = pick(world, pool, ROLES)
    created = start_after(world, original, span=DAY)
    duplicate = world.new_account(original.role, created, country=original.country)
    available = traces(original, LINKS)
    share = rng.sample(available, rng.randrange(1, min(3, len(available)) + 1))
    copy_identity(rng, duplicate, original, share)
    if rng.random() < 0.5:
        duplicate.first = original.first  # same person, slightly different profile
    document = {"name_on_document": original.legal_name} if "document" in share else None
    verify(world, duplicate, created + rng.randrange(300, 12 * HOUR), pattern, document=document)


def ban_evasion(world: World, pool: Sequence[Account], pattern: str) -> None:
    """A scammer is reported by victims (and blocked), then returns with a new account."""
    rng = world.rng
    scammer = world.new_account("freelancer", world.moment(world.start, world.start + 8 * DAY))
    verify(world, scammer, scammer.created_at + rng.randrange(600, 6 * HOUR), pattern)
    victims = [pick(world, pool, ("client",)) for _ in range(rng.randrange(2, 5))]
    # Pace the story so that the return is observed even in a short window.
    step = max(4 * HOUR, min(3 * DAY, (world.end - scammer.created_at) // (len(victims) + 4)))
    ts = scammer.created_at + rng.randrange(step // 2, step)
    for victim in victims:
        ended = ts + rng.randrange(HOUR, step // 2)
        contract = quick_contract(world, victim, scammer, ended, rng.randrange(20_000, 150_000))
        reported = ended + rng.randrange(HOUR, step // 2)
        world.emit(
            reported,
            records.complaint(
                world,
                victim,
                scammer,
                "fraud_scam",
                rng.choice(texts.SCAM_TEXTS),
                contract,
                "released",
            ),
            pattern,
        )
        ts = reported
    returned = ts + rng.randrange(step, 3 * step)
    evader = world.new_account("freelancer", returned, country=scammer.country)
    # Always at least one trace besides the document, which a retry may swap.
    available = traces(scammer, LINKS[1:])
    share = rng.sample(available, rng.randrange(1, min(2, len(available)) + 1))
    if rng.random() < 0.4:
        share.append("document")
    copy_identity(rng, evader, scammer, share)
    verify(world, evader, returned + rng.randrange(600, 6 * HOUR), pattern)
    if rng.random() < 0.4:
        # Rejected once, the evader tries again with a borrowed document but the same laptop.
        evader.doc_number = people.document_number(rng, evader.country)
        evader.first, evader.last = people.pick_name(rng)
        verify(world, evader, (evader.verified_at or returned) + rng.randrange(HOUR, step), pattern)
