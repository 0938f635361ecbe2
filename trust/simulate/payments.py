"""Honest account and money activity: sign-ins, travel, new phones, forgotten passwords,
payout method changes, withdrawals and client card payments.

It draws from its own seeded stream (``payment_stream``), so adding it leaves every other
event of a seed as it was. The noise it plants is what the payment rules must let through:
travellers signing in abroad with their own laptop, new phones at home, password resets after
a couple of typos, a new bank account in the person's own name (sometimes written with an
initial) followed by a withdrawal, a family card, a declined payment.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from trust.signals.geo import distance_km
from trust.simulate import people
from trust.simulate.honest import poisson
from trust.simulate.world import DAY, HONEST, HONEST_TRAVEL, HOUR, Account, World, money

SIGN_INS_PER_DAY = 0.08
WITHDRAWALS_PER_DAY = 0.05
CLIENT_PAYMENTS_PER_DAY = 0.06
TRAVELLER_SHARE = 0.06
NEW_PHONE_SHARE = 0.04
FORGOTTEN_PASSWORD_SHARE = 0.05
NEW_PAYOUT_SHARE = 0.05
TRIP_DAYS = 10
# Hours a flight takes at least, per 1,000 km, plus getting to and from airports.
FLIGHT_HOURS_PER_1000_KM = 1.4
AIRPORT_HOURS = 4
_AUTH = people.Weighted(
    ("password", "password_two_factor", "passkey", "single_sign_on"), (5, 4, 1, 1)
)
_PAYOUT_TYPES = people.Weighted(("bank_account", "paypal", "debit_card", "wallet"), (6, 3, 1, 1))


@contextmanager
def payment_stream(world: World) -> Iterator[None]:
    """Draw from a stream of its own while planting payment activity (see module doc)."""
    saved = world.rng
    world.rng = random.Random(f"payments-{world.seed}")
    try:
        yield
    finally:
        world.rng = saved


def payout_of(world: World, account: Account) -> str:
    """The account's own payout method: the payment method it verified with, or a new one."""
    if account.payment is None:
        account.payment = people.payment_fingerprint(world.rng)
    return account.payment


def holder_name(rng: random.Random, account: Account) -> str:
    """How a bank writes the account holder: the legal name, sometimes with an initial."""
    if rng.random() < 0.15:
        return f"{account.first[0]}. {account.last}"
    return account.legal_name


def sign_in(
    account: Account, network: dict[str, str], rng: random.Random, outcome: str = "success"
) -> dict[str, Any]:
    """A sign_in record."""
    return {
        "kind": "sign_in",
        "account_id": account.account_id,
        "network": network,
        "outcome": outcome,
        "auth_method": _AUTH.draw(rng),
    }


def credential_change(
    account: Account, network: dict[str, str], credential: str, via: str
) -> dict[str, Any]:
    """A credential_change record."""
    return {
        "kind": "credential_change",
        "account_id": account.account_id,
        "network": network,
        "credential": credential,
        "via": via,
    }


def payout_change(
    account: Account,
    network: dict[str, str],
    fingerprint: str,
    holder: str,
    country: str,
    method_type: str,
    action: str = "added",
) -> dict[str, Any]:
    """A payout_method_change record."""
    return {
        "kind": "payout_method_change",
        "account_id": account.account_id,
        "network": network,
        "action": action,
        "method_type": method_type,
        "fingerprint": fingerprint,
        "holder_name": holder,
        "country": country,
    }


def withdrawal(
    account: Account, network: dict[str, str], fingerprint: str, cents: int
) -> dict[str, Any]:
    """A withdrawal_request record, in the account's currency."""
    return {
        "kind": "withdrawal_request",
        "account_id": account.account_id,
        "network": network,
        "amount": money(cents, account.currency),
        "payout_fingerprint": fingerprint,
    }


def client_payment(
    client: Account,
    network: dict[str, str],
    fingerprint: str,
    card_country: str,
    cents: int,
    outcome: str,
) -> dict[str, Any]:
    """A client_payment record, in US dollars."""
    return {
        "kind": "client_payment",
        "client_id": client.account_id,
        "network": network,
        "amount": money(cents, "USD"),
        "instrument": "card",
        "fingerprint": fingerprint,
        "country": card_country,
        "outcome": outcome,
    }


def active_from(world: World, account: Account) -> int:
    """When the account can act in the window: after it exists and verified."""
    return max(world.start, account.created_at, account.verified_at or world.start) + HOUR


def flight_hours(home: str, away: str) -> float:
    """The least time a real trip between two countries takes."""
    distance = distance_km(home, away) or 2000.0
    return AIRPORT_HOURS + FLIGHT_HOURS_PER_1000_KM * distance / 1000


def everyday(world: World, population: Sequence[Account]) -> None:
    """Every account's sign-ins, withdrawals and payments, with the noise of real life."""
    for account in population:
        start = active_from(world, account)
        if start >= world.end - HOUR:
            continue
        _sign_ins(world, account, start)
        if account.role == "client":
            _payments(world, account, start)
        else:
            _withdrawals(world, account, start)


def _sign_ins(world: World, account: Account, start: int) -> None:
    rng = world.rng
    span_days = (world.end - start) / DAY
    network = {"ip": account.ip, "ip_country": account.country.code, "device_id": account.device}
    moments = sorted(
        world.moment(start, world.end)
        for _ in range(poisson(rng, SIGN_INS_PER_DAY * span_days) + 1)
    )
    trip = rng.random() < TRAVELLER_SHARE
    new_phone_at = world.moment(start, world.end) if rng.random() < NEW_PHONE_SHARE else None
    forgot_at = world.moment(start, world.end) if rng.random() < FORGOTTEN_PASSWORD_SHARE else None
    away = people.pick_country(rng) if trip else None
    leave = world.moment(start, world.end) if trip else None
    for ts in moments:
        here = dict(network)
        if away is not None and leave is not None and away.code != account.country.code:
            landed = leave + int(flight_hours(account.country.code, away.code) * HOUR)
            back = landed + TRIP_DAYS * DAY
            if landed <= ts < back:
                # Abroad with the own laptop or phone: a new country, a known device.
                here = {
                    "ip": people.ip_address(rng, away),
                    "ip_country": away.code,
                    "device_id": account.device,
                }
            elif leave <= ts < landed or back <= ts < back + (landed - leave):
                continue  # in the air, there or back
        pattern = HONEST if here["ip_country"] == account.country.code else HONEST_TRAVEL
        if new_phone_at is not None and ts >= new_phone_at:
            here["device_id"] = _new_phone(world, account)
        if rng.random() < 0.04:
            world.emit(ts - rng.randrange(20, 120), sign_in(account, here, rng, "failure"), pattern)
        world.emit(ts, sign_in(account, here, rng), pattern)
    if forgot_at is not None:
        _forgotten_password(world, account, network, forgot_at)


def _new_phone(world: World, account: Account) -> str:
    """The device of the account's new phone (the same one on every later sign-in)."""
    if not account.extra_devices:
        account.extra_devices.append(people.device_id(world.rng))
    return account.extra_devices[-1]


def _forgotten_password(world: World, account: Account, network: dict[str, str], ts: int) -> None:
    """Two or three typos, a reset from the own device, and back in."""
    rng = world.rng
    for i in range(rng.randrange(1, 4)):
        world.emit(ts + i * 40, sign_in(account, network, rng, "failure"), HONEST)
    world.emit(ts + 600, credential_change(account, network, "password", "recovery"), HONEST)
    world.emit(ts + 700, sign_in(account, network, rng), HONEST)


def _withdrawals(world: World, account: Account, start: int) -> None:
    rng = world.rng
    network = {"ip": account.ip, "ip_country": account.country.code, "device_id": account.device}
    fingerprint = payout_of(world, account)
    if rng.random() < NEW_PAYOUT_SHARE:
        # A legitimate change of bank: the own name, the home country, then a withdrawal.
        changed = world.moment(start, world.end - DAY)
        fingerprint = people.payment_fingerprint(rng)
        world.emit(
            changed,
            payout_change(
                account,
                network,
                fingerprint,
                holder_name(rng, account),
                account.country.code,
                _PAYOUT_TYPES.draw(rng),
            ),
            HONEST,
        )
        account.payment = fingerprint
        start = changed + rng.randrange(HOUR, 5 * DAY)
    span_days = max((world.end - start) / DAY, 0)
    for _ in range(poisson(rng, WITHDRAWALS_PER_DAY * span_days)):
        ts = world.moment(start, world.end)
        world.emit(
            ts, withdrawal(account, network, fingerprint, rng.randrange(5_000, 400_000)), HONEST
        )


def _payments(world: World, account: Account, start: int) -> None:
    rng = world.rng
    network = {"ip": account.ip, "ip_country": account.country.code, "device_id": account.device}
    card = payout_of(world, account)
    span_days = (world.end - start) / DAY
    for _ in range(poisson(rng, CLIENT_PAYMENTS_PER_DAY * span_days)):
        ts = world.moment(start, world.end)
        outcome = "failure" if rng.random() < 0.03 else "success"
        world.emit(
            ts,
            client_payment(
                account, network, card, account.country.code, rng.randrange(2_000, 300_000), outcome
            ),
            HONEST,
        )
