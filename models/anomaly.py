"""A trained anomaly model for one event kind: features, detector, calibration, explanations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import IsolationForest

from models.calibration import PercentileCalibrator
from models.compiled_forest import CompiledForest
from models.compiled_neighbours import CompiledLocalOutlierFactor
from models.detectors import (
    EventNoveltyOutlierDetector,
    RankEnsembleOutlierDetector,
    with_event_novelty,
)
from models.explain import FeatureReference
from models.features import SIGNAL_PREFIX, FeatureSpec
from trust.decisions import FeatureContribution


@dataclass
class AnomalyModel:
    """Everything needed to score and explain events of one kind, as trained together."""

    kind: str
    spec: FeatureSpec
    detector: BaseEstimator
    calibrator: PercentileCalibrator
    reference: FeatureReference
    metrics: dict[str, Any] = field(default_factory=dict)
    # Every isolation forest and local outlier factor in the detector (itself or a member),
    # as arrays scored without scikit-learn's per-call checks.
    _compiled: dict[int, CompiledForest | CompiledLocalOutlierFactor] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        self._compiled = _compiled_members(self.detector)

    @classmethod
    def train(
        cls,
        kind: str,
        frame: pd.DataFrame,
        detector: BaseEstimator,
        seed: int = 0,
        novelty_share: float = 0.0,
        novelty_detector: BaseEstimator | None = None,
    ) -> AnomalyModel:
        """Fit the detector on the imputed features and calibrate on its training scores.

        ``novelty_share`` above 0 (event kinds): a second detector over the event's own
        features (all but its ``signal.`` ones) overrules the whole detector where it puts
        an event among that share of the rarest (``EventNoveltyOutlierDetector``);
        ``novelty_detector`` is that second detector (``detector`` itself when None).
        """
        spec = FeatureSpec.fit(frame)
        matrix = spec.transform(frame)
        event_columns = [name for name in spec.names if not name.startswith(SIGNAL_PREFIX)]
        fitted = clone(
            with_event_novelty(detector, spec.names, event_columns, novelty_share, novelty_detector)
        )
        subsample = fitted.get_params().get("max_samples")
        if isinstance(subsample, int) and subsample > len(matrix):
            fitted.set_params(max_samples=len(matrix))
        fitted.fit(matrix)
        scores = fitted.score_samples(matrix)
        calibrator = PercentileCalibrator.fit(scores)
        reference = FeatureReference.fit(spec.names, matrix, seed=seed)
        metrics = {
            "training_rows": len(matrix),
            "feature_count": len(spec.names),
            "raw_score_quantiles": {
                str(q): float(np.quantile(scores, q)) for q in (0.01, 0.5, 0.99)
            },
        }
        return cls(kind, spec, fitted, calibrator, reference, metrics)

    def to_artefact(self) -> dict[str, Any]:
        """Plain arrays and the fitted detector, for the registry (no custom classes)."""
        return {
            "detector": self.detector,
            "feature_names": self.spec.names,
            "medians": self.spec.medians,
            "risk_grid": self.calibrator.risk_grid,
            "reference": self.reference.sorted_sample,
            "metrics": self.metrics,
        }

    @classmethod
    def from_artefact(cls, kind: str, artefact: dict[str, Any]) -> AnomalyModel:
        """Rebuild a model from what :meth:`to_artefact` stored."""
        names = list(artefact["feature_names"])
        return cls(
            kind=kind,
            spec=FeatureSpec(names, artefact["medians"]),
            detector=artefact["detector"],
            calibrator=PercentileCalibrator(artefact["risk_grid"]),
            reference=FeatureReference(names, artefact["reference"]),
            metrics=dict(artefact.get("metrics", {})),
        )

    def raw_scores(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        """The detector's ``score_samples`` (higher is more normal).

        Forests are walked flattened (``CompiledForest``) and local outlier factors answer
        from their fitted tree (``CompiledLocalOutlierFactor``), both equal to scikit-learn's
        scores and far cheaper per call; other detectors score through their own code.
        """
        return self._scores(self.detector, matrix)

    def _scores(self, detector: BaseEstimator, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        compiled = self._compiled.get(id(detector))
        if compiled is not None:
            return compiled.score_samples(matrix)
        if isinstance(detector, RankEnsembleOutlierDetector):
            return detector.combine([self._scores(m, matrix) for m in detector.estimators_])
        if isinstance(detector, EventNoveltyOutlierDetector):
            views = detector.views(matrix)
            return detector.combine(
                [self._scores(m, v) for m, v in zip(detector.estimators_, views, strict=True)]
            )
        return np.asarray(detector.score_samples(matrix), dtype=np.float64)

    def percentiles(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        """0-1 risk percentile per row (higher is riskier)."""
        return self.calibrator.transform(self.raw_scores(matrix))

    def score_frame(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """0-1 risk percentile per row of a feature frame."""
        return self.percentiles(self.spec.transform(frame))

    def explain(
        self, matrix: NDArray[np.float64], top: int = 3
    ) -> list[tuple[FeatureContribution, ...]]:
        """The features that made each row unusual, in words."""
        feature_percentiles = self.reference.percentiles(matrix)
        return [
            self.reference.explain(self.kind, matrix[i], feature_percentiles[i], top)
            for i in range(len(matrix))
        ]


def _compiled_members(
    detector: BaseEstimator,
) -> dict[int, CompiledForest | CompiledLocalOutlierFactor]:
    """The compiled form of ``detector`` or of its members (at any depth), by ``id``."""
    if isinstance(detector, RankEnsembleOutlierDetector | EventNoveltyOutlierDetector):
        found: dict[int, CompiledForest | CompiledLocalOutlierFactor] = {}
        for member in detector.estimators_:
            found.update(_compiled_members(member))
        return found
    if isinstance(detector, IsolationForest):
        return {id(detector): CompiledForest(detector)}
    neighbours = CompiledLocalOutlierFactor.of(detector)
    return {} if neighbours is None else {id(detector): neighbours}
