"""The simulated marketplace: its clock, its accounts and the events they produce."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from trust.simulate import people
from trust.simulate.people import Country, Weighted

# Output must not depend on when the simulator runs: the window ends at this fixed instant.
REFERENCE_END = datetime(2026, 3, 1, tzinfo=UTC)
DAY = 86_400
HOUR = 3_600
HONEST = "honest"
# Appeals are requests about decisions, neither honest activity nor planted fraud.
APPEAL = "appeal"
# Honest sign-ins from abroad, labelled apart so the share of travellers flagged is measured.
HONEST_TRAVEL = "honest_travel"
NOT_FRAUD = frozenset({HONEST, APPEAL, HONEST_TRAVEL})

# Share of activity per UTC hour: a global marketplace is busiest in European/US daytime.
_HOUR_CHOICE = Weighted(
    range(24), (2, 2, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 9, 10, 10, 10, 9, 8, 7, 6, 5, 4, 3)
)
_DOCUMENT_CHOICE = Weighted(
    ("passport", "national_id", "driving_licence", "residence_permit"), (55, 30, 12, 3)
)


def iso(ts: int) -> str:
    """An epoch second as an RFC 3339 UTC timestamp."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def iso_day(ts: int) -> str:
    """An epoch second as an ISO calendar day."""
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def money(cents: int, currency: str) -> dict[str, str]:
    """A Money value: the amount as a two-decimal string, never a float."""
    return {"amount": f"{cents // 100}.{cents % 100:02d}", "currency": currency}


@dataclass(slots=True)
class Account:
    """One marketplace account and the identity data it always presents."""

    account_id: str
    role: str
    created_at: int
    country: Country
    first: str
    last: str
    email: str
    phone: str | None
    device: str
    ip: str
    payment: str | None
    doc_type: str
    doc_number: str
    dob: str
    doc_expiry: str
    title: str
    skills: list[str]
    hourly_cents: int | None
    extra_devices: list[str] = field(default_factory=list)
    verified_at: int | None = None

    @property
    def legal_name(self) -> str:
        """The name on the account's tax and payout details."""
        return f"{self.first} {self.last}"

    @property
    def currency(self) -> str:
        """The currency the account is paid in: US dollars unless it bills locally."""
        return (
            "USD"
            if self.country.currency not in {"EUR", "GBP", "CAD", "AUD"}
            else (self.country.currency)
        )

    def network(self, rng: random.Random) -> dict[str, str]:
        """Where this account acts from: its home IP and (usually) its main device."""
        device = self.device
        if self.extra_devices and rng.random() < 0.3:
            device = rng.choice(self.extra_devices)
        return {"ip": self.ip, "ip_country": self.country.code, "device_id": device}


@dataclass(slots=True)
class Planted:
    """One generated record before its id is assigned, with the truth about it."""

    ts: int
    seq: int
    record: dict[str, Any]
    pattern: str
    # An appeal names the event it appeals; its id is known only once events are numbered.
    appeals: int | None = None


class World:
    """The marketplace being simulated: a seeded random source, a clock and an event log."""

    def __init__(self, seed: int, days: int, end: datetime = REFERENCE_END) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.end = int(end.timestamp())
        self.start = self.end - days * DAY
        self.days = days
        self.accounts: list[Account] = []
        self.planted: list[Planted] = []
        self._used_ids: set[str] = set()

    # -- identifiers -------------------------------------------------------------------------
    def new_id(self, prefix: str, bits: int = 40) -> str:
        """A fresh opaque identifier that no other object of the world carries."""
        while True:
            value = f"{prefix}{self.rng.getrandbits(bits):0{bits // 4}x}"
            if value not in self._used_ids:
                self._used_ids.add(value)
                return value

    # -- time --------------------------------------------------------------------------------
    def daytime(self, day_start: int) -> int:
        """A moment on the day starting at ``day_start``, following the daily activity curve."""
        hour = _HOUR_CHOICE.draw(self.rng)
        return day_start + hour * HOUR + self.rng.randrange(HOUR)

    def moment(self, lo: int, hi: int, clip: bool = True) -> int:
        """A daytime-weighted moment in [lo, hi), clipped into the window unless told not to."""
        if clip:
            lo, hi = max(lo, self.start), min(hi, self.end - 1)
        if hi <= lo:
            return lo
        return self.by_day(self.rng.randrange(lo, hi), lo, hi)

    def by_day(self, ts: int, lo: int, hi: int) -> int:
        """Move ``ts`` to a busier hour of the same day, if that stays within [lo, hi)."""
        shifted = self.daytime(ts - ts % DAY)
        return shifted if lo <= shifted < hi else ts

    def in_window(self, ts: int) -> bool:
        """True when ``ts`` falls inside the simulated window."""
        return self.start <= ts < self.end

    # -- accounts ----------------------------------------------------------------------------
    def new_account(
        self,
        role: str,
        created_at: int,
        country: Country | None = None,
        free_mail: float = 0.62,
    ) -> Account:
        """Create a person with a consistent identity, and register their account."""
        rng = self.rng
        country = country or people.pick_country(rng)
        first, last = people.pick_name(rng)
        if rng.random() < free_mail:
            domain = people.free_mail_domain(rng)
        else:
            domain = people.company_domain(rng)[1]
        dob_year = 1958 + rng.randrange(47)
        expiry = self.end + rng.randrange(60, 3650) * DAY
        skills = rng.sample(people.SKILLS, rng.randrange(2, 8)) if role != "client" else []
        account = Account(
            account_id=self.new_id("u", 48),
            role=role,
            created_at=created_at,
            country=country,
            first=first,
            last=last,
            email=f"{people.email_local(rng, first, last)}@{domain}",
            phone=people.phone_number(rng, country) if rng.random() < 0.85 else None,
            device=people.device_id(rng),
            ip=people.ip_address(rng, country),
            payment=people.payment_fingerprint(rng) if rng.random() < 0.9 else None,
            doc_type=_DOCUMENT_CHOICE.draw(rng),
            doc_number=people.document_number(rng, country),
            dob=f"{dob_year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            doc_expiry=iso_day(expiry),
            title=rng.choice(people.TITLES) if role != "client" else "Hiring manager",
            skills=skills,
            hourly_cents=rng.randrange(800, 12_000) if role != "client" else None,
        )
        if rng.random() < 0.12:
            account.extra_devices.append(people.device_id(rng))
        self.accounts.append(account)
        return account

    # -- events ------------------------------------------------------------------------------
    def emit(
        self, ts: int, record: dict[str, Any], pattern: str = HONEST, appeals: int | None = None
    ) -> None:
        """Log a record that happened at ``ts``; records outside the window are not observed.

        ``appeals`` is the ``seq`` of the planted record an appeal is about.
        """
        if not self.in_window(ts):
            return
        record["occurred_at"] = iso(ts)
        self.planted.append(Planted(ts, len(self.planted), record, pattern, appeals))
