"""evaluate-sim's text column: learned from a share of labels, measured only on the rest."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.text_effect import TEXT_LABEL_FRACTION, text_effect
from trust.decisions import WordingAssessment

HONEST_TEXTS = ("Clear brief, paid on time, would hire again.", "Good communication overall.")
FRAUD_TEXT = "Client vanished after delivery and never released the escrow payment."


def _world(frauds: int, honest: int) -> tuple[list[dict[str, str]], pd.DataFrame]:
    texts = [FRAUD_TEXT] * frauds + [HONEST_TEXTS[i % 2] for i in range(honest)]
    known = pd.DataFrame(
        {
            "is_fraud": [1] * frauds + [0] * honest,
            "pattern": ["non_payment"] * frauds + ["honest"] * honest,
        }
    )
    return [{"description": t} for t in texts], known


def test_the_text_model_sends_what_it_learned_to_review_and_only_unseen_events_count() -> None:
    payloads, known = _world(frauds=60, honest=140)
    seen: list[int] = []

    def redecide(i: int, wording: WordingAssessment) -> bool:
        seen.append(i)
        return wording.probability > 0.8

    effect = text_effect("complaint", payloads, known, np.zeros(200, dtype=bool), redecide)
    assert effect is not None
    assert effect.learned_from == round(200 * TEXT_LABEL_FRACTION) == 200 - effect.hidden
    assert len(seen) == effect.hidden == len(set(seen))
    assert effect.recall_without == 0 and effect.recall_with == 1.0
    assert effect.precision_with == 1.0 and effect.honest_added == 0
    (shift,) = effect.patterns
    assert (shift.pattern, shift.events) == ("non_payment", 42)


def test_kinds_without_text_and_too_few_labels_get_no_text_column() -> None:
    payloads, known = _world(frauds=20, honest=100)
    never = np.zeros(120, dtype=bool)
    assert text_effect("sign_in", payloads, known, never, lambda i, w: False) is None
    # 30% of 20 frauds is 6 confirmed texts: fewer than learn-text accepts.
    assert text_effect("complaint", payloads, known, never, lambda i, w: False) is None
