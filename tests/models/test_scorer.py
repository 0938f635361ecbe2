"""The registry scorer assesses batches and single events with the active model of a kind."""

from __future__ import annotations

import numpy as np
import pytest

from models.detectors import EventNoveltyOutlierDetector
from models.features import feature_frame
from models.registry import ModelRegistry
from models.scorer import RegistryScorer, budget_cutoff
from tests.factories import make_review
from tests.models.helpers import trained_novelty_model, trained_review_model, varied_reviews
from trust.decisions import AnomalyScorer, ModelAssessment
from trust.errors import ArtefactIntegrityError, ModelError


@pytest.fixture
def scorer(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    model = trained_review_model()
    manifest = registry.register("review", "anomaly", model.to_artefact(), {})
    registry.activate(manifest["version"])
    return RegistryScorer(registry)


def test_the_scorer_implements_the_pipeline_protocol(scorer):
    protocol_check: AnomalyScorer = scorer
    assert protocol_check.assess("complaint", [], []) == []


def test_a_kind_without_an_active_model_gets_no_assessment(scorer):
    assert scorer.assess("complaint", [make_review()], [{}]) == [None]


def test_a_tiny_five_star_review_from_a_busy_reviewer_scores_high_with_reasons(scorer):
    odd = make_review(amount_paid={"amount": "1.00", "currency": "USD"}, text="")
    [assessment] = scorer.assess("review", [odd], [{"reviewer_reviews_24h": 15}])
    assert isinstance(assessment, ModelAssessment)
    assert assessment.score > 0.95
    assert assessment.version.startswith("review-anomaly-")
    features = {c.feature for c in assessment.explanation}
    assert "signal.reviewer_reviews_24h" in features or "log_amount_paid" in features
    assert all(c.sentence for c in assessment.explanation)


def test_the_single_event_path_and_the_batch_path_agree(scorer):
    events = [
        make_review(amount_paid={"amount": f"{50 + 30 * i}.00", "currency": "USD"})
        for i in range(5)
    ]
    signals = [{"reviewer_reviews_24h": i} for i in range(5)]
    batch = scorer.assess("review", events, signals)
    singles = [scorer.assess("review", [e], [s])[0] for e, s in zip(events, signals, strict=True)]
    np.testing.assert_allclose([a.score for a in batch], [a.score for a in singles])


def test_a_tampered_active_artefact_fails_loudly_when_loaded(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    manifest = registry.register("review", "anomaly", trained_review_model().to_artefact(), {})
    registry.activate(manifest["version"])
    artefact = registry.root / manifest["version"] / "artefact.skops"
    artefact.write_bytes(artefact.read_bytes() + b"\0")
    with pytest.raises(ArtefactIntegrityError):
        RegistryScorer(registry).assess("review", [make_review()], [{}])


def test_a_model_built_on_features_the_code_no_longer_builds_is_refused(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    artefact = trained_review_model().to_artefact()
    artefact["feature_names"] = ["contract_days", *artefact["feature_names"][1:]]
    registry.activate(registry.register("review", "anomaly", artefact, {})["version"])
    with pytest.raises(ModelError, match=r"does not build \(contract_days\); retrain"):
        RegistryScorer(registry).assess("review", [make_review()], [{}])


def test_activating_another_version_reaches_a_running_scorer(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    first = registry.register("review", "anomaly", trained_review_model().to_artefact(), {})
    registry.activate(first["version"])
    scorer = RegistryScorer(registry)
    assert scorer.assess("review", [make_review()], [{}])[0].version == first["version"]
    second = registry.register("review", "anomaly", trained_review_model("hbos").to_artefact(), {})
    registry.activate(second["version"])
    assert scorer.assess("review", [make_review()], [{}])[0].version == second["version"]


def test_the_daily_case_budget_becomes_a_percentile_cutoff_from_the_kind_s_volume(tmp_path):
    assert budget_cutoff(1000.0, 20) == 0.98
    assert budget_cutoff(10.0, 20) == 0.9  # never below the model's top decile
    assert budget_cutoff(None, 20) is None and budget_cutoff(1000.0, 0) is None
    registry = ModelRegistry(tmp_path / "models")
    model = trained_review_model()
    model.metrics["events_per_day"] = 400.0
    registry.activate(registry.register("review", "anomaly", model.to_artefact(), {})["version"])
    [assessment] = RegistryScorer(registry, daily_cases=8).assess("review", [make_review()], [{}])
    assert assessment is not None and assessment.review_cutoff == 0.98


def test_an_ensemble_model_scores_one_event_through_compiled_trees_as_a_batch_would():
    from models.features import feature_frame

    model = trained_review_model("ensemble")
    payloads, signals = varied_reviews(10, seed=3)
    matrix = model.spec.transform(feature_frame("review", payloads, signals))
    np.testing.assert_allclose(
        model.raw_scores(matrix[:3]), model.detector.score_samples(matrix[:3])
    )


@pytest.mark.parametrize("detector", ["ensemble", "ecod"])
def test_the_default_and_per_feature_detectors_survive_the_registry_round_trip(tmp_path, detector):
    registry = ModelRegistry(tmp_path / "models")
    model = trained_review_model(detector)
    registry.activate(registry.register("review", "anomaly", model.to_artefact(), {})["version"])
    events = [
        make_review(amount_paid={"amount": f"{40 + i}.00", "currency": "USD"}) for i in range(3)
    ]
    loaded = RegistryScorer(registry).assess("review", events, [{}, {}, {}])
    direct = model.score_frame(
        feature_frame("review", [e.model_dump(mode="json") for e in events], [{}, {}, {}])
    )
    np.testing.assert_allclose([a.score for a in loaded], np.round(direct, 4))


@pytest.mark.parametrize("event_member", ["ensemble", "local_outlier_factor"])
def test_an_event_novelty_model_scores_through_compiled_trees_and_the_registry(
    tmp_path, event_member
):
    model, frame = trained_novelty_model(event_member)
    assert isinstance(model.detector, EventNoveltyOutlierDetector)
    matrix = model.spec.transform(frame)
    np.testing.assert_allclose(model.raw_scores(matrix), model.detector.score_samples(matrix))
    registry = ModelRegistry(tmp_path / "models")
    registry.activate(registry.register("review", "anomaly", model.to_artefact(), {})["version"])
    events = [make_review(amount_paid={"amount": "45.00", "currency": "USD"})]
    [loaded] = RegistryScorer(registry).assess("review", events, [{}])
    direct = model.score_frame(
        feature_frame("review", [e.model_dump(mode="json") for e in events], [{}])
    )
    assert loaded is not None and loaded.score == pytest.approx(round(float(direct[0]), 4))
