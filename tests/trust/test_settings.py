"""Settings: the personal-data key is generated once, kept private, and required in production."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import get_args

import pytest
from pydantic import ValidationError

from trust.errors import ConfigurationError
from trust.events import EVENT_KINDS, EventKind
from trust.settings import SECRET_KEY_FILE, CaseKind, Settings, Thresholds, get_settings


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


def test_every_scored_kind_has_thresholds_and_every_case_kind_an_sla() -> None:
    current = Settings()
    assert set(current.decision.thresholds) == set(get_args(EventKind)) == set(EVENT_KINDS)
    assert set(current.sla.hours) == set(get_args(CaseKind)) >= set(EVENT_KINDS)


def test_overriding_one_kind_keeps_the_others_and_the_rest_of_that_kind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    defaults = Settings()
    monkeypatch.setenv("TRUST_DECISION__THRESHOLDS", '{"complaint": {"block": 99}}')
    monkeypatch.setenv("TRUST_SLA__HOURS", '{"review": 12}')

    current = Settings()

    thresholds = current.decision.thresholds
    assert thresholds["complaint"] == Thresholds(review=30, block=99)
    assert {k: v for k, v in thresholds.items() if k != "complaint"} == {
        k: v for k, v in defaults.decision.thresholds.items() if k != "complaint"
    }
    assert current.sla.hours == {**defaults.sla.hours, "review": 12.0}


def test_a_nested_variable_sets_one_cut_off_of_one_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUST_DECISION__THRESHOLDS__REVIEW__REVIEW", "55")

    thresholds = Settings().decision.thresholds

    assert thresholds["review"] == Thresholds(review=55, block=95)
    assert thresholds["profile_verification"] == Thresholds(review=40, block=90)


@pytest.mark.parametrize(
    ("variable", "value", "field"),
    [
        ("TRUST_DECISION__THRESHOLDS", '{"reveiw": {"block": 97}}', "decision.thresholds.reveiw"),
        ("TRUST_SLA__HOURS", '{"complaints": 100}', "sla.hours.complaints"),
        ("TRUST_SLA__BUSINESS_DAY_KINDS", '["apeal"]', "sla.business_day_kinds.0"),
    ],
)
def test_a_misspelt_kind_is_refused_at_start_up_with_its_name(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    (error,) = refused.value.errors()
    assert ".".join(str(part) for part in error["loc"]).startswith(field)
    assert "'review'" in error["msg"] and field in str(refused.value)
