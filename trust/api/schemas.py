"""What the API takes and answers. Request bodies are the intake models themselves.

``EventBatch`` and ``Event`` (``trust.events``) are put in the OpenAPI document as the
request schemas; the routes validate each record with ``trust.events.validate_record`` so
that one bad event is reported (and quarantined) on its own instead of failing the batch.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from trust.api.problems import FieldProblem
from trust.decisions import DecisionRow
from trust.events import Event

ItemStatus = Literal["accepted", "duplicate", "already_stored", "quarantined"]


class EventBatch(BaseModel):
    """``POST /v1/events``: a batch of events of any kinds."""

    events: list[Event] = Field(min_length=1)


class ItemResult(BaseModel):
    """What happened to one event of a batch (by its position)."""

    index: int
    event_id: str | None
    status: ItemStatus
    errors: list[FieldProblem] = Field(default_factory=list)


class BatchAccepted(BaseModel):
    """The answer to a batch: counts, and one result per event in order."""

    accepted: int
    duplicates: int
    already_stored: int
    quarantined: int
    items: list[ItemResult]


class Reason(BaseModel):
    """One rule that weighed on the decision."""

    rule_id: str
    reason_code: str
    reason: str


class ModelView(BaseModel):
    """The anomaly model's view of the event: its risk percentile (0-1) against the events
    it learned from, and the facts that made the event unusual, in words."""

    score: float
    version: str | None = None
    facts: list[str] = Field(default_factory=list)


class DecisionOut(BaseModel):
    """A decision: outcome, 0-100 risk score, reasons, DSA statement of reasons."""

    status: Literal["decided", "already_decided", "appeal_received"]
    event_id: str
    decision_id: str | None = None
    kind: str | None = None
    outcome: Literal["allow", "review", "block"] | None = None
    score: float | None = None
    reasons: list[Reason] = Field(default_factory=list)
    # Set when an active model scored the event (it may have sent it to review alone).
    model: ModelView | None = None
    statement_of_reasons: str | None = None
    case_id: int | None = None
    decided_at: datetime | None = None
    # 1 for a first decision; higher once re-scored (e.g. its history arrived late).
    version: int | None = None
    version_reason: str | None = None
    detail: str | None = None


class EnforcementOut(BaseModel):
    """The enforcement in force on an account (``none`` when never enforced against)."""

    account_id: str
    state: str
    since: datetime | None = None
    source: str | None = None
    reason: str | None = None


class CaseOut(BaseModel):
    """A case as the marketplace may see it (no staff names, no evidence)."""

    id: int
    subject_id: str
    kind: str
    status: str
    risk_score: float
    opened_at: datetime
    resolved_at: datetime | None = None
    label: str | None = None
    action: str | None = None
    reason_code: str | None = None


class Health(BaseModel):
    """Liveness and readiness answers."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(default_factory=dict)


def decision_out(status: str, row: DecisionRow, detail: str | None = None) -> DecisionOut:
    """The API form of a decisions-table row."""
    from trust.webhooks import decision_id

    return DecisionOut.model_validate(
        {
            "status": status,
            "event_id": row["event_id"],
            "decision_id": decision_id(row["event_id"]),
            "kind": row["kind"],
            "outcome": row["outcome"],
            "score": row["risk_score"],
            "reasons": [
                {"rule_id": h["rule_id"], "reason_code": h["reason_code"], "reason": h["reason"]}
                for h in row.get("rule_hits") or []
            ],
            "model": _model_view(row),
            "statement_of_reasons": row["statement_of_reasons"],
            "case_id": row.get("case_id"),
            "decided_at": row["decided_at"],
            "version": row.get("version") or 1,
            "version_reason": row.get("version_reason"),
            "detail": detail,
        }
    )


def _model_view(row: DecisionRow) -> dict[str, Any] | None:
    score = row.get("model_score")
    if score is None:
        return None
    return {
        "score": score,
        "version": row.get("model_version"),
        "facts": [c["sentence"] for c in row.get("model_explanation") or []],
    }
