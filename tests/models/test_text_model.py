"""The text classifier learns wording from staff decisions and names the words as reasons."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from models.text_model import TextModel, texts_with_staff_labels
from tests.models.conftest import Marketplace
from tests.models.helpers import DISMISSED_TEXTS, trained_text_model
from trust.errors import ModelError
from trust.store import Store
from trust.store.tables import events

UNSEEN_TRADE = "Give me a refund on the invoice and the rating goes up."
UNSEEN_PRAISE = "Delivered the page early, clear communication."


def test_paraphrased_trades_score_above_praise_and_name_their_words() -> None:
    model = trained_text_model()
    trade, praise = model.probability([UNSEEN_TRADE, UNSEEN_PRAISE])
    assert trade > 0.5 > praise
    reasons = model.reasons(UNSEEN_TRADE)
    assert reasons and all(r in UNSEEN_TRADE.split() for r in reasons)
    assert {"refund", "invoice", "rating"} & {r.strip(".,") for r in reasons}


def test_one_kind_of_label_is_not_enough() -> None:
    with pytest.raises(ModelError, match="both confirmed and dismissed"):
        TextModel.fit(DISMISSED_TEXTS, np.zeros(len(DISMISSED_TEXTS), dtype=np.int64))


def test_a_batch_is_assessed_at_once_with_terms_only_above_the_floor() -> None:
    model = trained_text_model()
    [(trade, terms), (praise, none)] = model.assess([UNSEEN_TRADE, UNSEEN_PRAISE], 0.5)
    assert trade > 0.5 > praise
    assert none == ()
    assert terms and all(term in UNSEEN_TRADE.lower() for term in terms)
    # Each term is an n-gram fragment, said once: no term contains another.
    assert not any(a != b and a in b for a in terms for b in terms)
    assert [p for p, _ in model.assess([UNSEEN_TRADE, UNSEEN_PRAISE], 0.5)] == pytest.approx(
        list(model.probability([UNSEEN_TRADE, UNSEEN_PRAISE]))
    )


def test_terms_never_quote_digits_or_addresses_from_the_text() -> None:
    # Contact details learned as wording of confirmed cases still never reach a reason.
    texts = [f"Refund via mail{i}@pay.com or call 555 010{i}" for i in range(6)]
    model = TextModel.fit(texts + DISMISSED_TEXTS[:6], np.array([1] * 6 + [0] * 6))
    [(probability, terms)] = model.assess(["Refund via mail7@pay.com or call 555 0107"], 0.0)
    assert probability > 0.5
    assert terms and all(term.isalpha() and len(term) >= 4 for term in terms)


def test_the_artefact_holds_only_what_scoring_needs() -> None:
    model = trained_text_model()
    again = TextModel.from_artefact(model.to_artefact())
    assert set(model.to_artefact()) == {"vectorizer", "classifier"}
    assert again.assess([UNSEEN_TRADE], 0.5) == model.assess([UNSEEN_TRADE], 0.5)


def test_staff_labels_come_from_resolved_cases(
    marketplace: Marketplace, market_store: Store
) -> None:
    marketplace.label_reviews(market_store)
    with market_store.engine.connect() as conn:
        labelled = texts_with_staff_labels(conn, "review")
        with pytest.raises(ModelError, match="kind must be one of"):
            texts_with_staff_labels(conn, "payout")
        reviews = [
            event_id
            for event_id, payload in conn.execute(
                select(events.c.event_id, events.c.payload).where(events.c.kind == "review")
            )
            if payload.get("text")
        ]
    fraud = marketplace.truth().loc[reviews, "is_fraud"].astype(int)
    assert sorted(labelled.event_ids) == sorted(reviews)
    assert len(labelled.texts) == len(labelled.labels) == len(reviews)
    assert int(labelled.labels.sum()) == int(fraud.sum()) > 0
    assert labelled.snapshot()["confirmed"] == int(fraud.sum())
