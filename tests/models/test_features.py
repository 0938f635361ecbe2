"""Feature builders turn every event kind into numbers, tolerating missing data and signals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.features import BUILDERS, FeatureSpec, feature_frame, signal_features
from tests.factories import make_event, reference_check_payload, review_payload
from trust.errors import ModelError
from trust.events import EVENT_KINDS


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_every_kind_builds_a_vector_of_floats_from_a_stored_payload(kind):
    row = BUILDERS[kind](make_event(kind).model_dump(mode="json"))
    assert row
    assert all(isinstance(value, float) for value in row.values())


def test_a_reference_without_an_answer_has_unknown_response_features():
    row = BUILDERS["reference_check"](reference_check_payload(response=None))
    assert row["has_response"] == 0.0
    assert math.isnan(row["log_response_minutes"])
    assert math.isnan(row["response_denies"])


def test_numeric_and_boolean_signals_become_columns_and_text_or_unknown_ones_do_not():
    row = signal_features({"reviews_24h": 4, "shares_device": True, "domain": "x.io", "age": None})
    assert row == {"signal.reviews_24h": 4.0, "signal.shares_device": 1.0}


def test_missing_signals_leave_payload_features_intact():
    frame = feature_frame("review", [review_payload(), review_payload()], [None, {"n": 2}])
    assert frame["rating"].tolist() == [5.0, 5.0]
    assert math.isnan(frame.loc[0, "signal.n"])


def test_the_spec_fills_missing_values_with_the_recorded_training_median():
    training = pd.DataFrame({"a": [1.0, 2.0, 3.0, np.nan], "b": [np.nan] * 4, "c": [5.0] * 4})
    spec = FeatureSpec.fit(training)
    assert spec.names == ["a", "c"]
    scoring = pd.DataFrame({"a": [np.nan, 10.0], "unseen": [1.0, 1.0]})
    np.testing.assert_array_equal(spec.transform(scoring), [[2.0, 5.0], [10.0, 5.0]])


def test_the_single_row_path_equals_the_frame_path():
    frame = feature_frame("review", [review_payload(rating=2)], [{"reviews_24h": 3}])
    spec = FeatureSpec.fit(pd.concat([frame] * 3, ignore_index=True))
    row = frame.iloc[0].to_dict()
    np.testing.assert_array_equal(spec.transform_row(row), spec.transform(frame))


def test_an_unknown_kind_is_refused():
    with pytest.raises(ModelError, match="payout"):
        feature_frame("payout", [{}], None)


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_the_columnar_matrix_equals_the_frame_path_for_every_kind(kind):
    payloads = [make_event(kind).model_dump(mode="json") for _ in range(3)]
    training_signals = [{"n": 1, "flag": True, "share": 0.5}, {"n": 3, "flag": False}, {"n": 2}]
    spec = FeatureSpec.fit(feature_frame(kind, payloads, training_signals))
    # Unknown, text, missing and unseen signals; a batch with no signals at all.
    scoring = [{"n": None, "flag": "yes", "unseen": 4}, None, {"share": 2.5, "flag": True}]
    for signals in (scoring, [None, None, None]):
        np.testing.assert_array_equal(
            spec.matrix(kind, payloads, signals),
            spec.transform(feature_frame(kind, payloads, signals)),
        )


def test_the_columnar_matrix_equals_the_frame_path_on_varied_reviews():
    from tests.models.helpers import varied_reviews

    payloads, signals = varied_reviews(60, seed=4)
    spec = FeatureSpec.fit(feature_frame("review", payloads, signals))
    payloads, signals = varied_reviews(40, seed=9)
    np.testing.assert_array_equal(
        spec.matrix("review", payloads, signals),
        spec.transform(feature_frame("review", payloads, signals)),
    )
    assert spec.matrix("review", [], []).shape == (0, len(spec.names))


def test_the_columnar_matrix_refuses_an_unknown_kind_and_mismatched_signals():
    spec = FeatureSpec(["rating"], [4.0])
    with pytest.raises(ModelError, match="payout"):
        spec.matrix("payout", [{}], [None])
    with pytest.raises(ModelError, match="1 events but 2 signal dicts"):
        spec.matrix("review", [review_payload()], [None, None])
