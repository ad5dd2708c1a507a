"""Known-answer tests for the fake-share estimators under prior shift."""

from __future__ import annotations

import numpy as np
import pytest

from authfit.modeling.quantification import (
    ErrorRates,
    SampleShape,
    adjust,
    draw_samples,
    emq_shares,
    measure_rates,
    worst_source_threshold,
)


def test_adjust_inverts_the_error_rates_and_clips() -> None:
    assert adjust(np.array([0.05 + 0.8 * 0.3]), 0.85, 0.05)[0] == pytest.approx(0.3)
    assert adjust(np.array([0.0, 1.0]), 0.85, 0.05).tolist() == [0.0, 1.0]


def test_emq_recovers_a_shifted_prior_from_calibrated_posteriors() -> None:
    rng = np.random.default_rng(0)
    # scores whose class-conditional densities are known: posteriors at prior 0.5 are exact
    y = (rng.random(20_000) < 0.2).astype(int)
    x = rng.normal(np.where(y == 1, 1.5, -1.5), 1.0)
    p = 1 / (1 + np.exp(-3 * x))  # log-likelihood ratio of N(1.5,1) vs N(-1.5,1) is 3x
    codes = np.zeros(len(y), dtype=int)
    assert emq_shares(p, codes, 0.5)[0] == pytest.approx(0.2, abs=0.01)


def test_worst_source_threshold_serves_the_weaker_source() -> None:
    # source a separates at 0.3, source b at 0.7: the best worst-case cut lies between them
    y = np.array([0, 0, 1, 1, 0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.4, 0.5, 0.5, 0.6, 0.8, 0.9])
    sources = np.array(["a"] * 4 + ["b"] * 4)
    cut = worst_source_threshold(y, p, sources)
    assert 0.4 < cut <= 0.5 or 0.5 < cut <= 0.6


def test_measure_rates_per_source_at_the_threshold() -> None:
    y = np.array([1, 1, 0, 0, 1, 0])
    p = np.array([0.9, 0.2, 0.1, 0.6, 0.8, 0.3])
    rates = measure_rates(y, p, np.array(["a"] * 4 + ["b"] * 2), 0.5, "acc")
    assert rates.sources == ("a", "b") and rates.threshold == 0.5
    assert rates.tpr == (0.5, 1.0) and rates.fpr == (0.5, 0.0)


def test_emq_interval_is_the_worst_sources_residuals() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(4000) < 0.4).astype(int)
    p = np.clip(np.where(y == 1, 0.7, 0.3) + rng.normal(0, 0.1, len(y)), 0.01, 0.99)
    sources = np.where(rng.random(len(y)) < 0.5, "a", "b")
    rates = measure_rates(y, p, sources, 0.5, "emq", samples=SampleShape(count=100))
    codes = np.repeat(np.arange(20), 100)
    point, lo, hi = rates.estimate(codes, p[:2000], 0.95)
    assert ((lo <= point) & (point <= hi)).all() and (hi - lo > 0).all()
    assert rates == ErrorRates(**rates.model_dump(mode="json"))  # survives the bundle's JSON


def test_draw_samples_hits_the_asked_shares_and_sizes() -> None:
    y = np.array([1] * 50 + [0] * 500)
    rows, codes, truth = draw_samples(y, SampleShape(count=40, min_size=50, max_size=60, max_share=0.7))
    sizes = np.bincount(codes)
    assert sizes.min() >= 50 and sizes.max() <= 60 and truth.max() <= 0.7
    assert np.allclose(np.bincount(codes, weights=y[rows]) / sizes, truth)


def test_random_effects_interval_widens_when_sources_disagree() -> None:
    rng = np.random.default_rng(2)
    y = (rng.random(6000) < 0.4).astype(int)
    base = np.where(y == 1, 0.7, 0.3) + rng.normal(0, 0.1, len(y))
    sources = np.repeat(np.array(["a", "b", "c"]), 2000)
    # source c's fakes look real: its residuals sit far from a's and b's
    p = np.clip(np.where((sources == "c") & (y == 1), base - 0.3, base), 0.01, 0.99)
    envelope = measure_rates(y, p, sources, 0.5, "emq", "normal", SampleShape(count=100))
    predictive = envelope.model_copy(update={"spread": "t"})
    codes = np.repeat(np.arange(10), 100)
    _, lo_e, hi_e = envelope.estimate(codes, p[:1000], 0.95)
    _, lo_t, hi_t = predictive.estimate(codes, p[:1000], 0.95)
    assert ((hi_t - lo_t) >= (hi_e - lo_e) - 1e-9).all()


def _three_sources(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Posteriors calibrated at the pooled prior for sources a and b; c's fakes look real (a model blind to
    them, like one trained on Instagram scoring a Twitter set)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(6000) < 0.4).astype(int)
    sources = np.repeat(np.array(["a", "b", "c"]), 2000)
    x = rng.normal(np.where((y == 1) & (sources != "c"), 1.5, -1.5), 1.0)
    prior = y.mean()
    p = 1 / (1 + (1 - prior) / prior * np.exp(-3 * x))  # likelihood ratio of N(1.5,1) vs N(-1.5,1): exp(3x)
    return y, p, sources


def test_one_blind_source_does_not_shift_every_estimate() -> None:
    # c's residuals (near -truth) must not pull a's estimates up, as subtracting the sources' mean residual
    # did; and small true shares are not pulled towards the middle of the training samples' shares.
    y, p, sources = _three_sources(3)
    rates = measure_rates(y, p, sources, 0.5, "emq", samples=SampleShape(count=200))
    assert rates.residuals_by == "truth"
    rng = np.random.default_rng(4)
    a_fakes, a_reals = np.flatnonzero((sources == "a") & (y == 1)), np.flatnonzero((sources == "a") & (y == 0))
    shares = rng.uniform(0.0, 0.15, 40)
    rows = np.concatenate([np.r_[rng.choice(a_fakes, round(s * 150)), rng.choice(a_reals, 150 - round(s * 150))]
                           for s in shares])
    codes = np.repeat(np.arange(40), 150)
    truth = np.round(shares * 150) / 150
    point, lo, hi = rates.estimate(codes, p[rows], 0.95)
    assert abs(np.mean(point - truth)) < 0.015
    assert np.mean((lo <= truth) & (truth <= hi)) >= 0.9
    # c is blind to fakes, so a low estimate cannot rule out a high share: without c the interval narrows
    narrow = rates.only(["a", "b"])
    _, lo_ab, hi_ab = narrow.estimate(codes, p[rows], 0.95)
    assert (hi_ab - lo_ab).mean() < (hi - lo).mean() / 2


def test_only_keeps_each_sources_rates_together() -> None:
    y, p, sources = _three_sources(5)
    rates = measure_rates(y, p, sources, 0.5, "emq", samples=SampleShape(count=60))
    kept = rates.only(["c", "a"])
    assert kept.sources == ("a", "c")
    assert kept.tpr == (rates.tpr[0], rates.tpr[2]) and kept.residuals == (rates.residuals[0], rates.residuals[2])
    with pytest.raises(ValueError, match="none of"):
        rates.only(["z"])


def test_bundles_with_residuals_by_estimate_still_estimate() -> None:
    # the shipped pretrained bundle's rates predate the belt: their tables are read as kept by estimate
    y, p, sources = _three_sources(6)
    stored = measure_rates(y, p, sources, 0.5, "emq", samples=SampleShape(count=60)).model_dump(mode="json")
    del stored["residuals_by"]
    legacy = ErrorRates(**stored)
    assert legacy.residuals_by == "estimate"
    point, lo, hi = legacy.estimate(np.repeat(np.arange(5), 100), p[:500], 0.95)
    assert ((lo <= point) & (point <= hi)).all()
