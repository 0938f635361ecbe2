"""Builders of raw event records (plain dicts in the exact shape of trust.events.kinds)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from trust.simulate.world import Account, World, iso, iso_day, money

SUB_RATING_NAMES = ("quality", "communication", "expertise", "professionalism", "schedule")


@dataclass(slots=True)
class Contract:
    """A job between a client and a freelancer (or agency), paid in one currency."""

    contract_id: str
    client: Account
    freelancer: Account
    started_at: int
    ended_at: int
    cents: int
    currency: str


def new_contract(
    world: World,
    client: Account,
    freelancer: Account,
    started_at: int,
    ended_at: int,
    cents: int,
) -> Contract:
    """A contract with a fresh id; the client pays in the freelancer's billing currency."""
    return Contract(
        world.new_id("c", 48), client, freelancer, started_at, ended_at, cents, freelancer.currency
    )


def honest_check(rng: random.Random, doc_type: str) -> dict[str, Any]:
    """Vendor results for a genuine document: mostly clean, sometimes borderline."""
    tamper = rng.betavariate(1.2, 28)
    if rng.random() < 0.02:
        tamper = rng.uniform(0.25, 0.55)  # glare and blur push honest scores up
    selfie = rng.betavariate(14, 1.6)
    if rng.random() < 0.06:
        selfie = rng.uniform(0.55, 0.78)  # old photo, bad light: near the threshold
    return {
        "tamper_score": round(tamper, 3),
        "mrz_consistent": None if doc_type == "driving_licence" else rng.random() > 0.004,
        "selfie_match_score": round(selfie, 3),
        "liveness_passed": rng.random() > 0.015,
    }


def document_name(rng: random.Random, account: Account) -> str:
    """The name as printed on the document: usually identical, sometimes formatted differently."""
    roll = rng.random()
    if roll < 0.02:
        return f"{account.last.upper()} {account.first.upper()}"
    if roll < 0.035:
        return f"{account.first} {rng.choice('ABCDEJMR')}. {account.last}"
    return account.legal_name


def verification(
    world: World,
    account: Account,
    ts: int,
    check: dict[str, Any] | None = None,
    network: dict[str, str] | None = None,
    document: dict[str, Any] | None = None,
    profile: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A profile_verification record for ``account``; overrides replace single fields."""
    rng = world.rng
    profile_fields: dict[str, Any] = {
        "display_name": f"{account.first} {account.last[0]}.",
        "legal_name": account.legal_name,
        "country": account.country.code,
        "email": account.email,
        "title": account.title,
        "skills": account.skills,
        "photo_present": rng.random() < 0.93,
    }
    if account.phone is not None:
        profile_fields["phone"] = account.phone
    if account.hourly_cents is not None:
        profile_fields["hourly_rate"] = money(account.hourly_cents, account.currency)
    profile_fields.update(profile or {})
    document_fields: dict[str, Any] = {
        "type": account.doc_type,
        "issuing_country": account.country.code,
        "name_on_document": document_name(rng, account),
        "date_of_birth": account.dob,
        "number": account.doc_number,
        "expires_on": account.doc_expiry,
    }
    document_fields.update(document or {})
    record: dict[str, Any] = {
        "kind": "profile_verification",
        # Verification runs on the device the account registered: the one links key on.
        "network": network
        or {"ip": account.ip, "ip_country": account.country.code, "device_id": account.device},
        "account_id": account.account_id,
        "role": account.role,
        "account_created_at": iso(account.created_at),
        "profile": profile_fields,
        "document": document_fields,
        "document_check": check or honest_check(rng, document_fields["type"]),
    }
    if account.payment is not None:
        record["payment_fingerprint"] = account.payment
    return record


def review(
    world: World,
    contract: Contract,
    reviewer: Account,
    rating: int,
    text: str,
    network: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A review record by one party of ``contract`` about the other."""
    rng = world.rng
    by_client = reviewer is contract.client
    reviewee = contract.freelancer if by_client else contract.client
    record: dict[str, Any] = {
        "kind": "review",
        "network": network or reviewer.network(rng),
        "contract_id": contract.contract_id,
        "reviewer_id": reviewer.account_id,
        "reviewee_id": reviewee.account_id,
        "direction": "client_to_freelancer" if by_client else "freelancer_to_client",
        "rating": rating,
        "text": text,
        "amount_paid": money(contract.cents, contract.currency),
        "contract_started_at": iso(contract.started_at),
        "contract_ended_at": iso(contract.ended_at),
    }
    if rng.random() < 0.55:
        record["sub_ratings"] = {
            name: max(1, min(5, rating + rng.choice((-1, 0, 0, 0, 1)))) for name in SUB_RATING_NAMES
        }
    return record


def reference(
    freelancer: Account,
    referee: dict[str, str],
    project: tuple[str, int, int | None],
    request_ts: int,
    response: dict[str, Any] | None,
    network: dict[str, str],
) -> dict[str, Any]:
    """A reference_check record; ``project`` is (title, started_at, ended_at or None)."""
    title, started, ended = project
    claimed: dict[str, Any] = {"title": title, "started_on": iso_day(started)}
    if ended is not None:
        claimed["ended_on"] = iso_day(ended)
    record: dict[str, Any] = {
        "kind": "reference_check",
        "network": network,
        "freelancer_id": freelancer.account_id,
        "referee": referee,
        "claimed_project": claimed,
        "request_sent_at": iso(request_ts),
    }
    if response is not None:
        record["response"] = response
    return record


def complaint(
    world: World,
    complainant: Account,
    respondent: Account,
    category: str,
    description: str,
    contract: Contract | None = None,
    escrow_state: str | None = None,
    disputed_cents: int | None = None,
) -> dict[str, Any]:
    """A complaint record; money and escrow fields appear only when a contract is named."""
    rng = world.rng
    record: dict[str, Any] = {
        "kind": "complaint",
        "network": complainant.network(rng),
        "complainant_id": complainant.account_id,
        "respondent_id": respondent.account_id,
        "complainant_role": complainant.role,
        "respondent_role": respondent.role,
        "category": category,
        "description": description,
        "evidence_refs": [world.new_id("att-", 32) for _ in range(rng.randrange(0, 4))],
    }
    if contract is not None:
        record["contract_id"] = contract.contract_id
        record["milestone_id"] = world.new_id("m", 32)
        cents = contract.cents if disputed_cents is None else disputed_cents
        record["amount_in_dispute"] = money(cents, contract.currency)
        if escrow_state is not None:
            record["escrow_state"] = escrow_state
        if escrow_state == "funded":
            # The milestone holds the contract's price; a claim may be for less, never more.
            record["escrow_amount"] = money(contract.cents, contract.currency)
        record["contract_type"] = "fixed_price"
        record["contract_ended_at"] = iso(contract.ended_at)
    return record
