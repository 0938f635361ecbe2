"""Fixtures shared by the whole suite: settings in a temp folder, stores, real services."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from trust.encryption import Keyring
from trust.settings import Settings
from trust.store import Store

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_ADMIN_URL = os.environ.get(
    "TRUST_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_TEST_URL = os.environ.get("TRUST_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
TEST_SECRET = "test-secret-key-" + "0" * 48
# The keys of settings whose secret key is TEST_SECRET: stores opened by URL in tests use
# them, so what a test writes and what the code under test (configured by settings) reads
# are sealed alike.
TEST_KEYRING = Keyring.from_secret(TEST_SECRET.encode())


def service_missing(what: str, why: object) -> None:
    """Skip on a laptop without the service; fail in CI, where it must be there."""
    message = f"{what} is not reachable ({why}); start it or set the TRUST_TEST_* URL"
    if IN_CI:
        pytest.fail(f"{message} - required in CI", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings isolated in a temp data folder, with a fixed hashing key."""
    return Settings(environment="test", data_dir=tmp_path / "data", secret_key=TEST_SECRET)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A migrated SQLite store in a temp file."""
    store = Store.open(f"sqlite:///{tmp_path / 'trust.db'}", keyring=TEST_KEYRING)
    yield store
    store.close()


@contextmanager
def scratch_postgres_database(prefix: str) -> Iterator[str]:
    """Create a uniquely named PostgreSQL database, yield its URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any connection failure means the service is missing
        service_missing("PostgreSQL", exc)
    try:
        yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    with scratch_postgres_database("trust_test") as url:
        yield url


def _truncate_all(store: Store) -> None:
    from trust.store.tables import metadata

    with store.engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def postgres_store(postgres_url: str) -> Iterator[Store]:
    """A migrated PostgreSQL store, emptied before each test."""
    store = Store.open(postgres_url, keyring=TEST_KEYRING)
    _truncate_all(store)
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> Store:
    """The same test against SQLite and against PostgreSQL."""
    name = "sqlite_store" if request.param == "sqlite" else "postgres_store"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The shared Redis, on the suite's own database number, emptied before and after."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except Exception as exc:
        service_missing("Redis", exc)
    client.flushdb()
    yield REDIS_TEST_URL
    client.flushdb()
    client.close()
