"""Identity material for simulated people: names, countries, e-mails, phones, IPs, devices."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    """A fixed weighted choice, drawn with one random number (``random.choices`` re-sums)."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = tuple(items)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random) -> T:
        """One item, with probability proportional to its weight."""
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.total)]


@dataclass(frozen=True, slots=True)
class Country:
    """A country people work from: its calling code, currency and first IPv4 octets."""

    code: str
    calling_code: str
    currency: str
    ip_octets: tuple[int, ...]
    weight: float


def _words(text: str) -> tuple[str, ...]:
    """A word list written as text, one space between words."""
    return tuple(text.split())


# Weights follow the rough mix of a global freelance marketplace (freelancers and clients).
COUNTRIES: tuple[Country, ...] = (
    Country("US", "1", "USD", (23, 34, 50, 64, 98), 22.0),
    Country("GB", "44", "GBP", (31, 51, 81, 86), 7.0),
    Country("DE", "49", "EUR", (46, 79, 84, 91), 5.0),
    Country("FR", "33", "EUR", (37, 78, 90), 3.0),
    Country("NL", "31", "EUR", (77, 83, 145), 2.0),
    Country("ES", "34", "EUR", (79, 83, 88), 2.0),
    Country("IT", "39", "EUR", (79, 93, 151), 2.0),
    Country("PL", "48", "PLN", (31, 83, 89), 3.0),
    Country("RO", "40", "RON", (5, 79, 86), 2.0),
    Country("UA", "380", "UAH", (37, 46, 91), 5.0),
    Country("IN", "91", "INR", (49, 103, 106, 117), 14.0),
    Country("PK", "92", "PKR", (39, 110, 119), 6.0),
    Country("BD", "880", "BDT", (103, 114), 4.0),
    Country("PH", "63", "PHP", (49, 112, 120), 6.0),
    Country("VN", "84", "VND", (14, 113, 171), 2.0),
    Country("NG", "234", "NGN", (41, 102, 105), 3.0),
    Country("KE", "254", "KES", (41, 102, 197), 2.0),
    Country("EG", "20", "EGP", (41, 156, 197), 2.0),
    Country("BR", "55", "BRL", (177, 179, 186, 189), 3.0),
    Country("AR", "54", "ARS", (181, 186, 190), 2.0),
    Country("MX", "52", "MXN", (187, 189, 201), 1.5),
    Country("CA", "1", "CAD", (24, 70, 99, 142), 3.0),
    Country("AU", "61", "AUD", (1, 49, 101, 124), 2.5),
)
COUNTRY_BY_CODE: dict[str, Country] = {c.code: c for c in COUNTRIES}
_COUNTRY_CHOICE = Weighted(COUNTRIES, [c.weight for c in COUNTRIES])

FIRST_NAMES = _words(
    "James Maria Ahmed Olena Priya Carlos Fatima Wei Anna Mohammed Sofia Ivan Aisha Lucas "
    "Emma Raj Chen Elena Omar Grace Daniel Ana Tomasz Sara Kofi Nadia Andrei Julia Ravi "
    "Laura Hassan Mei Pedro Zainab Marco Olga Samuel Leila Diego Hannah Arjun Yuki Miguel "
    "Chloe Bilal Irina Thomas Amara Felipe Nina Ali Lena Joseph Rosa Kwame Eva Sanjay Ines "
    "David Marta Tariq Lucia Peter Noor Sergio Alice Emeka Paula Jonas Divya Mateo Sana"
)
LAST_NAMES = _words(
    "Smith Garcia Khan Kowalski Patel Nguyen Silva Ivanenko Mueller Rossi Okafor Hassan "
    "Fernandez Dubois Sharma Chowdhury Santos Popescu Johnson Kim Ali Novak Brown Lopez "
    "Ahmed Wilson Martin Reyes Mensah Schmidt Costa Petrov Taylor Gonzalez Rahman Nowak "
    "Anderson Moreau Singh Tanaka Lee Ortiz Bakker Kuznetsov Davies Romero Mwangi Jansen "
    "Clarke Haddad Wright Castro Iqbal Vargas Fischer Horvat Evans Suarez Baptiste Walker"
)
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "proton.me", "icloud.com")
_FREE_MAIL_CHOICE = Weighted(FREE_MAIL, (55, 14, 10, 8, 6, 7))
COMPANY_WORDS = _words(
    "acme northwind blueriver brightpath cloudnine datapeak everstone fieldwise greenleaf "
    "harbor ironclad junction kitestring lumen meridian nexora orbital pinecrest quanta "
    "redwood silverline tidewater umbra vertex westgate yellowfin zenith apex bolt cobalt"
)
COMPANY_SUFFIXES = ("labs", "media", "digital", "studio", "systems", "group", "works", "tech")
COMPANY_TLDS = ("com", "io", "co", "net", "de", "co.uk")
SKILLS = _words(
    "python javascript react wordpress seo copywriting translation data-entry logo-design "
    "illustration video-editing accounting excel shopify php laravel django figma ux-research "
    "social-media android ios flutter devops aws sql tableau voice-over customer-support"
)
TITLES = (
    "Full-stack developer",
    "WordPress expert",
    "Graphic designer",
    "Content writer",
    "Virtual assistant",
    "Data analyst",
    "Mobile app developer",
    "SEO specialist",
    "Video editor",
    "Bookkeeper",
    "UX designer",
    "Translator",
    "DevOps engineer",
)


def pick_country(rng: random.Random) -> Country:
    """A country drawn from the marketplace's mix."""
    return _COUNTRY_CHOICE.draw(rng)


def pick_name(rng: random.Random) -> tuple[str, str]:
    """A (first, last) name pair."""
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def company_domain(rng: random.Random) -> tuple[str, str]:
    """A (company name, web domain) pair for a small business."""
    word = rng.choice(COMPANY_WORDS)
    suffix = rng.choice(COMPANY_SUFFIXES)
    return f"{word.title()} {suffix.title()}", f"{word}{suffix}.{rng.choice(COMPANY_TLDS)}"


def free_mail_domain(rng: random.Random) -> str:
    """A free web-mail domain, weighted by popularity."""
    return _FREE_MAIL_CHOICE.draw(rng)


def email_local(rng: random.Random, first: str, last: str) -> str:
    """A local part built the ways people really build them."""
    f, la = first.lower(), last.lower()
    style = rng.randrange(6)
    if style == 0:
        return f"{f}.{la}"
    if style == 1:
        return f"{f}{la}{rng.randrange(1, 99)}"
    if style == 2:
        return f"{f[0]}{la}"
    if style == 3:
        return f"{la}.{f}{rng.randrange(70, 100)}"
    if style == 4:
        return f"{f}_{la[0]}{rng.randrange(100, 999)}"
    return f"{f}{rng.randrange(1000, 9999)}"


def phone_number(rng: random.Random, country: Country) -> str:
    """An E.164 phone number in the country's numbering plan."""
    digits = 10 if len(country.calling_code) == 1 else 9
    subscriber = rng.getrandbits(40) % 10 ** (digits - 1)
    return f"+{country.calling_code}{rng.randrange(2, 10)}{subscriber:0{digits - 1}d}"


def ip_address(rng: random.Random, country: Country) -> str:
    """A public IPv4 address in one of the country's blocks."""
    return (
        f"{rng.choice(country.ip_octets)}.{rng.randrange(256)}."
        f"{rng.randrange(256)}.{rng.randrange(1, 255)}"
    )


def device_id(rng: random.Random) -> str:
    """An opaque device fingerprint as a vendor SDK reports it."""
    return f"dev-{rng.getrandbits(64):016x}"


def payment_fingerprint(rng: random.Random) -> str:
    """An opaque card or bank-account fingerprint from the payment processor."""
    return f"pm_{rng.getrandbits(72):018x}"


def document_number(rng: random.Random, country: Country) -> str:
    """A passport-style document number with the country's prefix letter."""
    return f"{country.code[0]}{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{rng.randrange(10**7):07d}"
