"""What the pipeline concluded about one event, and the interface the anomaly model plugs into."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol, TypedDict, runtime_checkable

from trust.events import ComplaintEvent, Event, ReviewEvent
from trust.events.kinds import is_event_kind
from trust.settings import DecisionSettings, Thresholds
from trust.statement import statement_of_reasons

Outcome = Literal["allow", "review", "block"]
SignalValue = bool | int | float | str | None
Signals = dict[str, SignalValue]


class RuleHitRow(TypedDict):
    """A rule hit as stored on its decision (``rule_hits`` / ``shadow_hits``)."""

    rule_id: str
    reason_code: str
    reason: str
    score: float
    severity: int
    policy: str
    state: str
    forced_outcome: Outcome | None


class FeatureContributionRow(TypedDict):
    """A model explanation line as stored on its decision (``model_explanation``)."""

    feature: str
    value: float
    percentile: float
    sentence: str


class DecisionRow(TypedDict):
    """A decisions-table row: what the API, the CLI, webhooks and the dashboard read."""

    event_id: str
    kind: str
    subject_id: str
    outcome: Outcome
    risk_score: float
    rule_hits: list[RuleHitRow]
    shadow_hits: list[RuleHitRow]
    signals: Signals
    model_score: float | None
    model_version: str | None
    model_explanation: list[FeatureContributionRow] | None
    model_review_cutoff: float | None
    pack_version: str
    statement_of_reasons: str
    errors: list[str]
    automated: bool
    decided_at: datetime
    case_id: int | None


class StoredDecisionRow(DecisionRow):
    """A decision row read back from the store, with its row id."""

    id: int


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule whose condition held for the event."""

    rule_id: str
    reason_code: str
    reason: str
    score: float
    severity: int
    policy: str
    state: str = "live"
    forced_outcome: Outcome | None = None

    def as_dict(self) -> RuleHitRow:
        """Plain form stored on the decision."""
        return {
            "rule_id": self.rule_id,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "score": self.score,
            "severity": self.severity,
            "policy": self.policy,
            "state": self.state,
            "forced_outcome": self.forced_outcome,
        }


@dataclass(frozen=True, slots=True)
class FeatureContribution:
    """One feature that pushed the anomaly score up, in words staff can read."""

    feature: str
    value: float
    percentile: float
    sentence: str

    def as_dict(self) -> FeatureContributionRow:
        """Plain form stored on the decision."""
        return {
            "feature": self.feature,
            "value": self.value,
            "percentile": self.percentile,
            "sentence": self.sentence,
        }


@dataclass(frozen=True, slots=True)
class ModelAssessment:
    """The anomaly model's view of one event: a 0-1 percentile (higher is riskier) and why.

    ``review_cutoff`` is the percentile from which the model alone sends an event to review,
    sized by the daily case budget (``TRUST_DECISION__MODEL_DAILY_CASES``) and the kind's
    daily volume; None when the model does not know its kind's volume.
    """

    score: float
    version: str
    explanation: tuple[FeatureContribution, ...] = ()
    review_cutoff: float | None = None


class AnomalyScorer(Protocol):
    """What the pipeline needs from a model: assess a batch of one kind, in order."""

    def assess(
        self, kind: str, events: Sequence[Event], signals: Sequence[Mapping[str, SignalValue]]
    ) -> list[ModelAssessment | None]:
        """One assessment per event (None when no active model covers ``kind``)."""
        ...


@dataclass(frozen=True, slots=True)
class WordingAssessment:
    """The text model's view of one event's text: P(staff confirm it) and the words behind it.

    ``terms`` are the character n-grams of the text that raised the probability most
    (fragments of the text, never whole words, so no name or address is copied out of it).
    """

    probability: float
    version: str
    terms: tuple[str, ...] = ()


@runtime_checkable
class WordingScorer(Protocol):
    """A model that also reads the text of reviews and complaints (``models/scorer.py``)."""

    def read_wording(self, kind: str, events: Sequence[Event]) -> list[WordingAssessment | None]:
        """One assessment per event (None when no active text model covers ``kind``)."""
        ...


@dataclass(slots=True)
class Decision:
    """The outcome for one event, with everything needed to explain and audit it."""

    event_id: str
    kind: str
    subject_id: str
    outcome: Outcome
    risk_score: float
    rule_hits: list[RuleHit]
    shadow_hits: list[RuleHit]
    signals: Signals
    pack_version: str
    statement_of_reasons: str
    decided_at: datetime
    model_score: float | None = None
    model_version: str | None = None
    model_explanation: list[FeatureContribution] = field(default_factory=list)
    model_review_cutoff: float | None = None
    errors: list[str] = field(default_factory=list)
    severity: int = 0
    money_at_stake: Decimal = Decimal("0")
    currency: str | None = None
    automated: bool = True
    case_id: int | None = None

    @property
    def flagged(self) -> bool:
        """True when a person must look at it (review or block)."""
        return self.outcome != "allow"

    @property
    def reason_codes(self) -> list[str]:
        """Distinct reason codes of the live hits, worst first."""
        ordered = sorted(self.rule_hits, key=lambda h: (-h.severity, -h.score))
        return list(dict.fromkeys(h.reason_code for h in ordered))

    def to_row(self) -> DecisionRow:
        """The decisions-table row."""
        return {
            "event_id": self.event_id,
            "kind": self.kind,
            "subject_id": self.subject_id,
            "outcome": self.outcome,
            "risk_score": self.risk_score,
            "rule_hits": [h.as_dict() for h in self.rule_hits],
            "shadow_hits": [h.as_dict() for h in self.shadow_hits],
            "signals": self.signals,
            "model_score": self.model_score,
            "model_version": self.model_version,
            "model_explanation": [c.as_dict() for c in self.model_explanation],
            "model_review_cutoff": self.model_review_cutoff,
            "pack_version": self.pack_version,
            "statement_of_reasons": self.statement_of_reasons,
            "errors": self.errors,
            "automated": self.automated,
            "decided_at": self.decided_at,
            "case_id": self.case_id,
        }


# -- combining evidence into an outcome -------------------------------------------------------
_OUTCOME_RANK: dict[str, int] = {"allow": 0, "review": 1, "block": 2}
# Only the model's top decile adds risk points; below it the model is silent.
MODEL_FLOOR = 0.9


def combine_scores(scores: Sequence[float]) -> float:
    """Noisy-OR of 0-100 contributions: independent evidence adds up but never passes 100."""
    remaining = 1.0
    for score in scores:
        remaining *= 1.0 - min(max(score, 0.0), 100.0) / 100.0
    return round(100.0 * (1.0 - remaining), 2)


def model_points(assessment: ModelAssessment | None, weight: float) -> float:
    """The 0-100 risk points the anomaly model contributes (0 below its top decile)."""
    if assessment is None or assessment.score <= MODEL_FLOOR:
        return 0.0
    return weight * (assessment.score - MODEL_FLOOR) / (1.0 - MODEL_FLOOR)


WORDING_REASON = "text_model_confirmed_wording"
# Rules name policies; the text model learned from every confirmed case of its kind.
WORDING_POLICY = "Terms of Service: trust and safety checks"


def wording_hit(wording: WordingAssessment | None, settings: DecisionSettings) -> RuleHit | None:
    """The text model's finding as a live hit: ``text_model_weight`` points at probability 1,
    none at or below ``text_model_floor``, linear in between; its reason names the terms."""
    floor = settings.text_model_floor
    if wording is None or wording.probability <= floor or not settings.text_model_weight:
        return None
    points = settings.text_model_weight * (wording.probability - floor) / (1.0 - floor)
    quoted = ", ".join(f"'{term}'" for term in wording.terms) or "its overall wording"
    return RuleHit(
        rule_id=wording.version,
        reason_code=WORDING_REASON,
        reason=(
            f"The text reads like cases staff confirmed ({wording.probability:.0%} by the "
            f"text model), with wording like {quoted}."
        ),
        score=round(points, 2),
        severity=1,
        policy=WORDING_POLICY,
    )


# A cluster case's finding on the events its members' scheme was built from
# (``trust.cases.cluster_decisions``): like the text model's, a hit no rule pack holds, so
# a re-score or a replay takes it from the stored decision.
CLUSTER_REASON = "cluster_member"
# A complaint sent to review because its complainant abuses the complaint process reopens
# the complainant's earlier allowed complaints (``trust.look_back``): a finding made after
# their decision, carried like the cluster case's.
LOOK_BACK_REASON = "complainant_flagged_later"
# An account reported by several people has its allowed profile verifications sent to
# review (``trust.reported_look_back``), carried the same way.
REPORTED_LOOK_BACK_REASON = "account_reported_later"
# Hits no rule pack holds, added to a stored decision after it was made: a re-score
# (``trust.late_history``) or a replay (``trust rules backtest``) takes them from it.
LATER_FINDINGS = (CLUSTER_REASON, LOOK_BACK_REASON, REPORTED_LOOK_BACK_REASON)


def stored_hits(rows: Sequence[RuleHitRow] | None, *reason_codes: str) -> tuple[RuleHit, ...]:
    """A stored decision's hits with one of ``reason_codes`` (``WORDING_REASON``,
    ``CLUSTER_REASON``, ``LATER_FINDINGS``)."""
    return tuple(RuleHit(**row) for row in rows or [] if row["reason_code"] in reason_codes)


def with_hits(decision: Decision, hits: Sequence[RuleHit]) -> Decision:
    """``decision`` with ``hits`` joining its live hits (those it holds already, by rule id,
    left out): their points added to the risk (noisy-OR, as ``decide`` combines them), the
    outcome raised to any forced one (never lowered, and thresholds not re-applied: a
    finding made later asks staff to look, it does not block), the statement rewritten."""
    present = {h.rule_id for h in decision.rule_hits}
    fresh = [h for h in hits if h.rule_id not in present]
    if not fresh:
        return decision
    outcome = decision.outcome
    for hit in fresh:
        if hit.forced_outcome is not None:
            outcome = max(outcome, hit.forced_outcome, key=_OUTCOME_RANK.__getitem__)
    rule_hits = [*decision.rule_hits, *fresh]
    return replace(
        decision,
        outcome=outcome,
        risk_score=combine_scores([decision.risk_score, *(h.score for h in fresh)]),
        rule_hits=rule_hits,
        severity=max(h.severity for h in rule_hits),
        statement_of_reasons=statement_of_reasons(
            decision.kind,
            outcome,
            rule_hits,
            decision.model_explanation,
            pack_version=decision.pack_version,
            model_version=decision.model_version,
        ),
    )


def review_cutoff(assessment: ModelAssessment, settings: DecisionSettings) -> float:
    """The model percentile from which the model alone sends an event to review.

    The stricter of the fixed ``model_review_percentile`` and the daily case budget's cutoff:
    the budget makes the model open about ``model_daily_cases`` cases a day per kind
    whatever the rules did, so it changes outcomes rather than only adding points.
    """
    return effective_review_cutoff(assessment.review_cutoff, settings)


def effective_review_cutoff(budget_cutoff: float | None, settings: DecisionSettings) -> float:
    """The fixed ``model_review_percentile``, loosened to the budget's cutoff when one is set."""
    cutoff = settings.model_review_percentile
    if budget_cutoff is not None:
        cutoff = min(cutoff, budget_cutoff)
    return cutoff


def money_of(event: Event) -> tuple[Decimal, str | None]:
    """The money at stake in an event: the disputed amount, or what the contract paid.

    Dispatched by type: probing a pydantic model for a field it lacks raises inside its
    ``__getattr__``, which cost more than the rest of the decision.
    """
    money = (
        event.amount_in_dispute
        if isinstance(event, ComplaintEvent)
        else event.amount_paid
        if isinstance(event, ReviewEvent)
        else None
    )
    return (money.amount, money.currency) if money is not None else (Decimal("0"), None)


def decide(
    event: Event,
    signals: Signals,
    hits: Sequence[RuleHit],
    shadow_hits: Sequence[RuleHit],
    *,
    settings: DecisionSettings,
    pack_version: str,
    now: datetime,
    assessment: ModelAssessment | None = None,
    wording: WordingAssessment | None = None,
    errors: Sequence[str] = (),
) -> Decision:
    """Combine live hits and the models' views into one decision; shadow hits only ride along.

    The text model's finding (``wording``) counts as one more live hit, so its points and
    reason reach the outcome, the case and the statement of reasons as a rule's do.
    """
    thresholds = (
        settings.thresholds.get(event.kind) if is_event_kind(event.kind) else None
    ) or Thresholds()
    found = wording_hit(wording, settings)
    if found is not None:
        hits = [*hits, found]
    points = [h.score for h in hits]
    model = model_points(assessment, settings.model_weight)
    if model:
        points.append(model)
    risk = combine_scores(points)
    outcome: Outcome = "allow"
    if risk >= thresholds.block:
        outcome = "block"
    elif risk >= thresholds.review:
        outcome = "review"
    if (
        assessment is not None
        and event.kind not in settings.model_alone_excluded_kinds
        and assessment.score >= review_cutoff(assessment, settings)
    ):
        outcome = max(outcome, "review", key=_OUTCOME_RANK.__getitem__)
    for hit in hits:
        if hit.forced_outcome is not None:
            outcome = max(outcome, hit.forced_outcome, key=_OUTCOME_RANK.__getitem__)
    explanation = list(assessment.explanation) if assessment else []
    amount, currency = money_of(event)
    return Decision(
        event_id=event.event_id,
        kind=event.kind,
        subject_id=event.subject_id,
        outcome=outcome,
        risk_score=risk,
        rule_hits=list(hits),
        shadow_hits=list(shadow_hits),
        signals=dict(signals),
        pack_version=pack_version,
        statement_of_reasons=statement_of_reasons(
            event.kind,
            outcome,
            hits,
            explanation,
            pack_version=pack_version,
            model_version=assessment.version if assessment else None,
        ),
        decided_at=now,
        model_score=assessment.score if assessment else None,
        model_version=assessment.version if assessment else None,
        model_explanation=explanation,
        model_review_cutoff=assessment.review_cutoff if assessment else None,
        errors=list(errors),
        severity=max((h.severity for h in hits), default=0),
        money_at_stake=amount,
        currency=currency,
    )
