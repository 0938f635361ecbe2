"""Signals of payout method changes, withdrawals and client payments: the takeover chain,
payout names and countries against the verified identity, payment fingerprints shared with
restricted accounts, card velocity and chargebacks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from trust.events import (
    ClientPaymentEvent,
    Event,
    PayoutMethodChangeEvent,
    WithdrawalRequestEvent,
)
from trust.signals.account_security import risky_sign_ins
from trust.signals.context import BatchContext
from trust.signals.history import utc
from trust.signals.payments_context import (
    CHARGEBACK_WINDOW,
    TAKEOVER_WINDOW,
    MoneyRecord,
    VerifiedIdentity,
)
from trust.signals.profile_verification import NAME_MATCH_THRESHOLD
from trust.signals.text import name_similarity
from trust.signals.types import Signals, SignalType

# Recovery or credential change -> payout change -> withdrawal, all within this window.
PAYOUT_WINDOW = timedelta(days=90)
DAY = timedelta(hours=24)
# Credentials whose change hands the account to whoever changed them.
_TAKING_CREDENTIALS = frozenset({"password", "email", "two_factor", "phone"})

_PAYOUT_IDENTITY: dict[str, SignalType] = {
    "holder_name_similarity": "float",
    "holder_name_mismatch": "bool",
    "payout_country_mismatch": "bool",
    "fingerprint_other_accounts": "int",
    "fingerprint_restricted_accounts": "int",
}
PAYOUT_CHANGE_SIGNALS: dict[str, SignalType] = {
    **_PAYOUT_IDENTITY,
    "added": "bool",
    "hours_since_credential_change": "float",
    "recovery_72h": "bool",
    "risky_sign_in_72h": "bool",
    "payout_changes_30d": "int",
    "holder_name_conflicts": "int",
}
# The withdrawal signal that reads the account's enforcement state (a hold blocks
# withdrawals), not the withdrawal itself: evaluations count what it alone flags apart.
HOLD_SIGNAL = "account_restricted"
WITHDRAWAL_SIGNALS: dict[str, SignalType] = {
    **_PAYOUT_IDENTITY,
    "amount": "float",
    "account_restricted": "bool",
    "hours_since_payout_added": "float",
    "payout_unknown": "bool",
    "hours_since_credential_change": "float",
    "takeover_chain": "bool",
    "risky_sign_in_72h": "bool",
    "withdrawals_24h": "int",
}
CLIENT_PAYMENT_SIGNALS: dict[str, SignalType] = {
    "chargeback": "bool",
    "card_other_accounts": "int",
    "card_new_accounts_24h": "int",
    "card_restricted_accounts": "int",
    "card_country_differs_from_ip": "bool",
    "client_chargebacks_90d": "int",
    "client_failed_payments_24h": "int",
    "client_cards_24h": "int",
    "client_account_age_days": "float",
}


def _hours(later: datetime, earlier: datetime | None) -> float | None:
    return None if earlier is None else round((later - earlier).total_seconds() / 3600, 2)


def _credential_changes(records: list[MoneyRecord]) -> list[MoneyRecord]:
    return [
        r
        for r in records
        if r.kind == "credential_change"
        and (r.via == "recovery" or (r.credential or "") in _TAKING_CREDENTIALS)
    ]


def payout_identity(
    ctx: BatchContext,
    event: Event,
    holder_name: str | None,
    country: str | None,
    fingerprint_hash: str | None,
) -> Signals:
    """The payout's holder and country against the verified identity, and who else uses it."""
    identity: VerifiedIdentity | None = ctx.payments.identity(event.subject_id, event.occurred_at)
    similarity = (
        None
        if identity is None or holder_name is None
        else name_similarity(holder_name, identity.legal_name)
    )
    others = ctx.holders("payment", fingerprint_hash, event.occurred_at) - {event.subject_id}
    statuses = [ctx.status(a, event) for a in others]
    return {
        "holder_name_similarity": similarity,
        "holder_name_mismatch": None if similarity is None else similarity < NAME_MATCH_THRESHOLD,
        "payout_country_mismatch": None
        if identity is None or country is None
        else country not in {identity.profile_country, identity.document_country},
        "fingerprint_other_accounts": len(others),
        "fingerprint_restricted_accounts": statuses.count("held") + statuses.count("blocked"),
    }


def holder_name_conflicts(
    ctx: BatchContext, event: PayoutMethodChangeEvent, fingerprint_hash: str | None
) -> int | None:
    """Other accounts that added this payout method under another holder's name.

    A bank or wallet account has one holder (a joint one is written the same way by both
    spouses): one method registered under two unlike names is claimed by someone who does
    not hold it.
    """
    if event.holder_name is None or fingerprint_hash is None:
        return None
    holder = event.holder_name
    return len(
        {
            r.account_id
            for r in ctx.payments.registrations(fingerprint_hash, event)
            if r.holder_name is not None
            and name_similarity(holder, r.holder_name) < NAME_MATCH_THRESHOLD
        }
    )


def compute_payout_change(event: PayoutMethodChangeEvent, ctx: BatchContext) -> Signals:
    """The signals of one payout method change."""
    at = utc(event.occurred_at)
    earlier = ctx.payments.before(event.account_id, event, TAKEOVER_WINDOW)
    changes = _credential_changes(earlier)
    month = ctx.payments.before(event.account_id, event, timedelta(days=30))
    fingerprint = ctx.hash("payment", event.fingerprint)
    signals = payout_identity(ctx, event, event.holder_name, event.country, fingerprint)
    signals.update(
        {
            "added": event.action == "added",
            "hours_since_credential_change": _hours(at, changes[-1].occurred_at)
            if changes
            else None,
            "recovery_72h": any(r.via == "recovery" for r in changes),
            "risky_sign_in_72h": bool(risky_sign_ins(ctx, event, TAKEOVER_WINDOW)),
            "payout_changes_30d": sum(r.kind == "payout_method_change" for r in month),
            "holder_name_conflicts": holder_name_conflicts(ctx, event, fingerprint),
        }
    )
    return signals


def _added(records: list[MoneyRecord], fingerprint_hash: str | None) -> MoneyRecord | None:
    """The latest record adding this payout method."""
    added = [
        r
        for r in records
        if r.kind == "payout_method_change"
        and r.action == "added"
        and r.fingerprint_hash == fingerprint_hash
    ]
    return added[-1] if added else None


def _takeover_chain(records: list[MoneyRecord], payout: MoneyRecord | None, at: datetime) -> bool:
    """A credential change, then this payout method added, then the withdrawal, in a window."""
    if payout is None or at - payout.occurred_at > TAKEOVER_WINDOW:
        return False
    return any(
        payout.occurred_at >= change.occurred_at >= at - TAKEOVER_WINDOW
        for change in _credential_changes(records)
    )


def compute_withdrawal(event: WithdrawalRequestEvent, ctx: BatchContext) -> Signals:
    """The signals of one withdrawal request (decided synchronously)."""
    at = utc(event.occurred_at)
    fingerprint = ctx.hash("payment", event.payout_fingerprint)
    records = ctx.payments.before(event.account_id, event, PAYOUT_WINDOW)
    recent = [r for r in records if r.occurred_at >= at - TAKEOVER_WINDOW]
    payout = _added(records, fingerprint)
    changes = _credential_changes(recent)
    signals = payout_identity(
        ctx,
        event,
        payout.holder_name if payout else None,
        payout.country if payout else None,
        fingerprint,
    )
    signals.update(
        {
            "amount": event.amount.as_float,
            HOLD_SIGNAL: ctx.status(event.account_id, event) in {"held", "blocked"},
            "hours_since_payout_added": _hours(at, payout.occurred_at if payout else None),
            "payout_unknown": payout is None,
            "hours_since_credential_change": _hours(at, changes[-1].occurred_at)
            if changes
            else None,
            "takeover_chain": _takeover_chain(recent, payout, at),
            "risky_sign_in_72h": bool(risky_sign_ins(ctx, event, TAKEOVER_WINDOW)),
            "withdrawals_24h": sum(
                r.kind == "withdrawal_request" and r.occurred_at >= at - DAY for r in recent
            ),
        }
    )
    return signals


def compute_client_payment(event: ClientPaymentEvent, ctx: BatchContext) -> Signals:
    """The signals of one client payment outcome."""
    at = utc(event.occurred_at)
    fingerprint = ctx.hash("payment", event.fingerprint)
    holders = ctx.holders("payment", fingerprint, event.occurred_at) - {event.client_id}
    earlier = ctx.holders("payment", fingerprint, event.occurred_at - DAY) - {event.client_id}
    statuses = [ctx.status(a, event) for a in holders]
    records = ctx.payments.before(event.client_id, event, CHARGEBACK_WINDOW)
    day = [r for r in records if r.kind == "client_payment" and r.occurred_at >= at - DAY]
    ip_country = event.network.ip_country if event.network else None
    age = ctx.age_days(event.client_id, event.occurred_at)
    return {
        "chargeback": event.outcome == "chargeback",
        "card_other_accounts": len(holders),
        "card_new_accounts_24h": len(holders - earlier),
        "card_restricted_accounts": statuses.count("held") + statuses.count("blocked"),
        "card_country_differs_from_ip": None if ip_country is None else ip_country != event.country,
        "client_chargebacks_90d": sum(
            r.kind == "client_payment" and r.outcome == "chargeback" for r in records
        ),
        "client_failed_payments_24h": sum(r.outcome == "failure" for r in day),
        "client_cards_24h": len({r.fingerprint_hash for r in day} | {fingerprint}),
        "client_account_age_days": None if age is None else round(age, 2),
    }
