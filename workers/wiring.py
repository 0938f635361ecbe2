"""What the workers add to ``trust.composition``: the registry's active anomaly model."""

from __future__ import annotations

import logging

from models.active import active_model
from trust.composition import build_pipeline as compose
from trust.events import EVENT_KINDS
from trust.pipeline import Pipeline
from trust.rules.engine import Watchdog
from trust.settings import Settings
from trust.store import Store

log = logging.getLogger(__name__)


def build_pipeline(
    settings: Settings,
    store: Store | None = None,
    *,
    source: str = "queue",
    watchdog: Watchdog | None = None,
) -> Pipeline:
    """The pipeline the workers and the API run: ``trust``'s, with the active model."""
    return compose(settings, store, source=source, model=active_model, watchdog=watchdog)


def warm_models(pipeline: Pipeline) -> int:
    """Load the active model of every kind now; the number loaded.

    A model is otherwise loaded by the first event of its kind, which then waits ~0.5 s:
    a process that answers synchronously (the API) pays that at start-up instead. A model
    that fails to load is left to fail at first use, where the pipeline reports it.
    """
    scorer = getattr(pipeline.scorer, "anomaly_scorer", None)
    if scorer is None:
        return 0
    # Imported only here: with no active model nothing loaded the model stack (seconds).
    from models.scorer import RegistryScorer

    if not isinstance(scorer, RegistryScorer):
        return 0
    loaded = 0
    for kind in EVENT_KINDS:
        try:
            loaded += scorer.model_for(kind) is not None
        except Exception as exc:  # reported again, with its context, when first used
            log.warning("model not preloaded", extra={"kind": kind, "error": type(exc).__name__})
    return loaded
