"""Drift: has the population of recent events moved away from what the model was trained on?

Population stability index per feature, with bins at the deciles of the training reference
sample: PSI = sum over bins of (recent% - train%) * ln(recent% / train%). The usual reading:
below 0.1 stable, 0.1-0.25 a moderate shift worth watching, above 0.25 a major shift (retrain
or investigate).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select

from models.anomaly import AnomalyModel
from models.explain import FeatureReference
from models.registry import ModelRegistry
from models.training import load_training_data
from trust.errors import ModelError
from trust.pii import hasher_for
from trust.settings import Settings
from trust.store import Store, snapshot
from trust.store.tables import events

BINS = 10
MODERATE = 0.1
MAJOR = 0.25
# Empty bins would make the logarithm infinite; a small floor keeps PSI finite and comparable.
_FLOOR = 1e-4


@dataclass(frozen=True)
class FeatureDrift:
    """The PSI of one feature and what it means."""

    feature: str
    psi: float

    @property
    def verdict(self) -> str:
        """'stable', 'moderate shift' or 'major shift'."""
        if self.psi >= MAJOR:
            return "major shift"
        return "moderate shift" if self.psi >= MODERATE else "stable"


def _shares(values: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.float64]:
    # Bins are (edge[i-1], edge[i]]; everything beyond the outer edges falls in the end bins.
    codes = np.searchsorted(edges, values, side="left")
    counts = np.bincount(codes, minlength=len(edges) + 1).astype(np.float64)
    return np.maximum(counts / max(len(values), 1), _FLOOR)


def population_stability(reference: NDArray[np.float64], recent: NDArray[np.float64]) -> float:
    """PSI of one feature between a training sample and recent values."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, BINS + 1)[1:-1]))
    expected, actual = _shares(reference, edges), _shares(recent, edges)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def feature_drift(reference: FeatureReference, recent: NDArray[np.float64]) -> list[FeatureDrift]:
    """PSI of every feature, largest first."""
    found = [
        FeatureDrift(name, population_stability(reference.sorted_sample[:, j], recent[:, j]))
        for j, name in enumerate(reference.names)
    ]
    return sorted(found, key=lambda d: d.psi, reverse=True)


def drift_since_training(
    store: Store, settings: Settings, kind: str, days: float
) -> tuple[str, int, list[FeatureDrift]]:
    """PSI of the last ``days`` of stored events (up to the newest) against the active model.

    Returns the model version, the number of recent events and the drift per feature.
    """
    registry = ModelRegistry.from_settings(settings)
    version = registry.active_version(kind)
    if version is None:
        raise ModelError(f"no active {kind} model; run `trust model train --kind {kind}` first")
    artefact, _ = registry.load(version)
    model = AnomalyModel.from_artefact(kind, artefact)
    with snapshot(store.engine) as conn:
        newest = conn.execute(
            select(func.max(events.c.occurred_at)).where(events.c.kind == kind)
        ).scalar_one()
        if newest is None:
            raise ModelError(f"no stored {kind} events to compare")
        hasher = hasher_for(settings)
        data = load_training_data(conn, kind, hasher, since=newest - timedelta(days=days))
    recent = model.spec.transform(data.frame())
    return version, len(recent), feature_drift(model.reference, recent)
