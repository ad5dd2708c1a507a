"""Out-of-fold evaluation: the shipped calibrator/threshold see every row, the reported metrics never do."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from authfit.modeling.evaluation import binary_report_plots, cross_fit, evaluate_binary_oof
from authfit.modeling.metrics import expected_calibration_error


def _scores(n: int = 3000, seed: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    raw = rng.uniform(0, 1, n)
    y = (rng.uniform(size=n) < raw**3).astype(float)
    return raw, y, np.arange(n) % 5


def test_evaluation_ships_a_calibrator_fitted_on_all_rows_and_keeps_unseen_rows(tmp_path):
    raw, y, fold = _scores()
    oof = raw.copy()
    oof[:100] = np.nan  # e.g. the first time block
    result = evaluate_binary_oof(y, oof, fold, method="platt", threshold_rule="precision_at_least:0.7")
    assert np.isnan(result.calibrated_oof[:100]).all() and not np.isnan(result.calibrated_oof[100:]).any()
    assert not result.predicted_oof[:100].any()
    assert result.metrics["n"] == 2900
    assert result.metrics["ece"] < 0.5 * expected_calibration_error(y[100:], raw[100:])
    # what ships learns from every seen row: other labels in one fold move the shipped calibration
    flipped = evaluate_binary_oof(np.where(fold == 0, 1 - y, y), oof, fold, method="platt",
                                  threshold_rule="precision_at_least:0.7")
    assert not np.allclose(flipped.calibrator.transform(raw[100:]), result.calibrator.transform(raw[100:]))
    paths = binary_report_plots(y[100:], result.calibrated_oof[100:], pd.Series({"f": 1.0}), tmp_path, "acct_")
    assert sorted(p.name for p in paths) == ["acct_calibration.png", "acct_importance.png", "acct_pr.png",
                                             "acct_roc.png"]
    assert all(p.stat().st_size > 1000 for p in paths)


def test_a_folds_probabilities_and_verdicts_do_not_depend_on_its_own_labels():
    raw, y, fold = _scores()
    flipped = np.where(fold == 0, 1 - y, y)
    for method in ("platt", "isotonic", None):
        p, verdict = cross_fit(y, raw, fold, method, "best_f1")
        p_flipped, verdict_flipped = cross_fit(flipped, raw, fold, method, "best_f1")
        np.testing.assert_array_equal(p[fold == 0], p_flipped[fold == 0])
        np.testing.assert_array_equal(verdict[fold == 0], verdict_flipped[fold == 0])
        # the other folds' thresholds (and calibrators) did learn from fold 0's labels
        assert not np.array_equal(verdict[fold != 0], verdict_flipped[fold != 0])
        if method is not None:
            assert not np.array_equal(p[fold == 1], p_flipped[fold == 1])


def test_a_threshold_tuned_on_noise_does_not_report_its_own_luck():
    # Scores carry no signal, so an honest precision reads about the base rate (0.3) whatever cut the rule
    # picks; a cut scored on the rows it was chosen on would report the 0.45 it was asked to reach.
    rng = np.random.default_rng(4)
    raw, y = rng.uniform(size=2000), (rng.uniform(size=2000) < 0.3).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a fold may find no cut that reaches the precision asked for
        result = evaluate_binary_oof(y, raw, np.arange(2000) % 5, method=None,
                                     threshold_rule="precision_at_least:0.45")
    assert abs(result.metrics["precision"] - y.mean()) < 0.08
