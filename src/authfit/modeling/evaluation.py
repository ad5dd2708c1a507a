"""Out-of-fold evaluation shared by every binary model: calibrate, pick the threshold, score, plot.

What ships and what is reported are fitted apart. The shipped calibrator and threshold learn from every
out-of-fold row. The reported metrics are cross-fitted: the rows of fold k are calibrated by a calibrator
fitted on the other folds' rows and called positive at a threshold chosen on those other rows, so no
reported figure comes from a calibrator or a threshold that saw the rows it is scored on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

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
    """`calibrator` / `threshold`: fitted on every OOF row (what ships; `calibrator` is None when the scores
    come calibrated). `calibrated_oof` / `predicted_oof` / `metrics`: cross-fitted (what is reported)."""

    calibrator: Calibrator | None
    threshold: float
    calibrated_oof: np.ndarray
    predicted_oof: np.ndarray
    metrics: dict[str, float]


def _fit_calibrator(method: str | None, scores: np.ndarray, labels: np.ndarray) -> Calibrator | None:
    return None if method is None else Calibrator(method).fit(scores, labels)


def _apply(calibrator: Calibrator | None, scores: np.ndarray) -> np.ndarray:
    return scores if calibrator is None else calibrator.transform(scores)


def cross_fit(y: np.ndarray, oof: np.ndarray, fold: np.ndarray, method: str | None, threshold_rule: str
              ) -> tuple[np.ndarray, np.ndarray]:
    """Per row, (probability, verdict) from a calibrator and a threshold fitted on the other folds' rows
    only. Rows with a NaN score or fold -1 stay NaN / False. Needs at least two folds."""
    probability, predicted = np.full(oof.shape, np.nan), np.zeros(oof.shape, dtype=bool)
    seen = ~np.isnan(oof) & (fold >= 0)
    folds = np.unique(fold[seen])
    if folds.size < 2:
        raise ValueError("cross-fitted calibration needs out-of-fold scores from at least two folds")
    for k in folds:
        own, other = seen & (fold == k), seen & (fold != k)
        calibrator = _fit_calibrator(method, oof[other], y[other])
        threshold = choose_threshold(y[other], _apply(calibrator, oof[other]), threshold_rule)
        probability[own] = _apply(calibrator, oof[own])
        predicted[own] = probability[own] >= threshold
    return probability, predicted


def verdict_metrics(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """F1, precision and recall of given 0/1 verdicts (the threshold-dependent part of the metrics)."""
    return {"f1": float(f1_score(y, predicted, zero_division=0.0)),
            "precision": float(np.mean(y[predicted])) if predicted.any() else 0.0,
            "recall": float(np.mean(predicted[y == 1]))}


def evaluate_binary_oof(y: Any, oof: np.ndarray, fold: np.ndarray, method: str | None = "isotonic",
                        threshold_rule: str = "best_f1") -> BinaryEvaluation:
    """Ship a calibrator and threshold fitted on every OOF row; report metrics of the cross-fitted ones
    (`cross_fit`). `method` None: the scores are already calibrated probabilities. Rows with a NaN score
    (never validated) are left out and stay NaN."""
    labels, scores, folds = np.asarray(y, dtype=float), np.asarray(oof, dtype=float), np.asarray(fold)
    seen = ~np.isnan(scores) & (folds >= 0)
    calibrator = _fit_calibrator(method, scores[seen], labels[seen])
    threshold = choose_threshold(labels[seen], _apply(calibrator, scores[seen]), threshold_rule)
    probability, predicted = cross_fit(labels, scores, folds, method, threshold_rule)
    metrics = classification_metrics(labels[seen], probability[seen]) | verdict_metrics(labels[seen],
                                                                                         predicted[seen])
    return BinaryEvaluation(calibrator, threshold, probability, predicted, metrics)


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
