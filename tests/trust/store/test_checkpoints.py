"""A service can take SQLite's WAL checkpoints off its commits and run them in the background."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import TEST_KEYRING, TEST_SECRET
from tests.factories import make_profile_verification
from trust.pii import PiiHasher
from trust.store import Store, transaction
from trust.store.database import SQLITE_WAL_AUTOCHECKPOINT_PAGES
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
