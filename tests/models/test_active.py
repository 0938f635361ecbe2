"""The model loader the composition roots pass to trust.composition.build_pipeline."""

from __future__ import annotations

import pytest

from models.active import ACTIVE_MODELS, active_model, active_model_loaded
from models.registry import ModelRegistry
from models.scorer import RegistryScorer
from tests.factories import make_review
from tests.models.helpers import trained_review_model
from trust.errors import ArtefactIntegrityError
from trust.settings import Settings


def test_without_an_active_model_the_rules_decide_alone(settings: Settings) -> None:
    assert active_model(settings) is None


def test_with_an_active_model_the_registry_scores(settings: Settings) -> None:
    index = settings.data_dir / ACTIVE_MODELS
    index.parent.mkdir(parents=True)
    index.write_text("{}")

    assert isinstance(active_model(settings), RegistryScorer)


def test_long_running_processes_load_every_active_model_up_front(settings: Settings) -> None:
    registry = ModelRegistry.from_settings(settings)
    manifest = registry.register("review", "anomaly", trained_review_model().to_artefact(), {})
    registry.activate(manifest["version"])
    scorer = active_model_loaded(settings)
    # Loaded before the first batch: the artefact is no longer read when scoring.
    (registry.root / manifest["version"] / "artefact.skops").unlink()
    assert isinstance(scorer, RegistryScorer)
    [assessment] = scorer.assess("review", [make_review()], [{}])
    assert assessment is not None
    assert assessment.version == manifest["version"]


def test_a_broken_artefact_fails_its_kind_at_scoring_not_the_start(settings: Settings) -> None:
    registry = ModelRegistry.from_settings(settings)
    manifest = registry.register("review", "anomaly", trained_review_model().to_artefact(), {})
    registry.activate(manifest["version"])
    artefact = registry.root / manifest["version"] / "artefact.skops"
    artefact.write_bytes(artefact.read_bytes() + b"\0")

    scorer = active_model_loaded(settings)
    assert isinstance(scorer, RegistryScorer)
    with pytest.raises(ArtefactIntegrityError):
        scorer.assess("review", [make_review()], [{}])
