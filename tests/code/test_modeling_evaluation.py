"""Out-of-fold evaluation: calibration, threshold and metrics wired together."""

from __future__ import annotations

import numpy as np
import pandas as pd

from authfit.modeling.calibration import choose_threshold
from authfit.modeling.evaluation import binary_report_plots, evaluate_binary_oof
from authfit.modeling.metrics import expected_calibration_error


def test_evaluation_calibrates_keeps_unseen_rows_and_thresholds_calibrated_scores(tmp_path):
    rng = np.random.default_rng(4)
    raw = rng.uniform(0, 1, 3000)
    y = (rng.uniform(size=raw.size) < raw**3).astype(float)
    oof = raw.copy()
    oof[:100] = np.nan  # e.g. the first time block
    result = evaluate_binary_oof(y, oof, method="platt", threshold_rule="precision_at_least:0.7")
    assert np.isnan(result.calibrated_oof[:100]).all() and not np.isnan(result.calibrated_oof[100:]).any()
    assert result.metrics["n"] == 2900
    assert result.metrics["ece"] < 0.5 * expected_calibration_error(y[100:], raw[100:])
    assert result.threshold == choose_threshold(y[100:], result.calibrated_oof[100:], "precision_at_least:0.7")
    assert result.metrics["precision"] >= 0.7
    paths = binary_report_plots(y[100:], result.calibrated_oof[100:], pd.Series({"f": 1.0}), tmp_path, "acct_")
    assert sorted(p.name for p in paths) == ["acct_calibration.png", "acct_importance.png", "acct_pr.png",
                                             "acct_roc.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
