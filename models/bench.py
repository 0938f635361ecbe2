"""The model benchmark: training time at a million rows, batch throughput, single-event latency.

Training and batch scoring use a synthetic feature matrix of the width of a real kind
(continuous, heavy-tailed and 0/1 columns, a few NaN) because generating, storing and
signal-scoring a million simulated events would measure the simulator and the store, not
the model. The single-event path is measured end to end through :class:`RegistryScorer`
with real review events (feature building, imputation, scoring, calibration, explanation).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.anomaly import AnomalyModel
from models.detectors import make_detector
from models.features import feature_frame
from models.registry import ModelRegistry
from models.scorer import RegistryScorer
from models.training import FOREST_DETECTORS

FEATURE_WIDTH = 30


@dataclass
class ModelBenchmark:
    """What ``trust bench model`` prints."""

    detector: str
    training_rows: int
    features: int
    train_seconds: float
    batch_rows: int
    batch_rows_per_second: float
    events_per_second_with_features: float
    single_event_p50_ms: float
    single_event_p99_ms: float

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return asdict(self)


def synthetic_features(rows: int, width: int = FEATURE_WIDTH, seed: int = 0) -> pd.DataFrame:
    """A feature frame shaped like ours: a third each continuous, heavy-tailed and flags."""
    rng = np.random.default_rng(seed)
    third = width // 3
    columns = [
        rng.normal(size=(rows, third)),
        np.log1p(rng.lognormal(3.0, 1.2, size=(rows, third))),
        (rng.random((rows, width - 2 * third)) < 0.05).astype(np.float64),
    ]
    matrix = np.hstack(columns)
    matrix[rng.random(matrix.shape) < 0.01] = np.nan
    return pd.DataFrame(matrix, columns=[f"f{i:02d}" for i in range(width)])


def _events_and_model(
    detector: str, max_samples: int, seed: int
) -> tuple[list[Any], list[dict[str, Any]], RegistryScorer]:
    from trust.events import event_adapter
    from trust.simulate import generate_events

    records = [r for r, _ in generate_events(400, 30, seed) if r["kind"] == "review"]
    events = [event_adapter.validate_python(r) for r in records]
    signals: list[dict[str, Any]] = [{} for _ in events]
    frame = feature_frame("review", [e.model_dump(mode="json") for e in events], signals)
    params = {"max_samples": max_samples} if detector in FOREST_DETECTORS else {}
    model = AnomalyModel.train("review", frame, make_detector(detector, **params))
    registry = ModelRegistry(Path(tempfile.mkdtemp(prefix="trust-bench-")))
    manifest = registry.register("review", "anomaly", model.to_artefact(), {})
    registry.activate(manifest["version"])
    # Explain every event so the latency includes the explanation work.
    return events, signals, RegistryScorer(registry, explain_above=0.0)


def run_model_benchmark(
    rows: int = 1_000_000,
    *,
    detector: str = "isolation_forest",
    max_samples: int = 4096,
    batch_rows: int = 200_000,
    single_calls: int = 2000,
    seed: int = 0,
) -> ModelBenchmark:
    """Train on ``rows`` synthetic rows, score a batch, and time the single-event path."""
    frame = synthetic_features(rows, seed=seed)
    params = {"max_samples": max_samples} if detector in FOREST_DETECTORS else {}
    started = time.perf_counter()
    model = AnomalyModel.train("review", frame, make_detector(detector, **params))
    train_seconds = time.perf_counter() - started

    batch = model.spec.transform(synthetic_features(batch_rows, seed=seed + 1))
    started = time.perf_counter()
    model.percentiles(batch)
    batch_rate = batch_rows / (time.perf_counter() - started)

    events, signals, scorer = _events_and_model(detector, max_samples, seed)
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        scorer.assess("review", events, signals)
        rates.append(len(events) / (time.perf_counter() - started))
    event_rate = float(np.median(rates))
    timings = []
    for i in range(single_calls):
        one = i % len(events)
        started = time.perf_counter()
        scorer.assess("review", events[one : one + 1], signals[one : one + 1])
        timings.append(time.perf_counter() - started)
    p50, p99 = np.percentile(timings, [50, 99]) * 1000
    return ModelBenchmark(
        detector=detector,
        training_rows=rows,
        features=frame.shape[1],
        train_seconds=round(train_seconds, 2),
        batch_rows=batch_rows,
        batch_rows_per_second=round(batch_rate),
        events_per_second_with_features=round(event_rate),
        single_event_p50_ms=round(float(p50), 3),
        single_event_p99_ms=round(float(p99), 3),
    )
