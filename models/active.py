"""The registry's active models as the pipeline's ``AnomalyScorer`` (a ``ModelLoader``):
anomaly models per kind and text models for reviews and complaints.

Composition roots pass ``active_model`` to ``trust.composition.build_pipeline``: the
workers, the API and the CLI's ``trust decide`` and ``trust ingest --direct``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from trust.decisions import AnomalyScorer
from trust.events import EVENT_KINDS
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


def active_model_loaded(settings: Settings) -> AnomalyScorer | None:
    """``active_model`` with every kind's model loaded now, for processes that decide
    batches for a while (workers, the API, ``trust ingest``): loading a kind's model on its
    first batch cost that batch hundreds of milliseconds. ``trust decide`` keeps
    ``active_model``, which loads only the kind it decides."""
    scorer = active_model(settings)
    preload(scorer)
    return scorer


def preload(scorer: AnomalyScorer | None) -> None:
    """Load every active model of a scorer ``active_model`` made (others are left alone).

    A kind whose artefact fails to load is logged and left to fail at its first batch, as
    it would have: the model is advisory, and the other kinds keep theirs.
    """
    from models.scorer import RegistryScorer

    if not isinstance(scorer, RegistryScorer):
        return
    for kind in EVENT_KINDS:
        for role, load in (("anomaly", scorer.model_for), ("text", scorer.text_model_for)):
            try:
                load(kind)
            except Exception as exc:  # the model is advisory: its batches record the error
                log.warning(
                    "a model of a kind failed to load",
                    extra={"kind": kind, "role": role, "error": f"{type(exc).__name__}: {exc}"},
                )
