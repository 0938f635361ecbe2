"""Training data from the store, and training runs that end in a registered model version.

An event's signals come from its stored decision when the pipeline has decided it; events
without a decision get their signals recomputed in batches with :mod:`trust.signals`
(which only looks at history up to each event, so the features match what the pipeline
would have seen).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator
from sqlalchemy import Connection, select

from models.anomaly import AnomalyModel
from models.detectors import make_detector
from models.features import feature_frame
from models.registry import ModelRegistry
from trust.errors import ModelError
from trust.events import event_adapter
from trust.pii import PiiHasher, hasher_for
from trust.settings import Settings
from trust.store import Store, snapshot
from trust.store.tables import decisions, events

SIGNAL_BATCH = 500
# Detectors grown from isolation trees, which TRUST_MODEL__N_ESTIMATORS/MAX_SAMPLES size.
FOREST_DETECTORS = ("isolation_forest", "ensemble")
MIN_TRAINING_EVENTS = 50


@dataclass
class TrainingData:
    """Stored events of one kind with their signals, in time order."""

    kind: str
    event_ids: list[str]
    occurred_at: list[datetime]
    payloads: list[Mapping[str, Any]]
    signals: list[Mapping[str, Any] | None]

    def frame(self) -> pd.DataFrame:
        """The feature frame of these events."""
        return feature_frame(self.kind, self.payloads, self.signals)

    def events_per_day(self) -> float | None:
        """The kind's daily volume over the training window (None for under a day)."""
        if len(self.occurred_at) < 2:
            return None
        days = (max(self.occurred_at) - min(self.occurred_at)).total_seconds() / 86_400
        return len(self.occurred_at) / days if days >= 1 else None

    def snapshot(self) -> dict[str, Any]:
        """What the model was trained on: count, time range and a content id."""
        digest = hashlib.sha256("\n".join(sorted(self.event_ids)).encode()).hexdigest()
        return {
            "event_count": len(self.event_ids),
            "first_occurred_at": min(self.occurred_at).isoformat() if self.occurred_at else None,
            "last_occurred_at": max(self.occurred_at).isoformat() if self.occurred_at else None,
            "snapshot_id": digest[:16],
        }


def load_training_data(
    conn: Connection,
    kind: str,
    hasher: PiiHasher,
    *,
    since: datetime | None = None,
    limit: int | None = None,
) -> TrainingData:
    """Events of ``kind`` (newest ``limit`` if given, oldest first) with their signals."""
    query = (
        select(
            events.c.event_id,
            events.c.occurred_at,
            events.c.received_at,
            events.c.payload,
            decisions.c.signals,
        )
        .select_from(events.outerjoin(decisions, decisions.c.event_id == events.c.event_id))
        .where(events.c.kind == kind)
        .order_by(events.c.occurred_at.desc(), events.c.id.desc())
    )
    if since is not None:
        query = query.where(events.c.occurred_at >= since)
    if limit is not None:
        query = query.limit(limit)
    rows = list(reversed(conn.execute(query).all()))
    signals: list[Mapping[str, Any] | None] = [row.signals for row in rows]
    missing = [i for i, value in enumerate(signals) if value is None]
    for start in range(0, len(missing), SIGNAL_BATCH):
        chunk = missing[start : start + SIGNAL_BATCH]
        batch = [event_adapter.validate_python(rows[i].payload) for i in chunk]
        # Never decided: the world as it was when each event arrived (point in time).
        arrived = {rows[i].event_id: rows[i].received_at for i in chunk}
        computed = _compute_signals(conn, batch, hasher, arrived)
        for i, value in zip(chunk, computed, strict=True):
            signals[i] = value
    return TrainingData(
        kind=kind,
        event_ids=[row.event_id for row in rows],
        occurred_at=[row.occurred_at for row in rows],
        payloads=[row.payload for row in rows],
        signals=signals,
    )


def _compute_signals(
    conn: Connection, batch: Sequence[Any], hasher: PiiHasher, as_of: Mapping[str, datetime]
) -> list[Any]:
    from trust.signals import compute_signals

    return list(compute_signals(conn, batch, hasher, as_of=as_of))


def detector_options(settings: Settings, name: str | None = None) -> tuple[str, dict[str, Any]]:
    """The detector (``name``, else the configured one) and the configured parameters for it."""
    config = settings.model
    chosen = name or config.detector
    params: dict[str, Any] = {}
    if chosen in FOREST_DETECTORS:
        params = {"n_estimators": config.n_estimators, "max_samples": config.max_samples}
    return chosen, params


def novelty_detector(settings: Settings, seed: int = 0) -> BaseEstimator:
    """The configured detector over an event's own facts (``EventNoveltyOutlierDetector``)."""
    name = settings.model.event_novelty_detector
    # scikit-learn's "auto" finds neighbours by brute force beyond 15 columns (verifications
    # have 17 facts): a tree finds the same ones at a third to a sixth of the CPU per batch.
    params = {"algorithm": "ball_tree"} if name == "local_outlier_factor" else {}
    return make_detector(name, random_state=seed, **params)


def train_anomaly_model(
    store: Store, settings: Settings, kind: str, *, activate: bool = True, seed: int = 0
) -> dict[str, Any]:
    """Train the configured detector on stored events of ``kind`` and register it."""
    hasher = hasher_for(settings)
    with snapshot(store.engine) as conn:
        data = load_training_data(conn, kind, hasher, limit=settings.model.max_training_events)
    if len(data.event_ids) < MIN_TRAINING_EVENTS:
        raise ModelError(
            f"only {len(data.event_ids)} stored {kind} events; need at least "
            f"{MIN_TRAINING_EVENTS} to train (ingest or simulate more first)"
        )
    name, params = detector_options(settings)
    model = AnomalyModel.train(
        kind,
        data.frame(),
        make_detector(name, random_state=seed, **params),
        novelty_share=settings.model.event_novelty_share,
        novelty_detector=novelty_detector(settings, seed),
    )
    # The daily case budget becomes a percentile cutoff through this volume (models.scorer).
    model.metrics["events_per_day"] = data.events_per_day()
    registry = ModelRegistry.from_settings(settings)
    manifest = registry.register(
        kind,
        "anomaly",
        model.to_artefact(),
        {
            "detector": {"name": name, "params": params, "seed": seed},
            "features": model.spec.names,
            "imputation_medians": dict(
                zip(model.spec.names, model.spec.medians.tolist(), strict=True)
            ),
            "training": data.snapshot(),
            "metrics": model.metrics,
        },
    )
    if activate:
        registry.activate(manifest["version"])
        manifest["active"] = True
    return manifest
