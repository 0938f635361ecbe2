"""Small trained models for tests: a review model fitted on varied factory payloads, and a
text model fitted on rating-for-refund trades against plain praise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models.anomaly import AnomalyModel
from models.detectors import make_detector
from models.features import feature_frame
from models.text_model import TextModel
from tests.conftest import TEST_SECRET
from tests.factories import review_payload
from trust.composition import build_pipeline
from trust.intake import ingest_file
from trust.intake.deciding import PipelineSink
from trust.settings import Settings
from trust.simulate import simulate
from trust.store import Store


def varied_reviews(count: int, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """Ordinary reviews and their signals, with realistic spread."""
    rng = np.random.default_rng(seed)
    payloads, signals = [], []
    for _ in range(count):
        cents = int(rng.integers(5_000, 300_000))
        payloads.append(
            review_payload(
                rating=int(rng.choice([3, 4, 5, 5, 5])),
                amount_paid={"amount": f"{cents // 100}.{cents % 100:02d}", "currency": "USD"},
                text="Delivered on time. " * int(rng.integers(1, 12)),
            )
        )
        signals.append({"reviewer_reviews_24h": int(rng.poisson(0.5)), "shares_device": False})
    return payloads, signals


def trained_review_model(detector: str = "isolation_forest", rows: int = 400) -> AnomalyModel:
    """A review model trained on ``rows`` varied reviews."""
    payloads, signals = varied_reviews(rows)
    frame = feature_frame("review", payloads, signals)
    params = {"n_estimators": 50} if detector in ("isolation_forest", "ensemble") else {}
    return AnomalyModel.train("review", frame, make_detector(detector, **params))


def trained_novelty_model(
    event_member: object, rows: int = 400, seed: int = 0
) -> tuple[AnomalyModel, pd.DataFrame]:
    """A review model whose event facts are overruled by ``event_member`` (a detector, or
    a detector's name) where novel (``EventNoveltyOutlierDetector``), and its frame."""
    payloads, signals = varied_reviews(rows, seed=seed)
    frame = feature_frame("review", payloads, signals)
    member = make_detector(event_member) if isinstance(event_member, str) else event_member
    model = AnomalyModel.train(
        "review",
        frame,
        make_detector("ensemble", n_estimators=30),
        novelty_share=0.002,
        novelty_detector=member,
    )
    return model, frame


# Texts of cases staff confirmed (a rating traded for a refund) and dismissed (plain praise).
CONFIRMED_TEXTS = [
    "Refund half the invoice or my rating of you drops to one.",
    "Send back some of the fee and I will raise the rating.",
    "My rating stays low until the invoice is refunded.",
    "I will fix the rating once you refund part of the invoice.",
] * 3
DISMISSED_TEXTS = [
    "Clear communication, delivered the landing page early.",
    "Good work overall but a couple of revisions were needed.",
    "The logo was fine for the price, answers took a while.",
    "Delivered ahead of schedule, will hire again.",
] * 3


def trained_text_model() -> TextModel:
    """A text model that learned the refund-for-rating trade from a dozen texts of each label."""
    labels = np.array([1] * len(CONFIRMED_TEXTS) + [0] * len(DISMISSED_TEXTS))
    return TextModel.fit(CONFIRMED_TEXTS + DISMISSED_TEXTS, labels)


def decided_world(folder: Path, accounts: int, seed: int) -> tuple[Store, Settings, Path]:
    """A simulated marketplace in ``folder``, decided as ``trust ingest --direct`` decides it
    (batch after batch through the production pipeline); the store, its settings and the
    truth file."""
    summary = simulate(accounts, 30, seed, folder)
    url = f"sqlite:///{folder / 'trust.db'}"
    settings = Settings(
        environment="test", data_dir=folder, database_url=url, secret_key=TEST_SECRET
    )
    store = Store.open(url)
    ingest_file(
        store, summary.events_path, settings, sink=PipelineSink(build_pipeline(settings, store))
    )
    return store, settings, summary.truth_path
