"""Evaluation on any labelled table: how well the detector, and the learned model, rank fraud.

The table needs numeric feature columns and a two-valued label; everything else is handled
here and reported as a notice: id and label columns are dropped, low-cardinality text columns
are one-hot encoded, other text columns dropped, rows without a label dropped, missing
feature values imputed with the column median (the learned model sees them as missing).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split

from models.anomaly import AnomalyModel
from models.detectors import make_detector
from models.graph_features import adjacency, labelled_ids, with_neighbour_risk, with_structure
from models.learned import LearnedModel
from trust.errors import ModelError

MAX_ONE_HOT_VALUES = 20
TOP_SHARES = (0.01, 0.05)


@dataclass
class RankingMetrics:
    """How well a score ranks positives first."""

    rows: int
    positives: int
    roc_auc: float
    average_precision: float
    at_top: dict[str, dict[str, float]]


@dataclass
class EvaluationReport:
    """Metrics of the unsupervised detector, and of the learned model when labels were revealed."""

    rows: int
    features: list[str]
    notices: list[str]
    unsupervised: RankingMetrics
    label_fraction: float | None = None
    hidden: dict[str, RankingMetrics] = field(default_factory=dict)
    detector: str = ""
    detector_params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return asdict(self)


def ranking_metrics(labels: ArrayLike, scores: ArrayLike) -> RankingMetrics:
    """ROC-AUC, average precision, and precision/recall in the top 1% and 5% of scores."""
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    positives = int(y.sum())
    both = 0 < positives < len(y)
    order = np.argsort(-s, kind="stable")
    at_top = {}
    for share in TOP_SHARES:
        k = max(1, math.ceil(len(y) * share))
        caught = int(y[order[:k]].sum())
        at_top[f"{share:.0%}"] = {
            "precision": caught / k,
            "recall": caught / positives if positives else math.nan,
        }
    return RankingMetrics(
        rows=len(y),
        positives=positives,
        roc_auc=float(roc_auc_score(y, s)) if both else math.nan,
        average_precision=float(average_precision_score(y, s)) if both else math.nan,
        at_top=at_top,
    )


def load_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as a DataFrame (by extension)."""
    if not path.is_file():
        raise ModelError(f"no such file: {path}")
    if path.suffix.lower() in {".parquet", ".pq"}:
        return pd.read_parquet(path)
    return pd.read_csv(path, low_memory=False)


def binary_labels(column: pd.Series, notices: list[str]) -> np.ndarray[Any, Any]:
    """0/1 labels: numeric 0/1 or booleans as they are; any other two values, minority = 1."""
    values = column.dropna().unique()
    if len(values) != 2:
        raise ModelError(f"label column '{column.name}' must have two values, found {len(values)}")
    if set(pd.Series(values).astype(str)) <= {"0", "1", "0.0", "1.0", "True", "False"}:
        return column.astype(float).astype(np.int64).to_numpy()
    counts = column.value_counts()
    positive = counts.idxmin()
    notices.append(f"label '{positive}' (the minority, {counts.min()} rows) is treated as 1")
    return (column == positive).astype(np.int64).to_numpy()


def prepare_table(
    frame: pd.DataFrame, label: str, id_column: str | None = None
) -> tuple[pd.DataFrame, np.ndarray[Any, Any], list[str]]:
    """Numeric features (NaN kept), 0/1 labels and notices about what was changed."""
    for name in (label, id_column):
        if name is not None and name not in frame.columns:
            raise ModelError(f"column '{name}' not in the table; columns: {list(frame.columns)}")
    notices: list[str] = []
    unlabelled = frame[label].isna()
    if unlabelled.any():
        notices.append(f"{int(unlabelled.sum())} rows without a label were dropped")
        frame = frame[~unlabelled]
    y = binary_labels(frame[label], notices)
    features = frame.drop(columns=[c for c in (label, id_column) if c is not None])
    parts = []
    for name in features.columns:
        column = features[name]
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            parts.append(column.astype(float).rename(str(name)))
        elif column.nunique(dropna=True) <= MAX_ONE_HOT_VALUES:
            parts.append(pd.get_dummies(column, prefix=str(name), dtype=float))
            notices.append(f"text column '{name}' was one-hot encoded")
        else:
            notices.append(f"text column '{name}' has too many distinct values and was dropped")
    if not parts:
        raise ModelError("the table has no usable feature columns")
    numeric = pd.concat(parts, axis=1)
    missing = int(numeric.isna().sum().sum())
    if missing:
        notices.append(f"{missing} missing feature values were imputed with column medians")
    return numeric.reset_index(drop=True), y, notices


def _with_graph(
    frame: pd.DataFrame,
    label: str,
    id_column: str | None,
    edges: pd.DataFrame,
    features: pd.DataFrame,
    detector: str,
    params: dict[str, Any],
    seed: int,
    notices: list[str],
) -> tuple[AnomalyModel, np.ndarray[Any, Any], pd.DataFrame]:
    graph = adjacency(labelled_ids(frame, label, id_column), edges, notices)
    features = with_structure(features, graph)
    first = AnomalyModel.train(
        "table", features, make_detector(detector, random_state=seed, **params)
    )
    features = with_neighbour_risk(features, graph, first.score_frame(features))
    model = AnomalyModel.train(
        "table", features, make_detector(detector, random_state=seed, **params)
    )
    return model, model.score_frame(features), features


def evaluate_table(
    frame: pd.DataFrame,
    label: str,
    *,
    id_column: str | None = None,
    label_fraction: float | None = None,
    seed: int = 0,
    detector: str = "ensemble",
    params: dict[str, Any] | None = None,
    edges: pd.DataFrame | None = None,
) -> EvaluationReport:
    """Fit the detector on all rows without labels; optionally learn from a revealed fraction.

    ``params`` are the detector's settings (``models.training.detector_options``), so a
    table is scored by exactly the detector the pipeline would train. With ``edges``
    (columns ``src``, ``dst`` holding ids), graph features join the table and a second pass
    adds each row's neighbours' mean first-pass score (see graph_features).
    """
    features, y, notices = prepare_table(frame, label, id_column)
    model = AnomalyModel.train(
        "table", features, make_detector(detector, random_state=seed, **(params or {}))
    )
    anomaly = model.score_frame(features)
    if edges is not None:
        model, anomaly, features = _with_graph(
            frame, label, id_column, edges, features, detector, params or {}, seed, notices
        )
    unsupervised = ranking_metrics(y, anomaly)
    if unsupervised.roc_auc < 0.5:
        notices.append(
            "label 1 looks LESS unusual than label 0 (ROC-AUC below 0.5): "
            "check that 1 marks the fraud class"
        )
    report = EvaluationReport(
        rows=len(y),
        features=model.spec.names,
        notices=notices,
        unsupervised=unsupervised,
        label_fraction=label_fraction,
        detector=detector,
        detector_params=dict(params or {}),
    )
    if label_fraction is not None:
        if not 0 < label_fraction < 1:
            raise ModelError(f"--label-fraction must be between 0 and 1, got {label_fraction}")
        rows = np.arange(len(y))
        revealed, hidden = train_test_split(
            rows, train_size=label_fraction, stratify=y, random_state=seed
        )
        raw = features[model.spec.names].to_numpy(dtype=np.float64)
        learned = LearnedModel.fit(
            model.spec.names, raw[revealed], anomaly[revealed], y[revealed], seed=seed
        )
        # The bar learning must clear: scikit-learn's gradient boosting, default settings,
        # fed the same revealed labels and features (no anomaly score).
        baseline = HistGradientBoostingClassifier(random_state=seed).fit(raw[revealed], y[revealed])
        report.hidden = {
            "unsupervised": ranking_metrics(y[hidden], anomaly[hidden]),
            "learned": ranking_metrics(
                y[hidden], learned.confirm_probability(raw[hidden], anomaly[hidden])
            ),
            "default gradient boosting": ranking_metrics(
                y[hidden], baseline.predict_proba(raw[hidden])[:, 1]
            ),
        }
        report.notices.append(
            f"labels revealed for {len(revealed)} rows ({int(y[revealed].sum())} positive); "
            f"metrics below are on the {len(hidden)} hidden rows"
        )
    return report
