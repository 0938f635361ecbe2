"""A fitted LocalOutlierFactor (behind its robust scaling) scoring a batch in one neighbour query.

``Pipeline(RobustScaler, LocalOutlierFactor).score_samples`` checks its input three times
(the pipeline, the scaler, the detector) and sends the neighbour search through joblib:
about 1.4 ms per call whatever the batch size, five times the search itself for one event.
Here the scaler's centre and scale, the fitted neighbour tree and the training points'
local reachability densities are read once, and a batch costs a subtraction, a division,
the tree's own query and scikit-learn's formula in numpy. The same tree answers the same
query, so ties between equally distant training points are broken as scikit-learn breaks
them, and scores equal ``score_samples`` bit for bit.

The matrix is taken as the model hands it over: a finite 2-D float64 array of the fitted
width (``models.anomaly`` builds it from the feature spec; the forests skip the same checks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.neighbors import LocalOutlierFactor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import RobustScaler

# Added to a mean reachability distance before inverting it, as scikit-learn does (so
# more than ``n_neighbors`` duplicates of a point give a large density, not a division by 0).
_DENSITY_FLOOR = 1e-10

Neighbours = Callable[[NDArray[np.float64]], tuple[NDArray[np.float64], NDArray[np.intp]]]


class CompiledLocalOutlierFactor:
    """A novelty LocalOutlierFactor, with any robust scalings before it, as plain arrays."""

    def __init__(self, scalers: list[RobustScaler], detector: LocalOutlierFactor) -> None:
        self.shifts = [scaler.center_ for scaler in scalers]
        self.scales = [scaler.scale_ for scaler in scalers]
        self.k = int(detector.n_neighbors_)
        # The k-th neighbour distance of each training point and its local reachability
        # density: what scikit-learn indexes by the neighbours found, on every call.
        self.k_distance = np.ascontiguousarray(detector._distances_fit_X_[:, self.k - 1])
        self.density = np.asarray(detector._lrd, dtype=np.float64)
        self.neighbours = _neighbour_search(detector, self.k)

    @classmethod
    def of(cls, detector: BaseEstimator) -> CompiledLocalOutlierFactor | None:
        """The compiled form of a fitted novelty LocalOutlierFactor, bare or at the end of a
        pipeline of RobustScalers; None for anything else (it scores through its own code)."""
        steps = (
            [step for _, step in detector.steps] if isinstance(detector, Pipeline) else [detector]
        )
        *scalers, last = steps
        if not (isinstance(last, LocalOutlierFactor) and last.novelty):
            return None
        if not all(type(scaler) is RobustScaler for scaler in scalers):
            return None
        return cls(scalers, last)

    def score_samples(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """Same as the detector's ``score_samples`` (higher is more normal)."""
        data = X
        for shift, scale in zip(self.shifts, self.scales, strict=True):
            # RobustScaler.transform: the centre subtracted, then the scale divided out.
            if shift is not None:
                data = data - shift
            if scale is not None:
                data = data / scale
        if not len(data):
            return np.empty(0, dtype=np.float64)
        distances, indices = self.neighbours(np.ascontiguousarray(data, dtype=np.float64))
        # LocalOutlierFactor._local_reachability_density, then score_samples; a mean over
        # the k neighbours is written as sum / k, which is what np.mean computes (without
        # its ~5 µs of Python per call).
        reach = np.maximum(distances, self.k_distance.take(indices))
        density = 1.0 / (reach.sum(axis=1) / self.k + _DENSITY_FLOOR)
        ratios = self.density.take(indices)
        ratios /= density[:, np.newaxis]
        return -(ratios.sum(axis=1) / self.k)  # type: ignore[no-any-return]


def _neighbour_search(detector: LocalOutlierFactor, k: int) -> Neighbours:
    """The ``k`` nearest training points as ``detector.kneighbors`` finds them.

    A tree-based detector asks its fitted tree directly (what ``kneighbors`` does in one
    job, after its checks); brute force goes through ``kneighbors`` itself.
    """
    tree: Any = getattr(detector, "_tree", None)
    if detector._fit_method in ("ball_tree", "kd_tree") and tree is not None:
        return lambda data: tree.query(data, k, return_distance=True)  # type: ignore[no-any-return]
    return lambda data: detector.kneighbors(data, n_neighbors=k)  # type: ignore[no-any-return]
