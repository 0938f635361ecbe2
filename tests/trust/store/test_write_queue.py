"""SQLite writers queue on the database's lock file (``trust/store/write_queue.py``)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from trust.store.database import create_store_engine, snapshot, transaction
from trust.store.write_queue import SUFFIX, QueuedWriterConnection, remove_sqlite_files

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with transaction(engine) as conn:
        conn.exec_driver_sql("CREATE TABLE marks (who TEXT, at REAL)")
    return engine


def _turn_is_free(database: Path) -> bool:
    fd = os.open(str(database) + SUFFIX, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def test_a_file_store_queues_its_writers_and_readers_take_no_turn(
    engine: Engine, tmp_path: Path
) -> None:
    database = tmp_path / "store.db"
    with engine.connect() as conn:
        assert isinstance(conn.connection.driver_connection, QueuedWriterConnection)
    with transaction(engine) as conn:
        conn.exec_driver_sql("INSERT INTO marks VALUES ('a', 0)")
        assert not _turn_is_free(database)
    assert _turn_is_free(database)
    with snapshot(engine) as conn:
        conn.exec_driver_sql("SELECT count(*) FROM marks")
        assert _turn_is_free(database)


def test_a_second_writer_starts_after_the_first_commits(engine: Engine) -> None:
    first_in = threading.Event()
    times: dict[str, float] = {}

    def first() -> None:
        with transaction(engine) as conn:
            conn.exec_driver_sql("INSERT INTO marks VALUES ('first', 0)")
            first_in.set()
            time.sleep(0.3)
        times["first committed"] = time.monotonic()

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(10)
    with transaction(engine) as conn:
        times["second began"] = time.monotonic()
        conn.exec_driver_sql("INSERT INTO marks VALUES ('second', 0)")
    thread.join(10)
    assert times["second began"] >= times["first committed"]
    with engine.connect() as conn:
        assert [r[0] for r in conn.exec_driver_sql("SELECT who FROM marks")] == [
            "first",
            "second",
        ]


def test_a_failed_transaction_lets_the_turn_go(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), transaction(engine) as conn:
        conn.exec_driver_sql("INSERT INTO marks VALUES ('lost', 0)")
        raise RuntimeError("the batch broke")
    assert _turn_is_free(tmp_path / "store.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM marks").scalar_one() == 0


def test_a_writer_that_gives_up_queueing_leaves_the_wait_to_sqlite(tmp_path: Path) -> None:
    database = tmp_path / "plain.db"
    holder = os.open(str(database) + SUFFIX, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)  # someone holds the turn but not SQLite's lock
    conn = QueuedWriterConnection(str(database), isolation_level=None)
    try:
        conn.attach(str(database), give_up_seconds=0.05)
        conn.queue()  # returns after the give-up time, without the turn
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    finally:
        conn.close()
        os.close(holder)


def test_writers_in_two_processes_take_turns(engine: Engine, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    script = (
        "import sys, time\n"
        "from trust.store.database import create_store_engine, transaction\n"
        "engine = create_store_engine(sys.argv[1])\n"
        "with transaction(engine) as conn:\n"
        "    conn.exec_driver_sql(\"INSERT INTO marks VALUES ('other', 0)\")\n"
        "    print('in', flush=True)\n"
        "    time.sleep(0.5)\n"
        "    conn.exec_driver_sql(\"UPDATE marks SET at = 1 WHERE who = 'other'\")\n"
    )
    other = subprocess.Popen(
        [sys.executable, "-c", script, url],
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert other.stdout is not None
        assert other.stdout.readline().strip() == b"in"
        with transaction(engine) as conn:
            # The other process has committed: its whole transaction is visible here.
            seen = conn.exec_driver_sql("SELECT at FROM marks WHERE who = 'other'").scalar()
            conn.exec_driver_sql("INSERT INTO marks VALUES ('here', 0)")
        assert seen == 1
        assert other.wait(30) == 0
    finally:
        if other.poll() is None:
            other.kill()


def test_a_lock_file_that_cannot_be_made_leaves_the_connection_unqueued(tmp_path: Path) -> None:
    # A store in a folder it may not write (a read-only copy) is still read.
    database = tmp_path / "store.db"
    conn = QueuedWriterConnection(str(database), isolation_level=None)
    try:
        conn.attach(str(tmp_path / "missing" / "store.db"), give_up_seconds=1.0)
        conn.queue()  # nothing to wait on
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE marks (who TEXT)")
        conn.commit()
        assert conn.execute("SELECT count(*) FROM marks").fetchone() == (0,)
    finally:
        conn.close()


def test_removing_a_store_removes_its_companion_files(engine: Engine, tmp_path: Path) -> None:
    with transaction(engine) as conn:
        conn.exec_driver_sql("INSERT INTO marks VALUES ('a', 0)")
    engine.dispose()
    assert (tmp_path / ("store.db" + SUFFIX)).exists()
    remove_sqlite_files(tmp_path / "store.db")
    assert list(tmp_path.iterdir()) == []
