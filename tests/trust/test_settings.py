"""Settings: the personal-data key is generated once, kept private, and required in production."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from trust.errors import ConfigurationError
from trust.settings import SECRET_KEY_FILE, Settings, get_settings


def test_a_missing_key_is_generated_once_into_a_private_file(tmp_path: Path) -> None:
    first = Settings(environment="development", data_dir=tmp_path).resolved_secret_key()
    key_file = tmp_path / SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 32
    again = Settings(environment="development", data_dir=tmp_path).resolved_secret_key()
    assert again == first
    assert key_file.read_text().encode() == first


def test_two_data_folders_get_different_keys(tmp_path: Path) -> None:
    one = Settings(data_dir=tmp_path / "one").resolved_secret_key()
    two = Settings(data_dir=tmp_path / "two").resolved_secret_key()
    assert one != two


def test_a_configured_key_wins_and_writes_no_file(tmp_path: Path) -> None:
    key = "k" * 40
    assert Settings(data_dir=tmp_path, secret_key=key).resolved_secret_key() == key.encode()
    assert not (tmp_path / SECRET_KEY_FILE).exists()


def test_production_without_a_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="TRUST_SECRET_KEY"):
        Settings(environment="production", data_dir=tmp_path).resolved_secret_key()
    assert not (tmp_path / SECRET_KEY_FILE).exists()


def test_a_short_key_is_refused_at_load() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(secret_key="too-short")


def test_settings_come_from_trust_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRUST_WORKER__BATCH_SIZE", "42")
    monkeypatch.delenv("TRUST_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        current = get_settings()
        assert current.worker.batch_size == 42
        assert current.resolved_database_url == f"sqlite:///{(tmp_path / 'trust.db').resolve()}"
    finally:
        get_settings.cache_clear()


def test_a_rules_hard_limit_past_the_heartbeat_timeout_is_refused_at_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRUST_WORKER__HEARTBEAT_TIMEOUT_MS", "4000")
    monkeypatch.setenv("TRUST_WORKER__RULES_HARD_LIMIT_MS", "4000")
    with pytest.raises(ValidationError, match=r"rules_hard_limit_ms \(4000\) must be below"):
        Settings()
    monkeypatch.setenv("TRUST_WORKER__RULES_HARD_LIMIT_MS", "3000")
    assert Settings().worker.rules_hard_limit_ms == 3000
