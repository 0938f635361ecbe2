"""A processed batch is counted: revisions by late history and look-back apart."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import REGISTRY

from trust.decisions import Decision
from trust.pipeline import BatchResult
from trust.store.decision_versions import Revision
from workers.metrics import pipeline_metrics


def _sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def test_late_history_revisions_and_look_back_reopenings_are_counted_apart() -> None:
    metrics = pipeline_metrics()
    decision = Decision(
        "cp-1", "complaint", "acct-bob", "review", 45.0, [], [], {}, "pack", "", datetime.now(UTC)
    )
    result = BatchResult(
        received=0,
        stored=0,
        duplicates=0,
        quarantined=0,
        revisions=[Revision(decision, "history arrived late: events e1")],
        reopened=[Revision(decision, "complainant flagged later"), Revision(decision, "again")],
    )
    revised = _sample("trust_decisions_revised_total")
    reopened = _sample("trust_decisions_reopened_total")
    metrics.observe_batch(result, enqueued_at=None, took=0.01)
    assert _sample("trust_decisions_revised_total") == revised + 1
    assert _sample("trust_decisions_reopened_total") == reopened + 2
