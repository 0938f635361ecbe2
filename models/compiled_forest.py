"""A fitted IsolationForest flattened into arrays, for scoring one event in microseconds.

scikit-learn scores each tree through joblib and Cython one after another, which costs a
few milliseconds per call whatever the batch size. For the synchronous single-event path we
walk all trees at once with numpy: one vectorised step per tree level. Large batches still
go through scikit-learn, which is faster per row. The result equals ``score_samples``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import IsolationForest

LEAF = -1


def average_path_length(samples: NDArray[np.int_] | list[int]) -> NDArray[np.float64]:
    """Expected depth of an unsuccessful search in a binary tree of ``samples`` points."""
    n = np.asarray(samples, dtype=np.float64)
    result = np.where(n == 2, 1.0, 0.0)
    deep = n > 2
    result[deep] = 2.0 * (np.log(n[deep] - 1.0) + np.euler_gamma) - 2.0 * (n[deep] - 1.0) / n[deep]
    return result


class CompiledForest:
    """Every tree of an IsolationForest as padded (trees x nodes) arrays."""

    def __init__(self, forest: IsolationForest) -> None:
        trees = [estimator.tree_ for estimator in forest.estimators_]
        width = max(tree.node_count for tree in trees)
        count = len(trees)
        self.feature = np.zeros((count, width), dtype=np.intp)
        self.threshold = np.zeros((count, width), dtype=np.float64)
        self.left = np.zeros((count, width), dtype=np.intp)
        self.right = np.zeros((count, width), dtype=np.intp)
        self.leaf_depth = np.zeros((count, width), dtype=np.float64)
        for t, (tree, features) in enumerate(zip(trees, forest.estimators_features_, strict=True)):
            nodes = np.arange(tree.node_count)
            is_leaf = tree.children_left == LEAF
            # A leaf points to itself, so walking past it is harmless.
            self.left[t, : tree.node_count] = np.where(is_leaf, nodes, tree.children_left)
            self.right[t, : tree.node_count] = np.where(is_leaf, nodes, tree.children_right)
            # Tree features index the forest's feature subsample; map them to input columns.
            local = np.where(is_leaf, 0, tree.feature)
            self.feature[t, : tree.node_count] = np.asarray(features)[local]
            self.threshold[t, : tree.node_count] = tree.threshold
            self.leaf_depth[t, : tree.node_count] = (
                tree.compute_node_depths() + average_path_length(tree.n_node_samples) - 1.0
            )
        self.levels = max(estimator.get_depth() for estimator in forest.estimators_)
        self.denominator = count * float(average_path_length([forest.max_samples_])[0])
        self._rows = np.arange(count)

    def score_samples(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """Same as ``IsolationForest.score_samples`` (higher is more normal)."""
        # Trees compare in float32, exactly as scikit-learn casts its input.
        data = np.asarray(X, dtype=np.float32).astype(np.float64)
        scores = np.empty(len(data), dtype=np.float64)
        for i, row in enumerate(data):
            node = np.zeros(len(self._rows), dtype=np.intp)
            for _ in range(self.levels):
                goes_left = row[self.feature[self._rows, node]] <= self.threshold[self._rows, node]
                node = np.where(
                    goes_left, self.left[self._rows, node], self.right[self._rows, node]
                )
            depth = self.leaf_depth[self._rows, node].sum()
            scores[i] = -(2.0 ** (-depth / self.denominator)) if self.denominator else -1.0
        return scores
