"""A service can take SQLite's WAL checkpoints off its commits and run them in the background."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import TEST_KEYRING, TEST_SECRET
from tests.factories import make_profile_verification
from trust.pii import PiiHasher
from trust.store import Store, transaction
from trust.store.database import (
    SQLITE_BUSY_TIMEOUT_MS,
    SQLITE_WAL_AUTOCHECKPOINT_PAGES,
    snapshot,
)
from trust.store.dialects import (
    BACKGROUND_AUTOCHECKPOINT_PAGES,
    checkpoint_in_background,
    checkpoint_wal,
)
from trust.store.events import store_events


def _store_verifications(store: Store, count: int) -> None:
    with transaction(store.engine) as conn:
        store_events(
            conn,
            [make_profile_verification(account_id=f"u{i}") for i in range(count)],
            PiiHasher(TEST_SECRET.encode()),
            source="test",
            received_at=datetime.now(UTC),
        )


def _autocheckpoint(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() or 0)


def test_a_checkpoint_copies_what_the_wal_holds_into_the_database_file(tmp_path: Path) -> None:
    database = tmp_path / "trust.db"
    with Store.open(f"sqlite:///{database}", keyring=TEST_KEYRING) as store:
        assert checkpoint_wal(store.engine)  # start from a database file holding everything
        before = database.stat().st_size
        _store_verifications(store, 200)
        assert database.stat().st_size == before  # committed to the WAL only
        assert checkpoint_wal(store.engine)
        assert database.stat().st_size > before


def test_commits_checkpoint_later_once_checkpoints_run_in_the_background(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'trust.db'}"
    with Store.open(url, keyring=TEST_KEYRING, migrate=False) as store:
        assert _autocheckpoint(store) == SQLITE_WAL_AUTOCHECKPOINT_PAGES
    with Store.open(url, keyring=TEST_KEYRING, migrate=False) as store:
        checkpoint_in_background(store.engine)
        assert _autocheckpoint(store) == BACKGROUND_AUTOCHECKPOINT_PAGES
    assert BACKGROUND_AUTOCHECKPOINT_PAGES > SQLITE_WAL_AUTOCHECKPOINT_PAGES


def test_postgresql_has_no_wal_to_checkpoint(postgres_store: Store) -> None:
    checkpoint_in_background(postgres_store.engine)
    assert not checkpoint_wal(postgres_store.engine)


def _wal_frames(store: Store) -> int:
    with store.engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        return int(driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])


def test_a_short_wal_is_copied_without_waiting_for_its_readers(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'trust.db'}", keyring=TEST_KEYRING) as store:
        _store_verifications(store, 200)
        with snapshot(store.engine) as reader:  # a reader in the WAL, as in a busy service
            reader.exec_driver_sql("SELECT count(*) FROM events").scalar()
            assert checkpoint_wal(store.engine, restart_over=10**9)
            frames = _wal_frames(store)
            _store_verifications(store, 1)
            assert _wal_frames(store) > frames  # the reader kept SQLite from restarting it


def test_a_long_wal_is_restarted_once_its_readers_are_done(tmp_path: Path) -> None:
    wal = tmp_path / "trust.db-wal"
    with Store.open(f"sqlite:///{tmp_path / 'trust.db'}", keyring=TEST_KEYRING) as store:
        _store_verifications(store, 200)
        frames, size = _wal_frames(store), wal.stat().st_size
        _store_verifications(store, 1)  # frames not copied yet ...
        ran: list[bool] = []
        with snapshot(store.engine) as reader:  # ... that this reader may read
            reader.exec_driver_sql("SELECT count(*) FROM events").scalar()
            restart = threading.Thread(
                target=lambda: ran.append(
                    checkpoint_wal(store.engine, restart_over=0, restart_wait_ms=20_000)
                )
            )
            restart.start()
            time.sleep(0.3)
            assert restart.is_alive()  # waiting for the reader, holding the writers' turn
        restart.join(30)
        assert ran == [True]
        with snapshot(store.engine) as later_reader:
            later_reader.exec_driver_sql("SELECT count(*) FROM events").scalar()
            _store_verifications(store, 1)
            assert _wal_frames(store) < frames  # written from its start again
        assert wal.stat().st_size == size  # over the old frames: the file did not grow


def test_a_reader_that_stays_is_not_waited_for_and_writers_go_on(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'trust.db'}", keyring=TEST_KEYRING) as store:
        _store_verifications(store, 20)
        with snapshot(store.engine) as report:  # a long report, say
            report.exec_driver_sql("SELECT count(*) FROM events").scalar()
            began = time.monotonic()
            assert checkpoint_wal(store.engine, restart_over=0)
            # Back after RESTART_WAIT_MS, not the busy timeout (30 s) ...
            assert time.monotonic() - began < SQLITE_BUSY_TIMEOUT_MS / 1000 / 2
            _store_verifications(store, 1)  # ... and the writers' turn is free again
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
