"""Queue priority: risk, severity, money and SLA urgency combine into one stable order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trust.cases.priority import base_priority, priority_at, priority_key

NOW = datetime(2026, 3, 4, 10, tzinfo=UTC)


def test_base_priority_grows_with_each_ingredient() -> None:
    low = base_priority(40, 1, Decimal("0"))
    assert base_priority(80, 1, Decimal("0")) > low
    assert base_priority(40, 4, Decimal("0")) > low
    assert base_priority(40, 1, Decimal("5000")) > low


def test_base_priority_stays_within_0_and_100() -> None:
    assert base_priority(0, 0, 0) == 0
    assert base_priority(100, 9, Decimal("1e9")) == 100


def test_a_case_closer_to_breach_comes_first_when_otherwise_equal() -> None:
    soon = priority_key(60, 3, 0, NOW + timedelta(hours=2))
    later = priority_key(60, 3, 0, NOW + timedelta(hours=48))
    assert soon > later


def test_risk_outweighs_a_few_hours_of_urgency() -> None:
    risky = priority_key(95, 5, 0, NOW + timedelta(hours=24))
    mild = priority_key(45, 1, 0, NOW + timedelta(hours=20))
    assert risky > mild


def test_the_order_is_the_same_at_any_instant() -> None:
    keys = [
        priority_key(r, s, m, NOW + timedelta(hours=h))
        for r, s, m, h in [(90, 5, 0, 30), (50, 2, 900, 2), (70, 3, 100, 10)]
    ]
    for now in (NOW, NOW + timedelta(hours=7), NOW + timedelta(days=3)):
        shown = [priority_at(k, now) for k in keys]
        assert sorted(range(3), key=shown.__getitem__) == sorted(range(3), key=keys.__getitem__)


def test_the_priority_shown_is_the_base_when_the_case_is_due_now() -> None:
    key = priority_key(60, 3, 0, NOW)
    assert abs(priority_at(key, NOW) - base_priority(60, 3, 0)) < 1e-6
    assert priority_at(key, NOW + timedelta(hours=10)) > priority_at(key, NOW)


def test_a_priority_splits_into_parts_that_add_up_with_a_level() -> None:
    from trust.cases.priority import priority_parts

    due = datetime(2026, 3, 2, tzinfo=UTC)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    stored = priority_key(80, 3, Decimal("999"), due)
    parts = priority_parts(80, 3, Decimal("999"), stored, now, sla_due_at=due)
    assert (parts.risk, parts.severity, round(parts.money), parts.urgency) == (40, 18, 15, -12)
    assert parts.total == pytest.approx(priority_at(stored, now))
    assert parts.level == "P2"
    assert parts.words() == "P2 high: risk 40 + severity 18 + money 15 + SLA -12 = 61"


def test_the_sla_term_is_bounded_so_a_long_breached_case_does_not_outrank_everything() -> None:
    from trust.cases.priority import URGENCY_MAX, URGENCY_MIN, priority_parts

    now = datetime(2026, 3, 1, tzinfo=UTC)
    weeks_late = now - timedelta(days=40)
    stale = priority_parts(
        0, 2, Decimal("300"), priority_key(0, 2, 300, weeks_late), now, sla_due_at=weeks_late
    )
    due_today = now + timedelta(hours=2)
    fraud = priority_parts(90, 5, 0, priority_key(90, 5, 0, due_today), now, sla_due_at=due_today)
    assert stale.urgency == URGENCY_MAX and stale.total < 60
    assert fraud.total > stale.total
    far = now + timedelta(days=30)
    assert (
        priority_parts(50, 3, 0, priority_key(50, 3, 0, far), now, sla_due_at=far).urgency
        == URGENCY_MIN
    )
    paused = priority_parts(50, 3, 0, priority_key(50, 3, 0, None), now, sla_due_at=None)
    assert paused.urgency == 0
