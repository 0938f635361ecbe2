"""Graph features for a labelled table with an edge list: ``trust model evaluate --edges``.

The edges (a CSV with columns ``src`` and ``dst`` holding values of the table's id column)
tie rows together the way shared identifiers and reviews tie accounts in the store. Each row
gets what the account graph gives an account: its degree, the size of its connected component,
the triangles it closes (how ring-like its neighbourhood is), and — after a first scoring
pass — the mean anomaly score of its neighbours (``neighbour_risk``). Edge rows naming ids not
in the table are ignored, with a notice.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from trust.errors import ModelError

EDGE_COLUMNS = ("src", "dst")
STRUCTURE = ("graph_degree", "graph_component_size", "graph_triangles")
NEIGHBOUR_RISK = "graph_neighbour_risk"


def adjacency(ids: pd.Series, edges: pd.DataFrame, notices: list[str]) -> csr_matrix:
    """The symmetric 0/1 adjacency of the table's rows (row order of ``ids``)."""
    missing = [c for c in EDGE_COLUMNS if c not in edges.columns]
    if missing:
        raise ModelError(
            f"edges file: column(s) {missing} missing; it needs 'src' and 'dst' "
            f"holding values of the id column; columns: {list(edges.columns)}"
        )
    position = {str(v): i for i, v in enumerate(ids.astype(str))}
    src = edges["src"].astype(str).map(position)
    dst = edges["dst"].astype(str).map(position)
    known = src.notna() & dst.notna() & (src != dst)
    unknown = int((src.isna() | dst.isna()).sum())
    if unknown:
        notices.append(f"{unknown} edges name ids not in the table and were ignored")
    rows = src[known].astype(np.int64).to_numpy()
    cols = dst[known].astype(np.int64).to_numpy()
    n = len(ids)
    matrix = coo_matrix(
        (np.ones(2 * len(rows)), (np.r_[rows, cols], np.r_[cols, rows])), shape=(n, n)
    ).tocsr()
    matrix.data[:] = 1.0  # repeated edges count once
    notices.append(
        f"graph: {int(matrix.nnz // 2)} distinct edges between "
        f"{int((np.diff(matrix.indptr) > 0).sum())} of {n} rows"
    )
    return matrix


def structure_features(graph: csr_matrix) -> pd.DataFrame:
    """Degree, component size and triangles closed, per row."""
    degree = np.asarray(graph.sum(axis=1)).ravel()
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)[labels]
    triangles = np.asarray((graph @ graph).multiply(graph).sum(axis=1)).ravel() / 2
    return pd.DataFrame(
        {
            "graph_degree": degree,
            "graph_component_size": sizes.astype(float),
            "graph_triangles": triangles,
        }
    )


def neighbour_mean(graph: csr_matrix, scores: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Mean of ``scores`` over each row's neighbours (0 for rows without any)."""
    degree = np.asarray(graph.sum(axis=1)).ravel()
    total = graph @ np.asarray(scores, dtype=np.float64)
    return np.divide(total, degree, out=np.zeros_like(total), where=degree > 0)


def labelled_ids(frame: pd.DataFrame, label: str, id_column: str | None) -> pd.Series:
    """The id of each row ``prepare_table`` keeps (rows with a label), in its order."""
    if id_column is None:
        raise ModelError("--edges needs --id-column: the column whose values 'src' and 'dst' hold")
    return frame.loc[frame[label].notna(), id_column].reset_index(drop=True)


def with_structure(features: pd.DataFrame, graph: csr_matrix) -> pd.DataFrame:
    """``features`` plus degree, component size and triangles."""
    return pd.concat([features, structure_features(graph)], axis=1)


def with_neighbour_risk(
    features: pd.DataFrame, graph: csr_matrix, first_pass: np.ndarray[Any, Any]
) -> pd.DataFrame:
    """``features`` plus the neighbours' mean score from a first pass (the neighbours' risk)."""
    return features.assign(**{NEIGHBOUR_RISK: neighbour_mean(graph, first_pass)})
