"""Migration 0007 splits the merged complaint cases of an existing store into disputes."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert, inspect, select, update

from tests.conftest import TEST_KEYRING, scratch_postgres_database
from tests.factories import make_complaint
from tests.trust.cases.conftest import NOW, decision_for
from trust.store import create_store_engine
from trust.store.accounts import record_accounts
from trust.store.events import insert_events
from trust.store.migrate import upgrade
from trust.store.sealed import attach_keyring
from trust.store.tables import audit_log, case_evidence, cases, decisions, disputes


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with scratch_postgres_database("trust_migrate") as url:
        yield url.replace("postgresql://", "postgresql+psycopg://", 1)


def _store_as_of_0006(conn: object, events: list) -> None:
    """The complaints and their decisions, written with the columns revision 0006 had."""
    insert_events(conn, events, source="test", received_at=NOW)  # type: ignore[arg-type]
    record_accounts(conn, events)  # type: ignore[arg-type]
    then = {c["name"] for c in inspect(conn).get_columns("decisions")}  # type: ignore[arg-type]
    conn.execute(
        insert(decisions),
        [  # type: ignore[attr-defined]
            {k: v for k, v in decision_for(e).to_row().items() if k in then} for e in events
        ],
    )


def _merged_case(conn: object, events: list) -> int:
    """A complaint case as revision 0006 built it: every complaint against one respondent,
    the largest amount with the first currency seen."""
    case_id = conn.execute(
        insert(cases).values(  # type: ignore[attr-defined]
            subject_id="acct-bob",
            kind="complaint",
            status="in_review",
            priority=1.0,
            risk_score=55.0,
            severity=3,
            money_at_stake=Decimal("2808.35"),
            currency="USD",
            reason_codes=["non_payment"],
            evidence_count=len(events),
            opened_at=NOW,
            updated_at=NOW,
            claimed_by="ana",
            version=3,
        )
    ).inserted_primary_key[0]
    for event in events:
        conn.execute(
            insert(case_evidence).values(  # type: ignore[attr-defined]
                case_id=case_id, event_id=event.event_id, added_at=NOW
            )
        )
        conn.execute(
            update(decisions)
            .where(  # type: ignore[attr-defined]
                decisions.c.event_id == event.event_id
            )
            .values(case_id=case_id)
        )
    return int(case_id)


def test_a_store_with_merged_cases_gets_one_dispute_per_contract(database_url: str) -> None:
    complaints = [
        make_complaint(
            complainant_id="acct-f1",
            contract_id="ct-a",
            milestone_id=None,
            amount_in_dispute={"amount": "161.58", "currency": "USD"},
        ),
        make_complaint(
            complainant_id="acct-f2",
            contract_id="ct-b",
            amount_in_dispute={"amount": "482.23", "currency": "CAD"},
        ),
        make_complaint(
            complainant_id="acct-f1",
            contract_id="ct-a",
            milestone_id=None,
            amount_in_dispute={"amount": "2808.35", "currency": "USD"},
        ),
        make_complaint(
            category="harassment",
            contract_id=...,
            milestone_id=...,
            amount_in_dispute=...,
            escrow_state=...,
        ),
    ]
    engine = create_store_engine(database_url)
    attach_keyring(engine.dialect, lambda: TEST_KEYRING)
    try:
        upgrade(engine, "0006")
        with engine.begin() as conn:
            _store_as_of_0006(conn, complaints)
            merged = _merged_case(conn, complaints)
        upgrade(engine)
        with engine.connect() as conn:
            rows = {r.contract_id: r for r in conn.execute(select(disputes))}
            kept = conn.execute(select(cases).where(cases.c.id == merged)).one()
            evidence = {r.event_id: r.case_id for r in conn.execute(select(case_evidence))}
            actions = set(conn.execute(select(audit_log.c.action)).scalars())
    finally:
        engine.dispose()
    assert set(rows) == {"ct-a", "ct-b"}
    assert (rows["ct-a"].currency, rows["ct-a"].amount_in_escrow) == ("USD", Decimal("161.58"))
    assert (rows["ct-b"].currency, rows["ct-b"].amount_in_escrow) == ("CAD", Decimal("482.23"))
    assert {r.stage for r in rows.values()} == {"arbitration"}
    assert (
        evidence[complaints[0].event_id] == evidence[complaints[2].event_id] == rows["ct-a"].case_id
    )
    assert evidence[complaints[3].event_id] == merged
    assert (kept.kind, kept.evidence_count, kept.money_at_stake, kept.currency) == (
        "complaint",
        1,
        Decimal("0.00"),
        None,
    )
    assert {
        "dispute_split_from_merged_case",
        "disputes_split_off",
        "amount_claim_not_applied",
    } <= actions
