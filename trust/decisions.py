"""What the pipeline concluded about one event, and the interface the anomaly model plugs into."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

from trust.events import Event

Outcome = Literal["allow", "review", "block"]
SignalValue = bool | int | float | str | None
Signals = dict[str, SignalValue]


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

    def as_dict(self) -> dict[str, Any]:
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

    def as_dict(self) -> dict[str, Any]:
        """Plain form stored on the decision."""
        return {
            "feature": self.feature,
            "value": self.value,
            "percentile": self.percentile,
            "sentence": self.sentence,
        }


@dataclass(frozen=True, slots=True)
class ModelAssessment:
    """The anomaly model's view of one event: a 0-1 percentile (higher is riskier) and why."""

    score: float
    version: str
    explanation: tuple[FeatureContribution, ...] = ()


class AnomalyScorer(Protocol):
    """What the pipeline needs from a model: assess a batch of one kind, in order."""

    def assess(
        self, kind: str, events: Sequence[Event], signals: Sequence[Mapping[str, SignalValue]]
    ) -> list[ModelAssessment | None]:
        """One assessment per event (None when no active model covers ``kind``)."""
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

    def to_row(self) -> dict[str, Any]:
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
            "pack_version": self.pack_version,
            "statement_of_reasons": self.statement_of_reasons,
            "errors": self.errors,
            "automated": self.automated,
            "decided_at": self.decided_at,
            "case_id": self.case_id,
        }
