"""Service-level agreement clocks: due times per case kind, business days, pauses.

Each kind has a number of hours from ``settings.sla.hours``. Kinds listed in
``settings.sla.business_day_kinds`` (profile verification: "a human within 1 business
day") count only Monday to Friday (UTC), so 24 hours from Friday 15:00 is Monday 15:00.
While a case waits on the user the clock stops; on resume the time that was left is added
again from the resume time, in the same kind of hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from trust.cases.lifecycle import CaseStatus
from trust.settings import DEFAULT_SLA_HOURS, Settings, is_case_kind
from trust.store.database import as_utc

_DAY = timedelta(days=1)


class SlaState(StrEnum):
    """How a case stands against its SLA, for colours and filters."""

    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    BREACHED = "breached"
    PAUSED = "paused"
    MET = "met"
    MISSED = "missed"


def uses_business_days(kind: str, settings: Settings) -> bool:
    """True when the SLA of ``kind`` counts weekdays only."""
    return kind in settings.sla.business_day_kinds


def sla_hours(kind: str, settings: Settings) -> float:
    """Hours until a case of ``kind`` breaches its SLA."""
    if not is_case_kind(kind):
        return DEFAULT_SLA_HOURS
    return settings.sla.hours.get(kind, DEFAULT_SLA_HOURS)


def _midnight_after(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC) + _DAY


def add_business_time(start: datetime, amount: timedelta) -> datetime:
    """``start`` plus ``amount`` counted on weekdays only (Saturday and Sunday do not count)."""
    moment, left = as_utc(start), amount
    while True:
        if moment.weekday() >= 5:
            moment = _midnight_after(moment)
            continue
        step = _midnight_after(moment) - moment
        if left <= step:
            return moment + left
        left -= step
        moment += step


def business_time_between(start: datetime, end: datetime) -> timedelta:
    """The weekday time from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    start, end = as_utc(start), as_utc(end)
    if end < start:
        return -business_time_between(end, start)
    total, moment = timedelta(0), start
    while moment < end:
        step_end = min(_midnight_after(moment), end)
        if moment.weekday() < 5:
            total += step_end - moment
        moment = step_end
    return total


def add_sla_time(kind: str, start: datetime, amount: timedelta, settings: Settings) -> datetime:
    """``start`` plus ``amount`` on the clock of ``kind`` (business or calendar time)."""
    if amount <= timedelta(0) or not uses_business_days(kind, settings):
        return as_utc(start) + amount
    return add_business_time(start, amount)


def sla_time_between(kind: str, start: datetime, end: datetime, settings: Settings) -> timedelta:
    """Time from ``start`` to ``end`` on the clock of ``kind``."""
    if uses_business_days(kind, settings):
        return business_time_between(start, end)
    return as_utc(end) - as_utc(start)


def due_at(kind: str, opened_at: datetime, settings: Settings) -> datetime:
    """When a case of ``kind`` opened at ``opened_at`` breaches its SLA."""
    return add_sla_time(kind, opened_at, timedelta(hours=sla_hours(kind, settings)), settings)


def resumed_due_at(
    kind: str, due: datetime, paused_at: datetime, resumed_at: datetime, settings: Settings
) -> datetime:
    """The new due time after a pause: the time that was left at the pause, from the resume."""
    left = sla_time_between(kind, paused_at, due, settings)
    return add_sla_time(kind, resumed_at, left, settings)


def sla_state(
    status: str,
    due: datetime | None,
    now: datetime,
    settings: Settings,
    resolved_at: datetime | None = None,
) -> SlaState:
    """How a case stands: paused while waiting on the user, met or missed once resolved."""
    if status == CaseStatus.WAITING_ON_USER:
        return SlaState.PAUSED
    if due is None:
        return SlaState.ON_TRACK
    due = as_utc(due)
    if status == CaseStatus.RESOLVED:
        done = as_utc(resolved_at) if resolved_at else now
        return SlaState.MET if done <= due else SlaState.MISSED
    if due <= now:
        return SlaState.BREACHED
    if due - now <= timedelta(hours=settings.sla.due_soon_hours):
        return SlaState.DUE_SOON
    return SlaState.ON_TRACK
