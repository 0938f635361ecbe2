"""The learned model: staff decisions teach a classifier over features plus the anomaly score.

Gradient boosting (scikit-learn's HistGradientBoostingClassifier) because it handles missing
values natively, needs no scaling, and copes with a few hundred labels; its output is then
calibrated (see :func:`models.calibration.confirm_probability_model`) so the number means
"probability a reviewer confirms this flag".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier

from models.calibration import confirm_probability_model
from trust.errors import ModelError

ANOMALY_FEATURE = "anomaly_percentile"
# Fewer known values than this in a column and no calibration fold can rely on seeing one.
MIN_KNOWN_VALUES = 20


def _stack(matrix: ArrayLike, anomaly: ArrayLike) -> NDArray[np.float64]:
    data = np.asarray(matrix, dtype=np.float64)
    score = np.asarray(anomaly, dtype=np.float64).reshape(-1, 1)
    if len(data) != len(score):
        raise ModelError(f"{len(data)} feature rows but {len(score)} anomaly scores")
    return np.hstack([data, score])


def gradient_boosting(
    label_count: int, seed: int, feature_count: int | None = None
) -> HistGradientBoostingClassifier:
    """A boosted-trees classifier sized for ``label_count`` labels (small sets: shallow trees).

    With ``feature_count``, the last input (the anomaly percentile) is constrained to only
    raise the probability: with few labels the trees cannot learn to distrust the detector
    on a handful of noisy examples, and ranking never falls far below the detector's.
    """
    monotonic = None if feature_count is None else [0] * feature_count + [1]
    return HistGradientBoostingClassifier(
        monotonic_cst=monotonic,
        # Shallow, slow trees for a few hundred labels; scikit-learn's defaults from a
        # thousand on, where the shallow ones left precision on the table.
        learning_rate=0.1 if label_count >= 1000 else 0.05,
        max_iter=100,
        max_leaf_nodes=31 if label_count >= 1000 else 15,
        min_samples_leaf=max(5, min(20, label_count // 50)),
        l2_regularization=1.0,
        # Frauds are a few percent of labels; without reweighting the trees barely split.
        class_weight="balanced",
        random_state=seed,
    )


class LearnedModel:
    """P(reviewer confirms) from an event's features and its anomaly percentile."""

    def __init__(self, feature_names: Sequence[str], classifier: CalibratedClassifierCV) -> None:
        self.feature_names = list(feature_names)
        self.classifier = classifier

    @classmethod
    def fit(
        cls,
        feature_names: Sequence[str],
        matrix: ArrayLike,
        anomaly: ArrayLike,
        labels: ArrayLike,
        seed: int = 0,
    ) -> LearnedModel:
        """Train on labelled rows (1 = confirmed, 0 = dismissed); NaN features are allowed."""
        y = np.asarray(labels, dtype=np.int64)
        data = _stack(matrix, anomaly)
        # scikit-learn's binning fails on a column with no known value, also inside one
        # calibration fold: a column known on a handful of rows (a withdrawal's hours since a
        # credential change) is made constant, never split on, so scoring ignores it.
        data[:, (~np.isnan(data)).sum(axis=0) < MIN_KNOWN_VALUES] = 0.0
        classifier = confirm_probability_model(
            gradient_boosting(len(y), seed, feature_count=data.shape[1] - 1), y
        )
        classifier.fit(data, y)
        return cls(feature_names, classifier)

    def confirm_probability(self, matrix: ArrayLike, anomaly: ArrayLike) -> NDArray[np.float64]:
        """Probability that a reviewer confirms each row's flag."""
        probability = self.classifier.predict_proba(_stack(matrix, anomaly))
        return np.asarray(probability[:, 1], dtype=np.float64)

    @property
    def input_names(self) -> list[str]:
        """Every column the classifier sees: the features, then the anomaly percentile."""
        return [*self.feature_names, ANOMALY_FEATURE]

    def to_artefact(self) -> dict[str, Any]:
        """What the registry stores."""
        return {"classifier": self.classifier, "feature_names": self.feature_names}

    @classmethod
    def from_artefact(cls, artefact: dict[str, Any]) -> LearnedModel:
        """Rebuild from :meth:`to_artefact`."""
        return cls(artefact["feature_names"], artefact["classifier"])
