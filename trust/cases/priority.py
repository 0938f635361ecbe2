"""Queue priority: one number from risk, worst severity, money at stake and SLA urgency.

    priority(now) = 0.5 * risk_score                       # 0-50, the pipeline's 0-100 score
                  + 6 * min(severity, 5)                   # 0-30, the worst rule hit
                  + min(5 * log10(1 + money), 20)          # 0-20, 20 points from 10,000 up
                  + URGENCY_PER_HOUR * (hours until breach, negated),
                    held within URGENCY_MIN..URGENCY_MAX (-24..+24)

The first three terms (the *base*, 0-100) only change when evidence joins the case. The
urgency term grows by the same amount per hour for every case, so the order of the queue is
the same at every instant: the stored ``cases.priority`` is the priority at the reference
instant ``PRIORITY_EPOCH`` (a plain column that never goes stale), and ``priority_parts``
turns it into the number shown to staff. A case one day from breach is therefore worth 12
base points less than one due now. The urgency is bounded: two days or more before breach
it stays at -24, and two days or more after it at +24, so a long-breached case does not
outrank every fresh one whatever its risk (a dispute deadline weeks past once showed as
"P1 · 646"), and the total stays within -24..124. Past those bounds the order is by base;
``priority_sql`` is the same formula for ``ORDER BY``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, case
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from trust.cases.sla import as_utc
from trust.store.tables import cases

PRIORITY_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
URGENCY_PER_HOUR = 0.5
URGENCY_MIN = -24.0
URGENCY_MAX = 24.0
MAX_SEVERITY = 5


def _terms(
    risk_score: float, severity: int, money_at_stake: Decimal | float
) -> tuple[float, float, float]:
    money = max(float(money_at_stake), 0.0)
    return (
        0.5 * min(max(risk_score, 0.0), 100.0),
        6.0 * min(max(severity, 0), MAX_SEVERITY),
        min(5.0 * math.log10(1.0 + money), 20.0),
    )


def base_priority(risk_score: float, severity: int, money_at_stake: Decimal | float) -> float:
    """The 0-100 part of the priority that depends on the evidence, not on the clock."""
    return sum(_terms(risk_score, severity, money_at_stake))


def _hours_since_epoch(moment: datetime) -> float:
    return (as_utc(moment) - PRIORITY_EPOCH).total_seconds() / 3600.0


def priority_key(
    risk_score: float, severity: int, money_at_stake: Decimal | float, sla_due_at: datetime | None
) -> float:
    """The stored, time-independent sort key (``cases.priority``; higher is more urgent).

    A case without a due time (waiting on the user) gets only its base: it is not in the
    queue while paused, and is re-keyed when it comes back.
    """
    base = base_priority(risk_score, severity, money_at_stake)
    if sla_due_at is None:
        return base
    return base - URGENCY_PER_HOUR * _hours_since_epoch(sla_due_at)


def priority_at(stored_key: float, now: datetime) -> float:
    """The unbounded priority at ``now`` of a stored key (``priority_parts`` bounds it)."""
    return stored_key + URGENCY_PER_HOUR * _hours_since_epoch(now)


def urgency(stored_key: float, base: float, sla_due_at: datetime | None, now: datetime) -> float:
    """The SLA term at ``now``, within URGENCY_MIN..URGENCY_MAX (0 with no due time)."""
    if sla_due_at is None:
        return 0.0
    return min(max(priority_at(stored_key, now) - base, URGENCY_MIN), URGENCY_MAX)


@dataclass(frozen=True, slots=True)
class PriorityParts:
    """What a priority is made of at one instant, for staff: each term and the level."""

    risk: float
    severity: float
    money: float
    urgency: float

    @property
    def total(self) -> float:
        """The priority (the sum of the parts)."""
        return self.risk + self.severity + self.money + self.urgency

    @property
    def level(self) -> str:
        """'P1'…'P4': the band of the total (``LEVELS``)."""
        return next(name for name, floor, _words in LEVELS if self.total >= floor)

    def words(self) -> str:
        """'P2 high: risk 35 + severity 18 + money 10 + SLA 4 = 67'."""
        words = next(w for name, _floor, w in LEVELS if name == self.level)
        return (
            f"{self.level} {words}: risk {self.risk:.0f} + severity {self.severity:.0f} + "
            f"money {self.money:.0f} + SLA {self.urgency:+.0f} = {self.total:.0f}"
        )


# Levels by the total priority: name, lowest total, words.
LEVELS: tuple[tuple[str, float, str], ...] = (
    ("P1", 80.0, "urgent"),
    ("P2", 60.0, "high"),
    ("P3", 40.0, "normal"),
    ("P4", float("-inf"), "low"),
)


def priority_parts(
    risk_score: float,
    severity: int,
    money_at_stake: Decimal | float,
    stored_key: float,
    now: datetime,
    *,
    sla_due_at: datetime | None,
) -> PriorityParts:
    """Split the priority shown at ``now`` into its risk, severity, money and SLA terms."""
    risk, sev, cash = _terms(risk_score, severity, money_at_stake)
    return PriorityParts(risk, sev, cash, urgency(stored_key, risk + sev + cash, sla_due_at, now))


class _epoch_hours(FunctionElement[float]):
    """Hours from 1970-01-01 UTC to a timestamp column (compiled per dialect below)."""

    type = Float()
    inherit_cache = True


@compiles(_epoch_hours, "sqlite")
def _epoch_hours_sqlite(element: _epoch_hours, compiler: Any, **kw: Any) -> str:
    # SQLite keeps UTC timestamps as text; julianday() reads them.
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 24.0)"


@compiles(_epoch_hours, "postgresql")
def _epoch_hours_postgresql(element: _epoch_hours, compiler: Any, **kw: Any) -> str:
    return f"(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) / 3600.0)"


_EPOCH_HOURS = (PRIORITY_EPOCH - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() / 3600.0


def priority_sql(now: datetime) -> ColumnElement[float]:
    """``cases`` priority at ``now`` as SQL, bounded as ``priority_parts`` bounds it.

    Between the bounds it is the stored key plus a constant (the same order at every
    instant); past them it is the base (stored key plus the due time's urgency) plus the
    bound. The due time is compared as a timestamp; only the saturated rows convert it.
    """
    now = as_utc(now)
    key, due = cases.c.priority, cases.c.sla_due_at
    base = key + URGENCY_PER_HOUR * (_epoch_hours(due) - _EPOCH_HOURS)
    saturated = timedelta(hours=URGENCY_MAX / URGENCY_PER_HOUR)
    relaxed = timedelta(hours=-URGENCY_MIN / URGENCY_PER_HOUR)
    return case(
        (due.is_(None), key),
        (due <= now - saturated, base + URGENCY_MAX),
        (due >= now + relaxed, base + URGENCY_MIN),
        else_=key + URGENCY_PER_HOUR * _hours_since_epoch(now),
    )
