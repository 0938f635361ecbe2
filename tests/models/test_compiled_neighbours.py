"""The compiled local outlier factor scores exactly as scikit-learn does, ties included."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import LocalOutlierFactor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import RobustScaler, StandardScaler

from models.compiled_neighbours import CompiledLocalOutlierFactor
from models.detectors import EventNoveltyOutlierDetector, _reference_sample, make_detector
from models.registry import ModelRegistry
from models.scorer import RegistryScorer
from tests.models.helpers import trained_novelty_model


def _table(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training rows and probes on mixed scales, with flags, counts and exact duplicates:
    equally distant neighbours everywhere, so tie-breaking shows."""
    rng = np.random.default_rng(seed)
    data = np.column_stack(
        [
            rng.lognormal(3, 1, size=900),  # money
            rng.integers(0, 2, size=900),  # a flag
            rng.poisson(2, size=900),  # a count
            rng.normal(size=(900, 4)),
        ]
    ).astype(np.float64)
    data[600:700] = data[0]  # a hundred copies of one event: more than n_neighbors
    data[700:720, 3:] = 0.0
    probe = np.vstack([data[:50], data[600:603], rng.normal(scale=4, size=(80, 7)) + data[100:180]])
    return data, probe


@pytest.mark.parametrize("algorithm", ["ball_tree", "kd_tree", "brute"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scaled_scores_equal_scikit_learns_bit_for_bit(algorithm, seed):
    data, probe = _table(seed)
    pipeline = make_pipeline(
        RobustScaler(), LocalOutlierFactor(n_neighbors=35, novelty=True, algorithm=algorithm)
    ).fit(data)
    compiled = CompiledLocalOutlierFactor.of(pipeline)
    assert compiled is not None
    expected = pipeline[-1].score_samples(pipeline[0].transform(probe))
    np.testing.assert_array_equal(compiled.score_samples(probe), expected)
    np.testing.assert_array_equal(compiled.score_samples(probe), pipeline.score_samples(probe))
    # One row at a time, as ``trust decide`` scores, gives the batch's scores.
    np.testing.assert_array_equal(
        np.concatenate([compiled.score_samples(probe[i : i + 1]) for i in range(9)]),
        expected[:9],
    )


def test_a_bare_detector_compiles_and_an_empty_batch_has_no_scores():
    data, probe = _table(3)
    detector = LocalOutlierFactor(n_neighbors=10, novelty=True).fit(data)
    compiled = CompiledLocalOutlierFactor.of(detector)
    assert compiled is not None
    np.testing.assert_array_equal(compiled.score_samples(probe), detector.score_samples(probe))
    assert compiled.score_samples(probe[:0]).shape == (0,)


def test_detectors_it_cannot_reproduce_are_left_to_scikit_learn():
    data, _ = _table(4)
    outlier_only = LocalOutlierFactor(n_neighbors=10).fit(data)
    other_scaling = make_pipeline(StandardScaler(), LocalOutlierFactor(novelty=True)).fit(data)
    assert CompiledLocalOutlierFactor.of(outlier_only) is None
    assert CompiledLocalOutlierFactor.of(other_scaling) is None
    assert CompiledLocalOutlierFactor.of(make_detector("ecod")) is None


def test_a_trained_models_reference_sample_and_events_score_as_scikit_learn_scores_them(
    tmp_path,
):
    model, frame = trained_novelty_model(
        make_detector("local_outlier_factor", algorithm="ball_tree"), rows=600, seed=7
    )
    detector = model.detector
    assert isinstance(detector, EventNoveltyOutlierDetector)
    member = detector.estimators_[1]
    assert id(member) in model._compiled
    matrix = model.spec.transform(frame)
    # The rows the member learned from (each its own nearest neighbour), then all rows.
    reference = _reference_sample(matrix, detector.reference_size)[:, list(detector.event_columns)]
    for rows in (reference, detector.views(matrix)[1]):
        np.testing.assert_array_equal(
            model._compiled[id(member)].score_samples(rows), member.score_samples(rows)
        )
    np.testing.assert_array_equal(model.raw_scores(matrix), detector.score_samples(matrix))
    # Loaded back from the registry (the artefact holds the scikit-learn objects only).
    registry = ModelRegistry(tmp_path / "models")
    registry.activate(registry.register("review", "anomaly", model.to_artefact(), {})["version"])
    found = RegistryScorer(registry).model_for("review")
    assert found is not None
    loaded = found[1]
    assert any(isinstance(c, CompiledLocalOutlierFactor) for c in loaded._compiled.values())
    np.testing.assert_array_equal(loaded.percentiles(matrix), model.percentiles(matrix))
