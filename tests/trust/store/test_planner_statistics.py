"""The query planner gets statistics, so an account's history is read by account."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import TEST_KEYRING, TEST_SECRET
from tests.factories import make_profile_verification
from trust.pii import PiiHasher
from trust.store import Store, transaction
from trust.store.dialects import refresh_planner_statistics
from trust.store.events import store_events

ACCOUNT_QUERY = (
    "EXPLAIN QUERY PLAN SELECT payload FROM events WHERE subject_id IN ('u1') "
    "AND kind = 'profile_verification' AND occurred_at <= '2100-01-01'"
)


def _plan(store: Store) -> str:
    with store.engine.connect() as conn:
        return " ".join(str(row[-1]) for row in conn.exec_driver_sql(ACCOUNT_QUERY))


def _store_verifications(store: Store, prefix: str, count: int) -> None:
    with transaction(store.engine) as conn:
        store_events(
            conn,
            [make_profile_verification(account_id=f"{prefix}{i}") for i in range(count)],
            PiiHasher(TEST_SECRET.encode()),
            source="test",
            received_at=datetime.now(UTC),
        )


def test_opening_a_store_samples_statistics_once_and_again_after_growth(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'trust.db'}"
    with Store.open(url, keyring=TEST_KEYRING) as store:
        assert not refresh_planner_statistics(store.engine)  # empty: nothing to sample
        _store_verifications(store, "u", 30)
    with Store.open(url, keyring=TEST_KEYRING) as store:  # samples at open
        plan = _plan(store)  # by account (either account index), not every verification
        assert "(subject_id=?" in plan and "ix_events_kind_occurred" not in plan, plan
        assert not refresh_planner_statistics(store.engine)  # fresh: nothing to do
        _store_verifications(store, "v", 120)
        assert refresh_planner_statistics(store.engine)  # grown 5 times over


def test_postgresql_keeps_its_own_statistics(postgres_store: Store) -> None:
    assert not refresh_planner_statistics(postgres_store.engine)


def _postgresql_has_statistics(store: Store) -> bool:
    with store.engine.connect() as conn:
        return bool(
            conn.exec_driver_sql(
                "SELECT 1 FROM pg_stats WHERE schemaname = current_schema() "
                "AND tablename = 'events'"
            ).first()
        )


def test_a_bulk_loaded_postgresql_store_is_analysed_at_open_once(empty_postgres_url: str) -> None:
    """Rows loaded in one go have no statistics until autovacuum comes round; the first
    batches would be planned blind (whole-table sorts and scans)."""
    with Store.open(empty_postgres_url, keyring=TEST_KEYRING) as store:
        _store_verifications(store, "u", 30)
        assert not _postgresql_has_statistics(store)
    with Store.open(empty_postgres_url, keyring=TEST_KEYRING) as store:  # analyses at open
        assert _postgresql_has_statistics(store)
        assert not refresh_planner_statistics(store.engine)  # autovacuum's from now on
