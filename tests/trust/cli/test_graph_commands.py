"""``trust graph clusters`` opens cluster cases once; ``trust graph watch`` stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import TEST_SECRET
from tests.workers.conftest import ROOT
from trust.cli.main import app
from trust.settings import get_settings
from trust.simulate import simulate

runner = CliRunner()


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "TRUST_DATA_DIR": str(tmp_path / "data"),
        "TRUST_SECRET_KEY": TEST_SECRET,
        "TRUST_ENVIRONMENT": "test",
        "COLUMNS": "200",
    }


def test_clusters_open_one_case_each_and_a_second_pass_joins_them(tmp_path: Path) -> None:
    summary = simulate(2500, 30, 913, tmp_path / "world")
    env = _env(tmp_path)
    get_settings.cache_clear()
    try:
        assert (
            runner.invoke(app, ["ingest", str(summary.events_path), "--direct"], env=env).exit_code
            == 0
        )
        first = runner.invoke(app, ["graph", "clusters", "--json"], env=env)
        again = runner.invoke(app, ["graph", "clusters", "--json"], env=env)
        dry = runner.invoke(app, ["graph", "clusters", "--dry-run"], env=env)
    finally:
        get_settings.cache_clear()
    assert first.exit_code == again.exit_code == dry.exit_code == 0, first.output
    found, joined = json.loads(first.output), json.loads(again.output)
    assert found and all(c["case_id"] for c in found)
    assert [c["case_id"] for c in joined] == [c["case_id"] for c in found]
    assert all(c["evidence"][m] for c in found for m in c["members"])
    assert "suspicious clusters" in dry.output


def test_watch_runs_a_pass_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, **_env(tmp_path), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-m", "trust.cli.main", "graph", "watch", "--every", "60"],
        env=env,
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 0
    assert "graph pass: 0 links, 0 clusters" in line
