"""Reviewer QA: a stable sample of resolved cases is re-reviewed blind; kappa per reviewer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_review
from tests.trust.cases.conftest import ANALYST, ANALYST_2, LEAD, LEAD_2, NOW, OpenCase
from trust.cases import Action, Resolution, claim, resolve
from trust.errors import FourEyesError, PermissionDeniedError
from trust.qa.review import (
    agreement_figures,
    agreement_per_reason,
    blind_case,
    kappa,
    rule_on,
    submit_review,
)
from trust.qa.sampling import SOLO_HIGH_RISK, in_sample
from trust.settings import QaSettings
from trust.store import Store, transaction
from trust.store.qa import AGREED, DISAGREED, PENDING, RULED, QaReview, reviews_with_status
from trust.store.tables import audit_log

LEASE = timedelta(minutes=15)
NONE_SAMPLED = QaSettings(sample_rate=0.0, solo_risk_threshold=80)


def resolved(
    store: Store,
    open_case: OpenCase,
    action: Action,
    reason: str,
    *,
    risk: float,
    qa: QaSettings = NONE_SAMPLED,
    staff: object = ANALYST,
) -> int:
    case_id = open_case(make_review(), risk=risk)
    with transaction(store.engine) as conn:
        claim(conn, case_id, staff, NOW, LEASE)  # type: ignore[arg-type]
        resolve(conn, case_id, staff, Resolution(action, reason), NOW, qa)  # type: ignore[arg-type]
    return case_id


def pending(store: Store) -> list[QaReview]:
    with store.engine.connect() as conn:
        return reviews_with_status(conn, PENDING)


def test_the_sample_is_stable_per_case_and_close_to_the_rate() -> None:
    picked = [case_id for case_id in range(1, 20_001) if in_sample(case_id, 0.05)]
    assert 0.045 < len(picked) / 20_000 < 0.055
    assert picked == [case_id for case_id in range(1, 20_001) if in_sample(case_id, 0.05)]
    assert not any(in_sample(case_id, 0.0) for case_id in range(1, 1000))


def test_an_analyst_closing_a_high_risk_case_alone_is_always_re_reviewed(
    store: Store, open_case: OpenCase
) -> None:
    risky = resolved(store, open_case, Action.DISMISS, "false_positive", risk=97)
    resolved(store, open_case, Action.DISMISS, "false_positive", risk=30)
    resolved(store, open_case, Action.DISMISS, "false_positive", risk=97, staff=LEAD)
    [review] = pending(store)
    assert (review.case_id, review.selected_because) == (risky, SOLO_HIGH_RISK)
    assert (review.original_action, review.original_reason) == ("dismiss", "false_positive")
    assert review.original_reviewers == ["ana"]


def test_every_resolution_is_sampled_at_rate_one(store: Store, open_case: OpenCase) -> None:
    everything = QaSettings(sample_rate=1.0, solo_risk_threshold=100)
    ids = [
        resolved(store, open_case, Action.REMOVE_REVIEW, "fake_review", risk=40, qa=everything)
        for _ in range(3)
    ]
    assert sorted(r.case_id for r in pending(store)) == sorted(ids)


def test_the_second_review_is_blind_by_someone_else_and_a_disagreement_goes_to_a_lead(
    store: Store, open_case: OpenCase
) -> None:
    case_id = resolved(store, open_case, Action.DISMISS, "false_positive", risk=97)
    [review] = pending(store)
    with transaction(store.engine) as conn:
        blind, evidence = blind_case(conn, review)
        assert blind.id == case_id and blind.resolution is None and blind.label is None
        assert blind.resolved_by is None and len(evidence) == 1
        with pytest.raises(FourEyesError):
            submit_review(conn, review.id, ANALYST, "remove_review", "fake_review", NOW)
    with transaction(store.engine) as conn:
        done = submit_review(conn, review.id, ANALYST_2, "remove_review", "fake_review", NOW)
    assert done.status == DISAGREED
    with transaction(store.engine) as conn, pytest.raises(PermissionDeniedError):
        rule_on(conn, review.id, ANALYST_2, "second", NOW)
    with transaction(store.engine) as conn:
        ruled = rule_on(conn, review.id, LEAD_2, "second", NOW)
    assert (ruled.status, ruled.ruling, ruled.ruled_by) == (RULED, "second", "lou")
    with store.engine.connect() as conn:
        actions = (
            conn.execute(
                select(audit_log.c.action)
                .where(audit_log.c.target_id == str(case_id))
                .order_by(audit_log.c.id)
            )
            .scalars()
            .all()
        )
    assert actions[-2:] == ["qa_reviewed", "qa_ruled"]


def test_approve_and_dismiss_agree_because_both_leave_the_flag_dismissed(
    store: Store, open_case: OpenCase
) -> None:
    resolved(store, open_case, Action.DISMISS, "false_positive", risk=90)
    [review] = pending(store)
    with transaction(store.engine) as conn:
        assert (
            submit_review(conn, review.id, LEAD, "approve", "legitimate_activity", NOW).status
            == AGREED
        )


def test_kappa_per_reviewer_and_per_reason_with_counts(store: Store, open_case: OpenCase) -> None:
    plan = [
        ("dismiss", "false_positive", "dismiss", "false_positive"),
        ("remove_review", "fake_review", "remove_review", "fake_review"),
        ("remove_review", "fake_review", "dismiss", "false_positive"),
        ("dismiss", "false_positive", "dismiss", "insufficient_evidence"),
    ]
    for action, reason, *_ in plan:
        resolved(store, open_case, Action(action), reason, risk=95)
    reviews = sorted(pending(store), key=lambda r: r.case_id)
    with transaction(store.engine) as conn:
        for review, (*_, second_action, second_reason) in zip(reviews, plan, strict=True):
            submit_review(conn, review.id, ANALYST_2, second_action, second_reason, NOW)
        figures = agreement_figures(conn, NOW - timedelta(days=1))
    [ana] = figures["reviewers"]
    assert (ana.group, ana.reviewed, ana.agreed) == ("ana", 4, 3)
    # Verdicts: dismissed/dismissed, confirmed/confirmed, confirmed/dismissed, dismissed/dismissed.
    assert ana.kappa == pytest.approx(kappa(["d", "c", "c", "d"], ["d", "c", "d", "d"]))
    assert ana.kappa == pytest.approx(0.5)
    by_code = {a.group: a for a in agreement_per_reason(reviews_done(store))}
    assert (by_code["fake_review"].reviewed, by_code["fake_review"].agreed) == (2, 1)
    assert by_code["insufficient_evidence"].agreed == 0


def reviews_done(store: Store) -> list[QaReview]:
    with store.engine.connect() as conn:
        return reviews_with_status(conn, AGREED) + reviews_with_status(conn, DISAGREED)


def test_kappa_is_undefined_when_everyone_always_says_the_same() -> None:
    assert kappa(["a", "a"], ["a", "a"]) is None
    assert kappa([], []) is None
