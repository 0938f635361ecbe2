"""Alembic migrations build exactly the schema of ``trust.store.tables`` on both databases."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import String, inspect

from trust.store import Store, create_store_engine
from trust.store.migrate import alembic_config, downgrade, head_revision, is_current, upgrade
from trust.store.tables import metadata


def _matters(diff: Any, dialect: str) -> bool:
    # SQLite does not enforce VARCHAR lengths, so a migration may rightly skip widening one.
    change = diff[0] if isinstance(diff, list) else diff
    if dialect == "sqlite" and change[0] == "modify_type":
        old, new = change[-2], change[-1]
        return not (isinstance(old, String) and isinstance(new, String))
    return True


def schema_drift(url: str) -> tuple[set[str], list[object]]:
    """The tables the database has, and what Alembic sees differ from the metadata."""
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names()) - {"alembic_version"}
            drift = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    return tables, [d for d in drift if _matters(d, engine.dialect.name)]


def test_alembic_upgrade_head_on_an_empty_database_builds_exactly_the_metadata(
    empty_database_url: str,
) -> None:
    command.upgrade(alembic_config(empty_database_url), "head")
    tables, drift = schema_drift(empty_database_url)
    assert tables == set(metadata.tables)
    assert drift == []


def test_downgrade_to_base_then_upgrade_again_restores_the_schema(
    empty_database_url: str,
) -> None:
    store = Store.open(empty_database_url)
    try:
        downgrade(store.engine, "base")
        with store.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        upgrade(store.engine)
    finally:
        store.close()
    tables, drift = schema_drift(empty_database_url)
    assert tables == set(metadata.tables) and drift == []


def test_opening_a_store_twice_migrates_once_and_changes_nothing(empty_database_url: str) -> None:
    Store.open(empty_database_url).close()
    Store.open(empty_database_url).close()
    assert schema_drift(empty_database_url) == (set(metadata.tables), [])


def test_the_head_read_from_file_names_is_alembics_head() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert head_revision() == scripts.get_current_head()


def test_the_version_check_tells_a_store_at_the_head_from_one_behind(
    empty_database_url: str,
) -> None:
    engine = create_store_engine(empty_database_url)
    try:
        assert not is_current(engine)  # no alembic_version table yet
        upgrade(engine, "0015")
        assert not is_current(engine)
        upgrade(engine)
        assert is_current(engine)
        downgrade(engine, "base")  # the version table stays, empty
        assert not is_current(engine)
    finally:
        engine.dispose()
