"""Learning from staff decisions: resolved cases become labels for the learned model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from trust.store import Store, snapshot
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
    with snapshot(store.engine) as conn:
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


class ConfirmScorer:
    """P(reviewer confirms) for events, from the active learned model of their kind.

    Scores with the anomaly version the learned model was trained on (named in its
    manifest), not whichever anomaly version is active now, so the input means the same.
    """

    def __init__(self, registry: ModelRegistry) -> None:
        self.registry = registry
        self._loaded: dict[str, tuple[str, LearnedModel, AnomalyModel] | None] = {}

    def model_for(self, kind: str) -> tuple[str, LearnedModel, AnomalyModel] | None:
        """The active learned version of ``kind`` with its models, or None."""
        version = self.registry.active_version(kind, "learned")
        cached = self._loaded.get(kind)
        if version is None or (cached is not None and cached[0] == version):
            return cached if version is not None else None
        artefact, manifest = self.registry.load(version)
        anomaly_artefact, _ = self.registry.load(manifest["anomaly_version"])
        found = (
            version,
            LearnedModel.from_artefact(artefact),
            AnomalyModel.from_artefact(kind, anomaly_artefact),
        )
        self._loaded[kind] = found
        return found

    def confirm_probability(
        self,
        kind: str,
        payloads: Sequence[Mapping[str, Any]],
        signals: Sequence[Mapping[str, Any] | None],
    ) -> list[float] | None:
        """One probability per event (stored payload + signals), or None without a model."""
        found = self.model_for(kind)
        if found is None:
            return None
        _, learned, anomaly_model = found
        frame = feature_frame(kind, payloads, signals)
        raw = frame.reindex(columns=learned.feature_names).to_numpy(dtype=np.float64)
        anomaly = anomaly_model.score_frame(frame)
        return [float(p) for p in learned.confirm_probability(raw, anomaly)]


def case_confirm_probabilities(
    conn: Connection, scorer: ConfirmScorer, case_ids: Sequence[int]
) -> dict[int, float]:
    """P(reviewer confirms) per case: the highest over its evidence of the case's own kind.

    Only kinds with an active learned model are scored; other cases are left out, so an
    empty answer means "no learned model applies", never "zero".
    """
    if not case_ids:
        return {}
    rows = conn.execute(
        select(cases.c.id, cases.c.kind, events.c.payload, decisions.c.signals)
        .select_from(
            cases.join(case_evidence, case_evidence.c.case_id == cases.c.id)
            .join(
                events,
                (events.c.event_id == case_evidence.c.event_id) & (events.c.kind == cases.c.kind),
            )
            .outerjoin(decisions, decisions.c.event_id == events.c.event_id)
        )
        .where(cases.c.id.in_(sorted(set(case_ids))))
    ).all()
    by_kind: dict[str, list[Any]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    found: dict[int, float] = {}
    for kind, group in by_kind.items():
        probabilities = scorer.confirm_probability(
            kind, [r.payload for r in group], [r.signals for r in group]
        )
        for row, probability in zip(group, probabilities or [], strict=False):
            found[row.id] = max(found.get(row.id, 0.0), probability)
    return found
