"""A text classifier for review and complaint texts, learned from staff decisions.

Character n-grams (3 to 5 letters inside word boundaries, TF-IDF weighted) feed a
class-balanced logistic regression: it learns the wording of confirmed cases rather than a
list of phrases, so paraphrases that share stems ("refund", "invoice", "mark") still weigh.
Its reasons are the n-grams of a text that pushed its probability up the most.

``texts_with_staff_labels`` reads what staff decided (resolved cases labelled confirmed or
dismissed, through their evidence events); ``models/text_learning.py`` registers a model
learned from them, and the pipeline's scorer reads each batch with ``TextModel.assess``.
``evaluate_text_model`` measures the classifier on simulated data, learning from a
stratified share of labels as if staff had decided them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
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
from trust.events import Event
from trust.store.tables import case_evidence, cases, events

_WORD = re.compile(r"\S+")
# A term the live path may quote: letters only (no digits, '@' or dots, so no fragment of a
# phone number, an address or an amount leaves the text), and at least four of them: three
# ('cha', 'ery') read as noise to staff.
_QUOTABLE = re.compile(r"[^\W\d_]{4,}")
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

    def assess(
        self, texts: Sequence[str], explain_above: float, top: int = REASON_TERMS
    ) -> list[tuple[float, tuple[str, ...]]]:
        """Probability per text and, above ``explain_above``, the quotable n-grams that
        raised it most: one transform for the whole batch, as the pipeline scores it."""
        matrix = self.vectorizer.transform(texts)
        probabilities = self.classifier.predict_proba(matrix)[:, 1]
        contributions = matrix.multiply(self.classifier.coef_[0]).tocsr()
        return [
            (
                float(probability),
                self._quotable_terms(texts[i], contributions[i], top)
                if probability > explain_above
                else (),
            )
            for i, probability in enumerate(probabilities)
        ]

    def _quotable_terms(self, text: str, contributions: Any, top: int) -> tuple[str, ...]:
        """The strongest n-grams of ``text`` that are letters only, each from its own stretch
        of the text: 'refun' and 'efund' overlap, so only the stronger is shown."""
        lowered = text.lower()
        spans: list[tuple[int, int]] = []
        terms: list[str] = []
        for term in self._raising_terms(contributions):
            if len(terms) == top:
                break
            start = lowered.find(term)
            end = start + len(term)
            if (
                _QUOTABLE.fullmatch(term)
                and start >= 0
                and not any(start < e and s < end for s, e in spans)
            ):
                spans.append((start, end))
                terms.append(term)
        return tuple(terms)

    def reasons(self, text: str, top: int = REASON_TERMS) -> list[str]:
        """The words of ``text`` whose n-grams raised its probability most, strongest first."""
        row = self.vectorizer.transform([text]).multiply(self.classifier.coef_[0]).tocsr()
        words = _WORD.findall(text)
        chosen: list[str] = []
        for term in self._raising_terms(row):
            if len(chosen) == top:
                break
            # Staff read words, not n-grams: 'crow' is shown as the 'escrow' it came from.
            word = next((w for w in words if term in w.lower()), term)
            if word not in chosen:
                chosen.append(word)
        return chosen

    def _raising_terms(self, contributions: Any) -> Iterator[str]:
        """The n-grams of one row of contributions that raised the probability, strongest
        first, lower-cased and without their word-boundary padding."""
        names = self._feature_names
        for i in np.argsort(-contributions.data):
            if contributions.data[i] <= 0:
                return
            term = str(names[contributions.indices[i]]).strip().lower()
            if term:
                yield term

    @cached_property
    def _feature_names(self) -> np.ndarray[Any, Any]:
        return self.vectorizer.get_feature_names_out()

    def to_artefact(self) -> dict[str, Any]:
        """What the registry stores."""
        return {"vectorizer": self.vectorizer, "classifier": self.classifier}

    @classmethod
    def from_artefact(cls, artefact: dict[str, Any]) -> TextModel:
        """Rebuild from :meth:`to_artefact`."""
        return cls(artefact["vectorizer"], artefact["classifier"])


def text_of(kind: str, event: Event) -> str:
    """The text a person wrote in an event of ``kind`` (a review's, a complaint's)."""
    return str(getattr(event, TEXT_FIELDS[kind], None) or "")


def text_of_payload(kind: str, payload: Mapping[str, Any]) -> str:
    """The text of a stored event's payload of ``kind``."""
    return str(payload.get(TEXT_FIELDS[kind]) or "")


@dataclass
class LabelledTexts:
    """Texts of events in resolved cases, 1 where staff confirmed the case."""

    event_ids: list[str]
    texts: list[str]
    labels: np.ndarray[Any, Any]

    def snapshot(self) -> dict[str, Any]:
        """What a model learned from: counts per label and a content id."""
        digest = hashlib.sha256("\n".join(sorted(self.event_ids)).encode()).hexdigest()
        confirmed = int(self.labels.sum())
        return {
            "event_count": len(self.event_ids),
            "confirmed": confirmed,
            "dismissed": len(self.event_ids) - confirmed,
            "snapshot_id": digest[:16],
        }


def texts_with_staff_labels(conn: Connection, kind: str) -> LabelledTexts:
    """Non-empty texts of events of ``kind`` in resolved cases, 1 when staff confirmed.

    An event in several resolved cases counts once, confirmed if any of them was.
    """
    if kind not in TEXT_FIELDS:
        raise ModelError(f"kind must be one of {sorted(TEXT_FIELDS)}, got {kind!r}")
    rows = conn.execute(
        select(events.c.event_id, events.c.payload, cases.c.label)
        .join(case_evidence, case_evidence.c.event_id == events.c.event_id)
        .join(cases, cases.c.id == case_evidence.c.case_id)
        .where(events.c.kind == kind, cases.c.label.in_(["confirmed", "dismissed"]))
        .order_by(events.c.event_id)
    ).all()
    found: dict[str, tuple[str, bool]] = {}
    for event_id, payload, label in rows:
        text = text_of_payload(kind, payload)
        if text:
            confirmed = label == "confirmed" or found.get(event_id, ("", False))[1]
            found[event_id] = (text, confirmed)
    return LabelledTexts(
        list(found),
        [text for text, _ in found.values()],
        np.array([confirmed for _, confirmed in found.values()], dtype=np.int64),
    )


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
    frame = pd.DataFrame(
        [(e, text_of_payload(kind, p)) for e, p in rows], columns=["event_id", "text"]
    )
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
