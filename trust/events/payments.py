"""Account and money events: sign-ins, credential changes, payout methods, withdrawals and
client payments -- what account takeover and payout fraud leave behind (issue 14).

They go through the same intake as every kind and are scored. A sign-in always names where
it came from (``network``); payout and card fingerprints are identifiers (matched by keyed
hash, kept sealed, shown masked), as the verification's payment fingerprint is.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import model_validator

from trust.events.common import (
    CountryCode,
    EventEnvelope,
    Identifier,
    Money,
    NetworkContext,
    ShortText,
)
from trust.events.personal import PERSONAL, Personal


class AuthMethod(StrEnum):
    """How a person proved who they are when signing in."""

    PASSWORD = "password"
    PASSWORD_TWO_FACTOR = "password_two_factor"
    PASSKEY = "passkey"
    SINGLE_SIGN_ON = "single_sign_on"
    RECOVERY_LINK = "recovery_link"


class Credential(StrEnum):
    """What a credential change replaced."""

    PASSWORD = "password"
    TWO_FACTOR = "two_factor"
    EMAIL = "email"
    PHONE = "phone"


class PayoutMethodType(StrEnum):
    """Where a freelancer's withdrawals go."""

    BANK_ACCOUNT = "bank_account"
    DEBIT_CARD = "debit_card"
    PAYPAL = "paypal"
    WALLET = "wallet"


class PaymentInstrument(StrEnum):
    """What a client paid with."""

    CARD = "card"
    BANK = "bank"


class PaymentOutcome(StrEnum):
    """What became of a client payment: charged, declined, reversed, or a reversal repaid."""

    SUCCESS = "success"
    FAILURE = "failure"
    CHARGEBACK = "chargeback"
    REPAYMENT = "repayment"


class _AccountEvent(EventEnvelope):
    """An event about one account's own access or money."""

    account_id: Identifier

    @property
    def account_ids(self) -> tuple[str, ...]:
        return (self.account_id,)


class SignInEvent(_AccountEvent):
    """Someone signed in to an account, or tried to; where from is required."""

    kind: Literal["sign_in"] = "sign_in"
    network: NetworkContext  # type: ignore[assignment]  # optional elsewhere, required here
    outcome: Literal["success", "failure"]
    auth_method: AuthMethod


class CredentialChangeEvent(_AccountEvent):
    """A password, second factor, e-mail or phone of an account was changed."""

    kind: Literal["credential_change"] = "credential_change"
    credential: Credential
    # "recovery": through a reset or recovery flow, not by a signed-in user.
    via: Literal["user", "recovery"]


class PayoutMethodChangeEvent(_AccountEvent):
    """A payout method was added to or removed from a freelancer's account."""

    kind: Literal["payout_method_change"] = "payout_method_change"
    action: Literal["added", "removed"]
    method_type: PayoutMethodType
    fingerprint: Annotated[Identifier, PERSONAL]
    holder_name: Annotated[ShortText, Personal("name")]
    country: CountryCode


class WithdrawalRequestEvent(_AccountEvent):
    """A freelancer asks to move money out; the marketplace waits for the answer."""

    kind: Literal["withdrawal_request"] = "withdrawal_request"
    amount: Money
    payout_fingerprint: Annotated[Identifier, PERSONAL]


class ClientPaymentEvent(EventEnvelope):
    """A client's card or bank payment, and what became of it."""

    kind: Literal["client_payment"] = "client_payment"
    client_id: Identifier
    contract_id: Identifier | None = None
    amount: Money
    instrument: PaymentInstrument
    fingerprint: Annotated[Identifier, PERSONAL]
    country: CountryCode
    outcome: PaymentOutcome
    # A repayment names the chargeback it settles (its event_id).
    repays_event_id: Identifier | None = None

    @model_validator(mode="after")
    def _repayment_names_its_chargeback(self) -> ClientPaymentEvent:
        if (self.outcome == PaymentOutcome.REPAYMENT) != (self.repays_event_id is not None):
            raise ValueError("repays_event_id is required for a repayment, and only for one")
        return self

    @property
    def account_ids(self) -> tuple[str, ...]:
        return (self.client_id,)


PAYMENT_EVENT_TYPES: dict[str, type[EventEnvelope]] = {
    "sign_in": SignInEvent,
    "credential_change": CredentialChangeEvent,
    "payout_method_change": PayoutMethodChangeEvent,
    "withdrawal_request": WithdrawalRequestEvent,
    "client_payment": ClientPaymentEvent,
}
PaymentEvent = (
    SignInEvent
    | CredentialChangeEvent
    | PayoutMethodChangeEvent
    | WithdrawalRequestEvent
    | ClientPaymentEvent
)
