"""Claiming: highest priority first, one holder at a time, abandoned claims come back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_profile_verification, make_review
from tests.trust.cases.conftest import ANALYST, ANALYST_2, LEAD, NOW, OpenCase
from trust.cases import (
    CaseStatus,
    QueueFilter,
    claim,
    claim_next,
    load_case,
    release,
    release_expired,
    renew,
)
from trust.errors import ClaimConflictError
from trust.store import Store, transaction
from trust.store.tables import audit_log

LEASE = timedelta(minutes=15)


def test_claim_next_takes_the_highest_priority_case(store: Store, open_case: OpenCase) -> None:
    low = open_case(make_review(reviewer_id="acct-low"), risk=45, severity=1)
    high = open_case(make_review(reviewer_id="acct-high"), risk=95, severity=5)
    with transaction(store.engine) as conn:
        first = claim_next(conn, ANALYST, None, NOW, LEASE)
        second = claim_next(conn, ANALYST_2, None, NOW, LEASE)
        third = claim_next(conn, ANALYST_2, None, NOW, LEASE)
    assert first is not None and first.id == high
    assert first.status is CaseStatus.IN_REVIEW and first.claimed_by == "ana"
    assert second is not None and second.id == low
    assert third is None


def test_claim_next_respects_filters(store: Store, open_case: OpenCase) -> None:
    open_case(make_review(reviewer_id="acct-r"), risk=99)
    wanted = open_case(make_profile_verification(account_id="acct-p"), risk=41)
    with transaction(store.engine) as conn:
        got = claim_next(conn, ANALYST, QueueFilter(kind="profile_verification"), NOW, LEASE)
    assert got is not None and got.id == wanted


def test_a_held_case_cannot_be_claimed_by_someone_else(store: Store, open_case: OpenCase) -> None:
    case_id = open_case(make_review())
    with transaction(store.engine) as conn:
        claim(conn, case_id, ANALYST, NOW, LEASE)
    with transaction(store.engine) as conn, pytest.raises(ClaimConflictError, match="held by ana"):
        claim(conn, case_id, ANALYST_2, NOW + timedelta(minutes=5), LEASE)


def test_an_expired_lease_returns_the_case_to_the_queue(store: Store, open_case: OpenCase) -> None:
    case_id = open_case(make_review())
    with transaction(store.engine) as conn:
        claim_next(conn, ANALYST, None, NOW, LEASE)
        assert claim_next(conn, ANALYST_2, None, NOW + timedelta(minutes=14), LEASE) is None
    with transaction(store.engine) as conn:
        taken = claim_next(conn, ANALYST_2, None, NOW + timedelta(minutes=16), LEASE)
    assert taken is not None and taken.id == case_id and taken.claimed_by == "andy"
    with store.engine.connect() as conn:
        actions = list(conn.execute(select(audit_log.c.action).order_by(audit_log.c.id)).scalars())
    assert actions[-3:] == ["claimed", "lease_expired", "claimed"]


def test_the_sweeper_reopens_abandoned_claims(store: Store, open_case: OpenCase) -> None:
    case_id = open_case(make_review())
    with transaction(store.engine) as conn:
        claim(conn, case_id, ANALYST, NOW, LEASE)
        assert release_expired(conn, NOW + timedelta(minutes=10)) == []
        assert release_expired(conn, NOW + timedelta(minutes=20)) == [case_id]
        case = load_case(conn, case_id)
    assert case.status is CaseStatus.OPEN and case.claimed_by is None


def test_renewing_keeps_the_claim_alive(store: Store, open_case: OpenCase) -> None:
    case_id = open_case(make_review())
    with transaction(store.engine) as conn:
        claim(conn, case_id, ANALYST, NOW, LEASE)
        renewed = renew(conn, case_id, ANALYST, NOW + timedelta(minutes=10), LEASE)
        assert renewed.lease_expires_at == NOW + timedelta(minutes=25)
        assert claim_next(conn, ANALYST_2, None, NOW + timedelta(minutes=20), LEASE) is None


def test_only_the_holder_can_renew_or_release(store: Store, open_case: OpenCase) -> None:
    case_id = open_case(make_review())
    with transaction(store.engine) as conn:
        claim(conn, case_id, ANALYST, NOW, LEASE)
        with pytest.raises(ClaimConflictError):
            renew(conn, case_id, ANALYST_2, NOW, LEASE)
        with pytest.raises(ClaimConflictError):
            release(conn, case_id, ANALYST_2, NOW)
        released = release(conn, case_id, ANALYST, NOW)
    assert released.status is CaseStatus.OPEN and released.claimed_by is None


def test_analysts_do_not_get_escalated_cases_but_leads_do(
    store: Store, open_case: OpenCase
) -> None:
    from trust.cases import Action, Resolution, resolve

    case_id = open_case(make_review())
    with transaction(store.engine) as conn:
        claim(conn, case_id, ANALYST, NOW, LEASE)
        resolve(conn, case_id, ANALYST, Resolution(Action.ESCALATE, "needs_senior_review"), NOW)
        assert claim_next(conn, ANALYST_2, None, NOW, LEASE) is None
        taken = claim_next(conn, LEAD, None, NOW, LEASE)
    assert taken is not None and taken.status is CaseStatus.ESCALATED
    assert taken.claimed_by == "lee"
