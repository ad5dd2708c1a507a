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
    wilson_interval,
)
from authfit.contract.validate import coerce_table


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


def test_error_rates_reject_uninformative_scorers() -> None:
    with pytest.raises(ValueError):
        ErrorRates(tpr=(0.5,), fpr=(0.5,))
    with pytest.raises(ValueError):
        ErrorRates(tpr=(1.2,), fpr=(0.1,))
    with pytest.raises(ValueError):
        ErrorRates(sources=("a", "b"), tpr=(0.9,), fpr=(0.1,))


def test_legacy_rates_read_as_one_source_flagged_at_half() -> None:
    rates = ErrorRates(**{"sensitivity": 0.8, "specificity": 0.9})
    assert rates.threshold == 0.5 and rates.tpr == (0.8,) and rates.fpr == pytest.approx((0.1,))


def test_fake_share_is_adjusted_and_flagged_at_the_rates_threshold() -> None:
    samples = {
        "clean": [(1, 200.0)] * 18 + [(0, 300.0)] * 2,
        "bought": [(1, 200.0)] * 8 + [(0, 4000.0)] * 12,
    }
    rates = ErrorRates(sources=("only",), tpr=(0.85,), fpr=(0.05,), threshold=0.5)
    out = audience_features(audience_frame(samples), no_picture_scorer, rates)
    assert out.loc["clean", "audience_sample_size"] == 20
    assert out.loc["clean", "audience_fake_share"] == pytest.approx(0.1)
    assert out.loc["bought", "audience_fake_share"] == pytest.approx(0.6)
    lo, hi = wilson_interval(np.array([12]), np.array([20]))
    assert out.loc["bought", "audience_fake_share_lo"] == pytest.approx(lo[0])
    assert out.loc["bought", "audience_fake_share_hi"] == pytest.approx(hi[0])
    # one source: the adjustment is Rogan-Gladen's (p - fpr) / (tpr - fpr)
    assert out.loc["bought", "audience_fake_share_corrected"] == pytest.approx((0.6 - 0.05) / 0.8, abs=1e-6)
    assert out.loc["clean", "audience_fake_share_corrected"] == pytest.approx((0.1 - 0.05) / 0.8, abs=1e-6)
    bought = out.loc["bought"]
    assert bought["audience_fake_share_corrected_lo"] < bought["audience_fake_share_corrected"]
    assert out.loc["clean", "audience_mass_follow_share"] == 0.0
    assert out.loc["bought", "audience_mass_follow_share"] == pytest.approx(0.6)
    # the same scores flagged at the rates' own threshold: nothing is fake at 0.95
    strict_rates = rates.model_copy(update={"threshold": 0.95})
    strict = audience_features(audience_frame(samples), no_picture_scorer, strict_rates)
    assert strict["audience_fake_share"].eq(0.0).all()


def test_sources_that_disagree_widen_the_interval() -> None:
    samples = {"a": [(1, 200.0)] * 60 + [(0, 300.0)] * 40}
    agree = ErrorRates(sources=("x", "y", "z"), tpr=(0.8, 0.8, 0.8), fpr=(0.05, 0.05, 0.05))
    disagree = ErrorRates(sources=("x", "y", "z"), tpr=(0.5, 0.8, 0.95), fpr=(0.02, 0.05, 0.15))
    narrow = audience_features(audience_frame(samples), no_picture_scorer, agree).loc["a"]
    wide = audience_features(audience_frame(samples), no_picture_scorer, disagree).loc["a"]
    lo, hi = "audience_fake_share_corrected_lo", "audience_fake_share_corrected_hi"
    assert wide[hi] - wide[lo] > narrow[hi] - narrow[lo] + 0.05


def test_mass_follow_threshold_comes_from_settings() -> None:
    audience = audience_frame({"a": [(0, 1000.0), (1, 2000.0)]})
    out = audience_features(audience, no_picture_scorer, None, AudienceSettings(mass_follow_threshold=500))
    assert out.loc["a", "audience_mass_follow_share"] == 1.0


def test_without_scorer_fake_columns_are_nan_but_sample_facts_remain() -> None:
    audience = audience_frame({"a": [(1, 100.0), (0, np.nan)]})
    out = audience_features(audience, None)
    assert out.loc["a", "audience_sample_size"] == 2
    assert out.loc["a", "audience_mass_follow_share"] == 0.0  # unknown following counts are left out
    assert out.filter(like="fake_share").isna().all(axis=None)


def test_followers_the_scorer_cannot_score_are_left_out_of_the_shares_only() -> None:
    audience = audience_frame({"b": [(0, 2000.0), (0, 100.0)], "a": [(0, 100.0), (1, 100.0), (0, 100.0)]})
    rates = ErrorRates(sources=("only",), tpr=(0.85,), fpr=(0.05,), threshold=0.5)

    def partial(profiles: pd.DataFrame) -> np.ndarray:  # nothing for b, nothing for a's third follower
        scores = no_picture_scorer(profiles)
        return np.where(profiles["influencer_id"].eq("b").to_numpy() | (np.arange(len(profiles)) == 4),
                        np.nan, scores)

    out = audience_features(audience, partial, rates)
    assert list(out.index) == ["a", "b"]  # sorted by influencer, whatever the input order
    assert out["audience_sample_size"].tolist() == [3.0, 2.0]  # unscored followers still count here
    assert out.loc["b", "audience_mass_follow_share"] == 0.5
    assert out.loc["a", "audience_fake_share"] == 0.5  # one of the two scored followers
    assert out.loc["a", "audience_fake_share_corrected"] == pytest.approx((0.5 - 0.05) / 0.8, abs=1e-6)
    assert out.loc["b"].filter(like="fake_share").isna().all()


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


def test_share_sentences_say_the_interval_and_its_meaning_and_skip_missing_estimates() -> None:
    from authfit.features.audience import SHARE_MEANING, share_sentences

    index = pd.Index(["a", "b", "c"])
    text = share_sentences(pd.Series([0.25, np.nan, 0.0], index=index), pd.Series([0.124, np.nan, 0.0], index=index),
                           pd.Series([0.481, np.nan, 0.7], index=index), confidence=0.9)
    assert text.index.equals(index)
    assert text["a"] == ("An estimated 25% of followers are fake; with 90% confidence the true share is between 12% "
                         "and 48%. " + SHARE_MEANING)
    assert pd.isna(text["b"]) and text["c"].startswith("An estimated 0% of followers are fake")


def test_a_share_from_one_labelled_source_says_its_range_does_not_cover_other_populations() -> None:
    from authfit.features.audience import SHARE_MEANING, SHARE_MEANING_ONE_SOURCE, share_sentences

    one = pd.Series([0.2])
    text = share_sentences(one, one - 0.05, one + 0.05, out_of_source=False).iloc[0]
    assert text.endswith(SHARE_MEANING_ONE_SOURCE) and SHARE_MEANING not in text
