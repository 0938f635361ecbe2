"""The store: events, quarantine, accounts and links, decisions, cases, audit, staff."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from trust.encryption import Keyring
from trust.settings import Settings
from trust.store.database import create_store_engine, snapshot, transaction
from trust.store.dialects import refresh_planner_statistics
from trust.store.migrate import upgrade_if_behind
from trust.store.sealed import KeySource, attach_keyring


@dataclass
class Store:
    """A migrated database, ready for the repositories in ``trust.store.*``."""

    engine: Engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, keyring: Keyring | None = None) -> Store:
        """Connect to ``url`` and (by default) bring its schema up to date (a version check
        first: a store already at the head costs one query, not an Alembic run) and its
        query planner's statistics (``refresh_planner_statistics``).

        Personal data is sealed with ``keyring``; without one, with the keys the
        ``TRUST_*`` environment names (as ``Store.from_settings(Settings())`` would).
        """
        engine = create_store_engine(url)
        attach_keyring(engine.dialect, _key_source(keyring))
        if migrate:
            upgrade_if_behind(engine)
            refresh_planner_statistics(engine)
        return cls(engine)

    @classmethod
    def of_engine(cls, engine: Engine, keyring: Keyring) -> Store:
        """A store over an engine built elsewhere (a scratch in-memory database)."""
        attach_keyring(engine.dialect, _key_source(keyring))
        return cls(engine)

    @classmethod
    def from_settings(cls, settings: Settings, *, migrate: bool = True) -> Store:
        """The store the settings name (SQLite in the data folder unless configured)."""
        return cls.open(
            settings.resolved_database_url,
            migrate=migrate,
            keyring=Keyring.from_settings(settings),
        )

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _key_source(keyring: Keyring | None) -> KeySource:
    if keyring is not None:
        return lambda: keyring
    # Read on first use, not on open: a store used only for migrations or staff needs none.
    return lambda: Keyring.from_settings(Settings())


__all__ = ["Store", "create_store_engine", "snapshot", "transaction"]
