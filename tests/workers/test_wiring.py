"""The pipeline the workers and the API run loads every active model when it is built."""

from __future__ import annotations

from typing import Any

import pytest

from models.registry import ModelRegistry
from tests.factories import make_review
from tests.models.helpers import trained_review_model
from trust.pipeline import decide_one
from trust.settings import Settings
from trust.store import Store
from workers.wiring import build_pipeline


def test_a_built_pipeline_decides_without_loading_a_model(
    settings: Settings, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = ModelRegistry.from_settings(settings)
    registry.activate(
        registry.register("review", "anomaly", trained_review_model().to_artefact(), {})["version"]
    )
    pipeline = build_pipeline(settings, sqlite_store, source="test")

    def no_load(*_args: Any) -> None:
        raise AssertionError("a model was loaded while deciding")

    monkeypatch.setattr(ModelRegistry, "load", no_load)
    answer = decide_one(pipeline, make_review())
    assert answer.status == "decided"
    assert answer.decision is not None and answer.decision["model_version"] is not None
