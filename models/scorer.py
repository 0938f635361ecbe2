"""The pipeline's anomaly scorer: the active registry version per kind, loaded once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from models.anomaly import AnomalyModel
from models.features import BUILDERS, SIGNAL_PREFIX
from models.registry import ModelRegistry
from models.text_learning import TEXT_ROLE
from models.text_model import TEXT_FIELDS, TextModel, text_of
from trust.decisions import (
    MODEL_FLOOR,
    FeatureContribution,
    ModelAssessment,
    SignalValue,
    WordingAssessment,
)
from trust.errors import ModelError
from trust.events import EVENT_KINDS, Event
from trust.settings import Settings

# Only events the model finds unusual carry its reasons; below this the model added little.
EXPLAIN_ABOVE = 0.9
Loaded = TypeVar("Loaded")


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
    """Implements :class:`trust.decisions.AnomalyScorer` (and ``WordingScorer``) with the
    registry's active models: an anomaly model per kind, a text model for reviews and
    complaints.

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
        text_floor: float = 1.0,
    ) -> None:
        self.registry = registry
        self.daily_cases = daily_cases
        self.explanation_features = explanation_features
        self.explain_above = explain_above
        self.text_floor = text_floor
        self._models: dict[str, tuple[str, AnomalyModel] | None] = {}
        self._text_models: dict[str, tuple[str, TextModel] | None] = {}
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
            text_floor=settings.decision.text_model_floor,
        )
        if preload:
            scorer.preload()
        return scorer

    def preload(self) -> None:
        """Load every kind's active models now, so no batch pays for loading one (a bad
        artefact raises here)."""
        for kind in EVENT_KINDS:
            self.model_for(kind)
            self.text_model_for(kind)

    def model_for(self, kind: str) -> tuple[str, AnomalyModel] | None:
        """The active version and model of ``kind``, or None when none is active."""
        return self._active(
            self._models, kind, "anomaly", lambda a: AnomalyModel.from_artefact(kind, a)
        )

    def text_model_for(self, kind: str) -> tuple[str, TextModel] | None:
        """The active version and text model of ``kind``, or None (always for kinds that
        carry no text)."""
        if kind not in TEXT_FIELDS:
            return None
        return self._active(self._text_models, kind, TEXT_ROLE, TextModel.from_artefact)

    def _active(
        self,
        loaded: dict[str, tuple[str, Loaded] | None],
        kind: str,
        role: str,
        build: Callable[[dict[str, Any]], Loaded],
    ) -> tuple[str, Loaded] | None:
        """The active version of ``kind`` in ``role`` from ``loaded``, loaded on first use."""
        stamp = self.registry.active_stamp()
        if stamp != self._stamp:
            # `trust model activate` ran: running workers pick the new version up by themselves.
            self.reload()
            self._stamp = stamp
        if kind in loaded:
            return loaded[kind]
        with self._lock:
            if kind not in loaded:
                version = self.registry.active_version(kind, role)
                found = None
                if version is not None:
                    artefact, _ = self.registry.load(version)
                    found = (version, build(artefact))
                loaded[kind] = found
        return loaded[kind]

    def reload(self) -> None:
        """Forget loaded models so the next batch picks up a newly activated version."""
        with self._lock:
            self._models.clear()
            self._text_models.clear()

    def read_wording(self, kind: str, events: Sequence[Event]) -> list[WordingAssessment | None]:
        """Implements :class:`trust.decisions.WordingScorer`: the active text model's
        probability per event, with the terms behind it above the floor that adds points.

        The batch's texts are vectorised at once; an event without text gets None.
        """
        found = self.text_model_for(kind)
        if found is None or not events:
            return [None] * len(events)
        version, model = found
        texts = [text_of(kind, event) for event in events]
        written = [i for i, text in enumerate(texts) if text]
        read: list[WordingAssessment | None] = [None] * len(events)
        if not written:
            return read
        assessed = model.assess([texts[i] for i in written], self.text_floor)
        for i, (probability, terms) in zip(written, assessed, strict=True):
            read[i] = WordingAssessment(round(probability, 4), version, terms)
        return read

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
