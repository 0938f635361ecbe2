"""Re-encrypt what is stored with the current key: after a key rotation, or to seal old rows.

Rows are read through the sealed column types (opened with any configured key) and written
back (sealed with the current key), a chunk per transaction, skipping rows already sealed
with the current key, so a run can be interrupted and started again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, Engine, Table, Text, select, type_coerce, update

from trust.encryption import Keyring, is_sealed
from trust.store.database import transaction
from trust.store.sealed import SEALED_KEY, keyring_of
from trust.store.tables import events, quarantine

CHUNK = 1_000


@dataclass(frozen=True, slots=True)
class ResealReport:
    """How many rows were re-encrypted, and how many were already current."""

    events: int
    quarantined: int
    already_current: int


def _current(keyring: Keyring, stored: object) -> bool:
    if isinstance(stored, dict):
        token = stored.get(SEALED_KEY)
        return isinstance(token, str) and keyring.is_current(token)
    return is_sealed(stored) and keyring.is_current(str(stored))


def _reseal_table(engine: Engine, table: Table, column: str, raw_type: type) -> tuple[int, int]:
    keyring = keyring_of(engine.dialect)
    sealed_column = table.c[column]
    raw_column = type_coerce(sealed_column, raw_type())
    done = current = 0
    after = 0
    while True:
        with transaction(engine) as conn:
            rows = conn.execute(
                select(table.c.id, raw_column.label("raw"))
                .where(table.c.id > after).order_by(table.c.id).limit(CHUNK)
            ).all()
            if not rows:
                return done, current
            after = rows[-1].id
            stale = [row.id for row in rows if not _current(keyring, row.raw)]
            current += len(rows) - len(stale)
            if stale:
                opened = conn.execute(
                    select(table.c.id, sealed_column).where(table.c.id.in_(stale))
                ).all()
                for row_id, value in opened:
                    conn.execute(
                        update(table).where(table.c.id == row_id).values({column: value})
                    )
                done += len(stale)


def reseal_store(engine: Engine) -> ResealReport:
    """Re-encrypt every event payload and quarantined record not sealed with the current key.

    On SQLite the file is vacuumed afterwards, so no page keeps an older form of a row.
    """
    events_done, events_current = _reseal_table(engine, events, "payload", JSON)
    held_done, held_current = _reseal_table(engine, quarantine, "raw", Text)
    if engine.dialect.name == "sqlite" and events_done + held_done:
        # Outside any transaction (VACUUM refuses to run in one), on the driver connection.
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("VACUUM")  # type: ignore[union-attr]
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()
    return ResealReport(events_done, held_done, events_current + held_current)
