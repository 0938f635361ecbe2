"""How store connections are set up."""

from __future__ import annotations

from pathlib import Path

from trust.store.database import SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES, create_store_engine


def test_sqlite_connections_keep_a_large_page_cache_and_map_the_file(tmp_path: Path) -> None:
    """A batch's index pages stay cached between batches instead of being read again."""
    engine = create_store_engine(f"sqlite:///{tmp_path / 'trust.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == -SQLITE_CACHE_KIB
        assert conn.exec_driver_sql("PRAGMA mmap_size").scalar_one() == SQLITE_MMAP_BYTES
    engine.dispose()
