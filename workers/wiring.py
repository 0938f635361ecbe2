"""Composition of the production pipeline: store, rule pack, anomaly model, cases."""

from __future__ import annotations

import logging
from pathlib import Path

from trust.decisions import AnomalyScorer
from trust.pipeline import Pipeline, default_pipeline
from trust.rules.engine import Watchdog
from trust.rules.pack import load_pack
from trust.scoring import Scorer
from trust.settings import Settings
from trust.store import Store

log = logging.getLogger(__name__)


# The registry's index of active versions (models/registry.py keeps it in the data folder).
ACTIVE_MODELS = Path("models") / "active.json"


def anomaly_scorer(settings: Settings) -> AnomalyScorer | None:
    """The registry's active models; None when none is active or the registry cannot open."""
    if not (settings.data_dir / ACTIVE_MODELS).is_file():
        # Importing the model stack (scikit-learn, skops) costs seconds per worker start;
        # with no active model the rules decide alone, so skip it.
        return None
    from models.scorer import RegistryScorer

    try:
        return RegistryScorer.from_settings(settings)
    except Exception as exc:  # the model is advisory: rules decide without it
        log.warning(
            "anomaly model unavailable; deciding on rules only",
            extra={"error": f"{type(exc).__name__}: {exc}"},
        )
        return None


def build_scorer(settings: Settings, *, watchdog: Watchdog | None = None) -> Scorer:
    """The rule pack in force plus the anomaly model, ready to score batches."""
    return Scorer(
        load_pack(settings.rules_dir), settings, anomaly_scorer(settings), watchdog=watchdog
    )


def build_pipeline(
    settings: Settings,
    store: Store | None = None,
    *,
    source: str = "queue",
    watchdog: Watchdog | None = None,
) -> Pipeline:
    """The pipeline the workers and ``trust decide`` run (store opened without migrating).

    Worker processes pass the rules ``watchdog`` (``workers/watchdog.py``).
    """
    store = store or Store.from_settings(settings, migrate=False)
    return default_pipeline(
        store, settings, build_scorer(settings, watchdog=watchdog), source=source
    )
