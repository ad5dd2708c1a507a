"""The fee estimate for candidates without an offer: interpolated inside the fitted fee curve, extrapolated
along its log-log trend beyond it, never capped at the largest training fee, and marked as an estimate."""

from __future__ import annotations

import numpy as np

from authfit.scoring.scorer import estimated_cost

# fee = 0.02 x followers: a straight line of slope 1 in log-log space, over 10^3 .. 10^5 followers
CURVE = {"log10_followers": [3.0, 4.0, 5.0], "cost": [20.0, 200.0, 2000.0], "currency": "EUR"}


def test_fees_beyond_the_fitted_range_follow_the_power_law_not_a_cap():
    cost, source = estimated_cost(CURVE, np.array([1e6, 1e7, 1e2]))
    np.testing.assert_allclose(cost, [20_000.0, 200_000.0, 2.0], rtol=1e-9)
    assert source.tolist() == ["extrapolated"] * 3


def test_mid_macro_and_mega_accounts_do_not_cost_the_same():
    cost, _ = estimated_cost(CURVE, np.array([2e5, 1e6, 5e6]))
    assert np.all(np.diff(cost) > 0)


def test_inside_the_range_the_curve_is_interpolated_as_fitted():
    cost, source = estimated_cost(CURVE, np.array([1e3, 10 ** 3.5, 1e5]))
    np.testing.assert_allclose(cost, [20.0, 110.0, 2000.0])
    assert source.tolist() == ["estimated"] * 3


def test_without_a_curve_there_is_no_estimate():
    cost, source = estimated_cost({}, np.array([1e4]))
    assert np.isnan(cost).all() and source.tolist() == [None]
