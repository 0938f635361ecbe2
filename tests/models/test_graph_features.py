"""``trust model evaluate --edges``: the graph joins the table as features and lifts rings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.evaluate import evaluate_table
from models.graph_features import adjacency, neighbour_mean, structure_features
from trust.errors import ModelError


def ringed_table(
    rows: int = 2000, rings: int = 20, seed: int = 3
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fraud rows differ little on their own but sit in rings of five that trade together."""
    rng = np.random.default_rng(seed)
    label = np.zeros(rows, dtype=int)
    label[: rings * 5] = 1
    x = rng.normal(size=(rows, 3))
    x[label == 1] += 0.6
    frame = pd.DataFrame(x, columns=["a", "b", "c"]).assign(
        user=[f"u{i}" for i in range(rows)], label=label
    )
    edges = [
        (f"u{i}", f"u{j}")
        for r in range(rings)
        for i in range(r * 5, r * 5 + 5)
        for j in range(i + 1, r * 5 + 5)
        if rng.random() < 0.8
    ]
    honest = np.arange(rings * 5, rows)
    edges += [
        (f"u{i}", f"u{j}") for i, j in (rng.choice(honest, 2, replace=False) for _ in range(rows))
    ]
    return frame.sample(frac=1, random_state=1), pd.DataFrame(edges, columns=["src", "dst"])


def test_structure_counts_degree_component_and_triangles() -> None:
    notices: list[str] = []
    ids = pd.Series(["a", "b", "c", "d", "e"])
    edges = pd.DataFrame(
        {"src": ["a", "b", "c", "a", "d", "zz"], "dst": ["b", "c", "a", "b", "zz", "e"]}
    )
    graph = adjacency(ids, edges, notices)
    features = structure_features(graph)
    assert features["graph_degree"].tolist() == [2, 2, 2, 0, 0]
    assert features["graph_component_size"].tolist() == [3, 3, 3, 1, 1]
    assert features["graph_triangles"].tolist() == [1, 1, 1, 0, 0]
    assert neighbour_mean(graph, np.array([1.0, 0.0, 0.5, 9.0, 9.0])).tolist() == [
        0.25,
        0.75,
        0.5,
        0.0,
        0.0,
    ]
    assert "2 edges name ids not in the table and were ignored" in notices


def test_an_edge_file_without_src_and_dst_is_refused_by_name() -> None:
    with pytest.raises(ModelError, match=r"column\(s\) \['dst'\] missing"):
        adjacency(pd.Series(["a"]), pd.DataFrame({"src": ["a"], "to": ["b"]}), [])


def test_edges_need_the_id_column_they_refer_to() -> None:
    frame, edges = ringed_table(200, 4)
    with pytest.raises(ModelError, match="--edges needs --id-column"):
        evaluate_table(frame, "label", edges=edges)


def test_rings_invisible_in_the_columns_are_found_through_the_edges() -> None:
    frame, edges = ringed_table()
    alone = evaluate_table(frame, "label", id_column="user", seed=0)
    joined = evaluate_table(frame, "label", id_column="user", seed=0, edges=edges)
    assert "graph_neighbour_risk" in joined.features
    assert joined.unsupervised.roc_auc > alone.unsupervised.roc_auc + 0.2
    assert joined.unsupervised.roc_auc > 0.9
