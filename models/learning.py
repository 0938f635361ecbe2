"""Learning from staff decisions: resolved cases become labels for the learned model."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import Connection, select

from models.anomaly import AnomalyModel
from models.evaluate import ranking_metrics
from models.features import feature_frame
from models.learned import LearnedModel
from models.registry import ModelRegistry
from models.training import TrainingData
from trust.errors import ModelError
from trust.settings import Settings
from trust.store import Store
from trust.store.tables import case_evidence, cases, decisions, events

LABELS = {"confirmed": 1, "dismissed": 0}


def load_labelled_events(conn: Connection, kind: str) -> tuple[TrainingData, np.ndarray[Any, Any]]:
    """Events of ``kind`` that are evidence in a resolved case, with the case's label."""
    rows = conn.execute(
        select(
            events.c.event_id,
            events.c.occurred_at,
            events.c.payload,
            decisions.c.signals,
            cases.c.label,
        )
        .select_from(
            cases.join(case_evidence, case_evidence.c.case_id == cases.c.id)
            .join(events, events.c.event_id == case_evidence.c.event_id)
            .outerjoin(decisions, decisions.c.event_id == events.c.event_id)
        )
        .where(cases.c.kind == kind, events.c.kind == kind, cases.c.label.in_(list(LABELS)))
        .order_by(events.c.occurred_at, events.c.id)
    ).all()
    data = TrainingData(
        kind=kind,
        event_ids=[r.event_id for r in rows],
        occurred_at=[r.occurred_at for r in rows],
        payloads=[r.payload for r in rows],
        signals=[r.signals for r in rows],
    )
    return data, np.array([LABELS[r.label] for r in rows], dtype=np.int64)


def train_learned_model(
    store: Store, settings: Settings, kind: str, *, activate: bool = True, seed: int = 0
) -> dict[str, Any]:
    """Train P(reviewer confirms) on resolved cases of ``kind`` and register it."""
    registry = ModelRegistry.from_settings(settings)
    anomaly_version = registry.active_version(kind)
    if anomaly_version is None:
        raise ModelError(f"no active {kind} anomaly model; run `trust model train --kind {kind}`")
    artefact, _ = registry.load(anomaly_version)
    anomaly_model = AnomalyModel.from_artefact(kind, artefact)
    with store.engine.connect() as conn:
        data, labels = load_labelled_events(conn, kind)
    frame = feature_frame(kind, data.payloads, data.signals)
    raw = frame.reindex(columns=anomaly_model.spec.names).to_numpy(dtype=np.float64)
    anomaly = anomaly_model.score_frame(frame)
    learned = LearnedModel.fit(anomaly_model.spec.names, raw, anomaly, labels, seed=seed)
    in_sample = ranking_metrics(labels, learned.confirm_probability(raw, anomaly))
    manifest = registry.register(
        kind,
        "learned",
        learned.to_artefact(),
        {
            "anomaly_version": anomaly_version,
            "features": learned.input_names,
            "training": {
                **data.snapshot(),
                "confirmed": int(labels.sum()),
                "dismissed": int(len(labels) - labels.sum()),
            },
            "metrics": {
                "in_sample_roc_auc": in_sample.roc_auc,
                "in_sample_average_precision": in_sample.average_precision,
                "anomaly_only_roc_auc": ranking_metrics(labels, anomaly).roc_auc,
            },
        },
    )
    if activate:
        registry.activate(manifest["version"])
        manifest["active"] = True
    return manifest
