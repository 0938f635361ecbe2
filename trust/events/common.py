"""Building blocks shared by every event kind: the envelope, money, countries, network context.

Values a platform could send by mistake are refused rather than guessed at:

- Every timestamp lies from ``EARLIEST_TIMESTAMP`` up to ``LATEST_TIMESTAMP`` (1970 to the
  end of 2099, UTC) and every calendar date from ``EARLIEST_DAY`` to ``LATEST_DAY`` (1900 to
  2099): the history windows signals compute around an event must stay representable.
- A boolean is not a number and a number is not a boolean: ``"rating": true`` and
  ``"liveness_passed": 1`` are refused. Booleans are JSON ``true``/``false``, or the text
  ``"true"``/``"false"`` (CSV cells are text); numbers may come as JSON numbers or as
  numeric text.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Address
from socket import AF_INET, inet_pton
from typing import Annotated

import email_validator
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)
from pydantic.networks import validate_email

from trust.events.codes import COUNTRY_CODES, CURRENCY_CODES
from trust.events.personal import PERSONAL, Personal

MAX_TEXT = 10_000
MAX_SHORT = 200
EARLIEST_TIMESTAMP = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIMESTAMP = datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2099, 12, 31)
_BOOLEAN_TEXT = {"true": True, "false": False}
_EARLIEST_TIMESTAMP_TEXT = f"{EARLIEST_TIMESTAMP:%Y-%m-%dT%H:%M:%SZ}"
_LATEST_TIMESTAMP_TEXT = f"{LATEST_TIMESTAMP:%Y-%m-%dT%H:%M:%SZ}"


def _known_country(value: str) -> str:
    if value not in COUNTRY_CODES:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
    return value


def _known_currency(value: str) -> str:
    if value not in CURRENCY_CODES:
        raise ValueError(f"'{value}' is not an ISO 4217 currency code")
    return value


def _timestamp_in_range(value: datetime) -> datetime:
    if not EARLIEST_TIMESTAMP <= value <= LATEST_TIMESTAMP:
        raise ValueError(
            f"{value.isoformat()} is outside the supported range "
            f"{_EARLIEST_TIMESTAMP_TEXT} to {_LATEST_TIMESTAMP_TEXT}"
        )
    return value


def _day_in_range(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(
            f"{value.isoformat()} is outside the supported range {EARLIEST_DAY} to {LATEST_DAY}"
        )
    return value


def _not_a_boolean(value: object) -> object:
    # JSON true is a Python bool, which is an int: pydantic would take it as 1.
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    return value


def _strict_boolean(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOLEAN_TEXT:
        return _BOOLEAN_TEXT[value.strip().lower()]
    raise ValueError(f"expected true or false, got {_short(value)}")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


# Addresses email_validator hands back exactly as given: a lower-case dot-atom local part,
# lower-case letter-digit-hyphen labels (no '--', so no Punycode) and a letter-only TLD.
_PLAIN_EMAIL = re.compile(r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9]+(?:-[a-z0-9]+)*\.)+[a-z]+")
_EMAIL_MAX, _LOCAL_MAX, _DOMAIN_MAX, _LABEL_MAX = 254, 64, 253, 63


def _is_plain_email(value: str) -> bool:
    """True when ``value`` is an address EmailStr accepts and returns unchanged.

    A conservative subset (proved against email_validator in the tests): anything else,
    valid or not, takes the full check.
    """
    if len(value) > _EMAIL_MAX or not _PLAIN_EMAIL.fullmatch(value):
        return False
    local, _, domain = value.partition("@")
    return (
        len(local) <= _LOCAL_MAX
        and len(domain) <= _DOMAIN_MAX
        and all(len(label) <= _LABEL_MAX for label in domain.split("."))
        and not any(
            domain == special or domain.endswith(f".{special}")
            for special in email_validator.SPECIAL_USE_DOMAIN_NAMES
        )
    )


def _email(value: str) -> str:
    # EmailStr's own check (same messages, same normalised result) for all but plain
    # addresses, which it would return as they are: it was ~40% of a verification's check.
    return value if _is_plain_email(value) else validate_email(value)[1]


# IPv4 text as ipaddress writes it (no leading zeros, each part at most 255), ASCII digits.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")


def _ip_address(value: object, handler: ValidatorFunctionWrapHandler) -> object:
    # Pydantic tries every member of IPv4Address | IPv6Address, each parsing in Python:
    # ~9 µs per event. Text this strict is the address IPv4Address(value) would give, and
    # IPv6Address would refuse; anything else takes the union (same result, same errors).
    if type(value) is str and _DOTTED_QUAD.fullmatch(value):
        return IPv4Address(inet_pton(AF_INET, value))
    return handler(value)


IpAddress = Annotated[IPv4Address | IPv6Address, WrapValidator(_ip_address)]
CountryCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_known_country)
]
CurrencyCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_known_currency)
]
Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$")
]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SHORT)]
LongText = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]
# pydantic's EmailStr, checked faster (``_email``): same errors, same stored value.
Email = Annotated[
    str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email"})
]
Score01 = Annotated[
    float, Field(ge=0.0, le=1.0, allow_inf_nan=False), BeforeValidator(_not_a_boolean)
]
Rating = Annotated[int, Field(ge=1, le=5), BeforeValidator(_not_a_boolean)]
Flag = Annotated[bool, BeforeValidator(_strict_boolean)]
Timestamp = Annotated[
    AwareDatetime,
    AfterValidator(_timestamp_in_range),
    Field(
        json_schema_extra={
            "formatMinimum": _EARLIEST_TIMESTAMP_TEXT,
            "formatMaximum": _LATEST_TIMESTAMP_TEXT,
        }
    ),
]
Day = Annotated[
    date,
    AfterValidator(_day_in_range),
    Field(
        json_schema_extra={
            "formatMinimum": EARLIEST_DAY.isoformat(),
            "formatMaximum": LATEST_DAY.isoformat(),
        }
    ),
]


class StrictModel(BaseModel):
    """A model that refuses unknown fields and coercions a platform team would not expect."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True, str_strip_whitespace=True)


class Money(StrictModel):
    """A non-negative decimal amount in one ISO 4217 currency."""

    amount: Annotated[
        Decimal,
        Field(ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False),
        BeforeValidator(_not_a_boolean),
    ]
    currency: CurrencyCode

    @property
    def as_float(self) -> float:
        """The amount as a float, for signals and features (never for bookkeeping)."""
        return float(self.amount)


class NetworkContext(StrictModel):
    """Where the action came from, when the platform knows it."""

    ip: Annotated[IpAddress | None, Personal("ip")] = None
    ip_country: CountryCode | None = None
    device_id: Annotated[Identifier | None, PERSONAL] = None


class EventEnvelope(StrictModel):
    """Fields every event carries; ``event_id`` is the sender's idempotency key."""

    event_id: Identifier
    occurred_at: Timestamp
    schema_version: Annotated[int, Field(ge=1, le=1), BeforeValidator(_not_a_boolean)] = 1
    network: NetworkContext | None = None

    @property
    def account_ids(self) -> tuple[str, ...]:
        """Every account this event involves, subject first."""
        raise AttributeError("account_ids is defined by each event kind")

    @property
    def subject_id(self) -> str:
        """The account a case about this event would be about."""
        return self.account_ids[0]
