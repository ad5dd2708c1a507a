"""Out-of-fold evaluation shared by every binary model: calibrate, pick the threshold, score, plot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from authfit.modeling.calibration import Calibrator, choose_threshold
from authfit.modeling.metrics import (
    classification_metrics,
    plot_calibration,
    plot_feature_importance,
    plot_pr,
    plot_roc,
)


@dataclass(frozen=True)
class BinaryEvaluation:
    calibrator: Calibrator
    threshold: float
    calibrated_oof: np.ndarray
    metrics: dict[str, float]


def evaluate_binary_oof(y: Any, oof: np.ndarray, method: str = "isotonic",
                        threshold_rule: str = "best_f1") -> BinaryEvaluation:
    """Fit the calibrator on OOF scores, choose the threshold on the calibrated scores and report
    metrics there. Calibration and threshold learn from the same rows they are scored on, so F1, Brier
    and ECE are slightly optimistic; Platt keeps the ranking (ROC-AUC) as it was, isotonic can only tie
    neighbouring scores. Rows with a NaN score (never validated) are left out and stay NaN."""
    labels = np.asarray(y, dtype=float)
    seen = ~np.isnan(oof)
    calibrator = Calibrator(method).fit(oof[seen], labels[seen])
    calibrated = np.full(oof.shape, np.nan)
    calibrated[seen] = calibrator.transform(oof[seen])
    threshold = choose_threshold(labels[seen], calibrated[seen], threshold_rule)
    metrics = classification_metrics(labels, calibrated, threshold)
    return BinaryEvaluation(calibrator, threshold, calibrated, metrics)


def binary_report_plots(y: Any, p: np.ndarray, importance: pd.Series, out_dir: Path,
                        prefix: str = "") -> list[Path]:
    """ROC, PR, calibration and importance PNGs in `out_dir`, named `<prefix>roc.png` and so on."""
    out = Path(out_dir)
    return [
        plot_roc(y, p, out / f"{prefix}roc.png"),
        plot_pr(y, p, out / f"{prefix}pr.png"),
        plot_calibration(y, p, out / f"{prefix}calibration.png"),
        plot_feature_importance(importance, out / f"{prefix}importance.png"),
    ]
