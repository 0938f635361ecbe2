"""``trust cases export``: the queue as JSON lines, checked on a simulated world."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from tests.trust.cases.conftest import LEAD
from trust.cases import approve_proposal
from trust.cases.lifecycle import CaseStatus
from trust.cli.main import app
from trust.settings import get_settings
from trust.store import Store, transaction

runner = CliRunner()


def _export(*args: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["cases", "export", *args, "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def _settle_what_is_due(at: datetime) -> None:
    """The timer at ``at``, then a lead approves every money outcome waiting for approval."""
    timer = runner.invoke(app, ["disputes", "apply-deadlines", "--at", at.isoformat()])
    assert timer.exit_code == 0, timer.output
    assert "missed deadlines applied" in timer.output
    again = runner.invoke(app, ["disputes", "apply-deadlines", "--at", at.isoformat()])
    assert "0 missed deadlines applied" in again.output
    with Store.from_settings(get_settings()) as store, transaction(store.engine) as conn:
        for case in _waiting(conn):
            approve_proposal(conn, case, LEAD, at)


def _waiting(conn: object) -> list[int]:
    from sqlalchemy import select

    from trust.store.tables import cases

    return [
        int(i)
        for i in conn.execute(  # type: ignore[attr-defined]
            select(cases.c.id).where(cases.c.status == CaseStatus.AWAITING_APPROVAL.value)
        ).scalars()
    ]


def test_every_dispute_of_a_simulated_world_has_one_contract_currency_and_balanced_money(
    trust_env: Path,
) -> None:
    out = trust_env / "sim"
    assert (
        runner.invoke(
            app, ["simulate", "--accounts", "400", "--days", "30", "--seed", "5", "--out", str(out)]
        ).exit_code
        == 0
    )
    ingested = runner.invoke(app, ["ingest", str(out / "events.jsonl"), "--direct"])
    assert ingested.exit_code == 0, ingested.output
    _settle_what_is_due(datetime(2026, 4, 15, tzinfo=UTC))
    disputes = _export("--kind", "dispute")
    assert disputes and {d["kind"] for d in disputes} == {"dispute"}
    resolved = [d for d in disputes if d["status"] == "resolved"]
    assert resolved, "the simulated world settles some disputes"
    for dispute in disputes:
        assert dispute["contract_id"] and len(str(dispute["currency"])) == 3
        assert {"case_id", "status", "subject", "event_ids", "amount_in_escrow"} <= set(dispute)
    for dispute in resolved:
        released, refunded = Decimal(str(dispute["released"])), Decimal(str(dispute["refunded"]))
        assert released + refunded == Decimal(str(dispute["amount_in_escrow"]))
    contracts = [(d["contract_id"], d["milestone_id"]) for d in disputes]
    assert len(contracts) == len(set(contracts)), "two cases for one contract's money"
    assert {d["status"] for d in _export("--status", "resolved")} == {"resolved"}


def test_an_unknown_status_or_format_is_refused_with_the_option_named(trust_env: Path) -> None:
    status = runner.invoke(app, ["cases", "export", "--status", "done", "--format", "jsonl"])
    form = runner.invoke(app, ["cases", "export", "--format", "csv"])
    assert status.exit_code == 2 and "--status" in status.output
    assert form.exit_code == 2 and "--format" in form.output
