"""The registry's active models as the pipeline's ``AnomalyScorer`` (a ``ModelLoader``).

Composition roots pass ``active_model`` to ``trust.composition.build_pipeline``: the
workers, the API and the CLI's ``trust decide`` and ``trust ingest --direct``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from trust.decisions import AnomalyScorer
from trust.settings import Settings

log = logging.getLogger(__name__)

# The registry's index of active versions (models/registry.py keeps it in the data folder).
ACTIVE_MODELS = Path("models") / "active.json"


def active_model(settings: Settings) -> AnomalyScorer | None:
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


def preload(scorer: AnomalyScorer | None) -> None:
    """Load every active model of a scorer ``active_model`` made (others are left alone).

    Loading a kind's model on its first batch costs that batch hundreds of milliseconds;
    a benchmark (or a long-running process) pays it up front instead.
    """
    from models.scorer import RegistryScorer

    if isinstance(scorer, RegistryScorer):
        scorer.preload()
