"""decide(): scores combine, thresholds per kind, forced outcomes win, shadow hits ride along."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.factories import make_complaint, make_event, make_profile_verification, make_review
from trust.decisions import (
    CLUSTER_REASON,
    WORDING_REASON,
    FeatureContribution,
    ModelAssessment,
    RuleHit,
    WordingAssessment,
    combine_scores,
    decide,
    stored_hits,
    with_hits,
    wording_hit,
)
from trust.settings import DecisionSettings, Thresholds

NOW = datetime(2026, 3, 20, tzinfo=UTC)
SETTINGS = DecisionSettings(
    thresholds={"review": Thresholds(review=40, block=90), "complaint": Thresholds(review=30)}
)


def hit(
    score: float,
    *,
    outcome: str | None = None,
    state: str = "live",
    severity: int = 3,
    rule_id: str = "rv_x_v1",
) -> RuleHit:
    return RuleHit(
        rule_id,
        "code_x",
        f"Reason for {rule_id}.",
        score,
        severity,
        "Feedback policy 3.2",
        state,
        outcome,
    )  # type: ignore[arg-type]


def _decide(
    *hits: RuleHit,
    shadow: tuple[RuleHit, ...] = (),
    event: object = None,
    assessment: ModelAssessment | None = None,
    wording: WordingAssessment | None = None,
):  # type: ignore[no-untyped-def]
    return decide(
        event or make_review(),
        {"x": 1},
        list(hits),
        list(shadow),
        settings=SETTINGS,
        pack_version="a" * 64,
        now=NOW,
        assessment=assessment,
        wording=wording,
    )


def test_no_hits_allow_the_event_with_a_short_statement() -> None:
    decision = _decide()
    assert (decision.outcome, decision.risk_score, decision.severity) == ("allow", 0.0, 0)
    assert "No restriction" in decision.statement_of_reasons


@pytest.mark.parametrize(
    ("scores", "expected"),
    [([], 0.0), ([50], 50.0), ([50, 50], 75.0), ([100, 10], 100.0), ([30, 30, 30], 65.7)],
)
def test_scores_combine_like_independent_evidence_and_never_pass_100(
    scores: list[float], expected: float
) -> None:
    assert combine_scores(scores) == expected


@pytest.mark.parametrize(
    ("scores", "outcome"), [((35,), "allow"), ((45,), "review"), ((80, 60), "block")]
)
def test_the_kind_thresholds_turn_risk_into_an_outcome(
    scores: tuple[float, ...], outcome: str
) -> None:
    assert _decide(*(hit(s) for s in scores)).outcome == outcome


def test_each_kind_has_its_own_thresholds() -> None:
    assert _decide(hit(35), event=make_complaint()).outcome == "review"
    assert _decide(hit(35)).outcome == "allow"


def test_forced_outcomes_win_block_over_review_over_allow() -> None:
    assert _decide(hit(5, outcome="review")).outcome == "review"
    assert _decide(hit(5, outcome="review"), hit(5, outcome="block")).outcome == "block"
    assert _decide(hit(95), hit(5, outcome="review")).outcome == "block"


def test_shadow_hits_are_recorded_but_do_not_count() -> None:
    decision = _decide(shadow=(hit(99, outcome="block", state="shadow"),))
    assert decision.outcome == "allow" and decision.risk_score == 0
    assert [h.rule_id for h in decision.shadow_hits] == ["rv_x_v1"]
    assert decision.to_row()["shadow_hits"][0]["state"] == "shadow"


def test_severity_is_the_worst_live_hit() -> None:
    assert _decide(hit(10, severity=2), hit(10, severity=5)).severity == 5


def test_the_model_adds_risk_only_from_its_top_decile_and_can_send_to_review() -> None:
    calm = ModelAssessment(score=0.5, version="m1")
    assert _decide(hit(35), assessment=calm).risk_score == 35
    odd = ModelAssessment(
        score=0.999,
        version="m1",
        explanation=(FeatureContribution("amount_paid", 9000.0, 0.999, "Paid far above usual."),),
    )
    decision = _decide(assessment=odd)
    assert decision.outcome == "review"
    assert decision.model_version == "m1" and decision.model_score == 0.999
    assert "Paid far above usual." in decision.statement_of_reasons
    assert "anomaly model m1" in decision.statement_of_reasons


def test_by_default_the_model_tips_a_near_threshold_rule_score_and_sends_extremes_alone() -> None:
    # The default settings' two ways the model changes an outcome, with no budget configured.
    assert SETTINGS.model_daily_cases == 0
    near = hit(32)
    assert _decide(near).outcome == "allow"
    odd = ModelAssessment(score=0.99, version="m1")
    tipped = _decide(near, assessment=odd)
    assert tipped.outcome == "review" and 40 <= tipped.risk_score < 45
    # Points alone never reach review: that takes the fixed extreme percentile.
    assert _decide(assessment=odd).outcome == "allow"
    assert _decide(assessment=ModelAssessment(score=0.996, version="m1")).outcome == "review"


def test_the_daily_budget_cutoff_sends_the_model_s_top_share_to_review_alone() -> None:
    # 0.97 is far below the fixed 0.995 percentile: without a budget the model only adds points.
    without = _decide(assessment=ModelAssessment(score=0.97, version="m1"))
    assert without.outcome == "allow" and without.model_review_cutoff is None
    budgeted = _decide(assessment=ModelAssessment(score=0.97, version="m1", review_cutoff=0.96))
    assert budgeted.outcome == "review"
    assert budgeted.to_row()["model_review_cutoff"] == 0.96
    below = _decide(assessment=ModelAssessment(score=0.95, version="m1", review_cutoff=0.96))
    assert below.outcome == "allow"
    # A budget looser than the fixed percentile never makes the model stricter than it was.
    loose = _decide(assessment=ModelAssessment(score=0.996, version="m1", review_cutoff=0.999))
    assert loose.outcome == "review"


def test_the_statement_of_reasons_covers_what_facts_automation_ground_and_appeal() -> None:
    statement = _decide(hit(50, rule_id="rv_reciprocal_review_v1")).statement_of_reasons
    for part in ("What:", "Facts:", "Automation:", "Ground:", "Appeal:"):
        assert part in statement
    assert "Reason for rv_reciprocal_review_v1." in statement
    assert "Feedback policy 3.2" in statement and "6 months" in statement


def test_money_at_stake_is_the_disputed_amount_or_the_contract_value() -> None:
    assert _decide(event=make_complaint()).money_at_stake == Decimal("800.00")
    assert _decide().money_at_stake == Decimal("1200.00")
    verification = _decide(event=make_profile_verification())
    assert (verification.money_at_stake, verification.currency) == (Decimal("0"), None)


def test_the_model_alone_does_not_send_a_sign_in_or_credential_change_to_review() -> None:
    settings = DecisionSettings()
    outlier = ModelAssessment(0.9999, "v1", review_cutoff=0.99)
    sign_in, credential, withdrawal = (
        decide(
            make_event(kind),
            {},
            [],
            [],
            settings=settings,
            pack_version="p",
            now=NOW,
            assessment=outlier,
        )
        for kind in ("sign_in", "credential_change", "withdrawal_request")
    )
    assert sign_in.outcome == "allow" and sign_in.risk_score > 0
    assert credential.outcome == "allow" and credential.risk_score > 0
    assert withdrawal.outcome == "review"


def _wording(probability: float) -> WordingAssessment:
    return WordingAssessment(probability, "review-text-1", ("refun", "invoice"))


@pytest.mark.parametrize(
    ("probability", "points"),
    [(0.5, None), (SETTINGS.text_model_floor, None), (0.9, 12.5), (1.0, 25.0)],
)
def test_the_text_model_adds_points_linearly_from_its_floor(
    probability: float, points: float | None
) -> None:
    assert (SETTINGS.text_model_floor, SETTINGS.text_model_weight) == (0.8, 25.0)
    found = wording_hit(_wording(probability), SETTINGS)
    assert (found.score if found else None) == points


def test_the_text_model_s_reason_names_its_terms_and_version() -> None:
    found = wording_hit(_wording(0.95), SETTINGS)
    assert found is not None
    assert (found.rule_id, found.reason_code) == ("review-text-1", WORDING_REASON)
    assert "'refun', 'invoice'" in found.reason and "95%" in found.reason
    assert wording_hit(_wording(0.95), SETTINGS.model_copy(update={"text_model_weight": 0})) is None


def test_the_text_model_tips_a_near_threshold_review_and_its_reason_reaches_the_statement() -> None:
    near = hit(25)
    assert _decide(near).outcome == "allow"
    tipped = _decide(near, wording=_wording(0.96))
    assert tipped.outcome == "review"
    assert tipped.reason_codes == ["code_x", WORDING_REASON]
    assert "'refun', 'invoice'" in tipped.statement_of_reasons
    # Alone, the text model's points stay below the review threshold of reviews.
    assert _decide(wording=_wording(1.0)).outcome == "allow"
    review = make_review()
    below_floor = _decide(near, event=review, wording=_wording(0.7))
    assert below_floor.to_row() == _decide(near, event=review).to_row()


def _cluster_hit(score: float = 80.0) -> RuleHit:
    return RuleHit(
        "cluster_case",
        CLUSTER_REASON,
        "One of 5 accounts acting together.",
        score,
        3,
        "p",
        forced_outcome="review",
    )


def test_a_later_finding_joins_a_decision_as_the_same_hit_would_have_at_the_time() -> None:
    before = _decide(hit(20))
    after = with_hits(before, [_cluster_hit()])
    at_the_time = _decide(hit(20), _cluster_hit())
    assert (
        (after.outcome, after.risk_score, after.severity)
        == (
            at_the_time.outcome,
            at_the_time.risk_score,
            at_the_time.severity,
        )
        == ("review", 84.0, 3)
    )
    assert after.statement_of_reasons == at_the_time.statement_of_reasons
    assert (before.outcome, before.risk_score) == ("allow", 20.0), "the original is untouched"


def test_a_later_finding_never_lowers_blocks_nor_blocks_by_points_alone() -> None:
    blocked = _decide(hit(50, outcome="block"))
    assert with_hits(blocked, [_cluster_hit()]).outcome == "block"
    near_block = _decide(hit(85))
    assert with_hits(near_block, [_cluster_hit()]).outcome == "review"


def test_a_finding_the_decision_holds_already_is_not_added_twice() -> None:
    once = with_hits(_decide(), [_cluster_hit()])
    assert with_hits(once, [_cluster_hit()]) is once


def test_stored_hits_of_no_pack_are_read_back_by_reason() -> None:
    wording = RuleHit("text-1", WORDING_REASON, "Reads like confirmed cases.", 5.0, 1, "p")
    rows = [hit(20).as_dict(), _cluster_hit().as_dict(), wording.as_dict()]
    assert stored_hits(rows, CLUSTER_REASON) == (_cluster_hit(),)
    assert stored_hits(rows, WORDING_REASON) == (wording,)
    assert stored_hits(None, CLUSTER_REASON) == ()
