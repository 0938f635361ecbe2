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
from models.detectors import RankEnsembleOutlierDetector
from models.explain import FeatureReference
from models.features import FeatureSpec
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
    _compiled: CompiledForest | None = field(default=None, init=False, repr=False)
    _compiled_members: list[CompiledForest | None] | None = field(
        default=None, init=False, repr=False
    )

    def __post_init__(self) -> None:
        if isinstance(self.detector, IsolationForest):
            self._compiled = CompiledForest(self.detector)
        elif isinstance(self.detector, RankEnsembleOutlierDetector):
            self._compiled_members = [
                CompiledForest(m) if isinstance(m, IsolationForest) else None
                for m in self.detector.estimators_
            ]

    @classmethod
    def train(
        cls, kind: str, frame: pd.DataFrame, detector: BaseEstimator, seed: int = 0
    ) -> AnomalyModel:
        """Fit the detector on the imputed features and calibrate on its training scores."""
        spec = FeatureSpec.fit(frame)
        matrix = spec.transform(frame)
        fitted = clone(detector)
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

        Forests are walked flattened (``CompiledForest``, equal to scikit-learn's scores and
        far cheaper at any batch size); other detectors score through their own code.
        """
        if self._compiled is not None:
            return self._compiled.score_samples(matrix)
        if self._compiled_members is not None:
            ensemble: RankEnsembleOutlierDetector = self.detector
            return ensemble.combine(
                [
                    compiled.score_samples(matrix)
                    if compiled is not None
                    else np.asarray(member.score_samples(matrix), dtype=np.float64)
                    for member, compiled in zip(
                        ensemble.estimators_, self._compiled_members, strict=True
                    )
                ]
            )
        return np.asarray(self.detector.score_samples(matrix), dtype=np.float64)

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
