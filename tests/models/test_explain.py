"""Explanations name the rare features of an event in sentences staff can read."""

from __future__ import annotations

import numpy as np

from models.explain import FeatureReference, describe


def _reference():
    rng = np.random.default_rng(0)
    age = np.log1p(rng.uniform(30, 2000, size=1000) * 1440)
    reviews = rng.poisson(1, size=1000).astype(float)
    shared = (rng.random(1000) < 0.02).astype(float)
    return FeatureReference.fit(
        ["log_account_age_minutes", "signal.reviews_24h", "signal.shares_device"],
        np.column_stack([age, reviews, shared]),
    )


def test_the_rarest_features_come_first_with_their_direction_in_words():
    reference = _reference()
    vector = np.array([np.log1p(2 * 1440), 7.0, 0.0])
    why = reference.explain("review", vector, reference.percentiles(vector)[0], top=3)
    by_feature = {c.feature: c for c in why}
    assert set(by_feature) == {"log_account_age_minutes", "signal.reviews_24h"}
    assert by_feature["log_account_age_minutes"].sentence == (
        "account is 2 days old; below every review seen in training"
    )
    assert by_feature["signal.reviews_24h"].sentence.startswith("reviews 24h: 7; ")
    assert by_feature["signal.reviews_24h"].percentile > 0.99


def test_a_rare_flag_is_described_by_how_often_it_is_true():
    reference = _reference()
    vector = np.array([np.log1p(500 * 1440), 1.0, 1.0])
    why = reference.explain("review", vector, reference.percentiles(vector)[0], top=1)
    assert why[0].feature == "signal.shares_device"
    assert why[0].sentence.startswith("shares device: 1; true of only ")


def test_an_ordinary_event_gets_no_explanation():
    reference = _reference()
    vector = np.array([np.log1p(900 * 1440), 1.0, 0.0])
    assert reference.explain("review", vector, reference.percentiles(vector)[0], top=3) == ()


def test_durations_are_described_in_the_unit_a_person_would_use():
    assert describe("log_contract_minutes", float(np.log1p(0.5))) == "contract lasted 30 seconds"
    assert describe("log_response_minutes", float(np.log1p(150))) == (
        "referee answered 2.5 hours after the request"
    )


def test_log_scaled_money_is_described_in_its_own_unit():
    assert describe("log_amount_paid", float(np.log1p(250.0))) == "contract paid 250.00"
    assert describe("category_non_payment", 1.0) == "category is non payment"


def test_durations_read_as_a_person_would_say_them():
    from models.explain import duration

    assert [duration(m) for m in (0.5, 1.0, 1 / 60, 45, 180, 1440 * 1.2, 1440 * 3)] == [
        "30 seconds",
        "1 minute",
        "1 second",
        "45 minutes",
        "3.0 hours",
        "28.8 hours",
        "3 days",
    ]
