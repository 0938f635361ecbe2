"""Payment fraud: account takeovers, payouts in someone else's name, payout accounts shared
by several accounts, and stolen cards ending in chargebacks (issue 14)."""

from __future__ import annotations

from collections.abc import Sequence

from trust.signals.geo import distance_km
from trust.simulate import people
from trust.simulate.payments import (
    client_payment,
    credential_change,
    payout_change,
    sign_in,
    withdrawal,
)
from trust.simulate.schemes import pick, start_after
from trust.simulate.world import DAY, HONEST, HOUR, Account, World

WORKERS = ("freelancer", "agency")
# A takeover from the victim's own country (a VPN exit there) hides the jump.
SAME_COUNTRY_TAKEOVER = 0.1


def _far_country(world: World, home: str) -> people.Country:
    """A country at least 1,500 km from ``home``."""
    for _ in range(50):
        country = people.pick_country(world.rng)
        if (distance_km(home, country.code) or 0.0) >= 1500:
            return country
    return people.COUNTRY_BY_CODE["VN" if home != "VN" else "BR"]


def _home(account: Account) -> dict[str, str]:
    return {"ip": account.ip, "ip_country": account.country.code, "device_id": account.device}


def _stranger(world: World) -> str:
    first, last = people.pick_name(world.rng)
    return f"{first} {last}"


def account_takeover(world: World, pool: Sequence[Account], pattern: str) -> None:
    """Someone signs in to a freelancer's account from a new device far away, changes its
    e-mail or password, adds a payout method of their own and withdraws within hours."""
    rng = world.rng
    victim = pick(world, pool, WORKERS, span=3 * DAY)
    start = start_after(world, victim, span=3 * DAY)
    # The owner's own sign-in before, from home: the account's baseline.
    world.emit(start - rng.randrange(HOUR, 3 * DAY), sign_in(victim, _home(victim), rng), HONEST)
    if rng.random() < SAME_COUNTRY_TAKEOVER:
        country = victim.country
    else:
        country = _far_country(world, victim.country.code)
    intruder = {
        "ip": people.ip_address(rng, country),
        "ip_country": country.code,
        "device_id": people.device_id(rng),
    }
    ts = start
    # A phished password where the owner has no second factor, or a hijacked recovery e-mail.
    method = "password" if rng.random() < 0.7 else "recovery_link"
    world.emit(ts, sign_in(victim, intruder, rng) | {"auth_method": method}, pattern)
    ts += rng.randrange(60, 2 * HOUR)
    credential = rng.choice(("email", "password", "two_factor", "phone"))
    via = "recovery" if rng.random() < 0.5 else "user"
    world.emit(ts, credential_change(victim, intruder, credential, via), pattern)
    ts += rng.randrange(5 * 60, 6 * HOUR)
    fingerprint = people.payment_fingerprint(rng)
    holder = _stranger(world) if rng.random() < 0.6 else victim.legal_name
    payout_country = country.code if rng.random() < 0.6 else victim.country.code
    method = rng.choice(("bank_account", "paypal", "wallet"))
    world.emit(
        ts, payout_change(victim, intruder, fingerprint, holder, payout_country, method), pattern
    )
    ts += rng.randrange(10 * 60, 30 * HOUR)
    cents = rng.randrange(80_000, 900_000)
    world.emit(ts, withdrawal(victim, intruder, fingerprint, cents), pattern)


def payout_name_fraud(world: World, pool: Sequence[Account], pattern: str) -> None:
    """A freelancer sends their earnings to a payout account in another person's name
    (often in another country), then withdraws to it."""
    rng = world.rng
    account = pick(world, pool, WORKERS, span=5 * DAY)
    ts = start_after(world, account, span=5 * DAY)
    fingerprint = people.payment_fingerprint(rng)
    country = account.country.code if rng.random() < 0.5 else people.pick_country(rng).code
    network = _home(account)
    record = payout_change(
        account,
        network,
        fingerprint,
        _stranger(world),
        country,
        rng.choice(("bank_account", "paypal")),
    )
    world.emit(ts, record, pattern)
    for _ in range(rng.randrange(1, 4)):
        ts += rng.randrange(2 * HOUR, 2 * DAY)
        world.emit(
            ts, withdrawal(account, network, fingerprint, rng.randrange(20_000, 500_000)), pattern
        )


def shared_payout_account(world: World, pool: Sequence[Account], pattern: str) -> None:
    """Three to five accounts add one payout account (a collector's) and withdraw to it."""
    rng = world.rng
    members = [pick(world, pool, WORKERS, span=6 * DAY) for _ in range(rng.randrange(3, 6))]
    members = list({m.account_id: m for m in members}.values())
    fingerprint = people.payment_fingerprint(rng)
    collector = _stranger(world)
    ts = start_after(world, *members, span=6 * DAY)
    for member in members:
        ts += rng.randrange(HOUR, 12 * HOUR)
        holder = collector if rng.random() < 0.5 else member.legal_name
        record = payout_change(
            member, _home(member), fingerprint, holder, member.country.code, "wallet"
        )
        world.emit(ts, record, pattern)
    for member in members:
        for _ in range(rng.randrange(1, 3)):
            when = ts + rng.randrange(HOUR, 3 * DAY)
            world.emit(
                when,
                withdrawal(member, _home(member), fingerprint, rng.randrange(20_000, 300_000)),
                pattern,
            )


def stolen_card_chargeback(world: World, pool: Sequence[Account], pattern: str) -> None:
    """New client accounts pay with stolen cards from other countries (testing a few, some
    shared between them); the payments come back as chargebacks days later."""
    rng = world.rng
    country = people.pick_country(rng)
    start = world.moment(world.start + DAY, world.end - 5 * DAY)
    clients = [
        world.new_account("client", start - rng.randrange(HOUR, DAY), country=country)
        for _ in range(rng.randrange(1, 4))
    ]
    cards = [
        (people.payment_fingerprint(rng), _far_country(world, country.code).code)
        for _ in range(rng.randrange(2, 6))
    ]
    for client in clients:
        network = _home(client)
        ts = start + rng.randrange(0, 2 * DAY)
        for fingerprint, card_country in rng.sample(cards, rng.randrange(2, len(cards) + 1)):
            ts += rng.randrange(60, 3 * HOUR)
            cents = rng.randrange(20_000, 400_000)
            outcome = "failure" if rng.random() < 0.4 else "success"
            world.emit(
                ts,
                client_payment(client, network, fingerprint, card_country, cents, outcome),
                pattern,
            )
            if outcome == "success":
                later = ts + rng.randrange(3 * DAY, 20 * DAY)
                world.emit(
                    later,
                    client_payment(client, network, fingerprint, card_country, cents, "chargeback"),
                    pattern,
                )


PAYMENT_RATES: dict[str, float] = {
    "account_takeover": 4.0,
    "payout_name_fraud": 4.0,
    "shared_payout_account": 2.0,
    "stolen_card_chargeback": 3.0,
}
PAYMENT_SCHEMES = {
    "account_takeover": account_takeover,
    "payout_name_fraud": payout_name_fraud,
    "shared_payout_account": shared_payout_account,
    "stolen_card_chargeback": stolen_card_chargeback,
}
