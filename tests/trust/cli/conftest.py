"""CLI-test fixtures: every command pointed at a temp data folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from trust.settings import get_settings


@pytest.fixture
def trust_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Commands run against a SQLite store in a temp folder, with a fixed key and no Redis."""
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRUST_SECRET_KEY", TEST_SECRET)
    monkeypatch.delenv("TRUST_DATABASE_URL", raising=False)
    monkeypatch.delenv("TRUST_REDIS_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
