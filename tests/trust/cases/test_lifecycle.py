"""Which status changes a case may make."""

from __future__ import annotations

import pytest

from trust.cases.lifecycle import CaseStatus, can_transition, check_transition
from trust.errors import CaseError

S = CaseStatus
ALLOWED = [
    (S.OPEN, S.IN_REVIEW),
    (S.OPEN, S.RESOLVED),
    (S.OPEN, S.ESCALATED),
    (S.OPEN, S.AWAITING_APPROVAL),
    (S.IN_REVIEW, S.OPEN),
    (S.IN_REVIEW, S.RESOLVED),
    (S.IN_REVIEW, S.ESCALATED),
    (S.IN_REVIEW, S.WAITING_ON_USER),
    (S.IN_REVIEW, S.AWAITING_APPROVAL),
    (S.ESCALATED, S.RESOLVED),
    (S.ESCALATED, S.WAITING_ON_USER),
    (S.ESCALATED, S.AWAITING_APPROVAL),
    (S.WAITING_ON_USER, S.OPEN),
    (S.AWAITING_APPROVAL, S.RESOLVED),
    (S.AWAITING_APPROVAL, S.OPEN),
]
FORBIDDEN = [(a, b) for a in S for b in S if (a, b) not in ALLOWED]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed_transitions_pass(current: CaseStatus, target: CaseStatus) -> None:
    assert can_transition(current, target)
    check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_forbidden_transitions_raise(current: CaseStatus, target: CaseStatus) -> None:
    assert not can_transition(current, target)
    with pytest.raises(CaseError, match="cannot go from"):
        check_transition(current, target)


def test_a_resolved_case_is_final() -> None:
    assert not any(can_transition(S.RESOLVED, target) for target in S)


def test_waiting_on_user_only_returns_to_the_queue() -> None:
    assert [t for t in S if can_transition(S.WAITING_ON_USER, t)] == [S.OPEN]
