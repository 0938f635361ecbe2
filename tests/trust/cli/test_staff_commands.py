"""``trust staff``: the first admin is created from the shell and shown its password once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET
from trust.cli.main import app
from trust.settings import get_settings
from trust.staff import authenticate
from trust.store import Store, transaction
from trust.store.tables import audit_log

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRUST_SECRET_KEY", TEST_SECRET)
    monkeypatch.delenv("TRUST_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def store_of(data_dir: Path) -> Store:
    return Store.open(f"sqlite:///{(data_dir / 'trust.db').resolve()}")


def test_add_prints_a_generated_password_that_signs_in(data_dir: Path) -> None:
    result = runner.invoke(app, ["staff", "add", "Root", "--role", "admin"])
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1]
    store = store_of(data_dir)
    with transaction(store.engine) as conn:
        login = authenticate(conn, "root", password, datetime.now(UTC))
        actor = conn.execute(select(audit_log.c.actor)).scalars().first()
    store.close()
    assert login.ok and login.staff is not None and login.staff.role.value == "admin"
    assert actor is not None and actor.startswith("cli:")


def test_add_reads_a_typed_password_from_stdin_and_does_not_echo_it(data_dir: Path) -> None:
    result = runner.invoke(
        app,
        ["staff", "add", "ana", "--role", "analyst", "--password-stdin"],
        input="a typed passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "a typed passphrase" not in result.output


def test_list_set_role_and_disable(data_dir: Path) -> None:
    runner.invoke(app, ["staff", "add", "ana", "--role", "analyst"])
    assert runner.invoke(app, ["staff", "set-role", "ana", "lead"]).exit_code == 0
    assert runner.invoke(app, ["staff", "disable", "ana"]).exit_code == 0
    listed = runner.invoke(app, ["staff", "list"], env={"COLUMNS": "200"})
    assert "ana" in listed.output and "lead" in listed.output and " no " in listed.output


def test_an_empty_staff_list_says_how_to_start(data_dir: Path) -> None:
    result = runner.invoke(app, ["staff", "list"], env={"COLUMNS": "200"})
    assert "trust staff add NAME --role admin" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["staff", "add", "x y", "--role", "analyst"], "2-64 characters"),
        (["staff", "add", "bob", "--role", "root"], "unknown role"),
        (["staff", "set-role", "ghost", "lead"], "no staff user"),
    ],
)
def test_mistakes_exit_with_a_message(data_dir: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert message in result.output
