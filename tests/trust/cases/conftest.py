"""Builders for case tests: staff members, flagged decisions stored with their events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, insert

from trust.decisions import Decision, RuleHit
from trust.events import Event
from trust.settings import Settings
from trust.staff import Role, StaffMember
from trust.store import Store, transaction
from trust.store.accounts import record_accounts
from trust.store.events import insert_events
from trust.store.tables import decisions

# A Wednesday morning, so one business day later is Thursday.
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)

ANALYST = StaffMember(1, "ana", Role.ANALYST)
ANALYST_2 = StaffMember(2, "andy", Role.ANALYST)
LEAD = StaffMember(3, "lee", Role.LEAD)
LEAD_2 = StaffMember(4, "lou", Role.LEAD)
ADMIN = StaffMember(5, "ada", Role.ADMIN)


def decision_for(
    event: Event,
    *,
    outcome: str = "review",
    risk: float = 60.0,
    severity: int = 3,
    money: Decimal | str = "0",
    codes: Sequence[str] = ("SELF_DEALING",),
) -> Decision:
    """A decision flagging ``event`` with one rule hit per reason code."""
    hits = [RuleHit(f"rule_{c.lower()}", c, f"because {c}", 30.0, severity, "test") for c in codes]
    return Decision(
        event_id=event.event_id,
        kind=event.kind,
        subject_id=event.subject_id,
        outcome=outcome,  # type: ignore[arg-type]
        risk_score=risk,
        rule_hits=hits,
        shadow_hits=[],
        signals={},
        pack_version="test",
        statement_of_reasons="test",
        decided_at=NOW,
        severity=severity,
        money_at_stake=Decimal(money),
        currency="USD" if Decimal(money) else None,
    )


def store_decisions(conn: Connection, pairs: Sequence[tuple[Event, Decision]]) -> None:
    """Store the events and their decisions, as the pipeline does before opening cases."""
    insert_events(conn, [e for e, _ in pairs], source="test", received_at=NOW)
    record_accounts(conn, [e for e, _ in pairs])
    conn.execute(insert(decisions), [d.to_row() for _, d in pairs])


OpenCase = Callable[..., int]


@pytest.fixture
def open_case(store: Store, settings: Settings) -> OpenCase:
    """Open a case from one (or more) flagged events; returns the case id."""
    from trust.cases import open_or_join

    def build(*events: Event, now: datetime = NOW, **decision: Any) -> int:
        pairs = [(e, decision_for(e, **decision)) for e in events]
        with transaction(store.engine) as conn:
            store_decisions(conn, pairs)
            mapping = open_or_join(conn, [d for _, d in pairs], settings, now)
        return mapping[events[0].event_id]

    return build
