"""Feature vectors of the account and money kinds: sign-ins, credential changes, payout
methods, withdrawals and client payments (the payload part; signals are added as for every
kind by :func:`models.features.feature_frame`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from models.features import NAN, _log_money, _network

Payload = Mapping[str, Any]
_AUTH_METHODS = ("password", "password_two_factor", "passkey", "single_sign_on", "recovery_link")
_CREDENTIALS = ("password", "two_factor", "email", "phone")
_PAYOUT_TYPES = ("bank_account", "debit_card", "paypal", "wallet")
_PAYMENT_OUTCOMES = ("success", "failure", "chargeback", "repayment")


def _hour_of_day(payload: Payload) -> float:
    """Hour of the UTC day; people act at their hours, takeovers often at the victim's night."""
    return float(datetime.fromisoformat(payload["occurred_at"]).hour)


def _one_hot(prefix: str, value: object, choices: tuple[str, ...]) -> dict[str, float]:
    return {f"{prefix}_{choice}": float(value == choice) for choice in choices}


def sign_in_features(payload: Payload) -> dict[str, float]:
    """Outcome, method and network facts of one sign-in."""
    network = _network(payload)
    return {
        "failed": float(payload["outcome"] == "failure"),
        "device_missing": float(not network.get("device_id")),
        "ip_country_missing": float(not network.get("ip_country")),
        "hour_of_day": _hour_of_day(payload),
        **_one_hot("auth", payload["auth_method"], _AUTH_METHODS),
    }


def credential_change_features(payload: Payload) -> dict[str, float]:
    """What was changed, and whether through recovery."""
    return {
        "via_recovery": float(payload["via"] == "recovery"),
        "device_missing": float(not _network(payload).get("device_id")),
        "hour_of_day": _hour_of_day(payload),
        **_one_hot("credential", payload["credential"], _CREDENTIALS),
    }


def payout_method_change_features(payload: Payload) -> dict[str, float]:
    """The payout method added or removed, and where it is."""
    ip_country = _network(payload).get("ip_country")
    return {
        "added": float(payload["action"] == "added"),
        "country_differs_from_ip": NAN
        if not ip_country
        else float(payload["country"] != ip_country),
        "hour_of_day": _hour_of_day(payload),
        **_one_hot("method", payload["method_type"], _PAYOUT_TYPES),
    }


def withdrawal_request_features(payload: Payload) -> dict[str, float]:
    """How much leaves, and from where."""
    return {
        "log_amount": _log_money(payload.get("amount")),
        "device_missing": float(not _network(payload).get("device_id")),
        "hour_of_day": _hour_of_day(payload),
    }


def client_payment_features(payload: Payload) -> dict[str, float]:
    """The amount, instrument and outcome of one client payment."""
    ip_country = _network(payload).get("ip_country")
    return {
        "log_amount": _log_money(payload.get("amount")),
        "card": float(payload["instrument"] == "card"),
        "contract_missing": float(not payload.get("contract_id")),
        "card_country_differs_from_ip": NAN
        if not ip_country
        else float(payload["country"] != ip_country),
        **_one_hot("outcome", payload["outcome"], _PAYMENT_OUTCOMES),
    }


PAYMENT_BUILDERS: dict[str, Callable[[Payload], dict[str, float]]] = {
    "sign_in": sign_in_features,
    "credential_change": credential_change_features,
    "payout_method_change": payout_method_change_features,
    "withdrawal_request": withdrawal_request_features,
    "client_payment": client_payment_features,
}
