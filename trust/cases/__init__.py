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
from trust.cases.queries import (
    CaseDetail,
    QueueItem,
    QueuePage,
    SharedIdentifier,
    case_detail,
    linked_accounts,
    my_cases,
    queue_item,
    queue_page,
    subject_timeline,
)
from trust.cases.reasons import RESOLUTION_REASONS, SUGGESTED
from trust.cases.resolution import (
    ACCOUNT_EFFECTS,
    DISPUTE_OUTCOMES,
    FOUR_EYES,
    LABELS,
    Action,
    BulkResult,
    Resolution,
    approve_proposal,
    bulk_resolve,
    reject_proposal,
    resolve,
)
from trust.cases.sla import SlaState, as_utc, due_at, sla_state
from trust.cases.workflow import add_note, resume_from_user, set_sla_due

__all__ = [
    "ACCOUNT_EFFECTS",
    "ALLOWED_TRANSITIONS",
    "DEFAULT_LEASE",
    "DISPUTE_OUTCOMES",
    "FOUR_EYES",
    "LABELS",
    "RESOLUTION_REASONS",
    "SUGGESTED",
    "UNASSIGNED",
    "Action",
    "BulkResult",
    "Case",
    "CaseDetail",
    "CaseStatus",
    "QueueFilter",
    "QueueItem",
    "QueuePage",
    "Resolution",
    "SharedIdentifier",
    "SlaState",
    "add_note",
    "approve_proposal",
    "as_utc",
    "base_priority",
    "bulk_resolve",
    "can_transition",
    "case_detail",
    "change_case",
    "claim",
    "claim_next",
    "claimable_statuses",
    "due_at",
    "linked_accounts",
    "load_case",
    "my_cases",
    "open_or_join",
    "priority_at",
    "priority_key",
    "queue_item",
    "queue_page",
    "reject_proposal",
    "release",
    "release_expired",
    "renew",
    "resolve",
    "resume_from_user",
    "set_sla_due",
    "sla_state",
    "subject_timeline",
]
