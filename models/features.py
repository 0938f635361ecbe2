"""Feature vectors per event kind: numbers from the event payload plus its numeric signals.

A builder turns one stored payload (the JSON form of an event) into a flat dict of floats;
NaN means "not known for this event". :class:`FeatureSpec` records, at training time, the
feature list and the median that replaces a missing value, so scoring later builds exactly
the same columns in the same order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from rapidfuzz import fuzz

from trust.errors import ModelError

NAN = math.nan
SIGNAL_PREFIX = "signal."
Payload = Mapping[str, Any]

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "aol.com",
        "icloud.com",
        "mail.com",
        "gmx.com",
        "gmx.de",
        "proton.me",
        "protonmail.com",
        "yandex.ru",
        "mail.ru",
        "qq.com",
        "163.com",
        "zoho.com",
    }
)
_OFF_PLATFORM = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+|\+?\d[\d\s-]{7,}\d|telegram|whatsapp|signal app|paypal|"
    r"crypto|bitcoin|btc|usdt|western union|wire transfer|venmo|zelle",
    re.IGNORECASE,
)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _days(later: datetime | date | None, earlier: datetime | date | None) -> float:
    if later is None or earlier is None:
        return NAN
    return (later - earlier).total_seconds() / 86_400  # type: ignore[operator]


def _log_minutes(days: float) -> float:
    return NAN if math.isnan(days) else math.log1p(max(days, 0.0) * 1440)


def _flag(value: bool | None) -> float:
    return NAN if value is None else float(value)


def _log_money(money: Mapping[str, Any] | None) -> float:
    return NAN if not money else math.log1p(float(money["amount"]))


def _log_length(text: str | None) -> float:
    return math.log1p(len(text or ""))


def _network(payload: Payload) -> Mapping[str, Any]:
    return payload.get("network") or {}


def profile_verification_features(payload: Payload) -> dict[str, float]:
    """Identity-document and profile facts of one verification."""
    occurred = _time(payload["occurred_at"])
    profile, document = payload["profile"], payload["document"]
    check = payload["document_check"]
    ip_country = _network(payload).get("ip_country")
    similarity = fuzz.token_sort_ratio(
        profile["legal_name"].lower(), document["name_on_document"].lower()
    )
    today = occurred.date() if occurred else None
    return {
        # Minutes on a log scale: a sign-up verified within a minute must stand out from one
        # verified after an hour as clearly as a year-old account does from a week-old one.
        "log_account_age_minutes": _log_minutes(
            _days(occurred, _time(payload["account_created_at"]))
        ),
        "tamper_score": float(check["tamper_score"]),
        "selfie_match_score": NAN
        if check.get("selfie_match_score") is None
        else float(check["selfie_match_score"]),
        "mrz_inconsistent": _flag(
            None if check.get("mrz_consistent") is None else not check["mrz_consistent"]
        ),
        "liveness_failed": _flag(
            None if check.get("liveness_passed") is None else not check["liveness_passed"]
        ),
        "name_mismatch": 1.0 - similarity / 100.0,
        "document_country_mismatch": float(document["issuing_country"] != profile["country"]),
        "ip_country_mismatch": NAN
        if ip_country is None
        else float(ip_country != profile["country"]),
        "days_to_document_expiry": _days(date.fromisoformat(document["expires_on"]), today),
        "applicant_age_years": _days(today, date.fromisoformat(document["date_of_birth"])) / 365.25,
        "log_hourly_rate": _log_money(profile.get("hourly_rate")),
        "photo_missing": float(not profile.get("photo_present", False)),
        "skill_count": float(len(profile.get("skills") or [])),
        "phone_missing": float(not profile.get("phone")),
        "payment_fingerprint_missing": float(not payload.get("payment_fingerprint")),
        "role_client": float(payload["role"] == "client"),
        "role_agency": float(payload["role"] == "agency"),
    }


def review_features(payload: Payload) -> dict[str, float]:
    """Rating, money and timing facts of one review."""
    sub = [v for v in (payload.get("sub_ratings") or {}).values() if v is not None]
    sub_mean = sum(sub) / len(sub) if sub else NAN
    amount = float(payload["amount_paid"]["amount"])
    started, ended = _time(payload["contract_started_at"]), _time(payload["contract_ended_at"])
    contract_days = _days(ended, started)
    return {
        "rating": float(payload["rating"]),
        "sub_rating_mean": sub_mean,
        "rating_above_sub_ratings": payload["rating"] - sub_mean,
        "log_amount_paid": math.log1p(amount),
        "log_contract_minutes": _log_minutes(contract_days),
        "log_minutes_after_contract_end": _log_minutes(_days(_time(payload["occurred_at"]), ended)),
        # Money per hour of contract: a fortune for an afternoon's work is how funds are moved.
        "log_paid_per_contract_hour": math.log1p(amount / max(contract_days * 24, 0.25)),
        "log_text_length": _log_length(payload.get("text")),
        "freelancer_reviews_client": float(payload["direction"] == "freelancer_to_client"),
        "five_stars_on_tiny_contract": float(payload["rating"] == 5 and amount < 10),
        "device_missing": float(not _network(payload).get("device_id")),
    }


def reference_check_features(payload: Payload) -> dict[str, float]:
    """Referee, response-time and network facts of one reference check."""
    referee, project = payload["referee"], payload["claimed_project"]
    response = payload.get("response") or {}
    requested = _time(payload["request_sent_at"])
    domain = referee["email"].rsplit("@", 1)[-1].lower()
    free_mail = domain in FREE_MAIL_DOMAINS
    network = _network(payload)
    ended = date.fromisoformat(project["ended_on"]) if project.get("ended_on") else None
    started = date.fromisoformat(project["started_on"])
    same_device = NAN
    if response and response.get("device_id") and network.get("device_id"):
        same_device = float(response["device_id"] == network["device_id"])
    same_ip = NAN
    if response and response.get("ip") and network.get("ip"):
        same_ip = float(response["ip"] == network["ip"])
    return {
        "has_response": float(bool(response)),
        "log_response_minutes": _log_minutes(_days(_time(response.get("responded_at")), requested)),
        "response_denies": _flag(None if not response else not response["confirms"]),
        "response_rating": NAN if response.get("rating") is None else float(response["rating"]),
        "log_response_text_length": _log_length(response.get("text")) if response else NAN,
        "referee_free_mail": float(free_mail),
        "free_mail_claims_company": float(free_mail and bool(referee.get("company"))),
        "claimed_project_days": _days(ended or (requested.date() if requested else None), started),
        "response_from_freelancer_device": same_device,
        "response_from_freelancer_ip": same_ip,
    }


_CATEGORIES = (
    "non_payment",
    "late_payment",
    "quality",
    "scope",
    "fake_review",
    "fake_reference",
    "communication",
    "harassment",
    "off_platform_payment",
    "fraud_scam",
    "other",
)
_ESCROW_STATES = ("unfunded", "funded", "released", "refunded")


def complaint_features(payload: Payload) -> dict[str, float]:
    """Category, money and content facts of one complaint."""
    description = payload.get("description") or ""
    row = {
        "log_amount_in_dispute": _log_money(payload.get("amount_in_dispute")),
        "log_description_length": _log_length(description),
        "evidence_count": float(len(payload.get("evidence_refs") or [])),
        "contract_missing": float(not payload.get("contract_id")),
        "off_platform_mentions": float(len(_OFF_PLATFORM.findall(description))),
        "complainant_is_client": float(payload["complainant_role"] == "client"),
        "respondent_is_client": float(payload["respondent_role"] == "client"),
    }
    for category in _CATEGORIES:
        row[f"category_{category}"] = float(payload["category"] == category)
    for state in _ESCROW_STATES:
        row[f"escrow_{state}"] = float(payload.get("escrow_state") == state)
    return row


BUILDERS: dict[str, Callable[[Payload], dict[str, float]]] = {
    "profile_verification": profile_verification_features,
    "review": review_features,
    "reference_check": reference_check_features,
    "complaint": complaint_features,
}


def _builder(kind: str) -> Callable[[Payload], dict[str, float]]:
    try:
        return BUILDERS[kind]
    except KeyError:
        raise ModelError(f"no feature builder for event kind '{kind}'") from None


# A signal is a feature value when it is a number or a boolean (as a float); anything else
# (text, None) is unknown.
_NUMBER = (bool, int, float)


def _register_payment_builders() -> None:
    # The account and money kinds live in their own module, which builds on the helpers here.
    from models.payment_features import PAYMENT_BUILDERS

    BUILDERS.update(PAYMENT_BUILDERS)


_register_payment_builders()


def signal_features(signals: Mapping[str, Any] | None) -> dict[str, float]:
    """The numeric and boolean signals of one event; text and unknown (None) values are left out."""
    row: dict[str, float] = {}
    for name, value in (signals or {}).items():
        if isinstance(value, bool | int | float) and value is not None:
            row[SIGNAL_PREFIX + name] = float(value)
    return row


def feature_frame(
    kind: str, payloads: Sequence[Payload], signals: Sequence[Mapping[str, Any] | None] | None
) -> pd.DataFrame:
    """One row per event: payload features, then ``signal.*`` columns."""
    build = _builder(kind)
    rows: Iterable[dict[str, float]]
    if signals is None:
        rows = (build(p) for p in payloads)
    else:
        if len(signals) != len(payloads):
            raise ModelError(f"{len(payloads)} events but {len(signals)} signal dicts")
        rows = ({**build(p), **signal_features(s)} for p, s in zip(payloads, signals, strict=True))
    return pd.DataFrame.from_records(list(rows))


class FeatureSpec:
    """The recorded feature list of a trained model and the medians that fill missing values."""

    def __init__(self, names: Sequence[str], medians: Sequence[float]) -> None:
        self.names = list(names)
        self.medians = np.asarray(medians, dtype=np.float64)
        self._index = {name: i for i, name in enumerate(self.names)}
        # Per column: read from the signals (by signal name) or from the payload features.
        self._sources = [
            (True, name[len(SIGNAL_PREFIX) :]) if name.startswith(SIGNAL_PREFIX) else (False, name)
            for name in self.names
        ]

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> FeatureSpec:
        """Keep every column with at least one known value; remember its median."""
        numeric = frame.apply(pd.to_numeric, errors="coerce").astype(np.float64)
        medians = numeric.median(skipna=True)
        known = medians.dropna()
        if known.empty:
            raise ModelError("no feature has a known value in the training data")
        return cls(list(known.index), known.to_list())

    def transform(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """The matrix in recorded order; absent columns and NaN become the training median."""
        matrix = frame.reindex(columns=self.names).to_numpy(
            dtype=np.float64, na_value=np.nan, copy=True
        )
        missing = np.isnan(matrix)
        if missing.any():
            matrix[missing] = np.broadcast_to(self.medians, matrix.shape)[missing]
        return matrix

    def matrix(
        self,
        kind: str,
        payloads: Sequence[Payload],
        signals: Sequence[Mapping[str, Any] | None],
    ) -> NDArray[np.float64]:
        """The scoring matrix of a batch, filled column by column: no frame, no merged dicts.

        Equals ``transform(feature_frame(kind, payloads, signals))``: a column no event
        has, an unknown (None), text or NaN value all become the training median.
        """
        build = _builder(kind)
        if len(signals) != len(payloads):
            raise ModelError(f"{len(payloads)} events but {len(signals)} signal dicts")
        built = [build(p) for p in payloads]
        given = [s or {} for s in signals]
        matrix = np.empty((len(built), len(self.names)), dtype=np.float64)
        for column, (from_signals, key) in enumerate(self._sources):
            if from_signals:
                # No function call per cell: it was most of this loop's CPU.
                matrix[:, column] = [
                    float(v) if isinstance(v, _NUMBER) else NAN for v in [s.get(key) for s in given]
                ]
            else:
                matrix[:, column] = [row.get(key, NAN) for row in built]
        missing = np.isnan(matrix)
        if missing.any():
            matrix[missing] = np.broadcast_to(self.medians, matrix.shape)[missing]
        return matrix

    def transform_row(self, row: Mapping[str, float]) -> NDArray[np.float64]:
        """One event's vector without pandas (the synchronous single-event path)."""
        vector = self.medians.copy()
        for name, value in row.items():
            position = self._index.get(name)
            if position is not None and value == value:  # NaN != NaN: keep the median
                vector[position] = value
        return vector.reshape(1, -1)
