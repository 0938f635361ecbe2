"""Evaluation works on any labelled table and shows what revealed labels add."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from models.evaluate import evaluate_table, prepare_table, ranking_metrics
from tests.models.tables import synthetic_fraud_table
from trust.errors import ModelError


def test_ranking_metrics_count_precision_and_recall_in_the_top_shares():
    labels = np.array([1, 1] + [0] * 98)
    scores = np.concatenate([[0.99, 0.10], np.linspace(0.5, 0.0, 98)])
    metrics = ranking_metrics(labels, scores)
    assert metrics.at_top["1%"] == {"precision": 1.0, "recall": 0.5}
    assert metrics.at_top["5%"] == {"precision": 0.2, "recall": 0.5}
    assert 0.5 < metrics.roc_auc < 1.0


def test_odd_columns_are_encoded_dropped_or_imputed_with_a_notice():
    features, labels, notices = prepare_table(synthetic_fraud_table(300), "IsBad?", "Customer Ref")
    assert "Customer Ref" not in features.columns and "IsBad?" not in features.columns
    assert {"Spend (30d)", "tenure-days", "Region_north"} <= set(features.columns)
    assert "free text" not in features.columns
    assert set(labels) == {0, 1}
    assert any("one-hot" in n for n in notices) and any("imputed" in n for n in notices)


def test_a_two_valued_text_label_treats_the_minority_as_positive():
    frame = pd.DataFrame({"x": range(10), "verdict": ["ok"] * 8 + ["fraud"] * 2})
    _, labels, notices = prepare_table(frame, "verdict")
    assert labels.tolist() == [0] * 8 + [1] * 2
    assert "label 'fraud' (the minority, 2 rows) is treated as 1" in notices


def test_a_missing_label_column_is_refused_with_the_columns_available():
    with pytest.raises(ModelError, match="column 'label' not in the table"):
        prepare_table(pd.DataFrame({"x": [1, 2]}), "label")


def test_with_a_tenth_of_labels_the_learned_model_beats_the_unsupervised_one():
    report = evaluate_table(
        synthetic_fraud_table(), "IsBad?", id_column="Customer Ref", label_fraction=0.1, seed=1
    )
    unsupervised, learned = report.hidden["unsupervised"], report.hidden["learned"]
    assert unsupervised.rows == learned.rows == 2700
    assert learned.roc_auc > unsupervised.roc_auc
    assert learned.average_precision > unsupervised.average_precision
    assert learned.at_top["5%"]["recall"] > unsupervised.at_top["5%"]["recall"]


def test_a_real_dataset_bundled_with_scikit_learn_gets_sensible_metrics():
    # Malignant tumours as the positive (minority) class; no download needed.
    frame = load_breast_cancer(as_frame=True).frame
    frame["malignant"] = 1 - frame.pop("target")
    report = evaluate_table(frame, "malignant", label_fraction=0.1, seed=0)
    assert report.unsupervised.positives == 212
    # 37% malignant is no rare-outlier task: the default forest+ECOD ensemble ranks 0.74 here.
    assert report.unsupervised.roc_auc > 0.7
    assert report.hidden["learned"].roc_auc > max(0.9, report.hidden["unsupervised"].roc_auc)
    assert not math.isnan(report.hidden["unsupervised"].average_precision)


def test_a_label_fraction_outside_zero_and_one_is_refused():
    with pytest.raises(ModelError, match="between 0 and 1"):
        evaluate_table(synthetic_fraud_table(300), "IsBad?", label_fraction=1.5)
