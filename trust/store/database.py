"""Connecting to the store: one engine per URL, SQLite tuned for concurrent writers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, Dialect, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.types import TypeEngine

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


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC (SQLite hands back naive values, taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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


def _sqlite_datetime(slow: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """SQLite's date-time bind processor for datetimes in one C call (same text as ``slow``,
    which is SQLAlchemy's: the wall-clock fields, offset dropped); anything else goes to it."""

    def process(value: Any) -> Any:
        if type(value) is datetime:
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")
        return slow(value)

    return process


def _bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    processor = type_._cached_bind_processor(dialect)
    if (
        processor is not None
        and dialect.name == "sqlite"
        and isinstance(type_, DateTime)
        and getattr(type_.dialect_impl(dialect), "_storage_format", None)
        == sqlite.DATETIME._storage_format
    ):
        return _sqlite_datetime(processor)
    return processor


# Compiled write statements by shape (statement cache key, dialect, columns). Compiling one
# cost ~0.2 ms, about a fifth of the CPU of a one-event decision (``trust decide``).
_COMPILED: dict[tuple[Any, ...], SQLCompiler] = {}


def _compiled(stmt: UpdateBase, dialect: Dialect, keys: list[str]) -> SQLCompiler:
    """``stmt`` compiled for ``keys``, reused when it holds no value of its own (a constant's
    value is not part of the cache key, so such statements are compiled every time)."""
    cache_key = stmt._generate_cache_key()
    shape = (cache_key.key, type(dialect), dialect.paramstyle, *keys) if cache_key else None
    if shape is not None and (found := _COMPILED.get(shape)) is not None:
        return found
    compiled = stmt.compile(dialect=dialect, column_keys=keys)
    if shape is not None and set(compiled.binds) <= set(keys):
        if len(_COMPILED) >= 512:
            _COMPILED.clear()
        _COMPILED[shape] = compiled
    return compiled


def execute_many(conn: Connection, stmt: UpdateBase, rows: Sequence[Mapping[str, Any]]) -> int:
    """Run a write statement once per row in one driver ``executemany``; returns rows written.

    The statement is compiled once for the batch and each column's bind processor (JSON,
    sealing, SQLite date strings) is mapped over the column, so the values reach the
    database exactly as ``conn.execute(stmt, rows)`` would send them, without SQLAlchemy's
    per-row parameter bookkeeping (most of the CPU of a batch insert). Every row must have
    the keys of the first.
    """
    if not rows:
        return 0
    dialect = conn.dialect
    compiled = _compiled(stmt, dialect, list(rows[0]))
    names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
    columns: list[list[Any] | tuple[Any, ...]] = []
    for name in names:
        bind = compiled.binds[name]
        fn = _bind_processor(bind.type, dialect)
        if name in rows[0]:
            # Column by column: map() runs the processor without a Python frame per row.
            values = [row[name] for row in rows]
            columns.append(values if fn is None else list(map(fn, values)))
        else:  # a constant of the statement itself
            columns.append((bind.value if fn is None else fn(bind.value),) * len(rows))
    params: list[Any]
    if compiled.positional:
        params = list(zip(*columns, strict=True))
    else:
        keys = [compiled.escaped_bind_names.get(name, name) for name in names]
        params = [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]
    result = conn.exec_driver_sql(compiled.string, params)
    return max(result.rowcount, 0)


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
    return execute_many(conn, stmt, rows)
