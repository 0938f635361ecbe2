"""`train_text_model`: staff decisions become the registry's active text model, or a refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.registry import ModelRegistry
from models.text_learning import MIN_TEXTS_PER_LABEL, TEXT_ROLE, train_text_model
from models.text_model import TextModel
from tests.models.conftest import Marketplace
from trust.errors import ModelError
from trust.store import Store


def test_resolved_review_cases_teach_the_active_text_model(
    marketplace: Marketplace, market_store: Store, tmp_path: Path
) -> None:
    marketplace.label_reviews(market_store)
    settings = marketplace.settings(tmp_path / "data")

    manifest = train_text_model(market_store, settings, "review")

    registry = ModelRegistry.from_settings(settings)
    assert registry.active_version("review", TEXT_ROLE) == manifest["version"]
    assert registry.active_version("review") is None  # the anomaly slot is left alone
    assert manifest["training"]["confirmed"] >= MIN_TEXTS_PER_LABEL
    assert manifest["metrics"]["in_sample_roc_auc"] > 0.5
    artefact, _ = registry.load(manifest["version"])
    [(probability, _)] = TextModel.from_artefact(artefact).assess(["Will hire again!"], 1.0)
    assert 0.0 <= probability <= 1.0


def test_too_few_decided_texts_are_refused_with_the_numbers(
    market_store: Store, marketplace: Marketplace, tmp_path: Path
) -> None:
    settings = marketplace.settings(tmp_path / "data")
    # Nobody resolved a complaint case in this store.
    with pytest.raises(ModelError, match=r"at least 10 confirmed and 10 dismissed .* has 0 conf"):
        train_text_model(market_store, settings, "complaint")
    with pytest.raises(ModelError, match="reads complaint and review, not sign_in"):
        train_text_model(market_store, settings, "sign_in")
    assert ModelRegistry.from_settings(settings).versions() == []


def test_a_model_learned_without_activation_waits_in_the_registry(
    marketplace: Marketplace, market_store: Store, tmp_path: Path
) -> None:
    marketplace.label_reviews(market_store)
    settings = marketplace.settings(tmp_path / "data")

    manifest = train_text_model(market_store, settings, "review", activate=False)

    registry = ModelRegistry.from_settings(settings)
    assert registry.active_version("review", TEXT_ROLE) is None
    registry.activate(manifest["version"])
    assert registry.active_version("review", TEXT_ROLE) == manifest["version"]
