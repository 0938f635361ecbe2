"""The dispute process on its own: deadlines at the boundaries, transitions, defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from trust.disputes.machine import (
    Answered,
    ApprovalRefused,
    Approved,
    ContractType,
    DeadlinePassed,
    Decided,
    Proposed,
    Responded,
    Side,
    Split,
    Stage,
    filing_problem,
    open_dispute,
    respond_deadline,
    step,
)
from trust.errors import DisputeError

FIXED, HOURLY = ContractType.FIXED_PRICE, ContractType.HOURLY
ESCROW = Decimal("482.23")
# Wednesday 4 March 2026, 10:00 UTC.
WED = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
NEW_YORK = timezone(timedelta(hours=-5))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("filed", "due"),
    [
        # Five business days from a Wednesday is the next Wednesday, same time.
        ("2026-03-04T10:00:00+00:00", "2026-03-11T10:00:00+00:00"),
        # From a Friday afternoon the weekend does not count.
        ("2026-03-06T17:00:00+00:00", "2026-03-13T17:00:00+00:00"),
        # Filed on a Saturday: the clock starts Monday 00:00 and ends at Friday's midnight.
        ("2026-03-07T10:00:00+00:00", "2026-03-14T00:00:00+00:00"),
        # Friday 23:30 in New York is Saturday 04:30 UTC: a weekend filing.
        ("2026-03-06T23:30:00-05:00", "2026-03-14T00:00:00+00:00"),
        # Friday 23:59:59 UTC still counts one second of Friday.
        ("2026-03-06T23:59:59+00:00", "2026-03-13T23:59:59+00:00"),
    ],
)
def test_the_fixed_price_respondent_has_five_business_days_in_utc(filed: str, due: str) -> None:
    assert respond_deadline(FIXED, at(filed)).due_at == at(due)


def test_an_hourly_respondent_has_three_calendar_days() -> None:
    assert respond_deadline(HOURLY, at("2026-03-06T17:00:00+00:00")).due_at == at(
        "2026-03-09T17:00:00+00:00"
    )


@pytest.mark.parametrize(
    ("filed", "problem"),
    [
        ("2026-03-08T12:00:00+00:00", False),  # exactly 7 days after the end
        ("2026-03-08T12:00:01+00:00", True),  # one second later
        ("2026-03-08T07:00:00-05:00", False),  # 12:00 UTC written in New York time
        ("2026-03-08T07:00:01-05:00", True),
    ],
)
def test_a_fixed_price_dispute_is_filed_within_seven_days_of_the_end(
    filed: str, problem: bool
) -> None:
    ended = at("2026-03-01T12:00:00+00:00")
    assert (filing_problem(FIXED, at(filed), ended) is not None) is problem


@pytest.mark.parametrize(
    ("filed", "inside"),
    [
        ("2026-03-08T23:59:59+00:00", False),  # Sunday of the billed week
        ("2026-03-09T00:00:00+00:00", True),  # Monday 00:00 UTC opens the window
        ("2026-03-09T00:30:00+01:00", False),  # Monday 00:30 in Paris is Sunday 23:30 UTC
        ("2026-03-13T23:59:59+00:00", True),  # Friday, last second
        ("2026-03-14T00:00:00+00:00", False),  # Saturday
        ("2026-03-13T20:00:00-05:00", False),  # Friday evening in New York is Saturday UTC
        ("2026-03-16T09:00:00+00:00", False),  # the week after is too late
    ],
)
def test_an_hourly_dispute_is_filed_monday_to_friday_utc_after_the_billed_week(
    filed: str, inside: bool
) -> None:
    billed_until = at("2026-03-08T18:00:00+00:00")  # a Sunday
    assert (filing_problem(HOURLY, at(filed), billed_until) is None) is inside


def test_a_silent_client_loses_the_escrow_to_the_freelancer_with_four_eyes() -> None:
    state = open_dispute(FIXED, Side.FREELANCER, ESCROW, WED)
    due = state.deadline
    assert due is not None
    with pytest.raises(DisputeError, match="not due"):
        step(state, DeadlinePassed("respond", due.due_at - timedelta(seconds=1)))
    done = step(state, DeadlinePassed("respond", due.due_at))
    assert done.defaulted == due and done.met is None
    assert done.state.stage is Stage.SETTLING and done.settling
    assert done.state.settlement == Split(ESCROW, Decimal("0.00"), "system")


def test_a_silent_freelancer_on_an_hourly_dispute_lets_the_client_have_the_hours_back() -> None:
    state = open_dispute(HOURLY, Side.CLIENT, Decimal("120.00"), WED)
    done = step(state, DeadlinePassed("respond", WED + timedelta(days=3)))
    assert done.state.settlement == Split(Decimal("0.00"), Decimal("120.00"), "system")


def test_both_sides_accepting_a_proposal_settles_it() -> None:
    state = open_dispute(FIXED, Side.FREELANCER, ESCROW, WED)
    answered = step(state, Responded(Side.CLIENT, WED + timedelta(days=1)))
    assert answered.met is not None and answered.met.name == "respond"
    assert answered.state.stage is Stage.MEDIATION
    assert answered.started is not None and answered.started.name == "propose"
    split = Split(Decimal("300"), Decimal("182.23"), "mia")
    proposed = step(answered.state, Proposed(split, WED + timedelta(days=2)))
    assert proposed.state.stage is Stage.PROPOSAL
    one = step(proposed.state, Answered(Side.CLIENT, True, WED + timedelta(days=2, hours=1)))
    assert one.state.stage is Stage.PROPOSAL and one.met is None
    with pytest.raises(DisputeError, match="already accepted"):
        step(one.state, Answered(Side.CLIENT, True, WED + timedelta(days=2, hours=2)))
    both = step(one.state, Answered(Side.FREELANCER, True, WED + timedelta(days=2, hours=3)))
    assert both.state.stage is Stage.SETTLING
    assert both.state.settlement == Split(Decimal("300.00"), Decimal("182.23"), "mia")
    done = step(both.state, Approved(WED + timedelta(days=3)))
    assert done.state.stage is Stage.RESOLVED
    with pytest.raises(DisputeError, match="nothing more"):
        step(done.state, Approved(WED + timedelta(days=3)))


def test_a_rejection_sends_the_dispute_back_to_mediation_and_the_cap_to_arbitration() -> None:
    state = open_dispute(FIXED, Side.FREELANCER, ESCROW, WED)
    state = step(state, Responded(Side.CLIENT, WED)).state
    state = step(state, Proposed(Split(ESCROW, Decimal("0"), "mia"), WED)).state
    rejected = step(state, Answered(Side.CLIENT, False, WED + timedelta(hours=5)))
    assert rejected.state.stage is Stage.MEDIATION and rejected.state.proposal is None
    late = step(rejected.state, DeadlinePassed("propose", WED + timedelta(days=3)))
    assert late.state.stage is Stage.ARBITRATION and late.defaulted is not None
    decided = step(late.state, Decided(Split(Decimal("1"), ESCROW - 1, "lee"), WED))
    refused = step(decided.state, ApprovalRefused(WED))
    assert refused.state.stage is Stage.ARBITRATION and refused.state.settlement is None


def test_deadlines_never_run_past_thirty_days_from_filing() -> None:
    state = open_dispute(FIXED, Side.FREELANCER, ESCROW, WED)
    state = step(state, Responded(Side.CLIENT, WED + timedelta(days=1))).state
    for day in (3, 6, 9, 12, 15, 18, 21, 24, 27):  # proposals rejected, one after another
        state = step(
            state, Proposed(Split(ESCROW, Decimal("0"), "mia"), WED + timedelta(days=day - 1))
        ).state
        state = step(state, Answered(Side.CLIENT, False, WED + timedelta(days=day))).state
    assert state.deadline is not None and state.deadline.due_at == WED + timedelta(days=29)
    state = step(
        state, Proposed(Split(ESCROW, Decimal("0"), "mia"), WED + timedelta(days=29))
    ).state
    assert state.deadline is not None and state.deadline.due_at == WED + timedelta(days=30)
    lapsed = step(state, DeadlinePassed("accept", WED + timedelta(days=30)))
    assert lapsed.state.stage is Stage.ARBITRATION


def test_a_fact_after_its_deadline_passed_is_refused() -> None:
    state = open_dispute(FIXED, Side.FREELANCER, ESCROW, WED)
    assert state.deadline is not None
    with pytest.raises(DisputeError, match="respond deadline passed"):
        step(state, Responded(Side.CLIENT, state.deadline.due_at + timedelta(seconds=1)))


@pytest.mark.parametrize(
    ("released", "refunded", "message"),
    [("300", "100", "must equal"), ("-1", "483.23", "negative"), ("NaN", "0", "finite")],
)
def test_a_split_must_add_up_to_the_escrow_exactly(
    released: str, refunded: str, message: str
) -> None:
    state = open_dispute(FIXED, Side.FREELANCER, ESCROW, WED)
    state = step(state, Responded(Side.CLIENT, WED)).state
    with pytest.raises(DisputeError, match=message):
        step(state, Proposed(Split(Decimal(released), Decimal(refunded), "mia"), WED))


def test_only_the_respondent_answers_and_staff_decide_only_after_mediation() -> None:
    state = open_dispute(FIXED, Side.FREELANCER, ESCROW, WED)
    with pytest.raises(DisputeError, match="respondent"):
        step(state, Responded(Side.FREELANCER, WED))
    with pytest.raises(DisputeError, match="awaiting_response"):
        step(state, Decided(Split(ESCROW, Decimal("0"), "lee"), WED))


def test_an_hourly_response_starts_a_one_business_day_work_log_review() -> None:
    friday = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    state = open_dispute(HOURLY, Side.CLIENT, Decimal("90"), friday - timedelta(days=1))
    reviewed = step(state, Responded(Side.FREELANCER, friday))
    assert reviewed.state.stage is Stage.WORK_LOG_REVIEW
    assert reviewed.state.deadline is not None
    assert reviewed.state.deadline.due_at == datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
    assert (
        step(
            reviewed.state, DeadlinePassed("review", datetime(2026, 3, 9, 15, 0, tzinfo=UTC))
        ).state.stage
        is Stage.ARBITRATION
    )
