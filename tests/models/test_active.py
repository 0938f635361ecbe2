"""The model loader the composition roots pass to trust.composition.build_pipeline."""

from __future__ import annotations

from models.active import ACTIVE_MODELS, active_model
from models.scorer import RegistryScorer
from trust.settings import Settings


def test_without_an_active_model_the_rules_decide_alone(settings: Settings) -> None:
    assert active_model(settings) is None


def test_with_an_active_model_the_registry_scores(settings: Settings) -> None:
    index = settings.data_dir / ACTIVE_MODELS
    index.parent.mkdir(parents=True)
    index.write_text("{}")

    assert isinstance(active_model(settings), RegistryScorer)
