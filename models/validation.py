"""Detector validation across several labelled tables, never one simulator seed.

The tables need no download: scikit-learn's bundled breast cancer, wine, digits and iris
data sets turned into outlier tasks (one class kept as rare positives, a few percent of
rows, drawn afresh per seed), plus two synthetic tables a single detector family gets
wrong -- heavy-tailed counts with bursts on a few of them (per-feature tails see it) and
a broken correlation with ordinary marginals (only a multivariate detector sees it).
The simulator's event kinds are measured with ``trust model evaluate-sim``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn import datasets
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score

from models.detectors import make_detector

# The reference every detector is held against: scikit-learn's forest, default settings.
DEFAULT_FOREST = "default_isolation_forest"
Table = tuple[NDArray[np.float64], NDArray[np.int_]]


@dataclass(frozen=True, slots=True)
class DetectorScore:
    """One detector on one table, averaged over seeds."""

    table: str
    detector: str
    roc_auc: float
    average_precision: float


def _rare(
    data: NDArray[np.float64], positive: NDArray[np.bool_], share: float, rng: np.random.Generator
) -> Table:
    """All negatives plus a random ``share`` of rows drawn from the positive class."""
    negatives = np.flatnonzero(~positive)
    count = max(5, round(len(negatives) * share / (1 - share)))
    chosen = rng.choice(np.flatnonzero(positive), min(count, int(positive.sum())), replace=False)
    rows = np.concatenate([negatives, chosen])
    return data[rows].astype(np.float64), positive[rows].astype(np.int_)


def _heavy_tailed_counts(rng: np.random.Generator, rows: int = 20_000) -> Table:
    counts = rng.negative_binomial(1, rng.uniform(0.05, 0.6, 12), size=(rows, 12)).astype(float)
    amounts = rng.lognormal(3, 1.2, size=(rows, 3))
    data = np.hstack([counts, amounts])
    labels = np.zeros(rows, dtype=np.int_)
    fraud = rng.choice(rows, rows // 50, replace=False)
    labels[fraud] = 1
    bursts = rng.choice(12, 3, replace=False)
    data[np.ix_(fraud, bursts)] += rng.poisson(4, size=(len(fraud), 3))
    data[fraud, 12] *= rng.uniform(1.5, 3, len(fraud))
    return data, labels


def _broken_correlation(rng: np.random.Generator, rows: int = 20_000) -> Table:
    data = rng.normal(size=(rows, 6))
    data[:, 1] = 0.95 * data[:, 0] + rng.normal(0, 0.3, rows)
    labels = np.zeros(rows, dtype=np.int_)
    fraud = rng.choice(rows, rows // 50, replace=False)
    labels[fraud] = 1
    data[fraud, 1] = -data[fraud, 0] + rng.normal(0, 0.3, len(fraud))
    return data, labels


def validation_tables(seed: int) -> dict[str, Table]:
    """The labelled tables of one seed (1 = the rare class to find)."""
    rng = np.random.default_rng(seed)
    cancer, wine = datasets.load_breast_cancer(), datasets.load_wine()
    digits, iris = datasets.load_digits(), datasets.load_iris()
    return {
        "breast cancer (malignant 5%)": _rare(cancer.data, cancer.target == 0, 0.05, rng),
        "wine (class 0, 8%)": _rare(wine.data, wine.target == 0, 0.08, rng),
        "digits (zeros 3%)": _rare(digits.data, digits.target == 0, 0.03, rng),
        "iris (virginica 8%)": _rare(iris.data, iris.target == 2, 0.08, rng),
        "heavy-tailed counts": _heavy_tailed_counts(rng),
        "broken correlation": _broken_correlation(rng),
    }


def _detector(name: str, seed: int) -> object:
    if name == DEFAULT_FOREST:
        return IsolationForest(random_state=seed)
    return make_detector(name, random_state=seed)


def validate_detectors(names: list[str], seeds: int = 3) -> list[DetectorScore]:
    """ROC-AUC and average precision of each detector on each table, mean over seeds."""
    found: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for seed in range(seeds):
        for table, (data, labels) in validation_tables(seed).items():
            for name in [DEFAULT_FOREST, *names]:
                detector = _detector(name, seed)
                with warnings.catch_warnings():
                    # A forest's max_samples above a small table's size is clipped, as meant.
                    warnings.simplefilter("ignore", UserWarning)
                    detector.fit(data)  # type: ignore[attr-defined]
                risk = -np.asarray(detector.score_samples(data))  # type: ignore[attr-defined]
                found.setdefault((table, name), []).append(
                    (
                        float(roc_auc_score(labels, risk)),
                        float(average_precision_score(labels, risk)),
                    )
                )
    return [
        DetectorScore(
            table, name, float(np.mean([a for a, _ in runs])), float(np.mean([p for _, p in runs]))
        )
        for (table, name), runs in found.items()
    ]
