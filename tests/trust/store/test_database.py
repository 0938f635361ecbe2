"""How store connections are set up, and the text JSON columns get."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from trust.store.database import (
    SQLITE_CACHE_KIB,
    SQLITE_MMAP_BYTES,
    _bind_processor,
    create_store_engine,
    json_text,
)


def test_sqlite_connections_keep_a_large_page_cache_and_map_the_file(tmp_path: Path) -> None:
    """A batch's index pages stay cached between batches instead of being read again."""
    engine = create_store_engine(f"sqlite:///{tmp_path / 'trust.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == -SQLITE_CACHE_KIB
        assert conn.exec_driver_sql("PRAGMA mmap_size").scalar_one() == SQLITE_MMAP_BYTES
    engine.dispose()


def test_postgresql_connections_compile_nothing_and_start_no_parallel_workers(
    postgres_url: str,
) -> None:
    """Short look-ups are not billed for JIT compilation or parallel worker start-up, on
    every pooled connection, and each transaction still commits durably."""
    engine = create_store_engine(postgres_url)
    try:
        with engine.connect() as first, engine.connect() as second:
            for conn in (first, second):
                assert conn.exec_driver_sql("SHOW jit").scalar_one() == "off"
                assert (
                    conn.exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar_one() == "0"
                )
                assert conn.exec_driver_sql("SHOW synchronous_commit").scalar_one() == "on"
    finally:
        engine.dispose()


JSON_KEYS = st.text(st.characters(exclude_categories=()), max_size=8) | st.integers() | st.none()
JSON_LIKE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(exclude_categories=()), max_size=12),
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(JSON_KEYS, children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300)
@given(JSON_LIKE)
def test_json_columns_get_the_text_json_dumps_gives(value: Any) -> None:
    assert json_text(value) == json.dumps(value)


def test_json_columns_refuse_what_json_dumps_refuses() -> None:
    circular: list[Any] = []
    circular.append(circular)
    for bad, error in ((Decimal("1.5"), TypeError), ({"at": object()}, TypeError)):
        with pytest.raises(error) as fast:
            json_text(bad)
        with pytest.raises(error) as slow:
            json.dumps(bad)
        assert str(fast.value) == str(slow.value)
    with pytest.raises(ValueError, match="Circular reference"):
        json_text(circular)
    # A failed value leaves nothing behind: the next one encodes as usual.
    assert json_text([1, {"a": 2.5}]) == '[1, {"a": 2.5}]'


@settings(max_examples=300)
@given(
    st.datetimes(
        timezones=st.none()
        | st.timezones()
        | st.builds(
            timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
        )
    )
)
def test_sqlite_dates_are_bound_as_sqlalchemy_binds_them(moment: datetime) -> None:
    """The fast date-time bind gives SQLAlchemy's text: the wall clock, any offset dropped."""
    dialect = sqlite.dialect()
    column_type = DateTime(timezone=True)
    slow = column_type._cached_bind_processor(dialect)
    fast = _bind_processor(column_type, dialect)
    assert slow is not None and fast is not None
    assert fast(moment) == slow(moment)
