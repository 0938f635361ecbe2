"""Honest marketplace activity, with the everyday noise that makes precision meaningful."""

from __future__ import annotations

import math
import random
from typing import Any

from trust.simulate import disputes, people, records, texts
from trust.simulate.records import Contract
from trust.simulate.world import DAY, HONEST, HOUR, Account, World, iso, iso_day

# Tuning constants of honest behaviour (documented so volumes can be reasoned about).
ROLE_WEIGHTS = {"freelancer": 58, "client": 36, "agency": 6}
CONTRACTS_PER_CLIENT_DAY = 0.12  # mean hiring rate; heavy-tailed across clients
REVIEW_BY_CLIENT = 0.78
REVIEW_BY_FREELANCER = 0.55
COMPLAINT_PER_CONTRACT = 0.08
REVERIFICATION_SHARE = 0.06
REFERENCE_SEEKERS = 0.25  # freelancers who ask for off-platform references in the window
BAD_CONTRACT_SHARE = 0.08
REVIEW_WINDOW = 14 * DAY  # double-blind feedback window after a contract ends
_RATING_CHOICE = people.Weighted(range(1, 6), texts.RATING_WEIGHTS)
_CATEGORY_CHOICE = people.Weighted(
    list(texts.HONEST_COMPLAINT_WEIGHTS), list(texts.HONEST_COMPLAINT_WEIGHTS.values())
)


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth for small means, normal approximation for large ones)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


def populate(world: World, count: int) -> list[Account]:
    """Create ``count`` honest accounts, some new in the window, with shared-device households."""
    rng = world.rng
    roles = people.Weighted(list(ROLE_WEIGHTS), list(ROLE_WEIGHTS.values()))
    new_share = min(0.35, 0.004 * world.days + 0.02)
    created: list[Account] = []
    for _ in range(count):
        role = roles.draw(rng)
        if rng.random() < new_share:
            created_at = rng.randrange(world.start, world.end - HOUR)
        else:
            created_at = world.start - rng.randrange(DAY, 3 * 365 * DAY)
        account = world.new_account(role, created_at)
        if created and rng.random() < 0.015:
            # A household or small office: same laptop and connection, different people.
            other = rng.choice(created)
            account.device, account.ip, account.country = other.device, other.ip, other.country
        elif created and rng.random() < 0.02:
            account.ip = rng.choice(created).ip  # carrier-grade NAT or a coworking space
        created.append(account)
    return created


def verify_all(world: World, accounts: list[Account]) -> None:
    """Each honest account verifies once; a few re-verify later (new phone, new document)."""
    rng = world.rng
    early_end = world.start + max(DAY, (world.end - world.start) // 2)
    for account in accounts:
        if account.created_at >= world.start:
            ts = account.created_at + int(rng.expovariate(1 / (3 * HOUR))) + 60
        else:
            ts = world.moment(world.start, early_end)
        network = None
        if rng.random() < 0.05:
            # Travelling or on a VPN: the IP country differs from the profile country.
            abroad = people.pick_country(rng)
            network = {
                "ip": people.ip_address(rng, abroad),
                "ip_country": abroad.code,
                "device_id": account.device,
            }
        document = None
        if rng.random() < 0.008:
            document = {"expires_on": iso_day(ts - rng.randrange(5, 200) * DAY)}
        account.verified_at = ts
        world.emit(ts, records.verification(world, account, ts, network=network, document=document))
        if rng.random() < REVERIFICATION_SHARE:
            later = ts + rng.randrange(DAY, 40 * DAY)
            network = None
            if rng.random() < 0.5:  # a new phone: the re-verification comes from it
                account.extra_devices.append(people.device_id(rng))
                network = {
                    "ip": account.ip,
                    "ip_country": account.country.code,
                    "device_id": account.extra_devices[-1],
                }
            world.emit(later, records.verification(world, account, later, network=network))


def contract_amount(rng: random.Random, freelancer: Account) -> int:
    """Cents paid on a contract: hourly rate times a heavy-tailed number of hours."""
    if rng.random() < 0.03:
        return rng.randrange(300, 2_000)  # honest micro-gigs: tiny contracts are not all fake
    hours = rng.lognormvariate(math.log(12), 0.9)
    return max(500, int((freelancer.hourly_cents or 2_500) * hours))


def trade(world: World, accounts: list[Account]) -> None:
    """Clients hire freelancers; finished contracts produce reviews and some complaints."""
    rng = world.rng
    clients = [a for a in accounts if a.role == "client"]
    workers = [a for a in accounts if a.role != "client"]
    if not clients or not workers:
        return
    # Popular freelancers get more work: hiring follows a heavy-tailed popularity.
    hiring = people.Weighted(workers, [rng.paretovariate(1.6) for _ in workers])
    mu = math.log(CONTRACTS_PER_CLIENT_DAY) - 0.5
    for client in clients:
        # Contracts that ended shortly before the window still get reviewed inside it.
        lo = max(world.start - REVIEW_WINDOW, client.created_at)
        n = poisson(rng, rng.lognormvariate(mu, 1.0) * (world.end - lo) / DAY)
        previous: list[Account] = []
        for _ in range(n):
            ended = world.moment(lo + HOUR, world.end, clip=False)
            length = int(rng.lognormvariate(math.log(7 * DAY), 1.0)) + HOUR
            started = max(ended - length, client.created_at)
            freelancer = _hire(rng, hiring, previous, started)
            if freelancer is None:
                continue
            contract = records.new_contract(
                world, client, freelancer, started, ended, contract_amount(rng, freelancer)
            )
            settle(world, contract)


def _hire(
    rng: random.Random, hiring: people.Weighted[Account], previous: list[Account], started: int
) -> Account | None:
    """Re-hire someone (three times in ten) or find a new freelancer who existed by ``started``."""
    if previous and rng.random() < 0.3:
        freelancer = rng.choice(previous)
        return freelancer if freelancer.created_at <= started else None
    for _ in range(3):
        freelancer = hiring.draw(rng)
        if freelancer.created_at <= started:
            previous.append(freelancer)
            return freelancer
    return None


def settle(world: World, contract: Contract) -> None:
    """The aftermath of one contract: feedback from either side, maybe a complaint."""
    rng = world.rng
    bad = rng.random() < BAD_CONTRACT_SHARE
    if rng.random() < COMPLAINT_PER_CONTRACT * (5 if bad else 0.6):
        honest_complaint(world, contract)
    for reviewer, share in (
        (contract.client, REVIEW_BY_CLIENT),
        (contract.freelancer, REVIEW_BY_FREELANCER),
    ):
        if rng.random() < share:
            rating = rng.choice((1, 1, 2, 2, 3)) if bad else _RATING_CHOICE.draw(rng)
            delay = int(rng.expovariate(1 / (2 * DAY))) % REVIEW_WINDOW + 600
            end = contract.ended_at
            ts = world.by_day(end + delay, end + 600, end + REVIEW_WINDOW)
            text = texts.review_text(rng, rating)
            world.emit(ts, records.review(world, contract, reviewer, rating, text))


def honest_complaint(world: World, contract: Contract) -> None:
    """A genuine dispute between the two parties of ``contract``."""
    rng = world.rng
    category = _CATEGORY_CHOICE.draw(rng)
    by_freelancer = category in {"late_payment", "non_payment"} or (
        category not in {"quality", "scope"} and rng.random() < 0.5
    )
    complainant, respondent = (
        (contract.freelancer, contract.client)
        if by_freelancer
        else (contract.client, contract.freelancer)
    )
    escrow = (
        rng.choice(("funded", "funded", "released"))
        if category != "non_payment"
        else (rng.choice(("funded", "funded", "unfunded")))
    )
    # Disputes open near the end of the work, never before it started.
    ts = max(contract.ended_at + rng.randrange(-2 * DAY, 6 * DAY), contract.started_at + HOUR)
    ts = world.by_day(ts, contract.started_at + HOUR, contract.ended_at + 6 * DAY)
    description = rng.choice(texts.COMPLAINT_TEXTS[category])
    record = records.complaint(
        world, complainant, respondent, category, description, contract, escrow
    )
    play_dispute(world, contract, complainant, respondent, record, ts, HONEST)


def play_dispute(
    world: World,
    contract: Contract,
    complainant: Account,
    respondent: Account,
    record: dict[str, Any],
    ts: int,
    pattern: str,
) -> None:
    """Emit a complaint; when it is about money in escrow, the parties play the dispute out
    (some client complaints about work become hourly disputes about billed hours)."""
    own = disputes.dispute_rng(world, contract)
    if (
        complainant is contract.client
        and record.get("escrow_state") == "funded"
        and (own.random() < disputes.HOURLY_SHARE)
    ):
        billed_until, ts = disputes.hourly_filing(ts)
        disputes.hours_record(record, contract, billed_until, own)
    world.emit(ts, record, pattern)
    if not world.in_window(ts):
        return  # the platform never saw this complaint, so it has no dispute to answer
    if record.get("escrow_state") == "funded" or record.get("contract_type") == "hourly":
        amount = record["amount_in_dispute"]["amount"].replace(".", "")
        parties = disputes.Parties(
            complainant, respondent, contract, record["milestone_id"], int(amount)
        )
        disputes.play(world, parties, ts, pattern)


def seek_references(world: World, accounts: list[Account]) -> None:
    """Some freelancers ask former off-platform clients for references; most answer."""
    rng = world.rng
    referees: list[dict[str, str]] = []
    for freelancer in accounts:
        if freelancer.role == "client" or rng.random() >= REFERENCE_SEEKERS:
            continue
        for _ in range(rng.randrange(1, 4)):
            request = world.moment(max(world.start, freelancer.created_at + HOUR), world.end)
            if referees and rng.random() < 0.03:
                referee = rng.choice(referees)  # one client who hired two freelancers
            else:
                referee = honest_referee(rng)
                referees.append(referee)
            ended = request - rng.randrange(30, 900) * DAY
            project = (
                rng.choice(texts.PROJECT_TITLES),
                ended - rng.randrange(14, 200) * DAY,
                ended,
            )
            response = None
            ts = request + 7 * DAY
            if rng.random() < 0.78:
                delay = int(rng.lognormvariate(math.log(20 * HOUR), 1.0)) + 600
                if rng.random() < 0.01:
                    delay = rng.randrange(60, 300)  # the referee happened to be at their desk
                ts = request + delay
                country = people.pick_country(rng)
                response = {
                    "confirms": rng.random() < 0.96,
                    "rating": rng.choice((4, 5, 5, 5)),
                    "text": rng.choice(texts.REFERENCE_TEXTS),
                    "responded_at": iso(ts),
                    "ip": people.ip_address(rng, country),
                    "device_id": people.device_id(rng),
                }
            # The check is reported when answered or expired; later outcomes are not observed.
            world.emit(
                ts,
                records.reference(
                    freelancer, referee, project, request, response, freelancer.network(rng)
                ),
            )


def honest_referee(rng: random.Random) -> dict[str, str]:
    """A real former client: mostly a company address, some private, a few sole traders."""
    first, last = people.pick_name(rng)
    company, domain = people.company_domain(rng)
    referee = {"name": f"{first} {last}", "role": rng.choice(texts.REFEREE_ROLES)}
    roll = rng.random()
    if roll < 0.70:
        referee |= {"email": f"{first.lower()}.{last.lower()}@{domain}", "company": company}
    elif roll < 0.95:
        local = people.email_local(rng, first, last)
        referee["email"] = f"{local}@{people.free_mail_domain(rng)}"
    else:  # a sole trader who runs a company from a Gmail address
        referee |= {
            "email": f"{first.lower()}.{company.split()[0].lower()}@gmail.com",
            "company": company,
        }
    return referee
