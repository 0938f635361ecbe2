"""Training from the store, learning from resolved cases, and drift against the snapshot."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from sqlalchemy import func, select

from models.detectors import EventNoveltyOutlierDetector, RankEnsembleOutlierDetector
from models.drift import drift_since_training, population_stability
from models.learning import train_learned_model
from models.registry import ModelRegistry
from models.scorer import RegistryScorer
from models.training import novelty_detector, train_anomaly_model
from tests.conftest import TEST_SECRET
from trust.errors import ModelError
from trust.events import event_adapter
from trust.settings import ModelSettings, Settings
from trust.store.tables import events


def test_training_registers_an_active_version_with_its_snapshot(
    marketplace, market_store, tmp_path
):
    settings = marketplace.settings(tmp_path)
    manifest = train_anomaly_model(market_store, settings, "review")
    assert manifest["active"] is True
    with market_store.engine.connect() as conn:
        stored = conn.execute(
            select(func.count()).select_from(events).where(events.c.kind == "review")
        ).scalar_one()
    assert manifest["training"]["event_count"] == stored
    assert manifest["training"]["first_occurred_at"] < manifest["training"]["last_occurred_at"]
    # Signals were recomputed for events without a decision and became features.
    assert any(name.startswith("signal.") for name in manifest["features"])
    assert set(manifest["imputation_medians"]) == set(manifest["features"])
    assert ModelRegistry.from_settings(settings).active_version("review") == manifest["version"]


def test_the_event_novelty_detector_is_the_configured_one(tmp_path):
    def configured(**model: object) -> Settings:
        return Settings(
            environment="test",
            data_dir=tmp_path,
            secret_key=TEST_SECRET,
            model=ModelSettings.model_validate(model),
        )

    # By default distances to the nearest events, found through a tree however many facts.
    default = novelty_detector(configured())
    assert default[-1].__class__.__name__ == "LocalOutlierFactor"
    assert default[-1].algorithm == "ball_tree"
    chosen = novelty_detector(configured(event_novelty_detector="ensemble"))
    assert isinstance(chosen, RankEnsembleOutlierDetector)


def test_a_trained_event_model_pairs_the_detector_with_the_novelty_one(
    marketplace, market_store, tmp_path
):
    settings = marketplace.settings(tmp_path)
    train_anomaly_model(market_store, settings, "profile_verification")
    found = RegistryScorer(ModelRegistry.from_settings(settings)).model_for("profile_verification")
    assert found is not None
    model = found[1]
    assert isinstance(model.detector, EventNoveltyOutlierDetector)
    assert model.detector.estimators_[1][-1].__class__.__name__ == "LocalOutlierFactor"


def test_the_scorer_assesses_stored_events_with_the_trained_model(
    marketplace, market_store, tmp_path
):
    settings = marketplace.settings(tmp_path)
    # Off by default (it bought no recall on simulated worlds); a deployment may turn it on.
    settings.decision.model_daily_cases = 3.0
    manifest = train_anomaly_model(market_store, settings, "reference_check")
    with market_store.engine.connect() as conn:
        payloads = (
            conn.execute(
                select(events.c.payload).where(events.c.kind == "reference_check").limit(20)
            )
            .scalars()
            .all()
        )
    stored = [event_adapter.validate_python(p) for p in payloads]
    found = RegistryScorer.from_settings(settings, preload=True).assess(
        "reference_check", stored, [{}] * len(stored)
    )
    assert {a.version for a in found} == {manifest["version"]}
    assert all(0.0 <= a.score <= 1.0 for a in found)
    # The kind's daily volume at training turns the daily case budget into a cutoff.
    first = datetime.fromisoformat(manifest["training"]["first_occurred_at"])
    last = datetime.fromisoformat(manifest["training"]["last_occurred_at"])
    per_day = manifest["training"]["event_count"] / ((last - first).total_seconds() / 86_400)
    assert manifest["metrics"]["events_per_day"] == pytest.approx(per_day)
    assert {a.review_cutoff for a in found} == {round(max(0.9, 1 - 3.0 / per_day), 6)}


def test_too_few_events_to_train_is_refused(marketplace, market_store, tmp_path):
    settings = marketplace.settings(tmp_path)
    settings.model.max_training_events = 10
    with pytest.raises(ModelError, match="need at least 50"):
        train_anomaly_model(market_store, settings, "review")


def test_resolved_cases_teach_the_learned_model(marketplace, market_store, tmp_path):
    settings = marketplace.settings(tmp_path)
    with pytest.raises(ModelError, match="no active review anomaly model"):
        train_learned_model(market_store, settings, "review")
    train_anomaly_model(market_store, settings, "review")
    marketplace.label_reviews(market_store)
    manifest = train_learned_model(market_store, settings, "review")
    assert manifest["role"] == "learned"
    assert manifest["training"]["confirmed"] > 0 and manifest["training"]["dismissed"] > 0
    assert manifest["features"][-1] == "anomaly_percentile"
    assert manifest["metrics"]["in_sample_roc_auc"] > manifest["metrics"]["anomaly_only_roc_auc"]
    assert ModelRegistry.from_settings(settings).active_version("review", "learned")


def test_drift_compares_recent_events_with_the_training_reference(
    marketplace, market_store, tmp_path
):
    settings = marketplace.settings(tmp_path)
    manifest = train_anomaly_model(market_store, settings, "profile_verification")
    version, count, drifts = drift_since_training(market_store, settings, "profile_verification", 7)
    assert version == manifest["version"]
    assert 0 < count < manifest["training"]["event_count"]
    assert {d.feature for d in drifts} == set(manifest["features"])
    assert drifts == sorted(drifts, key=lambda d: d.psi, reverse=True)


def test_population_stability_is_near_zero_for_the_same_distribution_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=5000)
    assert population_stability(reference, rng.normal(size=5000)) < 0.02
    assert population_stability(reference, rng.normal(loc=1.0, size=5000)) > 0.25


def test_the_confirm_scorer_gives_fraud_higher_probabilities_than_honest_events(
    marketplace, market_store, tmp_path
):
    from models.learning import ConfirmScorer, load_labelled_events

    settings = marketplace.settings(tmp_path)
    train_anomaly_model(market_store, settings, "review")
    marketplace.label_reviews(market_store)
    train_learned_model(market_store, settings, "review")
    scorer = ConfirmScorer(ModelRegistry.from_settings(settings))
    assert scorer.confirm_probability("complaint", [], []) is None
    with market_store.engine.connect() as conn:
        data, labels = load_labelled_events(conn, "review")
    probability = np.array(scorer.confirm_probability("review", data.payloads, data.signals))
    assert ((probability >= 0) & (probability <= 1)).all()
    assert probability[labels == 1].mean() > probability[labels == 0].mean() + 0.3


def test_cases_get_the_highest_confirm_probability_of_their_evidence(
    marketplace, market_store, tmp_path
):
    from models.learning import ConfirmScorer, case_confirm_probabilities
    from trust.store.tables import case_evidence, cases

    settings = marketplace.settings(tmp_path)
    train_anomaly_model(market_store, settings, "review")
    marketplace.label_reviews(market_store)
    train_learned_model(market_store, settings, "review")
    scorer = ConfirmScorer(ModelRegistry.from_settings(settings))
    with market_store.engine.connect() as conn:
        review_cases = (
            conn.execute(select(cases.c.id).where(cases.c.kind == "review").limit(5))
            .scalars()
            .all()
        )
        other = (
            conn.execute(
                select(cases.c.id)
                .where(cases.c.kind != "review")
                .where(cases.c.id.in_(select(case_evidence.c.case_id)))
                .limit(1)
            )
            .scalars()
            .all()
        )
        found = case_confirm_probabilities(conn, scorer, [*review_cases, *other])
    assert set(found) == set(review_cases)
    assert all(0.0 <= p <= 1.0 for p in found.values())
