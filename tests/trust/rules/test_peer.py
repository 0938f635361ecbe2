"""``trust bench rules --peer``: the pure parts without ezrules, the peer run when one is given."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trust.cli.boundary import ExitCode
from trust.cli.main import app
from trust.errors import ConfigurationError, InputFileError
from trust.rules.engine import RuleEngine
from trust.rules.peer import (
    HitComparison,
    PeerReport,
    compare_hits,
    default_workload_dir,
    events_per_second,
    ezrules_available,
    load_workload,
    our_hits,
    our_rule_id,
    run_peer_elsewhere,
    run_peer_or_explain,
    workload_pack,
)

SHARED = default_workload_dir()
PEER_PYTHON = os.environ.get("TRUST_PEER_PYTHON")


def _tiny_workload(folder: Path) -> Path:
    (folder / "ezrules_workload.py").write_text(
        textwrap.dedent(
            """
            RULES = [("R01_big", "if $amount > 10:\\n    return !HOLD"),
                     ("R02_country", "if $country in @Risky:\\n    return !REVIEW")]
            USER_LISTS = {"Risky": ["NG", "RO"]}

            def make_events(n, seed=42):
                return [{"amount": float(i), "country": ["US", "NG"][i % 2]} for i in range(n)]
            """
        )
    )
    (folder / "cel_translation.py").write_text(
        textwrap.dedent(
            """
            from ezrules_workload import USER_LISTS
            RISKY = ", ".join('"' + c + '"' for c in USER_LISTS["Risky"])
            CEL = {"R01_big": "signals.amount > 10.0",
                   "R02_country": "signals.country in [" + RISKY + "]"}
            """
        )
    )
    return folder


def test_hits_compare_event_by_event() -> None:
    ours = [frozenset({"a"}), frozenset(), frozenset({"a", "b"})]
    assert compare_hits(ours, list(ours)) == HitComparison(True, 3, 2, 3, 0, None)
    differing = compare_hits(ours, [frozenset({"a"}), frozenset({"b"}), frozenset({"a"})])
    assert (differing.identical, differing.differing_events, differing.first_difference) == (
        False,
        2,
        1,
    )
    with pytest.raises(ValueError, match="not the same workload"):
        compare_hits(ours, ours[:2])


def test_the_report_gives_rates_the_ratio_and_survives_json() -> None:
    report = PeerReport(
        events=1000,
        rules=30,
        batch_size=250,
        ours_cpu=[0.1, 0.1],
        peer_cpu=[0.4, 0.4],
        comparison=HitComparison(True, 1000, 10, 12, 0, None),
        python="3.12.1",
        peer_version="1.0",
    )
    assert events_per_second(1000, [0.1, 0.1]) == pytest.approx(10_000)
    assert report.ratio == pytest.approx(4.0)
    text = report.render()
    assert "ratio: 4.00x ezrules" in text and "identical hits" in text
    assert PeerReport.from_json(report.to_json()) == report


def test_a_workload_becomes_a_pack_whose_batch_hits_are_per_event(tmp_path: Path) -> None:
    workload = load_workload(_tiny_workload(tmp_path), events=20)
    engine = RuleEngine(workload_pack(workload))

    hits = our_hits(engine, workload.events, batch_size=7)

    expected = [
        frozenset(
            our_rule_id(rule)
            for rule, fired in (
                ("R01_big", e["amount"] > 10),
                ("R02_country", e["country"] == "NG"),
            )
            if fired
        )
        for e in workload.events
    ]
    assert hits == expected
    assert set(engine.compiled_rules("review")) == {
        our_rule_id("R01_big"),
        our_rule_id("R02_country"),
    }


@pytest.mark.skipif(
    not (SHARED / "cel_translation.py").is_file(), reason=f"no workload at {SHARED}"
)
def test_our_engine_hits_the_shared_workload_as_documented() -> None:
    workload = load_workload(SHARED)
    hits = our_hits(RuleEngine(workload_pack(workload)), workload.events, batch_size=250)
    # ../shared/bench/README.md: 2,874 of 10,000 events hit; 3,508 hits.
    assert (sum(1 for h in hits if h), sum(len(h) for h in hits)) == (2874, 3508)


def test_a_missing_workload_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"ezrules_workload\.py"):
        load_workload(tmp_path)


def test_without_ezrules_or_a_peer_python_the_command_says_how_to_get_one(tmp_path: Path) -> None:
    if ezrules_available():
        pytest.skip("ezrules imports in this interpreter: the comparison would run here")
    with pytest.raises(ConfigurationError, match=r"python3\.12 -m venv .*pip install ezrules"):
        run_peer_or_explain(_tiny_workload(tmp_path), None, rounds=2, batch_size=10)
    with pytest.raises(ConfigurationError, match="no such interpreter"):
        run_peer_elsewhere(tmp_path / "python", tmp_path, rounds=2, batch_size=10, events=10)


def test_the_cli_names_the_missing_workload_and_the_missing_peer(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["bench", "rules", "--peer", "--workload", str(tmp_path)])
    assert missing.exit_code == ExitCode.USAGE, missing.output
    assert "ezrules_workload.py" in missing.output
    if not ezrules_available():
        no_peer = runner.invoke(
            app,
            ["bench", "rules", "--peer", "--workload", str(_tiny_workload(tmp_path))],
            env={"TRUST_PEER_PYTHON": ""},
        )
        assert no_peer.exit_code == ExitCode.CONFIGURATION, no_peer.output
        assert "--peer-python" in no_peer.output


@pytest.mark.skipif(
    not PEER_PYTHON,
    reason="no peer interpreter: set TRUST_PEER_PYTHON to a Python >= 3.12 venv made with "
    "`python3.12 -m venv V && V/bin/pip install ezrules -e .` to run ezrules against ours",
)
def test_the_peer_run_compares_both_engines_on_the_shared_workload() -> None:
    assert PEER_PYTHON is not None
    if not (SHARED / "cel_translation.py").is_file():
        pytest.skip(f"no shared workload at {SHARED}")
    report = run_peer_elsewhere(Path(PEER_PYTHON), SHARED, rounds=2, batch_size=250, events=2000)
    assert report.comparison.identical, report.render()
    assert report.events == 2000 and len(report.ours_cpu) == len(report.peer_cpu) == 2
    assert report.ours_rate > 0 and report.peer_rate > 0
