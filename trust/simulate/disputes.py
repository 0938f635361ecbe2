"""Escrow disputes played out: the parties answer, add evidence, offer, accept, reject or go
silent, so the demo shows every path of ``trust.disputes.machine``.

Each dispute draws from its own random source (seeded by the world's seed and the
contract), so planting these flows leaves every other draw of the world unchanged.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Any

from trust.simulate.records import Contract
from trust.simulate.world import DAY, HOUR, Account, World, iso, money

# How a dispute goes, with its share of disputes.
SCRIPTS: dict[str, float] = {
    "silent_respondent": 0.25,  # the respondent never answers: the default applies
    "answered": 0.2,  # both sides give statements and evidence; staff mediate
    "offer_accepted": 0.25,  # the complainant offers a split, the respondent accepts
    "offer_rejected": 0.2,  # offers rejected both ways: mediation, then arbitration
    "late_answer": 0.1,  # the respondent answers after the deadline (refused)
}
HOURLY_SHARE = 0.3  # of client complaints about work: an hourly dispute about hours

STATEMENTS = {
    "client": (
        "The delivered work does not match the agreed scope.",
        "The milestone was submitted late and incomplete.",
        "I asked for revisions twice and received nothing.",
    ),
    "freelancer": (
        "Everything in the brief was delivered on time; see the files.",
        "The client changed the requirements after approval.",
        "The work was accepted in chat and is in use on their site.",
    ),
}
EVIDENCE = (
    ("delivery.zip", "application/zip"),
    ("chat-export.pdf", "application/pdf"),
    ("screenshot.png", "image/png"),
    ("timesheet.csv", "text/csv"),
)


@dataclass(frozen=True, slots=True)
class Parties:
    """Who is on which side of one dispute, and what it is about."""

    complainant: Account
    respondent: Account
    contract: Contract
    milestone_id: str
    cents: int

    def side(self, account: Account) -> str:
        """'client' or 'freelancer' (an agency is on the freelancer's side)."""
        return "client" if account is self.contract.client else "freelancer"


def dispute_rng(world: World, contract: Contract) -> random.Random:
    """A random source for one dispute that does not disturb the world's."""
    return random.Random(f"{world.seed}:dispute:{contract.contract_id}")


def _base(parties: Parties, who: Account, kind: str, rng: random.Random) -> dict[str, Any]:
    return {
        "kind": kind,
        "contract_id": parties.contract.contract_id,
        "milestone_id": parties.milestone_id,
        "party_id": who.account_id,
        "side": parties.side(who),
        "network": who.network(rng),
    }


def _statement(parties: Parties, who: Account, rng: random.Random) -> dict[str, Any]:
    record = _base(parties, who, "dispute_statement", rng)
    record["text"] = rng.choice(STATEMENTS[parties.side(who)])
    return record


def _evidence(parties: Parties, who: Account, rng: random.Random) -> dict[str, Any]:
    record = _base(parties, who, "dispute_evidence", rng)
    files = []
    for filename, media_type in rng.sample(EVIDENCE, rng.randrange(1, 3)):
        attachment_id = f"att-{rng.getrandbits(48):012x}"
        files.append(
            {
                "attachment_id": attachment_id,
                "filename": filename,
                "media_type": media_type,
                "size_bytes": rng.randrange(2_000, 900_000),
                "sha256": hashlib.sha256(attachment_id.encode()).hexdigest(),
                "url": f"https://files.marketplace.example/{attachment_id}/{filename}",
            }
        )
    record.update(description="What the files show.", attachments=files)
    return record


def _offer(parties: Parties, who: Account, share: float, rng: random.Random) -> dict[str, Any]:
    record = _base(parties, who, "dispute_offer", rng)
    currency = parties.contract.currency
    released = int(parties.cents * share)
    record.update(
        released_amount=money(released, currency)["amount"],
        refunded_amount=money(parties.cents - released, currency)["amount"],
        currency=currency,
    )
    return record


def _answer(
    parties: Parties, who: Account, proposal: int, accept: bool, rng: random.Random
) -> dict[str, Any]:
    record = _base(parties, who, "dispute_answer", rng)
    record.update(answer="accept" if accept else "reject", proposal_id=str(proposal))
    return record


def play(world: World, parties: Parties, filed: int, pattern: str) -> None:
    """Emit the parties' events of one dispute filed at ``filed``, following a drawn script."""
    rng = dispute_rng(world, parties.contract)
    script = rng.choices(list(SCRIPTS), weights=list(SCRIPTS.values()))[0]
    complainant, respondent = parties.complainant, parties.respondent

    def emit(delay: int, record: dict[str, Any]) -> int:
        world.emit(filed + delay, record, pattern)
        return delay

    if script == "silent_respondent":
        emit(rng.randrange(HOUR, DAY), _evidence(parties, complainant, rng))
        return
    if script == "late_answer":
        emit(rng.randrange(9 * DAY, 12 * DAY), _statement(parties, respondent, rng))
        return
    t = emit(rng.randrange(2 * HOUR, 2 * DAY), _statement(parties, respondent, rng))
    t = emit(t + rng.randrange(HOUR, 6 * HOUR), _evidence(parties, complainant, rng))
    t = emit(t + rng.randrange(HOUR, 6 * HOUR), _evidence(parties, respondent, rng))
    if script == "answered":
        return
    share = rng.choice((0.5, 0.6, 0.75))
    offerer = complainant if parties.side(complainant) == "freelancer" else respondent
    t = emit(t + rng.randrange(HOUR, 12 * HOUR), _offer(parties, offerer, share, rng))
    other = respondent if offerer is complainant else complainant
    if script == "offer_accepted":
        emit(t + rng.randrange(HOUR, DAY), _answer(parties, other, 1, True, rng))
        return
    t = emit(t + rng.randrange(HOUR, DAY), _answer(parties, other, 1, False, rng))
    t = emit(t + rng.randrange(HOUR, 12 * HOUR), _offer(parties, other, share / 2, rng))
    if rng.random() < 0.5:
        emit(t + rng.randrange(HOUR, DAY), _answer(parties, offerer, 2, False, rng))


def hourly_filing(filed: int) -> tuple[int, int]:
    """(end of the billed week, filing time) for an hourly dispute near ``filed``: the
    billed week ends the Sunday before, the dispute is filed Monday-Friday UTC after it."""
    day = filed // DAY
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday (3)
    monday = (day - weekday) * DAY
    billed_until = monday - HOUR  # Sunday 23:00 UTC
    return billed_until, monday + (filed - monday) % (5 * DAY)


def hours_record(
    record: dict[str, Any], contract: Contract, billed_until: int, rng: random.Random
) -> None:
    """Turn a complaint record into a client's dispute of billed hours (no milestone escrow:
    hourly work is billed weekly)."""
    hours = rng.randrange(3, 25)
    record.pop("escrow_amount", None)
    record.update(
        contract_type="hourly",
        contract_ended_at=iso(billed_until),
        disputed_hours=f"{hours}.00",
        category="scope",
        amount_in_dispute=money(hours * rng.randrange(1_500, 9_000), contract.currency),
    )
