"""Reads made while a writer holds a SQLite store's write lock finish without waiting for it.

On SQLite a connection's first statement begins as a write does (the writers' turn, then
``BEGIN IMMEDIATE``). So a look-up that only reads, made while a worker stored a batch,
waited for that batch and then held every other writer up while it read: opening a store
(its schema version and planner statistics checks), the API's readiness check, each
worker's webhook poll, ``trust ingest --queue``'s look-up of stored events, the bench's
progress count, a model's training read and the CLI's listings. They read in snapshots now.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from typer.testing import CliRunner

from tests.conftest import TEST_KEYRING
from trust.cli.main import app
from trust.settings import Settings, get_settings
from trust.store import Store
from workers.bench_fleet import decided
from workers.serve import _store_ready
from workers.webhooks import dispatch_due

T = TypeVar("T")
# A read that waited for the lock would wait out SQLite's 30 s busy timeout.
PATIENCE_S = 10.0


@contextmanager
def write_lock_held(database: Path) -> Iterator[None]:
    """Another program's write transaction on ``database``, open throughout."""
    writer = sqlite3.connect(database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        yield
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def while_locked(database: Path, read: Callable[[], T]) -> T:
    """``read()``'s answer, given while the write lock is held; fails if it waited for it."""
    answer: dict[str, Any] = {}

    def run() -> None:
        try:
            answer["value"] = read()
        except BaseException as exc:  # re-raised below, in the test's thread
            answer["error"] = exc

    with write_lock_held(database):
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(PATIENCE_S)
        waited = thread.is_alive()
    thread.join()  # the lock is free now: let a waiting read end before the next test
    assert not waited, "the read waited for the write lock"
    if "error" in answer:
        raise answer["error"]
    return answer["value"]  # type: ignore[no-any-return]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    """A migrated SQLite store's file (opened and closed once, so it is current)."""
    path = tmp_path / "data" / "trust.db"
    path.parent.mkdir()
    Store.open(f"sqlite:///{path}", keyring=TEST_KEYRING).close()
    yield path


def test_opening_a_current_store_takes_no_writers_turn(database: Path) -> None:
    def open_and_close() -> str:
        store = Store.open(f"sqlite:///{database}", keyring=TEST_KEYRING)
        store.close()
        return store.dialect

    assert while_locked(database, open_and_close) == "sqlite"


def test_readiness_webhook_poll_and_progress_count_read_past_a_writer(database: Path) -> None:
    settings = Settings(environment="test", data_dir=database.parent, secret_key="k" * 40)
    store = Store.open(f"sqlite:///{database}", keyring=TEST_KEYRING)
    sent: list[int] = []
    try:
        assert while_locked(database, lambda: _store_ready(store)) == "ok"
        assert while_locked(database, lambda: dispatch_due(store, settings, sent.append)) == 0
        assert while_locked(database, lambda: decided(store)) == 0
    finally:
        store.close()
    assert sent == []


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (["apikey", "list"], "0 API keys"),
        (["webhook", "list"], "0 webhook subscriptions"),
        (["quarantine", "list"], "0 held"),
        (["staff", "list"], "no staff yet"),
        (["cases", "export"], ""),
    ],
)
def test_cli_listings_answer_while_workers_write(
    database: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], says: str
) -> None:
    monkeypatch.setenv("TRUST_DATA_DIR", str(database.parent))
    monkeypatch.setenv("TRUST_SECRET_KEY", "k" * 40)
    monkeypatch.delenv("TRUST_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = while_locked(
            database, lambda: CliRunner().invoke(app, command, env={"COLUMNS": "200"})
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert says in result.output
