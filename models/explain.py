"""Explanations staff can read: which features of an event are rare against the training data.

The explanation is detector-agnostic: for each feature we know where the event's value sits
in the training distribution (a mid-rank percentile against a sorted reference sample), and
the features sitting furthest in a tail are the ones that made the event look unusual. Each
becomes a sentence such as "account is 2 days old; lower than 97% of verifications".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trust.decisions import FeatureContribution

REFERENCE_ROWS = 2048
# A feature is only worth mentioning when its value is in the outer 10% of training values.
MAX_TAIL = 0.10

KIND_NOUNS = {
    "profile_verification": "verifications",
    "review": "reviews",
    "reference_check": "reference checks",
    "complaint": "complaints",
    "sign_in": "sign-ins",
    "credential_change": "credential changes",
    "payout_method_change": "payout method changes",
    "withdrawal_request": "withdrawals",
    "client_payment": "client payments",
}

Describe = Callable[[float], str]


def _text(template: str) -> Describe:
    return lambda v: template.format(v=v)


def _flag(when_true: str, when_false: str) -> Describe:
    return lambda v: when_true if v >= 0.5 else when_false


def duration(minutes: float) -> str:
    """Minutes in the unit a person would use: seconds, minutes, hours or days."""
    if minutes < 1:
        return _count(minutes * 60, "second")
    if minutes < 90:
        return _count(minutes, "minute")
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} hours"
    return _count(minutes / 1440, "day")


def _count(value: float, unit: str) -> str:
    shown = f"{value:.0f}"
    return f"{shown} {unit}" if shown == "1" else f"{shown} {unit}s"


def _minutes(template: str) -> Describe:
    return lambda v: template.format(d=duration(v))


def _expiry(v: float) -> str:
    return f"document expired {-v:.0f} days ago" if v < 0 else f"document expires in {v:.0f} days"


DESCRIPTIONS: dict[str, Describe] = {
    "log_account_age_minutes": _minutes("account is {d} old"),
    "tamper_score": _text("document tamper score {v:.2f}"),
    "selfie_match_score": _text("selfie match score {v:.2f}"),
    "mrz_inconsistent": _flag("document MRZ is inconsistent", "document MRZ is consistent"),
    "liveness_failed": _flag("liveness check failed", "liveness check passed"),
    "name_mismatch": _text("name on document differs from the legal name by {v:.0%}"),
    "document_country_mismatch": _flag(
        "document issued by another country than the profile's", "document country matches"
    ),
    "ip_country_mismatch": _flag("IP country differs from the profile's", "IP country matches"),
    "days_to_document_expiry": _expiry,
    "applicant_age_years": _text("applicant is {v:.0f} years old"),
    "log_hourly_rate": _text("hourly rate {v:,.2f}"),
    "photo_missing": _flag("no profile photo", "profile photo present"),
    "skill_count": _text("{v:.0f} skills listed"),
    "phone_missing": _flag("no phone number", "phone number given"),
    "payment_fingerprint_missing": _flag("no payment method on file", "payment method on file"),
    "role_client": _flag("account is a client", "account is not a client"),
    "role_agency": _flag("account is an agency", "account is not an agency"),
    "rating": _text("rating of {v:.0f} stars"),
    "sub_rating_mean": _text("average sub-rating {v:.1f}"),
    "rating_above_sub_ratings": _text("overall rating {v:+.1f} stars off the sub-ratings"),
    "log_amount_paid": _text("contract paid {v:,.2f}"),
    "log_contract_minutes": _minutes("contract lasted {d}"),
    "log_minutes_after_contract_end": _minutes("written {d} after the contract ended"),
    "log_paid_per_contract_hour": _text("paid {v:,.2f} per hour of contract"),
    "log_text_length": _text("review text is {v:.0f} characters"),
    "freelancer_reviews_client": _flag("a freelancer reviewing a client", "a client's review"),
    "five_stars_on_tiny_contract": _flag("5 stars on a contract under 10", "not a tiny 5-star"),
    "device_missing": _flag("no device id", "device id present"),
    "has_response": _flag("referee answered", "referee has not answered"),
    "log_response_minutes": _minutes("referee answered {d} after the request"),
    "response_denies": _flag("referee denies the project", "referee confirms the project"),
    "response_rating": _text("referee rating of {v:.0f} stars"),
    "log_response_text_length": _text("referee answer is {v:.0f} characters"),
    "referee_free_mail": _flag("referee uses a free-mail address", "referee uses a company domain"),
    "free_mail_claims_company": _flag("free-mail referee claims a company", "no free-mail claim"),
    "claimed_project_days": _text("claimed project lasted {v:.0f} days"),
    "response_from_freelancer_device": _flag(
        "referee answered from the freelancer's device", "referee used another device"
    ),
    "response_from_freelancer_ip": _flag(
        "referee answered from the freelancer's IP", "referee used another IP"
    ),
    "log_amount_in_dispute": _text("amount in dispute {v:,.2f}"),
    "log_description_length": _text("description is {v:.0f} characters"),
    "evidence_count": _text("{v:.0f} pieces of evidence"),
    "contract_missing": _flag("no contract named", "contract named"),
    "off_platform_mentions": _text("{v:.0f} mentions of off-platform contact or payment"),
    "complainant_is_client": _flag("complainant is a client", "complainant is a freelancer"),
    "respondent_is_client": _flag("respondent is a client", "respondent is a freelancer"),
}


def describe(feature: str, value: float) -> str:
    """The feature and its value in plain words (log-scaled features shown in their unit)."""
    shown = math.expm1(value) if feature.startswith("log_") else value
    if feature in DESCRIPTIONS:
        return DESCRIPTIONS[feature](shown)
    for prefix, label in (("category_", "category"), ("escrow_", "escrow")):
        if feature.startswith(prefix):
            state = feature.removeprefix(prefix).replace("_", " ")
            return f"{label} is {state}" if value >= 0.5 else f"{label} is not {state}"
    name = feature.removeprefix("signal.").replace("_", " ")
    return f"{name}: {shown:g}"


class FeatureReference:
    """A sorted sample of training values per feature, for percentiles and explanations."""

    def __init__(self, names: Sequence[str], sorted_sample: ArrayLike) -> None:
        self.names = list(names)
        self.sorted_sample = np.asarray(sorted_sample, dtype=np.float64)
        self.binary = np.all(np.isin(self.sorted_sample, (0.0, 1.0)), axis=0)
        low, self.median, high = np.quantile(self.sorted_sample, (0.1, 0.5, 0.9), axis=0)
        spread = np.where(high > low, high - low, np.ptp(self.sorted_sample, axis=0))
        self.spread = np.where(spread > 0, spread, 1.0)

    @classmethod
    def fit(cls, names: Sequence[str], matrix: ArrayLike, seed: int = 0) -> FeatureReference:
        """Sample up to ``REFERENCE_ROWS`` training rows and sort each column."""
        data = np.asarray(matrix, dtype=np.float64)
        if len(data) > REFERENCE_ROWS:
            rows = np.random.default_rng(seed).choice(len(data), REFERENCE_ROWS, replace=False)
            data = data[rows]
        return cls(names, np.sort(data, axis=0))

    def percentiles(self, matrix: ArrayLike) -> NDArray[np.float64]:
        """Mid-rank percentile (0-1) of every value against its feature's training values."""
        data = np.atleast_2d(np.asarray(matrix, dtype=np.float64))
        out = np.empty_like(data)
        size = 2.0 * len(self.sorted_sample)
        for j in range(data.shape[1]):
            column = self.sorted_sample[:, j]
            below = np.searchsorted(column, data[:, j], side="left")
            up_to = np.searchsorted(column, data[:, j], side="right")
            out[:, j] = (below + up_to) / size
        return out

    def explain(
        self, kind: str, vector: NDArray[np.float64], percentile: NDArray[np.float64], top: int
    ) -> tuple[FeatureContribution, ...]:
        """The ``top`` features of one event furthest in a training tail, as sentences."""
        tail = np.minimum(percentile, 1.0 - percentile)
        # Among equally rare values (e.g. all beyond the training range), the furthest first.
        distance = np.abs(vector - self.median) / self.spread
        order = np.lexsort((-distance, tail))[:top]
        noun = KIND_NOUNS.get(kind, "events")
        found = []
        for j in order:
            if tail[j] > MAX_TAIL:
                break
            value, pct = float(vector[j]), float(percentile[j])
            found.append(
                FeatureContribution(
                    feature=self.names[j],
                    value=value,
                    percentile=round(pct, 4),
                    sentence=f"{describe(self.names[j], value)}; {self._rank(j, pct, noun)}",
                )
            )
        return tuple(found)

    def _rank(self, j: int, pct: float, noun: str) -> str:
        if self.binary[j]:
            share = 2 * min(pct, 1 - pct)
            if share:
                return f"true of only {share:.0%} of {noun}"
            return f"seen in none of the training {noun}"
        if pct >= 0.5:
            if pct >= 1.0:
                return f"above every {noun[:-1]} seen in training"
            return f"{_ordinal(min(99, math.floor(pct * 100)))} percentile of {noun}"
        if pct <= 0.0:
            return f"below every {noun[:-1]} seen in training"
        return f"lower than {min(99, math.floor((1 - pct) * 100))}% of {noun}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
