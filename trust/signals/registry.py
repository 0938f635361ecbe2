"""Which signals each event kind produces, and the function that computes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trust.signals import (
    account_security,
    complaint,
    payouts,
    profile_verification,
    reference_check,
    review,
)
from trust.signals.context import BatchContext
from trust.signals.types import Signals, SignalType

SIGNAL_TYPES: dict[str, dict[str, SignalType]] = {
    "profile_verification": profile_verification.SIGNALS,
    "review": review.SIGNALS,
    "reference_check": reference_check.SIGNALS,
    "complaint": complaint.SIGNALS,
    "sign_in": account_security.SIGN_IN_SIGNALS,
    "credential_change": account_security.CREDENTIAL_CHANGE_SIGNALS,
    "payout_method_change": payouts.PAYOUT_CHANGE_SIGNALS,
    "withdrawal_request": payouts.WITHDRAWAL_SIGNALS,
    "client_payment": payouts.CLIENT_PAYMENT_SIGNALS,
}

COMPUTERS: dict[str, Callable[[Any, BatchContext], Signals]] = {
    "profile_verification": profile_verification.compute,
    "review": review.compute,
    "reference_check": reference_check.compute,
    "complaint": complaint.compute,
    "sign_in": account_security.compute_sign_in,
    "credential_change": account_security.compute_credential_change,
    "payout_method_change": payouts.compute_payout_change,
    "withdrawal_request": payouts.compute_withdrawal,
    "client_payment": payouts.compute_client_payment,
}


def signal_names(kind: str) -> set[str]:
    """The names of the signals computed for ``kind``."""
    return set(SIGNAL_TYPES[kind])
