"""``trust apikey`` and ``trust webhook``: keys shown once and stored hashed; subscriptions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from trust.cli.main import app
from trust.settings import get_settings
from trust.store import Store
from trust.store.tables import api_keys

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRUST_SECRET_KEY", "k" * 40)
    monkeypatch.delenv("TRUST_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_a_key_is_printed_once_stored_hashed_listed_and_revoked(env: Path) -> None:
    output = _run("apikey", "create", "shop", "--scopes", "events:write,decisions:write")
    token = output.strip().splitlines()[-1]
    assert token.startswith("tpk_")
    prefix = token.split("_")[1]
    with (
        Store.open(f"sqlite:///{env / 'data' / 'trust.db'}") as store,
        store.engine.connect() as conn,
    ):
        row = conn.execute(select(api_keys)).one()
    assert token not in str(tuple(row)) and row.prefix == prefix
    listed = _run("apikey", "list")
    assert prefix in listed and "events:write" in listed and token not in listed
    assert "revoked" in _run("apikey", "revoke", prefix)
    again = runner.invoke(app, ["apikey", "revoke", prefix])
    assert again.exit_code == 1 and "no active key" in again.output


def test_an_unknown_scope_is_a_usage_error_naming_it(env: Path) -> None:
    result = runner.invoke(app, ["apikey", "create", "shop", "--scopes", "events:nuke"])
    assert result.exit_code == 2 and "events:nuke" in result.output


def test_webhook_subscriptions_and_their_log(env: Path) -> None:
    output = _run(
        "webhook", "add", "http://127.0.0.1:9000/hook", "--events", "case.resolved,decision.created"
    )
    assert output.strip().splitlines()[-1].startswith("whsec_")
    listed = _run("webhook", "list")
    assert "127.0.0.1:9000" in listed and "case.resolved" in listed
    assert "disabled" in _run("webhook", "disable", "1")
    assert "enabled" in _run("webhook", "enable", "1")
    assert "webhook deliveries" in _run("webhook", "deliveries")
    assert "0 deliveries queued again" in _run("webhook", "replay", "7")
    bad = runner.invoke(app, ["webhook", "add", "http://127.0.0.1:9/h", "--events", "x.y"])
    assert bad.exit_code == 2 and "x.y" in bad.output
