"""The simulator's files: valid, ordered, reproducible, with a truth row per event."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from tests.trust.simulate.conftest import Simulated
from trust.cli.main import app
from trust.events import INTAKE_KINDS, validate_record
from trust.simulate import (
    PATTERN_RATES,
    PATTERNS,
    REFERENCE_END,
    describe,
    generate_events,
    simulate,
)
from trust.simulate.plan import SCHEMES


def test_every_generated_line_is_a_valid_event(simulated: Simulated) -> None:
    lines = simulated.summary.events_path.read_bytes().splitlines()
    problems = [(n, r.reason) for n, r in enumerate(map(validate_record, lines)) if not r.ok]
    assert len(lines) == simulated.summary.events > 3000
    assert problems == []


def test_same_arguments_give_identical_bytes(tmp_path: Path, simulated: Simulated) -> None:
    again = simulate(2000, 30, 7, tmp_path)
    assert again.events_path.read_bytes() == simulated.summary.events_path.read_bytes()
    assert again.truth_path.read_bytes() == simulated.summary.truth_path.read_bytes()


def test_a_different_seed_gives_a_different_marketplace(tmp_path: Path) -> None:
    first = simulate(200, 5, 1, tmp_path / "a").events_path.read_bytes()
    second = simulate(200, 5, 2, tmp_path / "b").events_path.read_bytes()
    assert first != second


def test_truth_names_at_least_nine_planted_patterns(simulated: Simulated) -> None:
    planted = {row["pattern"] for row in simulated.truth.values() if row["is_fraud"] == "1"}
    assert len(planted) >= 9
    assert planted == set(PATTERNS)


def test_truth_has_exactly_one_row_per_event(simulated: Simulated) -> None:
    ids = [event["event_id"] for event in simulated.events]
    assert len(set(ids)) == len(ids) == len(simulated.truth)
    assert set(ids) == set(simulated.truth)
    assert {row["pattern"] for row in simulated.truth.values() if row["is_fraud"] == "0"} == {
        "honest",
        "appeal",
        "honest_travel",
    }


def test_events_are_in_time_order_inside_a_window_ending_at_the_reference_date(
    simulated: Simulated,
) -> None:
    stamps = [datetime.fromisoformat(e["occurred_at"]) for e in simulated.events]
    assert stamps == sorted(stamps)
    assert stamps[-1] < REFERENCE_END
    assert (REFERENCE_END - stamps[0]).days <= 30


def test_every_kind_appears_and_most_activity_is_honest(simulated: Simulated) -> None:
    # The four scored kinds, and the dispute parties' statements, evidence, offers, answers.
    summary = simulated.summary
    assert set(summary.by_kind) == set(INTAKE_KINDS)
    assert summary.by_kind["review"] > summary.by_kind["complaint"]
    assert summary.fraud_events / summary.events < 0.15


def test_the_generator_yields_what_the_files_hold(simulated: Simulated) -> None:
    generated = [record for record, _ in generate_events(2000, 30, 7)]
    assert generated == simulated.events


def test_the_command_writes_both_files_and_prints_the_rates(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["simulate", "--accounts", "300", "--days", "10", "--seed", "3", "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "events.jsonl").stat().st_size > 0
    assert (tmp_path / "truth.csv").read_text().startswith("event_id,is_fraud,pattern\n")
    assert "review_ring" in result.output and "events/s" in result.output


def test_output_does_not_depend_on_the_interpreters_hash_seed(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from trust.simulate import simulate; "
        "simulate(300, 10, 5, Path(sys.argv[1]))"
    )
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", script, str(out)], check=True, env=env)
        outputs.append((out / "events.jsonl").read_bytes() + (out / "truth.csv").read_bytes())
    assert outputs[0] == outputs[1]


def test_every_pattern_has_a_rate_a_scheme_and_a_description() -> None:
    assert set(PATTERN_RATES) == set(SCHEMES) == set(PATTERNS)
    assert all(rate > 0 and describe(p) for p, rate in PATTERN_RATES.items())


def test_the_summary_counts_incidents_at_the_documented_rates(simulated: Simulated) -> None:
    summary = simulated.summary
    for pattern, rate in PATTERN_RATES.items():
        assert summary.incidents[pattern] == max(1, round(rate * 2000 / 1000 * 30 / 30))
    assert sum(summary.by_kind.values()) == summary.events == len(simulated.events)


def test_timelines_are_causal(simulated: Simulated) -> None:
    for event in simulated.events:
        at = datetime.fromisoformat(event["occurred_at"])
        if event["kind"] == "review":
            assert datetime.fromisoformat(event["contract_ended_at"]) <= at
        elif event["kind"] == "profile_verification":
            assert datetime.fromisoformat(event["account_created_at"]) <= at
        elif event["kind"] == "reference_check":
            assert datetime.fromisoformat(event["request_sent_at"]) <= at
