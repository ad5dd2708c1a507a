"""Evaluation metrics and diagnostic plots.

Plots draw on a bare `matplotlib.figure.Figure` (Agg canvas), never on pyplot's global state, so
nothing here changes the caller's backend and figures are freed when they go out of scope.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy.stats import spearmanr
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    mean_poisson_deviance,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)


def _arrays(y: Any, p: Any) -> tuple[np.ndarray, np.ndarray]:
    labels, scores = np.asarray(y, dtype=float).ravel(), np.asarray(p, dtype=float).ravel()
    if labels.shape != scores.shape:
        raise ValueError(f"{labels.size} labels for {scores.size} predictions")
    keep = ~(np.isnan(labels) | np.isnan(scores))
    return labels[keep], scores[keep]


def expected_calibration_error(y: Any, p: Any, n_bins: int = 10) -> float:
    """Row-weighted mean |observed rate - mean predicted| over equal-width probability bins."""
    labels, scores = _arrays(y, p)
    bins = np.clip((scores * n_bins).astype(int), 0, n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    gap = np.abs(np.bincount(bins, labels, n_bins) - np.bincount(bins, scores, n_bins))
    return float(gap.sum() / max(count.sum(), 1))


def sensitivity_at_specificity(y: Any, p: Any, specificity: float) -> float:
    """The highest recall reachable while keeping the false-positive rate at or below 1 - specificity."""
    labels, scores = _arrays(y, p)
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    return float(tpr[fpr <= 1.0 - specificity + 1e-12].max())


def classification_metrics(
    y: Any, p: Any, threshold: float = 0.5, specificities: tuple[float, ...] = (0.9, 0.95)
) -> dict[str, float]:
    """ROC-AUC, PR-AUC, F1/precision/recall at `threshold`, Brier, ECE and sensitivity at each specificity.
    Rows with a missing label or prediction are left out (e.g. rows never in a validation fold)."""
    labels, scores = _arrays(y, p)
    predicted = scores >= threshold
    metrics = {
        "roc_auc": float(roc_auc_score(labels, scores)),
        "pr_auc": float(average_precision_score(labels, scores)),
        "f1": float(f1_score(labels, predicted, zero_division=0.0)),
        "precision": float(np.mean(labels[predicted])) if predicted.any() else 0.0,
        "recall": float(np.mean(predicted[labels == 1])),
        "brier": float(brier_score_loss(labels, scores)),
        "ece": expected_calibration_error(labels, scores),
        "positive_rate": float(np.mean(labels)),
        "n": float(labels.size),
    }
    for spec in specificities:
        metrics[f"sensitivity_at_specificity_{spec:g}"] = sensitivity_at_specificity(labels, scores, spec)
    return metrics


def ndcg_at_k(relevance: Any, score: Any, k: int = 10, groups: Any = None) -> float:
    """Mean NDCG@k over groups (one ranking per group, e.g. per campaign); one ranking when groups is None.
    Gains are the relevances themselves (linear). Groups whose ideal DCG is 0 are skipped."""
    frame = pd.DataFrame({
        "rel": np.asarray(relevance, dtype=float),
        "score": np.asarray(score, dtype=float),
        "group": 0 if groups is None else np.asarray(groups),
    })
    if (frame["rel"] < 0).any():
        raise ValueError("NDCG needs non-negative relevances")
    discount = lambda ranks: 1.0 / np.log2(ranks + 2.0)  # noqa: E731 - rank 0 gets discount 1
    by_score = frame.sort_values(["group", "score"], ascending=[True, False], kind="stable")
    by_score_rank = by_score.groupby("group", sort=False).cumcount().to_numpy()
    dcg = (by_score["rel"] * discount(by_score_rank)).where(by_score_rank < k, 0.0)
    ideal = frame.sort_values(["group", "rel"], ascending=[True, False], kind="stable")
    ideal_rank = ideal.groupby("group", sort=False).cumcount().to_numpy()
    idcg = (ideal["rel"] * discount(ideal_rank)).where(ideal_rank < k, 0.0)
    per_group = pd.DataFrame({"dcg": dcg.groupby(by_score["group"]).sum(),
                              "idcg": idcg.groupby(ideal["group"]).sum()})
    per_group = per_group[per_group["idcg"] > 0]
    return float((per_group["dcg"] / per_group["idcg"]).mean()) if len(per_group) else float("nan")


def count_metrics(y: Any, mu: Any, groups: Any = None, k: int = 10) -> dict[str, float]:
    """Mean Poisson deviance, Spearman correlation and NDCG@k of predicted expected counts."""
    counts, expected = _arrays(y, mu)
    keep_groups = None
    if groups is not None:
        mask = ~(np.isnan(np.asarray(y, dtype=float)) | np.isnan(np.asarray(mu, dtype=float)))
        keep_groups = np.asarray(groups)[mask]
    rho = spearmanr(counts, expected).statistic if counts.size > 1 else np.nan
    return {
        "poisson_deviance": float(mean_poisson_deviance(counts, np.maximum(expected, 1e-12))),
        "spearman": float(rho),
        f"ndcg_at_{k}": ndcg_at_k(counts, expected, k=k, groups=keep_groups),
        "n": float(counts.size),
    }


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def plot_roc(y: Any, p: Any, path: Path, title: str = "ROC curve") -> Path:
    labels, scores = _arrays(y, p)
    fpr, tpr, _ = roc_curve(labels, scores)
    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    ax.plot(fpr, tpr, label=f"AUC = {roc_auc_score(labels, scores):.3f}")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    ax.legend(loc="lower right")
    return _save(fig, Path(path))


def plot_pr(y: Any, p: Any, path: Path, title: str = "Precision-recall curve") -> Path:
    labels, scores = _arrays(y, p)
    precision, recall, _ = precision_recall_curve(labels, scores)
    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    ax.step(recall, precision, where="post", label=f"AP = {average_precision_score(labels, scores):.3f}")
    ax.axhline(labels.mean(), linestyle="--", color="grey", linewidth=0.8, label="base rate")
    ax.set(xlabel="recall", ylabel="precision", title=title, ylim=(0, 1.02))
    ax.legend(loc="lower left")
    return _save(fig, Path(path))


def plot_calibration(y: Any, p: Any, path: Path, n_bins: int = 10, title: str = "Calibration") -> Path:
    labels, scores = _arrays(y, p)
    bins = np.clip((scores * n_bins).astype(int), 0, n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    filled = count > 0
    mean_p = np.bincount(bins, scores, n_bins)[filled] / count[filled]
    rate = np.bincount(bins, labels, n_bins)[filled] / count[filled]
    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8)
    ax.plot(mean_p, rate, marker="o", label=f"ECE = {expected_calibration_error(labels, scores, n_bins):.3f}")
    ax.set(xlabel="mean predicted probability", ylabel="observed positive rate", title=title,
           xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left")
    return _save(fig, Path(path))


def plot_feature_importance(importance: pd.Series, path: Path, top: int = 25,
                            title: str = "Feature importance (gain)") -> Path:
    shown = importance.sort_values(ascending=False).head(top)[::-1]
    fig = Figure(figsize=(6, max(2.0, 0.28 * len(shown) + 1)))
    ax = fig.add_subplot()
    ax.barh(shown.index.astype(str), shown.to_numpy())
    ax.set(xlabel=str(importance.name or "importance"), title=title)
    return _save(fig, Path(path))
