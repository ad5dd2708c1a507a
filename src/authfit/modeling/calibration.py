"""Probability calibration fitted on out-of-fold scores, stored as plain numbers in JSON.

Isotonic keeps its breakpoints and is applied with `np.interp` (the same piecewise-linear function
sklearn's IsotonicRegression predicts, clipped at the ends); Platt keeps `a`, `b` of
sigmoid(a * logit(p) + b). Nothing is pickled, so a bundle's calibrator can be read and audited.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, logit
from sklearn.base import BaseEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import precision_recall_curve, roc_curve
from sklearn.utils.validation import check_is_fitted

_EPS = 1e-6


def _clean_scores(p: np.ndarray | Any) -> np.ndarray:
    scores = np.asarray(p, dtype=float).ravel()
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN")
    return scores


def _check_binary(y: Any, p: np.ndarray) -> np.ndarray:
    labels = np.asarray(y, dtype=float).ravel()
    if labels.shape != p.shape:
        raise ValueError(f"{labels.size} labels for {p.size} scores")
    if not np.isin(labels, (0.0, 1.0)).all() or np.unique(labels).size < 2:
        raise ValueError("calibration and thresholds need 0/1 labels with both classes present")
    return labels


def _platt_fit(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    z = logit(np.clip(scores, _EPS, 1 - _EPS))

    def loss_and_grad(ab: np.ndarray) -> tuple[float, np.ndarray]:
        margin = ab[0] * z + ab[1]
        # log(1 + e^m) - y*m, written with logaddexp so large margins do not overflow
        loss = np.mean(np.logaddexp(0.0, margin) - labels * margin)
        resid = expit(margin) - labels
        return float(loss), np.array([np.mean(resid * z), np.mean(resid)])

    result = minimize(loss_and_grad, x0=np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])


class Calibrator(BaseEstimator):
    """Maps raw model probabilities to calibrated ones. `method` is "isotonic" or "platt"."""

    def __init__(self, method: Literal["isotonic", "platt"] = "isotonic"):
        self.method = method

    def fit(self, p: Any, y: Any) -> Calibrator:
        scores = _clean_scores(p)
        labels = _check_binary(y, scores)
        if self.method == "isotonic":
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, labels)
            self.x_ = np.asarray(iso.X_thresholds_, dtype=float)
            self.y_ = np.asarray(iso.y_thresholds_, dtype=float)
        elif self.method == "platt":
            self.a_, self.b_ = _platt_fit(scores, labels)
        else:
            raise ValueError(f"unknown calibration method {self.method!r}; use 'isotonic' or 'platt'")
        return self

    def transform(self, p: Any) -> np.ndarray:
        """Calibrated probabilities for raw scores `p`."""
        check_is_fitted(self)
        scores = _clean_scores(p)
        if self.method == "isotonic":
            return np.interp(scores, self.x_, self.y_)
        return expit(self.a_ * logit(np.clip(scores, _EPS, 1 - _EPS)) + self.b_)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description that `from_dict` turns back into the same function."""
        check_is_fitted(self)
        if self.method == "isotonic":
            return {"method": "isotonic", "x": self.x_.tolist(), "y": self.y_.tolist()}
        return {"method": "platt", "a": self.a_, "b": self.b_}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibrator:
        method = data.get("method")
        calibrator = cls(method=method)
        if method == "isotonic":
            x, y = np.asarray(data["x"], dtype=float), np.asarray(data["y"], dtype=float)
            if x.ndim != 1 or x.shape != y.shape or x.size == 0 or np.any(np.diff(x) < 0):
                raise ValueError("isotonic calibrator needs equal-length x/y with x non-decreasing")
            if np.any(np.diff(y) < 0) or y.min() < 0 or y.max() > 1:
                raise ValueError("isotonic calibrator y must be non-decreasing within [0, 1]")
            calibrator.x_, calibrator.y_ = x, y
        elif method == "platt":
            calibrator.a_, calibrator.b_ = float(data["a"]), float(data["b"])
        else:
            raise ValueError(f"unknown calibration method {method!r}")
        return calibrator


def parse_threshold_rule(rule: str) -> tuple[str, float]:
    """(rule name, target) of a threshold rule string; raises ValueError for an unknown rule."""
    name, _, value = rule.partition(":")
    if name == "best_f1" and not value:
        return name, float("nan")
    if name in ("precision_at_least", "specificity_at_least") and value:
        target = float(value)
        if 0.0 <= target <= 1.0:
            return name, target
    raise ValueError(
        f"unknown threshold rule {rule!r}; use best_f1, precision_at_least:<x> or specificity_at_least:<x>"
    )


def choose_threshold(y: Any, p: Any, rule: str = "best_f1") -> float:
    """Score at or above which a row is called positive.

    best_f1: the threshold with the highest F1. precision_at_least:x / specificity_at_least:x: the lowest
    threshold (hence the highest recall) that keeps precision / specificity at or above x. When no
    threshold reaches the precision asked for, warn and return the most precise one.
    """
    scores = _clean_scores(p)
    labels = _check_binary(y, scores)
    name, target = parse_threshold_rule(rule)
    if name == "specificity_at_least":
        fpr, _, thresholds = roc_curve(labels, scores, drop_intermediate=False)
        ok = np.flatnonzero(1.0 - fpr >= target)
        # roc_curve orders thresholds high to low, so the last admissible one is the lowest
        chosen = thresholds[ok[-1]]
        # sklearn's first threshold is +inf ("call nothing positive"); keep the value finite for JSON
        return float(chosen if np.isfinite(chosen) else np.nextafter(scores.max(), np.inf))
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    precision, recall = precision[:-1], recall[:-1]  # the last pair has no threshold
    if name == "best_f1":
        f1 = np.divide(2 * precision * recall, precision + recall,
                       out=np.zeros_like(precision), where=(precision + recall) > 0)
        return float(thresholds[np.argmax(f1)])
    ok = np.flatnonzero(precision >= target)
    if ok.size == 0:
        warnings.warn(f"no threshold reaches precision {target}; using the most precise one", stacklevel=2)
        return float(thresholds[np.argmax(precision)])
    return float(thresholds[ok[0]])  # thresholds rise with the index: the first admissible is the lowest
