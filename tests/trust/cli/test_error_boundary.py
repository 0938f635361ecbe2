"""The CLI's error boundary: every command, fed broken input with its services down, fails in
one line with a documented exit code; ``--debug`` shows the traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from tests.workers.conftest import ROOT
from trust.cli.boundary import ExitCode, explain
from trust.cli.main import app
from trust.errors import (
    ConfigurationError,
    InputFileError,
    QueueUnavailableError,
    RulePackError,
    StaffError,
    StoreError,
)
from trust.settings import get_settings

runner = CliRunner()
DOWN_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:1/none"
DOWN_REDIS = "redis://127.0.0.1:1/0"
SHORT_KEY = "too-short"
# Every command, with arguments that cannot work and the exit code that says why.
# {tmp} is a scratch folder holding `a-file` (a plain file) and `events.jsonl`.
BROKEN: dict[str, tuple[list[str], ExitCode]] = {
    "migrate": ([], ExitCode.UNAVAILABLE),
    "schema": (["payout"], ExitCode.USAGE),
    "simulate": (["--out", "{tmp}/a-file/out", "--accounts", "10", "--days", "1"], ExitCode.USAGE),
    "ingest": (["{tmp}/events.jsonl", "--direct"], ExitCode.UNAVAILABLE),
    "up": (["--no-dashboard"], ExitCode.UNAVAILABLE),
    "worker": ([], ExitCode.UNAVAILABLE),
    "decide": (["{tmp}/missing.json"], ExitCode.USAGE),
    "quarantine list": ([], ExitCode.UNAVAILABLE),
    "quarantine replay": (["--all", "--direct"], ExitCode.UNAVAILABLE),
    "dlq list": ([], ExitCode.UNAVAILABLE),
    "dlq replay": (["--all"], ExitCode.UNAVAILABLE),
    "rules validate": (["{tmp}/no-rules"], ExitCode.REFUSED),
    "rules test": (["{tmp}/no-rules"], ExitCode.REFUSED),
    "rules signals": (["payout"], ExitCode.USAGE),
    "rules backtest": ([], ExitCode.UNAVAILABLE),
    "bench rules": (["--accounts", "1"], ExitCode.USAGE),
    "bench dashboard": (["--database-url", DOWN_DATABASE], ExitCode.UNAVAILABLE),
    "bench model": (["--rows", "1000", "--detector", "magic"], ExitCode.CONFIGURATION),
    "bench detectors": (["--detector", "magic"], ExitCode.CONFIGURATION),
    "bench pipeline": (["--events", "5"], ExitCode.USAGE),
    "bench encryption": (["--accounts", "1"], ExitCode.USAGE),
    "bench masking": (["--size-kb", "0"], ExitCode.USAGE),
    "bench validation": (["--accounts", "1"], ExitCode.USAGE),
    "encryption reseal": ([], ExitCode.UNAVAILABLE),
    "cases export": (["--format", "jsonl"], ExitCode.UNAVAILABLE),
    "disputes apply-deadlines": ([], ExitCode.UNAVAILABLE),
    "model train": (["--kind", "review"], ExitCode.UNAVAILABLE),
    "model list": ([], ExitCode.OK),
    "model activate": (["v-none"], ExitCode.REFUSED),
    "model evaluate": (["--data", "{tmp}/missing.csv", "--label", "x"], ExitCode.REFUSED),
    "model learn": (["--kind", "review"], ExitCode.UNAVAILABLE),
    "model learn-text": (["--kind", "review"], ExitCode.UNAVAILABLE),
    "model drift": (["--kind", "review"], ExitCode.UNAVAILABLE),
    "model evaluate-sim": (["--truth", "{tmp}/missing.csv"], ExitCode.UNAVAILABLE),
    "staff add": (["bob", "--role", "analyst"], ExitCode.UNAVAILABLE),
    "staff list": ([], ExitCode.UNAVAILABLE),
    "accounts find": (["someone@example.com"], ExitCode.UNAVAILABLE),
    "staff set-role": (["bob", "lead"], ExitCode.UNAVAILABLE),
    "staff disable": (["bob"], ExitCode.UNAVAILABLE),
    "staff enable": (["bob"], ExitCode.UNAVAILABLE),
    "staff reset-password": (["bob"], ExitCode.UNAVAILABLE),
    "serve": (["--port", "1"], ExitCode.UNAVAILABLE),
    "apikey create": (["shop", "--scopes", "events:write"], ExitCode.UNAVAILABLE),
    "apikey list": ([], ExitCode.UNAVAILABLE),
    "apikey revoke": (["abcd1234"], ExitCode.UNAVAILABLE),
    "webhook add": (["ftp://example.com/hook"], ExitCode.USAGE),
    "webhook list": ([], ExitCode.UNAVAILABLE),
    "webhook enable": (["1"], ExitCode.UNAVAILABLE),
    "webhook disable": (["1"], ExitCode.UNAVAILABLE),
    "webhook deliveries": ([], ExitCode.UNAVAILABLE),
    "webhook replay": (["1"], ExitCode.UNAVAILABLE),
    "bench api": (["--concurrency", "0"], ExitCode.USAGE),
    "graph clusters": (["--dry-run"], ExitCode.UNAVAILABLE),
    "graph watch": (["--every", "1"], ExitCode.UNAVAILABLE),
    "bench graph": (["--accounts", "1"], ExitCode.USAGE),
    "model evaluate-text": (["--truth", "{tmp}/missing.csv"], ExitCode.UNAVAILABLE),
}
# These start process supervisors (signal handlers, child processes): run them for real.
IN_A_SUBPROCESS = {"up", "worker"}


def _command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[str]:
    if hasattr(command, "commands"):
        return [
            path
            for name, sub in command.commands.items()
            for path in _command_paths(sub, (*prefix, name))
        ]
    return [" ".join(prefix)]


@pytest.fixture
def broken_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch data folder; the store and Redis point at ports nobody listens on."""
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "events.jsonl").write_text('{"kind": "review"}\n')
    for name in [n for n in os.environ if n.startswith("TRUST_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRUST_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("TRUST_DATABASE_URL", DOWN_DATABASE)
    monkeypatch.setenv("TRUST_REDIS_URL", DOWN_REDIS)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _run(command: str, args: list[str], tmp: Path) -> tuple[int, str]:
    argv = [*command.split(), *(a.replace("{tmp}", str(tmp)) for a in args)]
    if command in IN_A_SUBPROCESS:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TRUST_METRICS_PORT": "1"}
        done = subprocess.run(
            [sys.executable, "-m", "trust.cli.main", *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=str(ROOT),
        )
        return done.returncode, done.stdout + done.stderr
    result = runner.invoke(app, argv, env={"COLUMNS": "200"})
    # An exception that escaped the boundary shows up here instead of an exit code.
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{result.output}"
    )
    return result.exit_code, result.output


def test_every_command_has_a_broken_invocation_below() -> None:
    assert sorted(_command_paths(typer.main.get_command(app))) == sorted(BROKEN)


@pytest.mark.parametrize("command", sorted(BROKEN))
def test_a_broken_command_with_its_services_down_says_why_in_one_line(
    broken_env: Path, command: str
) -> None:
    args, expected = BROKEN[command]

    code, output = _run(command, args, broken_env)

    assert "Traceback" not in output, output
    assert code == expected, output
    if code in (ExitCode.UNAVAILABLE, ExitCode.CONFIGURATION):
        [line] = [line for line in output.splitlines() if line.startswith("error:")]
        assert "(hint: " in line


@pytest.mark.parametrize("command", sorted(set(BROKEN) - IN_A_SUBPROCESS))
def test_a_short_secret_key_is_refused_by_every_command_without_a_traceback(
    broken_env: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("TRUST_ENVIRONMENT", "production")
    monkeypatch.setenv("TRUST_SECRET_KEY", SHORT_KEY)
    get_settings.cache_clear()
    args, _ = BROKEN[command]

    code, output = _run(command, args, broken_env)

    assert "Traceback" not in output, output
    assert code != ExitCode.INTERNAL, output
    if code == ExitCode.CONFIGURATION:
        [line] = [line for line in output.splitlines() if line.startswith("error:")]
        assert "(hint: " in line
    if command in ("migrate", "ingest", "quarantine list"):
        assert code == ExitCode.CONFIGURATION and "TRUST_SECRET_KEY" in output, output


@pytest.mark.parametrize(
    ("make_input", "code", "words"),
    [
        (lambda tmp: tmp / "missing.json", ExitCode.USAGE, "no such file"),
        (lambda tmp: tmp, ExitCode.USAGE, "is a folder"),
    ],
    ids=["missing file", "a folder"],
)
def test_decide_of_an_unreadable_input_is_a_usage_error(
    broken_env: Path, make_input: Any, code: ExitCode, words: str
) -> None:
    result = runner.invoke(app, ["decide", str(make_input(broken_env))])

    assert result.exit_code == code
    assert words in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--scaling", "1,two"], "not a list of process counts"),
        (["--scaling", "0,2"], "a count below 1"),
        (["--scaling", "1,2", "--postgres-url", ""], "give --postgres-url too"),
    ],
    ids=["not numbers", "zero", "no postgres"],
)
def test_bench_pipeline_scaling_is_checked_before_anything_runs(
    broken_env: Path, args: list[str], words: str
) -> None:
    result = runner.invoke(app, ["bench", "pipeline", *args])

    assert result.exit_code == ExitCode.USAGE, result.output
    assert words in result.output and "--scaling" in result.output
    assert "Traceback" not in result.output


def test_decide_quarantines_input_that_is_not_utf8_as_ingest_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRUST_SECRET_KEY", "k" * 40)
    monkeypatch.delenv("TRUST_DATABASE_URL", raising=False)
    monkeypatch.delenv("TRUST_REDIS_URL", raising=False)
    get_settings.cache_clear()
    event = tmp_path / "latin1.json"
    event.write_bytes(b'{"kind": "review", "text": "caf\xe9"}')

    result = runner.invoke(app, ["decide", str(event)])
    get_settings.cache_clear()

    assert result.exit_code == ExitCode.REFUSED
    assert "not valid UTF-8" in result.output


@pytest.mark.redis
def test_trust_worker_refuses_a_broken_rule_pack_before_starting_workers(
    broken_env: Path, redis_url: str
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TRUST_REDIS_URL": redis_url,
        "TRUST_DATABASE_URL": f"sqlite:///{broken_env / 'trust.db'}",
        "TRUST_RULES_DIR": str(broken_env / "no-rules"),
        "TRUST_METRICS_PORT": "1",
    }

    done = subprocess.run(
        [sys.executable, "-m", "trust.cli.main", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(ROOT),
    )

    assert done.returncode == ExitCode.REFUSED
    assert done.stderr.splitlines()[-1].startswith("error: rule pack refused: ")
    assert "Traceback" not in done.stdout + done.stderr


def test_debug_lets_the_traceback_through(broken_env: Path) -> None:
    result = runner.invoke(app, ["--debug", "decide", str(broken_env / "missing.json")])

    assert isinstance(result.exception, InputFileError)


def test_invalid_settings_name_the_variable_or_say_what_the_check_said() -> None:
    from pydantic import ValidationError

    from trust.settings import Settings

    with pytest.raises(ValidationError) as short_key:
        Settings(secret_key="short")
    # What a check across settings (a model validator) raises: no field location.
    whole = ValidationError.from_exception_data(
        "Settings",
        [
            {
                "type": "value_error",
                "loc": (),
                "input": {},
                "ctx": {
                    "error": ValueError("TRUST_ENVIRONMENT=production needs TRUST_DATABASE_URL")
                },
            }
        ],
    )

    assert (
        explain(short_key.value)
        .line()
        .startswith("error: settings refused: TRUST_SECRET_KEY must be at least 32 characters")
    )
    assert (
        explain(whole)
        .line()
        .startswith(
            "error: settings refused: TRUST_ENVIRONMENT=production needs TRUST_DATABASE_URL"
        )
    )
    assert explain(whole).code == ExitCode.CONFIGURATION


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigurationError("no key"), ExitCode.CONFIGURATION),
        (StoreError("down"), ExitCode.UNAVAILABLE),
        (QueueUnavailableError("no queue"), ExitCode.UNAVAILABLE),
        (RulePackError(["a.yaml: r1: bad"]), ExitCode.REFUSED),
        (StaffError("no staff user 'x'"), ExitCode.REFUSED),
        (InputFileError("x.json", "no such file"), ExitCode.USAGE),
        (FileNotFoundError(2, "No such file or directory", "x.csv"), ExitCode.USAGE),
        (ConnectionRefusedError(111, "Connection refused"), ExitCode.UNAVAILABLE),
        (KeyError("bug"), ExitCode.INTERNAL),
    ],
)
def test_each_kind_of_error_has_its_exit_code_and_one_line(
    error: Exception, code: ExitCode
) -> None:
    failure = explain(error)

    assert failure.code == code
    assert "\n" not in failure.line() and failure.line().startswith("error: ")
