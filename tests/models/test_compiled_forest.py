"""The flattened forest scores exactly as scikit-learn does, at any batch size."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from models import compiled_forest
from models.compiled_forest import CompiledForest


def _forest(max_features: float = 1.0) -> tuple[IsolationForest, np.ndarray]:
    rng = np.random.default_rng(5)
    data = rng.normal(size=(600, 7))
    data[:, 3] = rng.integers(0, 3, size=600)  # ties on thresholds, as flags have
    forest = IsolationForest(
        n_estimators=40, max_samples=256, max_features=max_features, random_state=1
    ).fit(data)
    probe = np.vstack([rng.normal(size=(300, 7)), rng.normal(scale=6, size=(20, 7))])
    return forest, probe


@pytest.mark.parametrize("max_features", [1.0, 0.5])
def test_a_batch_scores_bit_for_bit_as_scikit_learn(max_features):
    forest, probe = _forest(max_features)
    np.testing.assert_array_equal(
        CompiledForest(forest).score_samples(probe), forest.score_samples(probe)
    )


def test_one_row_and_rows_split_over_chunks_score_as_the_whole_batch(monkeypatch):
    forest, probe = _forest()
    compiled = CompiledForest(forest)
    whole = compiled.score_samples(probe)
    np.testing.assert_array_equal(compiled.score_samples(probe[:1]), whole[:1])
    monkeypatch.setattr(compiled_forest, "CHUNK_ROWS", 7)
    np.testing.assert_array_equal(compiled.score_samples(probe), whole)


def test_an_empty_batch_has_no_scores():
    forest, probe = _forest()
    assert CompiledForest(forest).score_samples(probe[:0]).shape == (0,)
