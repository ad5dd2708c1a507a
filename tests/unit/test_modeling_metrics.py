"""Metrics against hand-computed values and reference implementations, and plot files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import ndcg_score

from authfit.modeling.metrics import (
    classification_metrics,
    count_metrics,
    expected_calibration_error,
    ndcg_at_k,
    plot_calibration,
    plot_feature_importance,
    plot_pr,
    plot_roc,
    sensitivity_at_specificity,
)


def test_ece_by_hand():
    # bin [0.1,0.2): p=0.1 twice, one positive -> |0.5-0.1|; bin [0.9,1]: p=0.9 twice, both positive -> 0.1
    y, p = [0, 1, 1, 1], [0.1, 0.1, 0.9, 0.9]
    assert expected_calibration_error(y, p) == pytest.approx(0.5 * 0.4 + 0.5 * 0.1)


def test_sensitivity_at_specificity_by_hand():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.8, 0.4, 0.5, 0.9, 0.95])
    # specificity 1 allows cuts above 0.8: two of four positives
    assert sensitivity_at_specificity(y, p, 1.0) == pytest.approx(0.5)
    # specificity 0.75 allows one false positive: every positive
    assert sensitivity_at_specificity(y, p, 0.75) == pytest.approx(1.0)


def test_classification_metrics_ignore_rows_without_prediction():
    y = np.array([0, 1, 0, 1, 1])
    p = np.array([0.2, 0.9, 0.4, 0.6, np.nan])
    metrics = classification_metrics(y, p, threshold=0.5)
    assert metrics["n"] == 4
    assert metrics["roc_auc"] == pytest.approx(1.0)
    assert metrics["f1"] == pytest.approx(1.0)
    assert metrics["brier"] == pytest.approx(np.mean([0.04, 0.01, 0.16, 0.16]))
    assert {"pr_auc", "ece", "sensitivity_at_specificity_0.9"} <= set(metrics)


def test_ndcg_matches_sklearn_per_group_and_averages_groups():
    rng = np.random.default_rng(2)
    rel = rng.integers(0, 5, 40).astype(float)
    score = rng.normal(size=40)
    groups = np.repeat(["a", "b"], 20)
    expected = np.mean([ndcg_score([rel[groups == g]], [score[groups == g]], k=5) for g in ("a", "b")])
    assert ndcg_at_k(rel, score, k=5, groups=groups) == pytest.approx(expected)
    assert ndcg_at_k(rel, rel, k=5) == pytest.approx(1.0)


def test_count_metrics_reward_the_right_ranking():
    y = np.array([0, 1, 3, 8, 20])
    good = count_metrics(y, y + 0.5)
    bad = count_metrics(y, (y + 0.5)[::-1])
    assert good["spearman"] == pytest.approx(1.0) and bad["spearman"] == pytest.approx(-1.0)
    assert good["poisson_deviance"] < bad["poisson_deviance"]
    assert good["ndcg_at_10"] == pytest.approx(1.0)
    assert bad["ndcg_at_10"] < 0.9


def test_plots_write_png_files(tmp_path):
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, 200), 0, 1)
    paths = [
        plot_roc(y, p, tmp_path / "roc.png"),
        plot_pr(y, p, tmp_path / "pr.png"),
        plot_calibration(y, p, tmp_path / "nested" / "cal.png"),
        plot_feature_importance(pd.Series({"a": 3.0, "b": 1.0, "c": 2.0}, name="gain"), tmp_path / "imp.png"),
    ]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
