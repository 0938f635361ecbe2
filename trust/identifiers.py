"""The identifiers each event reveals about each account: the edges of the link graph."""

from __future__ import annotations

from dataclasses import dataclass

from trust.events import (
    AppealEvent,
    ClientPaymentEvent,
    ComplaintEvent,
    CredentialChangeEvent,
    DisputePartyEvent,
    Event,
    PayoutMethodChangeEvent,
    ProfileVerificationEvent,
    ReferenceCheckEvent,
    ReviewEvent,
    SignInEvent,
    WithdrawalRequestEvent,
)
from trust.pii import PiiHasher, email_domain, mask

# Identifier kinds, in the order staff read them in the linked-accounts table.
IDENTIFIER_KINDS = (
    "document",
    "phone",
    "payment",
    "device",
    "ip",
    "email",
    "email_domain",
    "referee_email",
)


@dataclass(frozen=True, slots=True)
class AccountIdentifier:
    """One identifier seen on one account: matched by ``value_hash``, shown as ``masked``."""

    account_id: str
    kind: str
    value_hash: str
    masked: str


def _network(event: Event, account_id: str, hasher: PiiHasher) -> list[AccountIdentifier]:
    out: list[AccountIdentifier] = []
    if event.network is None:
        return out
    if event.network.device_id:
        out.append(_make(account_id, "device", event.network.device_id, hasher))
    if event.network.ip is not None:
        out.append(_make(account_id, "ip", str(event.network.ip), hasher))
    return out


def _make(account_id: str, kind: str, value: str, hasher: PiiHasher) -> AccountIdentifier:
    return AccountIdentifier(account_id, kind, hasher.hash(kind, value), mask(kind, value))


def identifiers_of(event: Event, hasher: PiiHasher) -> list[AccountIdentifier]:
    """Every (account, identifier) pair the event shows, hashed and masked."""
    if isinstance(event, ProfileVerificationEvent):
        account = event.account_id
        found = _network(event, account, hasher)
        found.append(_make(account, "document", event.document.number, hasher))
        found.append(_make(account, "email", str(event.profile.email), hasher))
        domain = email_domain(str(event.profile.email))
        found.append(AccountIdentifier(account, "email_domain", domain, domain))
        if event.profile.phone:
            found.append(_make(account, "phone", event.profile.phone, hasher))
        if event.payment_fingerprint:
            found.append(_make(account, "payment", event.payment_fingerprint, hasher))
        return found
    if isinstance(event, ReviewEvent):
        return _network(event, event.reviewer_id, hasher)
    if isinstance(event, ComplaintEvent):
        return _network(event, event.complainant_id, hasher)
    if isinstance(event, DisputePartyEvent):
        return _network(event, event.party_id, hasher)
    if isinstance(event, ReferenceCheckEvent):
        found = _network(event, event.freelancer_id, hasher)
        found.append(_make(event.freelancer_id, "referee_email", str(event.referee.email), hasher))
        return found
    if isinstance(event, AppealEvent | CredentialChangeEvent):
        return _network(event, event.account_id, hasher)
    return _money_identifiers(event, hasher)


def _money_identifiers(event: Event, hasher: PiiHasher) -> list[AccountIdentifier]:
    """Payout methods and cards are payment fingerprints, matched like the verification's."""
    if isinstance(event, SignInEvent):
        # A failed attempt proves nothing about whose device or network it was.
        return _network(event, event.account_id, hasher) if event.outcome == "success" else []
    if isinstance(event, PayoutMethodChangeEvent):
        found = _network(event, event.account_id, hasher)
        found.append(_make(event.account_id, "payment", event.fingerprint, hasher))
        return found
    if isinstance(event, WithdrawalRequestEvent):
        found = _network(event, event.account_id, hasher)
        found.append(_make(event.account_id, "payment", event.payout_fingerprint, hasher))
        return found
    if isinstance(event, ClientPaymentEvent):
        found = _network(event, event.client_id, hasher)
        found.append(_make(event.client_id, "payment", event.fingerprint, hasher))
        return found
    raise TypeError(f"unknown event type {type(event).__name__}")
