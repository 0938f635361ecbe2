"""The text classifier learns wording from staff decisions and names the words as reasons."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from models.text_model import TextModel, texts_with_staff_labels
from tests.models.conftest import Marketplace
from trust.errors import ModelError
from trust.store import Store
from trust.store.tables import events

CONFIRMED = [
    "Refund half the invoice or my rating of you drops to one.",
    "Send back some of the fee and I will raise the rating.",
    "My rating stays low until the invoice is refunded.",
    "I will fix the rating once you refund part of the invoice.",
] * 3
DISMISSED = [
    "Clear communication, delivered the landing page early.",
    "Good work overall but a couple of revisions were needed.",
    "The logo was fine for the price, answers took a while.",
    "Delivered ahead of schedule, will hire again.",
] * 3


def test_paraphrased_trades_score_above_praise_and_name_their_words() -> None:
    model = TextModel.fit(CONFIRMED + DISMISSED, np.array([1] * 12 + [0] * 12))
    unseen_trade = "Give me a refund on the invoice and the rating goes up."
    unseen_praise = "Delivered the page early, clear communication."
    trade, praise = model.probability([unseen_trade, unseen_praise])
    assert trade > 0.5 > praise
    reasons = model.reasons(unseen_trade)
    assert reasons and all(r in unseen_trade.split() for r in reasons)
    assert {"refund", "invoice", "rating"} & {r.strip(".,") for r in reasons}


def test_one_kind_of_label_is_not_enough() -> None:
    with pytest.raises(ModelError, match="both confirmed and dismissed"):
        TextModel.fit(DISMISSED, np.zeros(len(DISMISSED), dtype=np.int64))


def test_staff_labels_come_from_resolved_cases(
    marketplace: Marketplace, market_store: Store
) -> None:
    marketplace.label_reviews(market_store)
    with market_store.engine.connect() as conn:
        texts, labels = texts_with_staff_labels(conn, "review")
        with pytest.raises(ModelError, match="kind must be one of"):
            texts_with_staff_labels(conn, "payout")
        reviews = [
            e for (e,) in conn.execute(select(events.c.event_id).where(events.c.kind == "review"))
        ]
    fraud = marketplace.truth().loc[reviews, "is_fraud"].astype(int)
    assert len(texts) == len(labels) == len(reviews)
    assert int(labels.sum()) == int(fraud.sum()) > 0
