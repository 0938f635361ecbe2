"""What the text model adds to a simulated world's decisions, for ``trust model evaluate-sim``.

A share of the kind's events is labelled from the truth, as if staff had resolved their
cases; the text classifier (:mod:`models.text_model`) learns from those texts, and the other
events are decided again with its finding, exactly as the live pipeline adds it
(:func:`trust.decisions.wording_hit` at the configured weight and floor). Only those other
events are measured, so nothing is scored by a model that saw its label.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from models.text_learning import MIN_TEXTS_PER_LABEL
from models.text_model import TEXT_FIELDS, TextModel, text_of_payload
from trust.decisions import WordingAssessment
from trust.simulate.world import HONEST

# Labels revealed to the text model: with 10% a world of 2,000 accounts has too few
# confirmed complaints to learn from (``trust model learn-text`` refuses below 10).
TEXT_LABEL_FRACTION = 0.3

# Decides hidden event ``i`` with the text model's finding; True when flagged.
Redecide = Callable[[int, WordingAssessment], bool]


@dataclass
class PatternShift:
    """One planted pattern on the hidden events: the share flagged without and with text."""

    pattern: str
    events: int
    without: float
    with_text: float


@dataclass
class TextEffect:
    """The kind's hidden events decided without and with the text model."""

    label_fraction: float
    learned_from: int
    hidden: int
    flagged_without: int
    flagged_with: int
    precision_without: float
    precision_with: float
    recall_without: float
    recall_with: float
    honest_added: int
    patterns: list[PatternShift] = field(default_factory=list)


def _share(flags: np.ndarray[Any, Any], where: np.ndarray[Any, Any]) -> float:
    return float(flags[where].mean()) if where.any() else float("nan")


def text_effect(
    kind: str,
    payloads: Sequence[Mapping[str, Any]],
    known: pd.DataFrame,
    flagged: np.ndarray[Any, Any],
    redecide: Redecide,
    seed: int = 0,
) -> TextEffect | None:
    """Learn from ``TEXT_LABEL_FRACTION`` of the labels, decide the rest again with the text
    model; None for kinds without text or too few labels of either class to learn from.

    ``known``: the truth per event (``is_fraud``, ``pattern``); ``flagged``: the pipeline's
    flags without the text model (rules plus anomaly model).
    """
    if kind not in TEXT_FIELDS:
        return None
    y = known["is_fraud"].astype(int).to_numpy()
    shown_count = round(len(y) * TEXT_LABEL_FRACTION)
    if min(y.sum(), len(y) - y.sum()) * TEXT_LABEL_FRACTION < MIN_TEXTS_PER_LABEL:
        return None
    rows = np.arange(len(y))
    shown, hidden = train_test_split(rows, train_size=shown_count, stratify=y, random_state=seed)
    texts = [text_of_payload(kind, p) for p in payloads]
    model = TextModel.fit([texts[i] for i in shown], y[shown], seed)
    probabilities = model.probability([texts[i] for i in hidden])
    before = flagged[hidden]
    after = np.array(
        [
            redecide(int(i), WordingAssessment(float(p), "simulation"))
            for i, p in zip(hidden, probabilities, strict=True)
        ],
        dtype=bool,
    )
    truth = y[hidden]
    fraud = truth == 1
    patterns = known["pattern"].to_numpy()[hidden]
    shifts = [
        PatternShift(str(p), int(where.sum()), _share(before, where), _share(after, where))
        for p in sorted(set(patterns[fraud]) - {HONEST})
        if (where := fraud & (patterns == p)).any()
    ]
    return TextEffect(
        label_fraction=TEXT_LABEL_FRACTION,
        learned_from=len(shown),
        hidden=len(hidden),
        flagged_without=int(before.sum()),
        flagged_with=int(after.sum()),
        precision_without=_share(truth == 1, before),
        precision_with=_share(truth == 1, after),
        recall_without=_share(before, fraud),
        recall_with=_share(after, fraud),
        honest_added=int((after & ~before & ~fraud).sum()),
        patterns=shifts,
    )
