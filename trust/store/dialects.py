"""What differs between SQLite and PostgreSQL, behind functions: code outside ``trust/store``
(cases, reports) never asks which database it runs on.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Dialect,
    Engine,
    Select,
    Table,
    Text,
    TypeDecorator,
    bindparam,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Alias, TableValuedAlias
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeEngine

from trust.errors import StoreError
from trust.store.database import (
    SQLITE_BUSY_TIMEOUT_MS,
    SQLITE_WAL_AUTOCHECKPOINT_PAGES,
    json_text,
    reading,
)
from trust.store.tables import FAILED_SIGN_INS_WHERE
from trust.store.write_queue import QueuedWriterConnection

S = TypeVar("S", bound=Select[Any])
log = logging.getLogger(__name__)


def is_postgresql(conn: Connection | Engine) -> bool:
    """True on PostgreSQL, False on SQLite (the two databases the store supports)."""
    name = conn.dialect.name
    if name not in ("postgresql", "sqlite"):  # pragma: no cover - refused at open
        raise StoreError(f"unsupported database dialect {name}")
    return name == "postgresql"


def keeps_wall_clock(conn: Connection | Engine) -> bool:
    """True where an aware time is stored as its wall clock with the offset dropped (SQLite),
    so rows merged in memory must be made naive to read back as stored rows do."""
    return not is_postgresql(conn)


def upsert(conn: Connection, table: Table) -> Any:
    """``INSERT`` into ``table`` with ``on_conflict_do_nothing``/``_update`` (both dialects)."""
    return (postgresql.insert if is_postgresql(conn) else sqlite.insert)(table)


def locked(conn: Connection, stmt: S, *, skip_locked: bool = False) -> S:
    """``stmt`` with ``FOR UPDATE`` on PostgreSQL (``SKIP LOCKED`` if asked).

    SQLite takes the whole database for each writing transaction, so rows need no lock.
    """
    return stmt.with_for_update(skip_locked=skip_locked) if is_postgresql(conn) else stmt


def json_array_items(conn: Connection, column: str, alias: str) -> tuple[str, str]:
    """SQL to unnest the JSON array in ``column`` (one row per item, named ``alias``).

    Returns the FROM fragment to put after the table (``decisions d {fragment}``) and a
    template for reading a field of the item: ``template.format(field="rule_id")``.
    """
    if is_postgresql(conn):
        return f"CROSS JOIN LATERAL json_array_elements({column}) AS {alias}", (
            f"{alias}->>'{{field}}'"
        )
    return f", json_each({column}) AS {alias}", f"json_extract({alias}.value, '$.{{field}}')"


# Statistics are taken again once the events table has grown this many times over.
STALE_GROWTH = 4
# Frames past which a background checkpoint also restarts the WAL (``checkpoint_wal``).
RESTART_WAL_FRAMES = 3 * SQLITE_WAL_AUTOCHECKPOINT_PAGES
# How long a restart waits for the readers of the WAL (and writers for it) at most.
RESTART_WAIT_MS = 100
# What the commits of an engine whose checkpoints run in the background still checkpoint.
BACKGROUND_AUTOCHECKPOINT_PAGES = 2 * RESTART_WAL_FRAMES


def refresh_planner_statistics(engine: Engine) -> bool:
    """Give the query planner statistics (``ANALYZE``) when it has none or (SQLite) the
    events have grown ``STALE_GROWTH`` times since; True when it took them.

    Without statistics SQLite read an account's verified identities through the (kind,
    occurred_at) index, every profile verification ever stored, instead of the (subject_id,
    occurred_at) one: 28 ms per withdrawal decision at 100,000 prior events, 0.01 ms with
    them. A whole ANALYZE costs ~1 ms per 1,000 events, so it runs only when needed; a
    sampled one (``analysis_limit``) is cheap but caps the rows per key it estimates, which
    sent the batch identifier look-up through the kind index (2x the CPU of a batch).

    PostgreSQL's autovacuum keeps statistics current once it has seen a table change, but a
    database restored, cloned or bulk-loaded has rows and none yet (autovacuum looks after
    a minute at the earliest, then only at 10% growth): such a store is analysed here.
    """
    try:
        if is_postgresql(engine):
            return _analyze_if_never(engine)
        return _analyze_if_stale(engine)
    except DBAPIError as exc:  # a read-only file, a busy store: look-ups work without
        log.warning("planner statistics not refreshed", extra={"error": type(exc).__name__})
        return False


def checkpoint_in_background(engine: Engine) -> None:
    """Leave the WAL checkpoints of ``engine``'s commits to :func:`checkpoint_wal` (SQLite).

    A commit that finds the WAL past its autocheckpoint size copies it into the database
    file while it waits: ~80 MB at ``SQLITE_WAL_AUTOCHECKPOINT_PAGES``, 60-120 ms added to
    the answers of a whole group of ``POST /v1/decisions`` every few seconds under load.
    Called every couple of seconds from a background thread (SQLite releases the GIL
    meanwhile), :func:`checkpoint_wal` copies the WAL and restarts it past
    ``RESTART_WAL_FRAMES``; the commits of ``engine`` checkpoint only past twice that,
    should those calls fall behind. Call it before the engine's first connection: pooled
    connections keep what they were opened with.
    """
    if is_postgresql(engine):
        return

    @event.listens_for(engine, "connect")
    def _backstop(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(
            f"PRAGMA wal_autocheckpoint={BACKGROUND_AUTOCHECKPOINT_PAGES}"
        ).close()


def checkpoint_wal(
    engine: Engine,
    *,
    restart_over: int = RESTART_WAL_FRAMES,
    restart_wait_ms: int = RESTART_WAIT_MS,
) -> bool:
    """Copy the pages SQLite's WAL holds into the database file now, waiting for no reader or
    writer (``PASSIVE``); True when it ran. PostgreSQL has nothing to do.

    A WAL that holds more than ``restart_over`` frames is also restarted (``_restart``),
    waiting up to ``restart_wait_ms`` for its readers.
    """
    if is_postgresql(engine):
        return False
    with engine.connect() as conn:
        # On the driver's connection: a statement through SQLAlchemy would run inside the
        # transaction it begins, where SQLite refuses to checkpoint.
        driver: Any = conn.connection.driver_connection
        try:
            _busy, frames, _copied = driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if frames > restart_over:
                _restart(driver, restart_wait_ms)
        except sqlite3.OperationalError as exc:  # another process checkpointing: next time
            log.debug("WAL checkpoint skipped", extra={"error": str(exc)})
            return False
    return True


def _restart(driver: Any, wait_ms: int) -> None:
    """Checkpoint what is left and have the next commit write the WAL from its start.

    SQLite starts the WAL over only when a writer finds every frame copied and no reader
    still reading one. Two busy API processes always have a reader in the WAL, so it
    restarted seldom: it grew (143 MB in a 40 s run) until every commit passed the
    autocheckpoint size and checkpointed itself, 50-90 ms of ``fdatasync`` in the middle
    of a group of answers. ``RESTART`` holds the write lock until the readers of the WAL
    are done; it first takes this store's writer turn (``write_queue``), so writers of
    every process wait for it in the queue and start the moment it ends. A reader that
    stays longer than ``wait_ms`` (a report, a backup) is not waited for: the WAL
    is restarted on a later call.
    """
    queued = isinstance(driver, QueuedWriterConnection)
    driver.execute(f"PRAGMA busy_timeout={wait_ms}").close()
    if queued:
        driver.queue()
    try:
        driver.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
    finally:
        if queued:
            driver.release()
        driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}").close()


def _analyze_if_never(engine: Engine) -> bool:
    with engine.connect() as conn:
        if not conn.exec_driver_sql("SELECT 1 FROM events LIMIT 1").first():
            return False  # nothing to measure
        if conn.exec_driver_sql(
            "SELECT 1 FROM pg_stats WHERE schemaname = current_schema() "
            "AND tablename = 'events' LIMIT 1"
        ).first():
            return False
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return True


def _analyze_if_stale(engine: Engine) -> bool:
    # Measured in a read (every process that opens the store asks; only a stale one writes).
    with reading(engine) as conn:
        rows = conn.exec_driver_sql("SELECT max(id) FROM events").scalar() or 0
        if rows == 0:
            return False  # nothing to measure: an empty table's statistics would mislead
        measured = 0
        if conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
        ).first():
            stat = conn.exec_driver_sql(
                "SELECT stat FROM sqlite_stat1 WHERE tbl = 'events' AND idx IS NOT NULL"
            ).scalar()
            measured = int(stat.split()[0]) if stat else 0
    if measured and rows < measured * STALE_GROWTH:
        return False
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA analysis_limit=0")
        conn.exec_driver_sql("ANALYZE")
    return True


class _TextList(TypeDecorator[Sequence[str]]):
    """A list of strings bound as one parameter: a JSON array on SQLite, ``text[]`` on
    PostgreSQL (see :class:`TextIn`)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(Text()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Sequence[str] | None, dialect: Dialect) -> Any:
        values = list(value or ())
        return values if dialect.name == "postgresql" else json_text(values)


class TextIn(ColumnElement[bool]):
    """``column IN (the strings of parameter name)`` with the list bound as ONE parameter.

    An expanding IN (``bindparam(expanding=True)``) renders one placeholder per value at
    every execution: SQLAlchemy re-renders the statement (~5% of a batch's CPU) and the
    driver prepares a new statement for every list length. This statement's text never
    changes: ``column IN (SELECT value FROM json_each(:name))`` on SQLite (still a seek per
    value on ``column``'s index) and ``column = ANY(:name)`` on PostgreSQL.
    """

    inherit_cache = True
    type = Boolean()
    # A comparison already (SQLite would otherwise be given ``... = 1``).
    _is_implicitly_boolean = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]

    def __init__(
        self, column: ColumnElement[Any], name: str, constant: Sequence[str] | None = None
    ) -> None:
        """``constant``: a list fixed in the statement (else the caller binds ``name``)."""
        self.column = column
        self.values = bindparam(name, constant, type_=_TextList(), unique=constant is not None)


@compiles(TextIn)
def _text_in_sqlite(element: TextIn, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = compiler.process(element.column, **kw), compiler.process(element.values, **kw)
    return f"{column} IN (SELECT value FROM json_each({values}))"


@compiles(TextIn, "postgresql")
def _text_in_postgresql(element: TextIn, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = compiler.process(element.column, **kw), compiler.process(element.values, **kw)
    return f"{column} = ANY({values})"


class FailedSignIn(ColumnElement[bool]):
    """``events`` rows that are failed sign-ins, in the words of the partial index
    ``ix_events_failed_sign_ins`` (``FAILED_SIGN_INS_WHERE``): a database uses a partial
    index only for a select whose conditions imply its own, and a JSON path or value bound
    as a parameter implies nothing. For a select of ``events`` under its own name (SQLite
    must also be told the index: ``indexed_by``)."""

    type = Boolean()
    inherit_cache = True
    # A comparison already (SQLite would otherwise be given ``... = 1``).
    _is_implicitly_boolean = True


@compiles(FailedSignIn)
def _failed_sign_in(element: FailedSignIn, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({FAILED_SIGN_INS_WHERE[compiler.dialect.name]})"


class _TextRows(FunctionElement[Any]):
    """The strings of one bound list as a table of one column, ``value``."""

    name = "text_rows"
    inherit_cache = True


@compiles(_TextRows)
def _text_rows_sqlite(element: _TextRows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"


@compiles(_TextRows, "postgresql")
def _text_rows_postgresql(element: _TextRows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(SELECT unnest({compiler.process(element.clauses, **kw)}) AS value)"


def text_rows(name: str, alias: str) -> TableValuedAlias:
    """The list bound as parameter ``name`` as rows, each in column ``value``: a FROM item a
    correlated subquery can run once per value (``json_each`` on SQLite, ``unnest`` on
    PostgreSQL)."""
    return _TextRows(bindparam(name, type_=_TextList())).table_valued("value").alias(alias)


class _IndexedBy(Alias):
    """A table read through one named index on SQLite (``INDEXED BY``), plainly elsewhere."""

    inherit_cache = True
    _traverse_internals = [*Alias._traverse_internals, ("index", InternalTraversal.dp_string)]
    index: str = ""


def indexed_by(table: Table, index: str) -> _IndexedBy:
    """``table`` for a select that must read it through ``index`` on SQLite.

    SQLite without planner statistics (a store that grew since it was opened) takes the
    (kind, occurred_at) index for any test of one kind, and reads every event of the kind;
    a partial index on that kind is what the select was written for. PostgreSQL's planner
    has statistics, and no such syntax.
    """
    alias = _IndexedBy._construct(table, name=table.name)
    alias.index = index
    return alias


def _indexed_by_from(element: _IndexedBy, compiler: SQLCompiler, hint: str, **kw: Any) -> str:
    if kw.get("asfrom"):
        return f"{compiler.preparer.format_table(element.element)}{hint}"
    return str(compiler.visit_alias(element, **kw))


@compiles(_IndexedBy)
def _indexed_by_default(element: _IndexedBy, compiler: SQLCompiler, **kw: Any) -> str:
    return _indexed_by_from(element, compiler, "", **kw)


@compiles(_IndexedBy, "sqlite")
def _indexed_by_sqlite(element: _IndexedBy, compiler: SQLCompiler, **kw: Any) -> str:
    return _indexed_by_from(element, compiler, f" INDEXED BY {element.index}", **kw)
