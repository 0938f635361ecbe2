"""Building blocks shared by every event kind: the envelope, money, countries, network context."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from trust.events.codes import COUNTRY_CODES, CURRENCY_CODES
from trust.events.personal import PERSONAL, Personal

MAX_TEXT = 10_000
MAX_SHORT = 200


def _known_country(value: str) -> str:
    if value not in COUNTRY_CODES:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
    return value


def _known_currency(value: str) -> str:
    if value not in CURRENCY_CODES:
        raise ValueError(f"'{value}' is not an ISO 4217 currency code")
    return value


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
Score01 = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Rating = Annotated[int, Field(ge=1, le=5)]
Timestamp = AwareDatetime
Day = date


class StrictModel(BaseModel):
    """A model that refuses unknown fields and coercions a platform team would not expect."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True, str_strip_whitespace=True)


class Money(StrictModel):
    """A non-negative decimal amount in one ISO 4217 currency."""

    amount: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False)]
    currency: CurrencyCode

    @property
    def as_float(self) -> float:
        """The amount as a float, for signals and features (never for bookkeeping)."""
        return float(self.amount)


class NetworkContext(StrictModel):
    """Where the action came from, when the platform knows it."""

    ip: Annotated[IPv4Address | IPv6Address | None, Personal("ip")] = None
    ip_country: CountryCode | None = None
    device_id: Annotated[Identifier | None, PERSONAL] = None


class EventEnvelope(StrictModel):
    """Fields every event carries; ``event_id`` is the sender's idempotency key."""

    event_id: Identifier
    occurred_at: Timestamp
    schema_version: Annotated[int, Field(ge=1, le=1)] = 1
    network: NetworkContext | None = None

    @property
    def account_ids(self) -> tuple[str, ...]:
        """Every account this event involves, subject first."""
        raise AttributeError("account_ids is defined by each event kind")

    @property
    def subject_id(self) -> str:
        """The account a case about this event would be about."""
        return self.account_ids[0]

