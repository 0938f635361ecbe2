"""Case states and the transitions allowed between them.

    open ──claim──▶ in_review ──resolve──▶ resolved
      ▲                │  ├─escalate──▶ escalated ──(lead) resolve──▶ resolved
      │◀─release/lease─┘  ├─request documents──▶ waiting_on_user ──user answers──▶ open
      │                   └─propose block / money──▶ awaiting_approval ──approve──▶ resolved
      └───────────────────────────reject proposal─────────┘

A claim is orthogonal to escalated and awaiting_approval (a lead may hold those without
changing their state); only an open case becomes in_review when claimed. ``resolved`` is
final — new evidence about the same subject opens a new case — with one exception: a bulk
resolution may be undone within its window (``trust.cases.undo``), which puts each case back
in the state it had (``REOPENABLE``).
"""

from __future__ import annotations

from enum import StrEnum

from trust.errors import CaseError


class CaseStatus(StrEnum):
    """Where a case is in its life."""

    OPEN = "open"
    IN_REVIEW = "in_review"
    ESCALATED = "escalated"
    WAITING_ON_USER = "waiting_on_user"
    AWAITING_APPROVAL = "awaiting_approval"
    RESOLVED = "resolved"


S = CaseStatus
ALLOWED_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    # open -> resolved only through bulk resolution by a lead (no claim needed); open ->
    # escalated / awaiting_approval when a dispute deadline passes (trust.disputes.timers).
    S.OPEN: frozenset({S.IN_REVIEW, S.RESOLVED, S.ESCALATED, S.AWAITING_APPROVAL}),
    S.IN_REVIEW: frozenset(
        {S.OPEN, S.RESOLVED, S.ESCALATED, S.WAITING_ON_USER, S.AWAITING_APPROVAL}
    ),
    S.ESCALATED: frozenset({S.RESOLVED, S.WAITING_ON_USER, S.AWAITING_APPROVAL}),
    S.WAITING_ON_USER: frozenset({S.OPEN}),
    S.AWAITING_APPROVAL: frozenset({S.RESOLVED, S.OPEN}),
    S.RESOLVED: frozenset(),
}

# Not resolved: the partial unique index keeps one such case per (subject, kind).
UNRESOLVED: frozenset[CaseStatus] = frozenset(set(CaseStatus) - {S.RESOLVED})
# States in which the SLA clock runs (it is paused while waiting on the user).
SLA_RUNNING: frozenset[CaseStatus] = frozenset(UNRESOLVED - {S.WAITING_ON_USER})
# States a member of staff may claim from the queue (escalated and approvals need a lead).
ANALYST_CLAIMABLE: frozenset[CaseStatus] = frozenset({S.OPEN, S.IN_REVIEW})
LEAD_CLAIMABLE: frozenset[CaseStatus] = frozenset(
    {S.OPEN, S.IN_REVIEW, S.ESCALATED, S.AWAITING_APPROVAL}
)
# The states an undone bulk resolution may put a case back in: those bulk resolution ends.
REOPENABLE: frozenset[CaseStatus] = frozenset({S.OPEN, S.IN_REVIEW, S.ESCALATED})


def can_transition(current: CaseStatus | str, target: CaseStatus | str) -> bool:
    """True when a case may move from ``current`` to ``target``."""
    return CaseStatus(target) in ALLOWED_TRANSITIONS[CaseStatus(current)]


def check_transition(current: CaseStatus | str, target: CaseStatus | str) -> None:
    """Raise CaseError when a case may not move from ``current`` to ``target``."""
    if not can_transition(current, target):
        raise CaseError(f"a case cannot go from {current} to {target}")
