"""``trust up --demo`` trains a model per kind on a separate history, once per data folder."""

from __future__ import annotations

from models.registry import ModelRegistry
from trust.events import EVENT_KINDS
from trust.settings import Settings
from workers.demo_models import HISTORY_STORE, kinds_without_model, train_demo_models


def test_demo_training_activates_a_model_per_kind_and_removes_its_scratch_store(
    settings: Settings,
) -> None:
    said: list[str] = []

    versions = train_demo_models(settings, seed=8, say=said.append, accounts=300)

    registry = ModelRegistry.from_settings(settings)
    active = {kind: registry.active_version(kind) for kind in EVENT_KINDS}
    assert sorted(v for v in active.values() if v is not None) == sorted(versions)
    # 300 simulated accounts hold enough reviews and verifications; the rarer kinds may not.
    assert active["review"] is not None and active["profile_verification"] is not None
    assert sum(line.startswith("model") for line in said) == 1 + len(EVENT_KINDS)
    assert not list(settings.data_dir.glob(f"{HISTORY_STORE}*"))


def test_a_data_folder_with_active_models_is_not_trained_again(settings: Settings) -> None:
    train_demo_models(settings, seed=8, say=lambda _line: None)
    assert kinds_without_model(settings) == []
    before = ModelRegistry.from_settings(settings).versions()
    said: list[str] = []

    assert train_demo_models(settings, seed=8, say=said.append) == []

    assert ModelRegistry.from_settings(settings).versions() == before
    assert said == ["model      active models found in the data folder: none trained"]
