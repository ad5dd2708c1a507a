"""Calibration fitted on scores, JSON round trips, and threshold rules."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import f1_score, precision_score

from authfit.modeling.calibration import Calibrator, choose_threshold


@pytest.fixture(scope="module")
def skewed_scores():
    """Scores that overstate the true probability (true p = score**2), as class weighting does."""
    rng = np.random.default_rng(0)
    scores = rng.uniform(0, 1, 4000)
    labels = (rng.uniform(0, 1, scores.size) < scores**2).astype(float)
    return scores, labels


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_calibration_recovers_the_true_probability(skewed_scores, method):
    scores, labels = skewed_scores
    calibrated = Calibrator(method).fit(scores, labels).transform(np.array([0.3, 0.5, 0.9]))
    np.testing.assert_allclose(calibrated, [0.09, 0.25, 0.81], atol=0.08)
    assert np.all(np.diff(calibrated) > 0)


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_json_round_trip_gives_the_same_function(skewed_scores, method):
    scores, labels = skewed_scores
    fitted = Calibrator(method).fit(scores, labels)
    restored = Calibrator.from_dict(json.loads(json.dumps(fitted.to_dict())))
    grid = np.linspace(-0.1, 1.1, 57)  # includes points outside the fitted range
    np.testing.assert_allclose(restored.transform(grid), fitted.transform(grid))


def test_isotonic_with_interp_matches_sklearn_and_clips(skewed_scores):
    scores, labels = skewed_scores
    ours = Calibrator("isotonic").fit(scores, labels)
    reference = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(scores, labels)
    grid = np.linspace(-0.5, 1.5, 101)
    np.testing.assert_allclose(ours.transform(grid), reference.predict(grid))


def test_calibrator_refuses_unfitted_use_bad_input_and_bad_json():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        Calibrator().transform([0.5])
    with pytest.raises(ValueError, match="both classes"):
        Calibrator().fit([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="non-decreasing"):
        Calibrator.from_dict({"method": "isotonic", "x": [0.0, 1.0], "y": [0.9, 0.1]})
    with pytest.raises(ValueError, match="unknown"):
        Calibrator.from_dict({"method": "beta"})


@pytest.fixture(scope="module")
def noisy_scores():
    rng = np.random.default_rng(5)
    labels = (rng.uniform(size=3000) < 0.2).astype(float)
    scores = np.clip(0.35 * labels + rng.normal(0.3, 0.15, labels.size), 0, 1)
    return labels, scores


def test_best_f1_threshold_beats_every_other_cut(noisy_scores):
    labels, scores = noisy_scores
    chosen = choose_threshold(labels, scores, "best_f1")
    best = f1_score(labels, scores >= chosen)
    others = [f1_score(labels, scores >= t) for t in np.quantile(scores, np.linspace(0.05, 0.95, 37))]
    assert best >= max(others) - 1e-12


def test_precision_rule_keeps_precision_and_takes_the_lowest_such_threshold(noisy_scores):
    labels, scores = noisy_scores
    chosen = choose_threshold(labels, scores, "precision_at_least:0.8")
    assert precision_score(labels, scores >= chosen) >= 0.8
    below = np.max(scores[scores < chosen])
    assert precision_score(labels, scores >= below) < 0.8


def test_specificity_rule_keeps_specificity(noisy_scores):
    labels, scores = noisy_scores
    chosen = choose_threshold(labels, scores, "specificity_at_least:0.95")
    negatives = scores[labels == 0]
    assert np.mean(negatives < chosen) >= 0.95
    below = np.max(scores[scores < chosen])
    assert np.mean(negatives < below) < 0.95
    # asking for perfect specificity calls nothing negative positive, and stays a finite number
    strict = choose_threshold(labels, scores, "specificity_at_least:1")
    assert np.isfinite(strict) and np.all(negatives < strict)


def test_unreachable_precision_warns_and_unknown_rule_fails(noisy_scores):
    labels, scores = noisy_scores
    with pytest.warns(UserWarning, match="precision"):
        choose_threshold(labels, np.full(labels.size, 0.5), "precision_at_least:0.99")
    with pytest.raises(ValueError, match="unknown threshold rule"):
        choose_threshold(labels, scores, "recall_at_least:0.5")
