"""The pipeline's anomaly scorer: the active registry version per kind, loaded once."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from models.anomaly import AnomalyModel
from models.features import BUILDERS, SIGNAL_PREFIX
from models.registry import ModelRegistry
from trust.decisions import MODEL_FLOOR, FeatureContribution, ModelAssessment, SignalValue
from trust.errors import ModelError
from trust.events import EVENT_KINDS, Event
from trust.settings import Settings

# Only events the model finds unusual carry its reasons; below this the model added little.
EXPLAIN_ABOVE = 0.9


def budget_cutoff(events_per_day: float | None, daily_cases: float) -> float | None:
    """The percentile whose share of a kind's daily events is ``daily_cases`` a day.

    None (no budget) when the volume is unknown (a model trained before it was recorded)
    or the budget is off. Never below the model's top decile (``MODEL_FLOOR``): on a kind
    of a few events a day the budget would otherwise send ordinary events to review.
    """
    if not events_per_day or daily_cases <= 0:
        return None
    return round(max(MODEL_FLOOR, 1.0 - daily_cases / float(events_per_day)), 6)


class RegistryScorer:
    """Implements :class:`trust.decisions.AnomalyScorer` with the registry's active models.

    Models are loaded on first use (or all at once with ``preload``) and kept until another
    version is activated; a tampered or mismatched artefact raises
    :class:`~trust.errors.ArtefactIntegrityError` at load time.
    """

    def __init__(
        self,
        registry: ModelRegistry,
        *,
        explanation_features: int = 3,
        explain_above: float = EXPLAIN_ABOVE,
        daily_cases: float = 0.0,
    ) -> None:
        self.registry = registry
        self.daily_cases = daily_cases
        self.explanation_features = explanation_features
        self.explain_above = explain_above
        self._models: dict[str, tuple[str, AnomalyModel] | None] = {}
        self._checked: set[str] = set()
        self._stamp = registry.active_stamp()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, *, preload: bool = False) -> RegistryScorer:
        """A scorer over the configured registry; ``preload`` fails fast on a bad artefact."""
        scorer = cls(
            ModelRegistry.from_settings(settings),
            explanation_features=settings.model.explanation_features,
            daily_cases=settings.decision.model_daily_cases,
        )
        if preload:
            scorer.preload()
        return scorer

    def preload(self) -> None:
        """Load every kind's active model now, so no batch pays for loading one (a bad
        artefact raises here)."""
        for kind in EVENT_KINDS:
            self.model_for(kind)

    def model_for(self, kind: str) -> tuple[str, AnomalyModel] | None:
        """The active version and model of ``kind``, or None when none is active."""
        stamp = self.registry.active_stamp()
        if stamp != self._stamp:
            # `trust model activate` ran: running workers pick the new version up by themselves.
            self.reload()
            self._stamp = stamp
        if kind in self._models:
            return self._models[kind]
        with self._lock:
            if kind not in self._models:
                version = self.registry.active_version(kind)
                loaded = None
                if version is not None:
                    artefact, _ = self.registry.load(version)
                    loaded = (version, AnomalyModel.from_artefact(kind, artefact))
                self._models[kind] = loaded
        return self._models[kind]

    def reload(self) -> None:
        """Forget loaded models so the next batch picks up a newly activated version."""
        with self._lock:
            self._models.clear()

    def assess(
        self, kind: str, events: Sequence[Event], signals: Sequence[Mapping[str, SignalValue]]
    ) -> list[ModelAssessment | None]:
        """One assessment per event, in order (all None when no model is active for ``kind``)."""
        found = self.model_for(kind)
        if found is None or not events:
            return [None] * len(events)
        version, model = found
        payloads = [event.model_dump(mode="json") for event in events]
        if version not in self._checked:
            self._check_features(version, model, BUILDERS[kind](payloads[0]))
        # Columns straight from payload features and signals: no frame, no per-event dicts.
        return self.assess_matrix(version, model, model.spec.matrix(kind, payloads, signals))

    def _check_features(
        self, version: str, model: AnomalyModel, built: Mapping[str, float]
    ) -> None:
        """Refuse a model whose payload features this code no longer builds (retrain it)."""
        gone = [n for n in model.spec.names if not n.startswith(SIGNAL_PREFIX) and n not in built]
        if gone:
            raise ModelError(
                f"model {version} uses features this version of the code does not build "
                f"({', '.join(gone)}); retrain it with `trust model train --kind {model.kind}`"
            )
        self._checked.add(version)

    def assess_matrix(
        self, version: str, model: AnomalyModel, matrix: np.ndarray[Any, Any]
    ) -> list[ModelAssessment | None]:
        """Assessments for an already-built feature matrix."""
        scores = model.percentiles(matrix)
        cutoff = budget_cutoff(model.metrics.get("events_per_day"), self.daily_cases)
        explained = np.flatnonzero(scores >= self.explain_above)
        reasons: dict[int, tuple[FeatureContribution, ...]] = {}
        if len(explained) and self.explanation_features:
            for i, why in zip(
                explained, model.explain(matrix[explained], self.explanation_features), strict=True
            ):
                reasons[int(i)] = why
        return [
            ModelAssessment(round(float(score), 4), version, reasons.get(i, ()), cutoff)
            for i, score in enumerate(scores)
        ]
