"""``trust bench dashboard`` seeds a scratch store and prints one line per screen read."""

from __future__ import annotations

import os

from typer.testing import CliRunner

from trust.cli.main import app


def test_trust_bench_dashboard_prints_the_figures(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRUST_ENVIRONMENT", "test")
    result = CliRunner().invoke(app, ["bench", "dashboard", "--cases", "200", "--repeat", "1"])
    assert result.exit_code == 0, result.output
    assert "200 open cases seeded" in result.output
    assert "screen: queue (AppTest render, no cache)" in result.output
    assert "screen: case (AppTest render, no cache)" in result.output
    assert "TRUST_DATABASE_URL" not in os.environ


def test_trust_bench_dashboard_refuses_a_database_that_holds_cases(
    sqlite_store, settings, tmp_path
) -> None:
    from datetime import UTC, datetime

    from trust.cases.seed import seed_open_cases
    from trust.store import transaction

    with transaction(sqlite_store.engine) as conn:
        seed_open_cases(conn, 1, datetime.now(UTC), settings)
    url = str(sqlite_store.engine.url)
    result = CliRunner().invoke(
        app, ["bench", "dashboard", "--cases", "100", "--no-render", "--database-url", url]
    )
    assert result.exit_code == 2
    assert "empty database" in result.output
