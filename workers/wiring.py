"""What the workers add to ``trust.composition``: the registry's active anomaly model."""

from __future__ import annotations

from models.active import active_model_loaded
from trust.composition import build_pipeline as compose
from trust.pipeline import Pipeline
from trust.rules.engine import Watchdog
from trust.settings import Settings
from trust.store import Store


def build_pipeline(
    settings: Settings,
    store: Store | None = None,
    *,
    source: str = "queue",
    watchdog: Watchdog | None = None,
) -> Pipeline:
    """The pipeline the workers and the API run: ``trust``'s, with the active models loaded."""
    return compose(settings, store, source=source, model=active_model_loaded, watchdog=watchdog)
