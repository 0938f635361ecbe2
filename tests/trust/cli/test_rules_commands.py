"""``trust rules validate|test|backtest`` and ``trust bench`` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from sqlalchemy import text
from typer.testing import CliRunner

from tests.factories import make_complaint, make_review
from tests.trust.rules.conftest import RULES_DIR, valid_rule, write_pack
from tests.trust.rules.test_bounds import HOSTILE
from trust.cli.main import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[3]


def test_validate_accepts_the_starter_pack(trust_env: Path) -> None:
    result = runner.invoke(app, ["rules", "validate", str(RULES_DIR)])
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output


def test_validate_refuses_a_broken_pack_with_file_rule_and_hint(trust_env: Path) -> None:
    folder = write_pack(trust_env, [valid_rule(when="signals.reciprocl")])
    result = runner.invoke(app, ["rules", "validate", str(folder)])
    assert result.exit_code == 1
    assert "review/test.yaml: rv_test_reciprocal_v1: unknown signal" in result.output
    assert "did you mean reciprocal_review" in result.output


def test_test_runs_every_example_of_the_starter_pack(trust_env: Path) -> None:
    result = runner.invoke(app, ["rules", "test"])
    assert result.exit_code == 0, result.output
    assert "examples passed" in result.output


def test_test_fails_on_a_rule_whose_example_is_wrong_or_missing(trust_env: Path) -> None:
    wrong = valid_rule(examples=[{"name": "claims a hit", "expect": "hit"}])
    result = runner.invoke(app, ["rules", "test", str(write_pack(trust_env, [wrong]))])
    assert result.exit_code == 1
    assert "expected hit, got miss" in result.output
    assert "no 'miss' example" in result.output


def test_backtest_prints_hits_precision_and_recall_per_pattern(trust_env: Path) -> None:
    events = trust_env / "events.jsonl"
    fraud = make_complaint(event_id="cp-fraud", description="Pay me via PayPal, not escrow.")
    honest = make_review(event_id="rv-honest")
    events.write_text(fraud.model_dump_json() + "\n" + honest.model_dump_json() + "\n")
    truth = trust_env / "truth.csv"
    truth.write_text(
        "event_id,is_fraud,pattern\ncp-fraud,true,off_platform\nrv-honest,false,honest\n"
    )
    assert runner.invoke(app, ["ingest", str(events)]).exit_code == 0
    result = runner.invoke(app, ["rules", "backtest", "--truth", str(truth)])
    assert result.exit_code == 0, result.output
    assert "cp_off_platform_contact_v1" in result.output
    assert "precision 1.00, recall 1.00" in result.output
    assert "off_platform" in result.output


def test_backtest_of_a_draft_rule_shows_only_the_draft(trust_env: Path) -> None:
    draft = trust_env / "draft.yaml"
    draft.write_text(yaml.safe_dump({"rules": [valid_rule(id="rv_draft_idea_v1")]}))
    result = runner.invoke(app, ["rules", "backtest", "--draft", str(draft)])
    assert result.exit_code == 0, result.output
    assert "rv_draft_idea_v1" in result.output
    assert "rv_reciprocal_review_v1" not in result.output


def test_the_bench_group_lists_the_rules_benchmark(trust_env: Path) -> None:
    result = runner.invoke(app, ["bench", "--help"])
    assert result.exit_code == 0
    assert "rules" in result.output


def test_signals_lists_what_a_rule_may_read(trust_env: Path) -> None:
    result = runner.invoke(app, ["rules", "signals", "review"])
    assert result.exit_code == 0
    assert "signals.reciprocal_review" in result.output and "bool" in result.output
    assert runner.invoke(app, ["rules", "signals", "reviews"]).exit_code == 2


def test_validate_refuses_a_hostile_pack_rule_by_rule_in_its_own_process(
    trust_env: Path,
) -> None:
    # A separate process, as a user runs it: a native stack overflow would end it with
    # SIGSEGV (exit -11) instead of the refusal.
    hostile = [
        valid_rule(id=f"rv_hostile_{index}_v1", when=when)
        for index, (when, _) in enumerate(HOSTILE.values())
    ]
    folder = write_pack(trust_env, hostile)
    result = subprocess.run(
        [sys.executable, "-m", "trust.cli.main", "rules", "validate", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 1, result.stderr[-2000:]
    shown = result.stdout + result.stderr
    for index, (_, says) in enumerate(HOSTILE.values()):
        line = next(
            (x for x in shown.splitlines() if f"test.yaml: rv_hostile_{index}_v1: " in x), ""
        )
        assert says in line and "(hint:" in line, f"rule {index}: {line!r}"


def test_backtest_labels_decisions_overturned_on_appeal(trust_env: Path) -> None:
    from datetime import UTC, datetime

    from tests.factories import appeal_payload, profile_verification_payload
    from tests.trust.cases.conftest import LEAD
    from trust.appeals import AppealOutcome, decide_appeal
    from trust.cases import claim
    from trust.settings import get_settings
    from trust.store import Store, transaction

    events = trust_env / "events.jsonl"
    forged = profile_verification_payload(
        event_id="pv-forged",
        account_id="acct-f",
        document_check={
            "tamper_score": 0.93,
            "mrz_consistent": False,
            "selfie_match_score": 0.1,
            "liveness_passed": False,
        },
    )
    events.write_text(json.dumps(forged) + "\n")
    assert runner.invoke(app, ["ingest", str(events), "--direct"]).exit_code == 0
    appeal = trust_env / "appeal.jsonl"
    appeal.write_text(
        json.dumps(appeal_payload(account_id="acct-f", occurred_at=datetime.now(UTC).isoformat()))
    )
    assert runner.invoke(app, ["ingest", str(appeal), "--direct"]).exit_code == 0
    now = datetime.now(UTC)
    with Store.from_settings(get_settings()) as store, transaction(store.engine) as conn:
        case_id = int(conn.execute(text("SELECT case_id FROM appeals")).scalar_one())
        claim(conn, case_id, LEAD, now)
        decide_appeal(conn, case_id, LEAD, AppealOutcome.OVERTURNED, "proven_error", now=now)

    result = runner.invoke(app, ["rules", "backtest"], terminal_width=200)

    assert result.exit_code == 0, result.output
    assert "overturned on appeal" in result.output
    assert "staff labels (1 events)" in result.output
    line = next(x for x in result.output.splitlines() if "pv_document_tampered_v1" in x)
    assert "1/1 (100%)" in line
