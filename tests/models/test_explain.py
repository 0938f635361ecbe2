"""Explanations name the rare features of an event in sentences staff can read."""

from __future__ import annotations

import numpy as np

from models.explain import FeatureReference, describe


def _reference():
    rng = np.random.default_rng(0)
    age = rng.uniform(30, 2000, size=1000)
    reviews = rng.poisson(1, size=1000).astype(float)
    shared = (rng.random(1000) < 0.02).astype(float)
    return FeatureReference.fit(
        ["account_age_days", "signal.reviews_24h", "signal.shares_device"],
        np.column_stack([age, reviews, shared]),
    )


def test_the_rarest_features_come_first_with_their_direction_in_words():
    reference = _reference()
    vector = np.array([2.0, 7.0, 0.0])
    why = reference.explain("review", vector, reference.percentiles(vector)[0], top=3)
    by_feature = {c.feature: c for c in why}
    assert set(by_feature) == {"account_age_days", "signal.reviews_24h"}
    assert by_feature["account_age_days"].sentence == (
        "account is 2 days old; below every review seen in training"
    )
    assert by_feature["signal.reviews_24h"].sentence.startswith("reviews 24h: 7; ")
    assert by_feature["signal.reviews_24h"].percentile > 0.99


def test_a_rare_flag_is_described_by_how_often_it_is_true():
    reference = _reference()
    vector = np.array([500.0, 1.0, 1.0])
    why = reference.explain("review", vector, reference.percentiles(vector)[0], top=1)
    assert why[0].feature == "signal.shares_device"
    assert why[0].sentence.startswith("shares device: 1; true of only ")


def test_an_ordinary_event_gets_no_explanation():
    reference = _reference()
    vector = np.array([900.0, 1.0, 0.0])
    assert reference.explain("review", vector, reference.percentiles(vector)[0], top=3) == ()


def test_log_scaled_money_is_described_in_its_own_unit():
    assert describe("log_amount_paid", float(np.log1p(250.0))) == "contract paid 250.00"
    assert describe("category_non_payment", 1.0) == "category is non payment"
