"""Learning the text model from staff decisions and putting it in the registry.

``train_text_model`` reads the texts of resolved cases (``texts_with_staff_labels``), fits
:class:`models.text_model.TextModel` and registers it in the ``text`` role of its kind;
the pipeline's scorer (``models/scorer.py``) then reads every new review or complaint with
the active version.
"""

from __future__ import annotations

from typing import Any

from models.evaluate import ranking_metrics
from models.registry import ModelRegistry
from models.text_model import TEXT_FIELDS, TextModel, texts_with_staff_labels
from trust.errors import ModelError
from trust.settings import Settings
from trust.store import Store, snapshot

TEXT_ROLE = "text"
# Fewer decided texts of either label than this and the n-grams it learns are the wording
# of a handful of cases, not of a pattern.
MIN_TEXTS_PER_LABEL = 10


def train_text_model(
    store: Store, settings: Settings, kind: str, *, activate: bool = True, seed: int = 0
) -> dict[str, Any]:
    """Fit the text model on the resolved cases of ``kind`` and register it.

    Raises :class:`~trust.errors.ModelError` when staff have confirmed or dismissed fewer
    than ``MIN_TEXTS_PER_LABEL`` texts of the kind.
    """
    if kind not in TEXT_FIELDS:
        raise ModelError(f"the text model reads {' and '.join(sorted(TEXT_FIELDS))}, not {kind}")
    with snapshot(store.engine) as conn:
        labelled = texts_with_staff_labels(conn, kind)
    counts = labelled.snapshot()
    if min(counts["confirmed"], counts["dismissed"]) < MIN_TEXTS_PER_LABEL:
        raise ModelError(
            f"the {kind} text model needs at least {MIN_TEXTS_PER_LABEL} confirmed and "
            f"{MIN_TEXTS_PER_LABEL} dismissed texts from resolved cases; the store has "
            f"{counts['confirmed']} confirmed and {counts['dismissed']} dismissed"
        )
    model = TextModel.fit(labelled.texts, labelled.labels, seed)
    in_sample = ranking_metrics(labelled.labels, model.probability(labelled.texts))
    registry = ModelRegistry.from_settings(settings)
    manifest = registry.register(
        kind,
        TEXT_ROLE,
        model.to_artefact(),
        {
            # The n-grams themselves stay in the artefact: a manifest is read by anyone.
            "text_field": TEXT_FIELDS[kind],
            "vocabulary": len(model.vectorizer.vocabulary_),
            "training": counts,
            "metrics": {
                "in_sample_roc_auc": in_sample.roc_auc,
                "in_sample_average_precision": in_sample.average_precision,
            },
        },
    )
    if activate:
        registry.activate(manifest["version"])
        manifest["active"] = True
    return manifest
