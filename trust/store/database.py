"""Connecting to the store: one engine per URL, SQLite tuned for concurrent writers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from trust.errors import StoreError, TransientStoreError

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Pages the WAL may hold before a commit checkpoints it into the database (SQLite's default
# is 1,000, about 4 MB). A batch writes a few hundred pages, so the default checkpointed
# every few batches, fsync included: ~80 us/event of a worker's time. 10,000 pages (~40 MB)
# copies each hot page once per ten times as many batches.
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


READ_ONLY = "trust_read_only"


def _begin_immediate(conn: Connection) -> None:
    if conn.get_execution_options().get(READ_ONLY):
        # A reader takes no lock: in WAL mode it sees one snapshot and blocks no writer.
        conn.exec_driver_sql("BEGIN")
        return
    # Take the write lock up front so two writers queue on busy_timeout instead of
    # deadlocking on a lock upgrade half-way through a transaction.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_store_engine(url: str, *, echo: bool = False) -> Engine:
    """Build an engine for ``url``; SQLite files get WAL, a busy timeout and eager write locks.

    Statement errors never carry their parameters (``hide_parameters``): they are rows of
    events, personal data included, and errors end up in logs and dead letters.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            hide_parameters=True,
            poolclass=NullPool if path == ":memory:" else None,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _tune_sqlite)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            _begin_immediate(conn)

        return engine
    return create_engine(
        url, echo=echo, hide_parameters=True, pool_pre_ping=True, pool_size=5, max_overflow=5
    )


def is_transient(exc: BaseException) -> bool:
    """True for database faults worth a retry: locked, unreachable, serialization failures."""
    if isinstance(exc, OperationalError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in {"40001", "40P01", "57P01", "08006", "08001", "08003"}


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction; database faults come out as (Transient)StoreError."""
    try:
        with engine.begin() as conn:
            yield conn
    except DBAPIError as exc:
        if is_transient(exc):
            raise TransientStoreError(str(exc.orig or exc)) from exc
        raise StoreError(str(exc.orig or exc)) from exc


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction that holds no write lock; faults as in ``transaction``."""
    try:
        with engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            with conn.begin():
                yield conn
    except DBAPIError as exc:
        if is_transient(exc):
            raise TransientStoreError(str(exc.orig or exc)) from exc
        raise StoreError(str(exc.orig or exc)) from exc


def insert_ignoring_duplicates(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> int:
    """Insert rows, silently skipping those whose ``keys`` already exist; returns rows written."""
    if not rows:
        return 0
    dialect = conn.dialect.name
    stmt: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    else:  # pragma: no cover - only the two supported dialects reach here
        raise StoreError(f"unsupported database dialect {dialect}")
    result = conn.execute(stmt, list(rows))
    return max(result.rowcount, 0)
