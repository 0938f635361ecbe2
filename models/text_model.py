"""A text classifier for review and complaint texts, learned from staff decisions.

Character n-grams (3 to 5 letters inside word boundaries, TF-IDF weighted) feed a
class-balanced logistic regression: it learns the wording of confirmed cases rather than a
list of phrases, so paraphrases that share stems ("refund", "invoice", "mark") still weigh.
Its reasons are the n-grams of a text that pushed its probability up the most.

``texts_with_staff_labels`` reads what staff decided (resolved cases labelled confirmed or
dismissed, through their evidence events); ``evaluate_text_model`` measures the classifier
on simulated data, learning from a stratified share of labels as if staff had decided them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sqlalchemy import Connection, select

from models.evaluate import RankingMetrics, ranking_metrics
from trust.errors import ModelError
from trust.store.tables import case_evidence, cases, events

_WORD = re.compile(r"\S+")
TEXT_FIELDS = {"review": "text", "complaint": "description"}
REASON_TERMS = 3


@dataclass
class TextModel:
    """TF-IDF character n-grams and a linear model over them."""

    vectorizer: TfidfVectorizer
    classifier: LogisticRegression

    @classmethod
    def fit(cls, texts: list[str], labels: np.ndarray[Any, Any], seed: int = 0) -> TextModel:
        """Learn from texts labelled 1 (confirmed) and 0 (dismissed)."""
        if len(set(labels.tolist())) != 2:
            raise ModelError("the text model needs both confirmed and dismissed examples")
        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True, lowercase=True
        )
        matrix = vectorizer.fit_transform(texts)
        classifier = LogisticRegression(
            class_weight="balanced", max_iter=2000, C=4.0, random_state=seed
        )
        classifier.fit(matrix, labels)
        return cls(vectorizer, classifier)

    def probability(self, texts: list[str]) -> np.ndarray[Any, Any]:
        """Probability each text belongs to a confirmed case."""
        return self.classifier.predict_proba(self.vectorizer.transform(texts))[:, 1]

    def reasons(self, text: str, top: int = REASON_TERMS) -> list[str]:
        """The n-grams of ``text`` that raised its probability most, strongest first."""
        row = self.vectorizer.transform([text])
        weights = row.multiply(self.classifier.coef_[0]).tocsr()
        names = self.vectorizer.get_feature_names_out()
        words = _WORD.findall(text)
        chosen: list[str] = []
        for i in np.argsort(-weights.data):
            if weights.data[i] <= 0 or len(chosen) == top:
                break
            term = str(names[weights.indices[i]]).strip().lower()
            # Staff read words, not n-grams: 'crow' is shown as the 'escrow' it came from.
            word = next((w for w in words if term and term in w.lower()), term)
            if word and word not in chosen:
                chosen.append(word)
        return chosen


def _text_of(kind: str, payload: dict[str, Any]) -> str:
    return str(payload.get(TEXT_FIELDS[kind]) or "")


def texts_with_staff_labels(conn: Connection, kind: str) -> tuple[list[str], np.ndarray[Any, Any]]:
    """Texts of events in resolved cases of ``kind``, 1 when staff confirmed the case."""
    if kind not in TEXT_FIELDS:
        raise ModelError(f"kind must be one of {sorted(TEXT_FIELDS)}, got {kind!r}")
    rows = conn.execute(
        select(events.c.payload, cases.c.label)
        .join(case_evidence, case_evidence.c.event_id == events.c.event_id)
        .join(cases, cases.c.id == case_evidence.c.case_id)
        .where(events.c.kind == kind, cases.c.label.in_(["confirmed", "dismissed"]))
    ).all()
    texts = [_text_of(kind, payload) for payload, _ in rows]
    labels = np.array([label == "confirmed" for _, label in rows], dtype=np.int64)
    return texts, labels


@dataclass
class TextEvaluation:
    """The classifier on the texts whose labels it did not see, and a few explained hits."""

    kind: str
    learned_from: int
    hidden: RankingMetrics
    examples: list[tuple[str, float, list[str]]]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return asdict(self)


def stored_texts(conn: Connection, kind: str) -> pd.DataFrame:
    """Event id and text of every stored event of ``kind`` with a non-empty text."""
    rows = conn.execute(
        select(events.c.event_id, events.c.payload).where(events.c.kind == kind)
    ).all()
    frame = pd.DataFrame([(e, _text_of(kind, p)) for e, p in rows], columns=["event_id", "text"])
    return frame[frame["text"].str.len() > 0].reset_index(drop=True)


def evaluate_text_model(
    conn: Connection, kind: str, truth_path: Path, label_fraction: float = 0.1, seed: int = 0
) -> TextEvaluation:
    """Learn from ``label_fraction`` of the labelled texts of ``kind``; measure on the rest."""
    if kind not in TEXT_FIELDS:
        raise ModelError(f"kind must be one of {sorted(TEXT_FIELDS)}, got {kind!r}")
    truth = pd.read_csv(truth_path, index_col="event_id")
    frame = stored_texts(conn, kind).join(truth, on="event_id", how="inner")
    y = frame["is_fraud"].astype(int).to_numpy()
    if y.sum() < 4:
        raise ModelError(f"too few fraudulent {kind} texts to learn from ({int(y.sum())})")
    shown, hidden = train_test_split(
        np.arange(len(y)), train_size=label_fraction, stratify=y, random_state=seed
    )
    texts = frame["text"].tolist()
    model = TextModel.fit([texts[i] for i in shown], y[shown], seed)
    scores = model.probability([texts[i] for i in hidden])
    top = [int(hidden[i]) for i in np.argsort(-scores)[:5]]
    examples = [
        (texts[i], float(model.probability([texts[i]])[0]), model.reasons(texts[i])) for i in top
    ]
    return TextEvaluation(kind, len(shown), ranking_metrics(y[hidden], scores), examples)
