"""The registry scorer reads review and complaint texts with the active text model."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.active import active_model_loaded
from models.registry import ModelRegistry
from models.scorer import RegistryScorer
from models.text_learning import TEXT_ROLE
from tests.factories import make_complaint, make_event, make_review
from tests.models.helpers import trained_text_model
from trust.decisions import WordingScorer
from trust.settings import Settings

TRADE = "Send back part of the invoice fee and I raise the rating."
PRAISE = "Delivered the landing page early, clear communication."


def _activate_text_model(registry: ModelRegistry, kind: str = "review") -> str:
    manifest = registry.register(kind, TEXT_ROLE, trained_text_model().to_artefact(), {})
    registry.activate(manifest["version"])
    return str(manifest["version"])


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models")


def test_the_scorer_reads_a_batch_of_reviews_with_terms_above_the_floor(
    registry: ModelRegistry,
) -> None:
    version = _activate_text_model(registry)
    scorer = RegistryScorer(registry, text_floor=0.8)
    assert isinstance(scorer, WordingScorer)

    trade, praise, silent = scorer.read_wording(
        "review", [make_review(text=TRADE), make_review(text=PRAISE), make_review(text="")]
    )

    assert trade is not None and praise is not None
    assert trade.version == praise.version == version
    assert trade.probability > 0.8 > praise.probability
    assert trade.terms and all(term in TRADE.lower() for term in trade.terms)
    assert praise.terms == ()
    assert silent is None


def test_kinds_without_an_active_text_model_or_without_text_are_not_read(
    registry: ModelRegistry,
) -> None:
    _activate_text_model(registry)
    scorer = RegistryScorer(registry)

    assert scorer.read_wording("complaint", [make_complaint(description=TRADE)]) == [None]
    assert scorer.read_wording("sign_in", [make_event("sign_in")]) == [None]
    assert scorer.read_wording("review", []) == []
    # No anomaly model is active: the text model works on its own.
    assert scorer.assess("review", [make_review()], [{}]) == [None]


def test_activating_a_text_model_reaches_a_running_scorer(registry: ModelRegistry) -> None:
    scorer = RegistryScorer(registry)
    assert scorer.read_wording("review", [make_review(text=TRADE)]) == [None]

    version = _activate_text_model(registry)

    [read] = scorer.read_wording("review", [make_review(text=TRADE)])
    assert read is not None and read.version == version


def test_long_running_processes_load_the_text_model_up_front(settings: Settings) -> None:
    registry = ModelRegistry.from_settings(settings)
    version = _activate_text_model(registry, "complaint")
    scorer = active_model_loaded(settings)
    (registry.root / version / "artefact.skops").unlink()

    assert isinstance(scorer, RegistryScorer)
    [read] = scorer.read_wording("complaint", [make_complaint(description=TRADE)])
    assert read is not None and read.version == version
