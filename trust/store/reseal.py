"""Re-encrypt what is stored with the current key: after a key rotation, or to seal old rows.

Rows are read through the sealed column types (opened with any configured key) and written
back (sealed with the current key), a chunk per transaction, skipping rows already sealed
with the current key, so a run can be interrupted and started again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, Connection, Engine, Table, Text, select, type_coerce, update

from trust.encryption import Keyring, is_sealed
from trust.pii import PiiHasher
from trust.store.accounts import record_name_words
from trust.store.database import transaction
from trust.store.sealed import SEALED_KEY, keyring_of
from trust.store.tables import accounts, events, quarantine

CHUNK = 1_000
Resealed = Callable[[Connection, dict[Any, Any]], None]


@dataclass(frozen=True, slots=True)
class ResealReport:
    """How many rows were re-encrypted, and how many were already current."""

    events: int
    quarantined: int
    accounts: int
    already_current: int


def _current(keyring: Keyring, stored: object) -> bool:
    if stored is None:
        return True
    if isinstance(stored, dict):
        token = stored.get(SEALED_KEY)
        return isinstance(token, str) and keyring.is_current(token)
    return is_sealed(stored) and keyring.is_current(str(stored))


def _reseal_table(
    engine: Engine,
    key: Column[Any],
    sealed: Column[Any],
    raw_type: type,
    then: Resealed | None = None,
) -> tuple[int, int]:
    keyring = keyring_of(engine.dialect)
    table: Table = key.table  # type: ignore[assignment]
    raw = type_coerce(sealed, raw_type())
    done = current = 0
    after: Any = None
    while True:
        with transaction(engine) as conn:
            query = select(key, raw.label("raw")).order_by(key).limit(CHUNK)
            rows = conn.execute(query if after is None else query.where(key > after)).all()
            if not rows:
                return done, current
            after = rows[-1][0]
            stale = [row[0] for row in rows if not _current(keyring, row.raw)]
            current += len(rows) - len(stale)
            if not stale:
                continue
            opened = dict(conn.execute(select(key, sealed).where(key.in_(stale))).all())
            for row_key, value in opened.items():
                conn.execute(update(table).where(key == row_key).values({sealed.name: value}))
            if then is not None:
                then(conn, opened)
            done += len(stale)


def reseal_store(engine: Engine, hasher: PiiHasher) -> ResealReport:
    """Re-encrypt every event payload, quarantined record and display name not sealed with
    the current key; display names newly sealed are indexed by their words.

    On SQLite the file is vacuumed afterwards, so no page keeps an older form of a row.
    """

    def index_names(conn: Connection, names: dict[Any, Any]) -> None:
        record_name_words(conn, {k: v for k, v in names.items() if v}, hasher)

    events_done, events_current = _reseal_table(engine, events.c.id, events.c.payload, JSON)
    held_done, held_current = _reseal_table(engine, quarantine.c.id, quarantine.c.raw, Text)
    names_done, names_current = _reseal_table(
        engine, accounts.c.account_id, accounts.c.display_name, Text, index_names
    )
    if engine.dialect.name == "sqlite" and events_done + held_done + names_done:
        # Outside any transaction (VACUUM refuses to run in one), on the driver connection.
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("VACUUM")  # type: ignore[union-attr]
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()
    return ResealReport(
        events_done, held_done, names_done, events_current + held_current + names_current
    )
