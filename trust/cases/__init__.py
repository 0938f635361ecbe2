"""Cases and the review queue: intake, lifecycle, SLA, priority, claims, resolutions, queries."""

from __future__ import annotations

from trust.cases.case import Case, change_case, load_case
from trust.cases.claims import (
    DEFAULT_LEASE,
    claim,
    claim_next,
    claimable_statuses,
    release,
    release_expired,
    renew,
)
from trust.cases.filters import UNASSIGNED, QueueFilter
from trust.cases.intake import open_or_join
from trust.cases.lifecycle import ALLOWED_TRANSITIONS, CaseStatus, can_transition
from trust.cases.priority import base_priority, priority_at, priority_key
from trust.cases.sla import SlaState, as_utc, due_at, sla_state

__all__ = [
    "ALLOWED_TRANSITIONS",
    "DEFAULT_LEASE",
    "UNASSIGNED",
    "Case",
    "CaseStatus",
    "QueueFilter",
    "SlaState",
    "as_utc",
    "base_priority",
    "can_transition",
    "change_case",
    "claim",
    "claim_next",
    "claimable_statuses",
    "due_at",
    "load_case",
    "open_or_join",
    "priority_at",
    "priority_key",
    "release",
    "release_expired",
    "renew",
    "sla_state",
]
