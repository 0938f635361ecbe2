"""Score calibration: the one place raw detector scores become house-convention numbers.

Two maps live here:

- :class:`PercentileCalibrator` turns a detector's ``score_samples`` (scikit-learn: higher
  is more normal) into a 0-1 percentile of risk against the training distribution (higher
  is riskier). A threshold of 0.99 then means "riskier than 99% of training events" after
  every retrain, whatever the detector's raw scale.
- :func:`confirm_probability_model` wraps the learned classifier so its output is the
  probability that a reviewer confirms the flag, fitted on staff decisions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV

from trust.errors import ModelError

GRID_POINTS = 1001
# Below this many labels, isotonic regression overfits; a sigmoid (Platt) has two parameters.
ISOTONIC_MIN_LABELS = 1000
MIN_LABELS_PER_CLASS = 4


class PercentileCalibrator:
    """Raw normality scores to a 0-1 risk percentile against the training scores."""

    def __init__(self, risk_grid: ArrayLike) -> None:
        self.risk_grid = np.asarray(risk_grid, dtype=np.float64)
        self._levels = np.linspace(0.0, 1.0, len(self.risk_grid))

    @classmethod
    def fit(cls, training_scores: ArrayLike) -> PercentileCalibrator:
        """Record the quantiles of training risk (the negated ``score_samples``)."""
        risk = -np.asarray(training_scores, dtype=np.float64)
        if risk.size == 0:
            raise ModelError("cannot calibrate on an empty training set")
        return cls(np.quantile(risk, np.linspace(0.0, 1.0, GRID_POINTS)))

    def transform(self, scores: ArrayLike) -> NDArray[np.float64]:
        """Percentile of risk for each raw score: 0 = most normal, 1 = beyond anything seen."""
        risk = -np.asarray(scores, dtype=np.float64)
        return np.interp(risk, self.risk_grid, self._levels)


def confirm_calibration_method(n_labels: int) -> str:
    """Isotonic with plenty of labels, sigmoid (Platt scaling) otherwise."""
    return "isotonic" if n_labels >= ISOTONIC_MIN_LABELS else "sigmoid"


def confirm_probability_model(
    classifier: BaseEstimator, labels: ArrayLike
) -> CalibratedClassifierCV:
    """The classifier wrapped so ``predict_proba`` is P(a reviewer confirms the flag)."""
    y = np.asarray(labels)
    positives = int((y == 1).sum())
    negatives = int((y == 0).sum())
    smallest = min(positives, negatives)
    if smallest < MIN_LABELS_PER_CLASS:
        raise ModelError(
            f"need at least {MIN_LABELS_PER_CLASS} confirmed and {MIN_LABELS_PER_CLASS} "
            f"dismissed cases to learn; have {positives} confirmed and {negatives} dismissed"
        )
    folds = min(3, smallest // 2)
    options: dict[str, Any] = {"method": confirm_calibration_method(len(y)), "cv": folds}
    return CalibratedClassifierCV(classifier, **options)
