"""SLA due times: calendar and business hours, pauses, and the state shown to staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trust.cases.lifecycle import CaseStatus
from trust.cases.sla import (
    SlaState,
    add_business_time,
    business_time_between,
    due_at,
    resumed_due_at,
    sla_state,
)
from trust.settings import Settings


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    # March 2026: the 2nd is a Monday, the 6th a Friday, the 7th/8th a weekend.
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(4, 10), 24, at(5, 10)),  # Wednesday -> Thursday
        (at(6, 15), 24, at(9, 15)),  # Friday afternoon -> Monday afternoon
        (at(7, 10), 24, at(10, 0)),  # Saturday: the clock starts Monday 00:00
        (at(8, 23), 1, at(9, 1)),  # Sunday night
        (at(6, 23), 2, at(9, 1)),  # crossing the weekend mid-amount
        (at(2, 0), 120, at(7, 0)),  # a whole working week
    ],
)
def test_business_time_skips_weekends(start: datetime, hours: float, expected: datetime) -> None:
    assert add_business_time(start, timedelta(hours=hours)) == expected


def test_business_time_between_counts_weekdays_only() -> None:
    assert business_time_between(at(6, 12), at(9, 12)) == timedelta(hours=24)
    assert business_time_between(at(9, 12), at(6, 12)) == timedelta(hours=-24)


def test_profile_verification_is_due_within_one_business_day(settings: Settings) -> None:
    assert due_at("profile_verification", at(6, 15), settings) == at(9, 15)


def test_other_kinds_use_calendar_hours(settings: Settings) -> None:
    assert due_at("review", at(6, 15), settings) == at(9, 15)  # 72 calendar hours
    assert due_at("complaint", at(6, 15), settings) == at(11, 15)  # 5 days


def test_unknown_kinds_fall_back_to_the_default(settings: Settings) -> None:
    assert due_at("something_new", at(2), settings) == at(5)


def test_a_pause_adds_the_time_it_lasted(settings: Settings) -> None:
    due = due_at("complaint", at(2, 0), settings)  # Saturday 7th 00:00
    new_due = resumed_due_at("complaint", due, at(3, 0), at(5, 0), settings)
    assert new_due == due + timedelta(days=2)


def test_a_paused_verification_keeps_its_business_hours_left(settings: Settings) -> None:
    due = due_at("profile_verification", at(5, 10), settings)  # Friday 10:00
    # Paused Thursday 16:00 with 18 business hours left; resumed Friday 12:00.
    new_due = resumed_due_at("profile_verification", due, at(5, 16), at(6, 12), settings)
    assert new_due == at(9, 6)


@pytest.mark.parametrize(
    ("status", "due", "resolved", "expected"),
    [
        (CaseStatus.OPEN, at(5, 10), None, SlaState.ON_TRACK),
        (CaseStatus.OPEN, at(4, 12), None, SlaState.DUE_SOON),
        (CaseStatus.IN_REVIEW, at(4, 9), None, SlaState.BREACHED),
        (CaseStatus.WAITING_ON_USER, at(4, 9), None, SlaState.PAUSED),
        (CaseStatus.RESOLVED, at(4, 12), at(4, 11), SlaState.MET),
        (CaseStatus.RESOLVED, at(4, 9), at(4, 11), SlaState.MISSED),
    ],
)
def test_sla_state(
    settings: Settings,
    status: CaseStatus,
    due: datetime,
    resolved: datetime | None,
    expected: SlaState,
) -> None:
    assert sla_state(status, due, at(4, 10), settings, resolved) is expected
