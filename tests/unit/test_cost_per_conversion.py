"""Expected cost per conversion: finite where it is known, NaN otherwise, never infinite."""

from __future__ import annotations

import numpy as np

from authfit.scoring.scorer import cost_per_conversion


def test_cost_per_conversion_is_the_ratio_where_known_and_nan_elsewhere():
    cost = np.array([100.0, 1e308, np.nan, 5.0, 30.0])
    expected = np.array([2.0, 1e-10, 1.0, 0.0, 0.5])
    out = cost_per_conversion(cost, expected)
    np.testing.assert_allclose(out[[0, 4]], [50.0, 60.0])
    assert np.isnan(out[[1, 2, 3]]).all()  # overflow, unknown fee, no expected conversion
    assert not np.isinf(out).any()
