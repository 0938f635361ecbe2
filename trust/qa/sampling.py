"""Which resolved cases get a blind second review (see ``trust.qa``): stable per case id."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Connection

from trust.cases.case import Case
from trust.settings import QaSettings
from trust.staff.roles import HasRole, Role
from trust.store.qa import insert_selection

SAMPLED, SOLO_HIGH_RISK = "sampled", "solo_high_risk"
_SCALE = float(2**64)


def in_sample(case_id: int, rate: float) -> bool:
    """True when case ``case_id`` falls in a ``rate`` share of cases (stable per case)."""
    digest = hashlib.sha256(f"trust-qa:{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE < rate


def consider_for_qa(
    conn: Connection, case: Case, resolver: HasRole, settings: QaSettings, now: datetime
) -> str | None:
    """Pick a just-resolved case for a blind second review; returns why, or None."""
    resolution = case.resolution or {}
    solo = resolver.role == Role.ANALYST and not resolution.get("proposed_by")
    because = (
        SOLO_HIGH_RISK
        if solo and case.risk_score >= settings.solo_risk_threshold
        else SAMPLED
        if in_sample(case.id, settings.sample_rate)
        else None
    )
    if because is None:
        return None
    reviewers = [n for n in (case.resolved_by, resolution.get("proposed_by")) if n]
    insert_selection(
        conn,
        case_id=case.id,
        because=because,
        action=str(resolution.get("action", "")),
        reason=str(resolution.get("reason_code", "")),
        reviewers=reviewers,
        at=now,
    )
    return because
