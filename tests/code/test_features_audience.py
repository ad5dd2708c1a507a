"""Known-answer tests for the audience (fake-follower share) features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from authfit.features.audience import (
    FEATURES,
    AudienceSettings,
    ErrorRates,
    audience_features,
    rogan_gladen,
    wilson_interval,
)
from authfit.validate import coerce_table


def no_picture_scorer(profiles: pd.DataFrame) -> np.ndarray:
    """A stand-in for the account model: accounts without a profile picture are fake."""
    return np.where(profiles["has_profile_pic"].to_numpy() == 0, 0.9, 0.1)


def audience_frame(samples: dict[str, list[tuple[int, float]]]) -> pd.DataFrame:
    """Per influencer a list of (has_profile_pic, following_count)."""
    rows = [
        {"influencer_id": inf, "follower_id": f"{inf}_f{i}", "has_profile_pic": pic, "following_count": fol}
        for inf, values in samples.items()
        for i, (pic, fol) in enumerate(values)
    ]
    return coerce_table(pd.DataFrame(rows), "audience", now=pd.Timestamp("2100-01-01", tz="UTC"))[0]


def test_wilson_interval_known_values() -> None:
    lo, hi = wilson_interval(np.array([5, 0, 3]), np.array([10, 10, 0]))
    assert lo[0] == pytest.approx(0.2366, abs=1e-4) and hi[0] == pytest.approx(0.7634, abs=1e-4)
    assert lo[1] == 0.0 and hi[1] == pytest.approx(0.2775, abs=1e-4)
    assert np.isnan(lo[2]) and np.isnan(hi[2])


def test_rogan_gladen_corrects_and_clips() -> None:
    rates = ErrorRates(sensitivity=0.8, specificity=0.9)
    corrected = rogan_gladen(np.array([0.3, 0.05, 0.95]), rates)
    assert corrected[0] == pytest.approx(0.2 / 0.7)
    assert corrected[1] == 0.0 and corrected[2] == 1.0


def test_error_rates_reject_uninformative_scorers() -> None:
    with pytest.raises(ValueError):
        ErrorRates(sensitivity=0.5, specificity=0.5)
    with pytest.raises(ValueError):
        ErrorRates(sensitivity=1.2, specificity=0.9)


def test_fake_share_interval_and_mass_followers() -> None:
    samples = {
        "clean": [(1, 200.0)] * 18 + [(0, 300.0)] * 2,
        "bought": [(1, 200.0)] * 8 + [(0, 4000.0)] * 12,
    }
    rates = ErrorRates(sensitivity=0.9, specificity=0.95)
    out = audience_features(audience_frame(samples), no_picture_scorer, rates)
    assert out.loc["clean", "audience_sample_size"] == 20
    assert out.loc["clean", "audience_fake_share"] == pytest.approx(0.1)
    assert out.loc["bought", "audience_fake_share"] == pytest.approx(0.6)
    lo, hi = wilson_interval(np.array([12]), np.array([20]))
    assert out.loc["bought", "audience_fake_share_lo"] == pytest.approx(lo[0])
    assert out.loc["bought", "audience_fake_share_hi"] == pytest.approx(hi[0])
    assert out.loc["bought", "audience_fake_share_corrected"] == pytest.approx((0.6 + 0.95 - 1) / 0.85)
    assert out.loc["clean", "audience_fake_share_corrected"] == pytest.approx((0.1 + 0.95 - 1) / 0.85)
    assert out.loc["bought", "audience_fake_share_corrected_lo"] == pytest.approx((lo[0] + 0.95 - 1) / 0.85)
    assert out.loc["clean", "audience_mass_follow_share"] == 0.0
    assert out.loc["bought", "audience_mass_follow_share"] == pytest.approx(0.6)


def test_threshold_and_mass_follow_threshold_come_from_settings() -> None:
    audience = audience_frame({"a": [(0, 1000.0), (1, 2000.0)]})
    strict = AudienceSettings(threshold=0.95, mass_follow_threshold=500)
    out = audience_features(audience, no_picture_scorer, None, strict)
    assert out.loc["a", "audience_fake_share"] == 0.0
    assert out.loc["a", "audience_mass_follow_share"] == 1.0


def test_without_scorer_fake_columns_are_nan_but_sample_facts_remain() -> None:
    audience = audience_frame({"a": [(1, 100.0), (0, np.nan)]})
    out = audience_features(audience, None)
    assert out.loc["a", "audience_sample_size"] == 2
    assert out.loc["a", "audience_mass_follow_share"] == 0.0  # unknown following counts are left out
    assert out.filter(like="fake_share").isna().all(axis=None)


def test_scorer_with_wrong_shape_is_an_error() -> None:
    with pytest.raises(ValueError, match="shape"):
        audience_features(audience_frame({"a": [(1, 1.0)] * 3}), lambda p: np.zeros(2))


def test_output_contract_and_input_untouched() -> None:
    audience = audience_frame({"a": [(1, 10.0)] * 3, "b": [(0, 10.0)]})
    before = audience.copy(deep=True)
    out = audience_features(audience, no_picture_scorer)
    pd.testing.assert_frame_equal(audience, before)
    assert list(out.columns) == [f.name for f in FEATURES] and out.index.name == "account_id"
    assert (out.dtypes == np.float64).all() and not np.isinf(out.to_numpy()).any()
    empty = audience_features(audience.iloc[:0], no_picture_scorer)
    assert empty.empty and list(empty.columns) == [f.name for f in FEATURES]
