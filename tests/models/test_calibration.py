"""Raw detector scores become 0-1 risk percentiles; learned scores become confirm probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from models.calibration import PercentileCalibrator, confirm_probability_model
from models.learned import LearnedModel
from trust.errors import ModelError


def test_percentiles_rise_as_scores_get_less_normal():
    calibrator = PercentileCalibrator.fit(np.linspace(-1.0, 0.0, 1000))
    percentiles = calibrator.transform([0.0, -0.5, -0.99, -5.0])
    assert percentiles[0] == pytest.approx(0.0)
    assert percentiles[1] == pytest.approx(0.5, abs=0.01)
    assert percentiles[2] == pytest.approx(0.99, abs=0.01)
    assert percentiles[3] == 1.0


def test_a_threshold_means_the_same_share_of_training_events_whatever_the_raw_scale():
    rng = np.random.default_rng(0)
    raw = rng.normal(size=5000)
    for scale in (0.01, 1.0, 300.0):
        calibrator = PercentileCalibrator.fit(raw * scale)
        share = (calibrator.transform(raw * scale) >= 0.99).mean()
        assert share == pytest.approx(0.01, abs=0.002)


def test_the_confirm_model_refuses_too_few_labels_of_a_class():
    with pytest.raises(ModelError, match="confirmed"):
        confirm_probability_model(LogisticRegression(), [1, 0, 0, 0, 0, 0, 0, 0])


def test_the_confirm_model_outputs_probabilities_that_track_the_label_rate():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, 1))
    y = (rng.random(2000) < 1 / (1 + np.exp(-3 * x[:, 0]))).astype(int)
    model = confirm_probability_model(LogisticRegression(), y).fit(x, y)
    probability = model.predict_proba(x)[:, 1]
    high = probability > 0.8
    assert y[high].mean() == pytest.approx(probability[high].mean(), abs=0.08)


def test_a_column_known_on_a_handful_of_rows_does_not_break_learning():
    rng = np.random.default_rng(2)
    rows = 270
    useful = rng.normal(size=rows)
    y = (useful > 1.2).astype(int)
    # Known on the first three rows only: one calibration fold's training part has none.
    rare = np.full(rows, np.nan)
    rare[:3] = 1.0
    matrix = np.column_stack([useful, rare])
    model = LearnedModel.fit(["useful", "rare"], matrix, rng.random(rows), y)
    probability = model.confirm_probability(matrix, rng.random(rows))
    assert probability[y == 1].mean() > probability[y == 0].mean()
