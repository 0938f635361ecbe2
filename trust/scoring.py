"""Scoring: signals, then rules, then the anomaly model, then one decision per event."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from trust.decisions import (
    AnomalyScorer,
    Decision,
    ModelAssessment,
    Signals,
    WordingAssessment,
    WordingScorer,
    decide,
)
from trust.events import Event
from trust.pii import PiiHasher
from trust.rules.engine import RuleEngine, Watchdog
from trust.rules.pack import RulePack
from trust.settings import Settings
from trust.signals import compute_signals


class Scorer:
    """What the pipeline calls per batch; ``trust decide`` uses the same path for one event."""

    def __init__(
        self,
        pack: RulePack,
        settings: Settings,
        anomaly_scorer: AnomalyScorer | None = None,
        *,
        watchdog: Watchdog | None = None,
    ) -> None:
        self.settings = settings
        self.anomaly_scorer = anomaly_scorer
        self.watchdog = watchdog
        self.engine = self._engine(pack)

    @property
    def pack_version(self) -> str:
        """The version of the pack in force."""
        return self.engine.version

    def use_pack(self, pack: RulePack) -> None:
        """Swap in a newly validated pack (the caller validated it with load_pack)."""
        self.engine = self._engine(pack)

    def _engine(self, pack: RulePack) -> RuleEngine:
        budget_s = self.settings.rule_budget_ms / 1000
        return RuleEngine(pack, budget_s=budget_s, watchdog=self.watchdog)

    def score_batch(
        self, conn: Connection, events: Sequence[Event], hasher: PiiHasher, now: datetime
    ) -> list[Decision]:
        """Decisions for a batch already stored in ``conn``'s transaction, in order."""
        if not events:
            return []
        signals = compute_signals(conn, events, hasher)
        return self.decide_all(events, signals, now)

    def score_unstored(
        self, conn: Connection, events: Sequence[Event], hasher: PiiHasher, now: datetime
    ) -> list[Decision]:
        """Decisions for new events not stored yet: ``conn`` only reads, the batch is merged.

        Same decisions as ``score_batch`` after storing the batch; the pipeline calls this
        before it takes the write lock, so the look-ups and rules do not hold it.
        """
        if not events:
            return []
        signals = compute_signals(conn, events, hasher, unstored=True)
        return self.decide_all(events, signals, now)

    def score_one(
        self, conn: Connection, event: Event, hasher: PiiHasher, now: datetime
    ) -> Decision:
        """The decision for one stored event (the synchronous verification path)."""
        return self.score_batch(conn, [event], hasher, now)[0]

    def decide_all(
        self, events: Sequence[Event], signals: Sequence[Signals], now: datetime
    ) -> list[Decision]:
        """Rules, model and decision for events whose signals are already computed."""
        assessments, model_errors = self._assess(events, signals)
        wordings = self._read_wording(events, model_errors)
        engine = self.engine
        decisions = []
        evaluations = engine.evaluate_batch(events, signals)
        for index, event in enumerate(events):
            evaluation = evaluations[index]
            errors = evaluation.errors + model_errors.get(index, [])
            decisions.append(
                decide(
                    event,
                    signals[index],
                    evaluation.hits,
                    evaluation.shadow_hits,
                    settings=self.settings.decision,
                    pack_version=engine.version,
                    now=now,
                    assessment=assessments.get(index),
                    wording=wordings.get(index),
                    errors=errors,
                )
            )
        return decisions

    def _assess(
        self, events: Sequence[Event], signals: Sequence[Signals]
    ) -> tuple[dict[int, ModelAssessment], dict[int, list[str]]]:
        """The model's view per event index; a failing model is an error, not a lost batch."""
        if self.anomaly_scorer is None:
            return {}, {}
        assessments: dict[int, ModelAssessment] = {}
        errors: dict[int, list[str]] = {}
        for kind, indexes in _by_kind(events).items():
            try:
                found = self.anomaly_scorer.assess(
                    kind, [events[i] for i in indexes], [signals[i] for i in indexes]
                )
            except Exception as exc:  # the model is advisory: rules still decide
                for i in indexes:
                    errors[i] = [f"model: {type(exc).__name__}: {exc}"]
                continue
            for i, assessment in zip(indexes, found, strict=False):
                if assessment is not None:
                    assessments[i] = assessment
        return assessments, errors

    def _read_wording(
        self, events: Sequence[Event], errors: dict[int, list[str]]
    ) -> dict[int, WordingAssessment]:
        """The text model's view per event index; a failure is recorded in ``errors``."""
        reader = self.anomaly_scorer
        if not isinstance(reader, WordingScorer):
            return {}
        wordings: dict[int, WordingAssessment] = {}
        for kind, indexes in _by_kind(events).items():
            try:
                found = reader.read_wording(kind, [events[i] for i in indexes])
            except Exception as exc:  # the text model is advisory too
                for i in indexes:
                    errors.setdefault(i, []).append(f"text model: {type(exc).__name__}: {exc}")
                continue
            for i, wording in zip(indexes, found, strict=False):
                if wording is not None:
                    wordings[i] = wording
        return wordings


def _by_kind(events: Sequence[Event]) -> dict[str, list[int]]:
    """Indexes of a batch's events grouped by kind, in order (a model scores one kind)."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for index, event in enumerate(events):
        by_kind[event.kind].append(index)
    return by_kind
