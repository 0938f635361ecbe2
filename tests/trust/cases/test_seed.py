"""Seeded benchmark queues look like the real thing."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.trust.cases.conftest import NOW
from trust.cases import CaseStatus, load_case
from trust.cases.seed import seed_open_cases
from trust.events import event_adapter
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.tables import case_evidence, decisions, events


def test_seeded_cases_are_open_with_valid_events_and_decisions(
    store: Store, settings: Settings
) -> None:
    with transaction(store.engine) as conn:
        summary = seed_open_cases(conn, 40, NOW, settings, seed=3)
    assert len(summary.case_ids) == 40
    with store.engine.connect() as conn:
        for row in conn.execute(select(events.c.payload)):
            event_adapter.validate_python(row.payload)
        evidence = conn.execute(select(func.count()).select_from(case_evidence)).scalar_one()
        linked = conn.execute(select(func.count()).where(decisions.c.case_id.is_not(None)))
        assert evidence == summary.events == linked.scalar_one()
        cases = [load_case(conn, i) for i in summary.case_ids]
    assert {c.status for c in cases} == {CaseStatus.OPEN}
    assert sum(c.evidence_count for c in cases) == summary.events
    assert len({c.kind for c in cases}) > 1


def test_seeding_twice_adds_a_second_queue(store: Store, settings: Settings) -> None:
    with transaction(store.engine) as conn:
        first = seed_open_cases(conn, 5, NOW, settings)
        second = seed_open_cases(conn, 5, NOW, settings)
    assert not set(first.case_ids) & set(second.case_ids)
