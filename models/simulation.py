"""Acceptance on simulated data: rules alone, the model alone, rules plus model, per kind.

Takes a store holding simulated events (``trust simulate`` then ``trust ingest``) and the
simulator's ``truth.csv``. For each kind it trains the configured detector on the stored
events WITHOUT labels (unsupervised, as in production), evaluates the rule pack, combines
both with :func:`trust.decisions.decide` exactly as the pipeline does, and ranks events by
each score against the truth. A learned column shows what 10% of labels (a stratified
sample, as if staff had decided those) add, measured on the other 90%.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from models.anomaly import AnomalyModel
from models.detectors import make_detector
from models.evaluate import RankingMetrics, ranking_metrics
from models.hold_causes import UNKNOWN, hold_causes
from models.learned import LearnedModel
from models.scorer import budget_cutoff
from models.text_effect import TextEffect, text_effect
from models.training import (
    TrainingData,
    detector_options,
    load_training_data,
    novelty_detector,
)
from trust.decisions import Decision, ModelAssessment, WordingAssessment, decide
from trust.errors import ModelError
from trust.events import EVENT_KINDS, event_adapter
from trust.pii import hasher_for
from trust.rules.engine import RuleEngine
from trust.rules.pack import load_pack
from trust.settings import Settings
from trust.signals.payouts import HOLD_SIGNAL
from trust.simulate.world import HONEST
from trust.store import Store, snapshot

# The model "flags" an event when it is in the top 5% of its kind (the review capacity).
MODEL_FLAG_PERCENTILE = 0.95
LEARNED_LABEL_FRACTION = 0.1


@dataclass
class PatternCatch:
    """Share of one planted pattern's events each approach flags."""

    pattern: str
    events: int
    rules: float
    model: float
    combined: float
    model_only: float
    # Rules plus model without the account's hold: what the detection itself caught.
    detected: float


@dataclass
class QueueLoad:
    """What a set of flags puts in front of reviewers."""

    flagged: int
    per_day: float
    precision: float

    @classmethod
    def of(cls, flagged: np.ndarray[Any, Any], y: np.ndarray[Any, Any], days: float) -> QueueLoad:
        """Flags counted per day of the history, and the share of them that is fraud."""
        count = int(flagged.sum())
        return cls(count, count / days, float(y[flagged].mean()) if count else float("nan"))


@dataclass
class ModelAdded:
    """Events the model sends to review or block that rules alone allow, split by truth."""

    frauds: int
    honest: int
    honest_per_day: float

    @classmethod
    def of(
        cls,
        rules: np.ndarray[Any, Any],
        both: np.ndarray[Any, Any],
        y: np.ndarray[Any, Any],
        days: float,
    ) -> ModelAdded:
        """Flagged by rules plus model (``both``) and not by ``rules``, against the truth."""
        added = both & ~rules
        honest = int((added & (y == 0)).sum())
        return cls(int((added & (y == 1)).sum()), honest, honest / days)

    def summary(self) -> str:
        """``frauds / honest a day``, as the evaluate-sim table prints it."""
        return f"{self.frauds} / {self.honest_per_day:.2f}"


@dataclass
class HeldByHold:
    """Events flagged only because their account was on hold, by what caused the hold."""

    cause: str
    events: int
    planted: int
    honest: int


@dataclass
class KindResult:
    """Ranking quality of each approach on one kind."""

    kind: str
    events: int
    fraud: int
    rules: RankingMetrics
    model: RankingMetrics
    combined: RankingMetrics
    learned_hidden: RankingMetrics | None
    combined_hidden: RankingMetrics | None
    patterns: list[PatternCatch] = field(default_factory=list)
    # Honest look-alikes labelled apart in the truth (travellers abroad): the share flagged.
    look_alikes: list[PatternCatch] = field(default_factory=list)
    # The review queue with and without the model: cases a day and the share that is fraud.
    days: float = 0.0
    # The daily case budget the cutoff was sized by (``TRUST_DECISION__MODEL_DAILY_CASES``).
    daily_cases: float = 0.0
    review_cutoff: float | None = None
    queue_rules: QueueLoad | None = None
    queue_combined: QueueLoad | None = None
    # The same queues without the events only the account's hold flagged (the detection's
    # own flags), and those events by the pattern that caused the hold.
    detection_rules: QueueLoad | None = None
    detection_combined: QueueLoad | None = None
    held: list[HeldByHold] = field(default_factory=list)
    # What the model adds to the queue of rules alone: frauds, and honest cases a day.
    model_added: ModelAdded | None = None
    # Reviews and complaints: the text model learned from a share of the labels, on the rest.
    text: TextEffect | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return asdict(self)


@dataclass
class RuleFlags:
    """Per event: risk and flag of rules alone and of rules plus model, and whether the
    detection flags it -- the same decision with the account's hold left out."""

    risk: np.ndarray[Any, Any]
    flagged: np.ndarray[Any, Any]
    risk_both: np.ndarray[Any, Any]
    flagged_both: np.ndarray[Any, Any]
    detected: np.ndarray[Any, Any]
    detected_both: np.ndarray[Any, Any]


def _rule_scores(
    data: TrainingData,
    engine: RuleEngine,
    settings: Settings,
    percentiles: np.ndarray[Any, Any],
    cutoff: float | None,
) -> RuleFlags:
    """Risk and flag per event for rules alone and for rules plus model."""
    now = datetime.now(UTC)
    size = len(data.payloads)
    flags = RuleFlags(
        np.zeros(size),
        np.zeros(size, dtype=bool),
        np.zeros(size),
        *(np.zeros(size, dtype=bool) for _ in range(3)),
    )
    for i, payload in enumerate(data.payloads):
        event = event_adapter.validate_python(payload)
        signals = dict(data.signals[i] or {})
        model = ModelAssessment(float(percentiles[i]), "simulation", review_cutoff=cutoff)
        alone, both = _decided(event, signals, engine, settings, now, (None, model))
        flags.risk[i], flags.flagged[i] = alone.risk_score, alone.flagged
        flags.risk_both[i], flags.flagged_both[i] = both.risk_score, both.flagged
        if signals.get(HOLD_SIGNAL):
            # Held by the account's enforcement state: would the detection flag it anyway?
            unheld = {**signals, HOLD_SIGNAL: False}
            alone, both = _decided(event, unheld, engine, settings, now, (None, model))
        flags.detected[i], flags.detected_both[i] = alone.flagged, both.flagged
    return flags


def _decided(
    event: Any,
    signals: dict[str, Any],
    engine: RuleEngine,
    settings: Settings,
    now: datetime,
    assessments: tuple[ModelAssessment | None, ...],
    wording: WordingAssessment | None = None,
) -> list[Decision]:
    """The pipeline's decision of ``event`` under each assessment (None: rules alone)."""
    evaluation = engine.evaluate(event, signals)
    return [
        decide(
            event,
            signals,
            evaluation.hits,
            evaluation.shadow_hits,
            settings=settings.decision,
            pack_version=engine.version,
            now=now,
            assessment=assessment,
            wording=wording,
        )
        for assessment in assessments
    ]


def evaluate_kind(
    data: TrainingData,
    truth: pd.DataFrame,
    engine: RuleEngine,
    settings: Settings,
    seed: int = 0,
    causes: Mapping[str, str] | None = None,
) -> KindResult:
    """Rules, model and both on one kind's stored events, against the truth.

    ``causes``: per event id flagged only by its account's hold, the pattern that
    caused the hold (see :mod:`models.hold_causes`).
    """
    known = truth.reindex(data.event_ids)
    if known["is_fraud"].isna().any():
        raise ModelError(f"{int(known['is_fraud'].isna().sum())} {data.kind} events lack truth")
    y = known["is_fraud"].astype(int).to_numpy()
    frame = data.frame()
    name, params = detector_options(settings)
    model = AnomalyModel.train(
        data.kind,
        frame,
        make_detector(name, random_state=seed, **params),
        novelty_share=settings.model.event_novelty_share,
        novelty_detector=novelty_detector(settings, seed),
    )
    percentiles = model.score_frame(frame)
    # The daily case budget, exactly as the pipeline's scorer turns it into a cutoff.
    per_day = data.events_per_day()
    cutoff = budget_cutoff(per_day, settings.decision.model_daily_cases)
    flags = _rule_scores(data, engine, settings, percentiles, cutoff)
    risk, flagged, risk_both, flagged_both = (
        flags.risk,
        flags.flagged,
        flags.risk_both,
        flags.flagged_both,
    )
    days = len(y) / per_day if per_day else 1.0
    # Ties in the rule score (most events hit no rule) are broken by nothing: that is the truth
    # of rules alone. The combined score is what decide() records.
    result = KindResult(
        kind=data.kind,
        events=len(y),
        fraud=int(y.sum()),
        rules=ranking_metrics(y, risk),
        model=ranking_metrics(y, percentiles),
        combined=ranking_metrics(y, risk_both),
        learned_hidden=None,
        combined_hidden=None,
        days=days,
        daily_cases=settings.decision.model_daily_cases,
        review_cutoff=cutoff,
        queue_rules=QueueLoad.of(flagged, y, days),
        queue_combined=QueueLoad.of(flagged_both, y, days),
        detection_rules=QueueLoad.of(flags.detected, y, days),
        detection_combined=QueueLoad.of(flags.detected_both, y, days),
        held=_held_by_cause(data.event_ids, flagged_both & ~flags.detected_both, y, causes),
        model_added=ModelAdded.of(flagged, flagged_both, y, days),
    )
    if 8 <= y.sum() <= len(y) - 8:
        rows = np.arange(len(y))
        shown, hidden = train_test_split(
            rows, train_size=LEARNED_LABEL_FRACTION, stratify=y, random_state=seed
        )
        raw = frame.reindex(columns=model.spec.names).to_numpy(dtype=np.float64)
        try:
            learned = LearnedModel.fit(model.spec.names, raw[shown], percentiles[shown], y[shown])
        except ModelError:
            learned = None  # too few revealed frauds of this kind to learn from: column n/a
        if learned is not None:
            result.learned_hidden = ranking_metrics(
                y[hidden], learned.confirm_probability(raw[hidden], percentiles[hidden])
            )
            result.combined_hidden = ranking_metrics(y[hidden], risk_both[hidden])
    now = datetime.now(UTC)

    def redecide(i: int, wording: WordingAssessment) -> bool:
        event = event_adapter.validate_python(data.payloads[i])
        model = ModelAssessment(float(percentiles[i]), "simulation", review_cutoff=cutoff)
        signals = dict(data.signals[i] or {})
        return _decided(event, signals, engine, settings, now, (model,), wording)[0].flagged

    result.text = text_effect(data.kind, data.payloads, known, flagged_both, redecide, seed)
    model_flag = percentiles >= MODEL_FLAG_PERCENTILE
    by_pattern: dict[str, list[int]] = defaultdict(list)
    for i, pattern in enumerate(known["pattern"]):
        if y[i] or pattern != HONEST:
            by_pattern[str(pattern)].append(i)
    for pattern, where in sorted(by_pattern.items()):
        idx = np.array(where)
        catch = PatternCatch(
            pattern=pattern,
            events=len(idx),
            rules=float(flagged[idx].mean()),
            model=float(model_flag[idx].mean()),
            combined=float(flagged_both[idx].mean()),
            model_only=float((model_flag[idx] & ~flagged[idx]).mean()),
            detected=float(flags.detected_both[idx].mean()),
        )
        (result.patterns if y[idx[0]] else result.look_alikes).append(catch)
    return result


def _held_by_cause(
    event_ids: list[str],
    held: np.ndarray[Any, Any],
    y: np.ndarray[Any, Any],
    causes: Mapping[str, str] | None,
) -> list[HeldByHold]:
    by_cause: dict[str, list[int]] = defaultdict(list)
    for i in np.flatnonzero(held):
        by_cause[(causes or {}).get(event_ids[i], UNKNOWN)].append(int(i))
    return [
        HeldByHold(cause, len(where), int(y[where].sum()), int(len(where) - y[where].sum()))
        for cause, where in sorted(by_cause.items())
    ]


def evaluate_simulation(
    store: Store, settings: Settings, truth_path: Path, kinds: tuple[str, ...] = EVENT_KINDS
) -> list[KindResult]:
    """One result per kind that has stored events."""
    truth = pd.read_csv(truth_path, index_col="event_id")
    engine = RuleEngine(load_pack(settings.rules_dir))
    hasher = hasher_for(settings)
    results = []
    for kind in kinds:
        with snapshot(store.engine) as conn:
            data = load_training_data(conn, kind, hasher)
            on_hold = [
                e
                for e, s in zip(data.event_ids, data.signals, strict=True)
                if s and s.get(HOLD_SIGNAL)
            ]
            causes = hold_causes(conn, on_hold, truth) if on_hold else {}
        if data.event_ids:
            results.append(evaluate_kind(data, truth, engine, settings, causes=causes))
    return results
