"""The account model's training rows: the per-source cap (small sources whole, a large one cut to about the
cap, shares kept), the per-source-and-class weights and the recipe's feature sets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from authfit.features.account_profile import ACCOUNT_FEATURES
from authfit.training.real_models import FEATURE_SETS, cap_per_source, source_class_weights


def test_cap_keeps_small_sources_whole_and_cuts_a_large_one_to_about_the_cap() -> None:
    rng = np.random.default_rng(0)
    large = pd.DataFrame({"source": "large", "label": (rng.random(40_000) < 0.7).astype(int)})
    small = pd.DataFrame({"source": "small", "label": np.r_[np.zeros(300, int), np.ones(200, int)]})
    capped = cap_per_source(pd.concat([large, small], ignore_index=True), cap=2_500, seed=1)
    sizes = capped["source"].value_counts()
    assert sizes["small"] == 500
    assert abs(sizes["large"] - 2_500) < 150  # binomial sd ~48
    large_share = capped.loc[capped["source"] == "large", "label"].mean()
    assert abs(large_share - large["label"].mean()) < 0.03
    # the same seed draws the same rows
    again = cap_per_source(pd.concat([large, small], ignore_index=True), cap=2_500, seed=1)
    assert again.equals(capped)


def test_source_class_weights_give_every_source_and_label_the_same_total() -> None:
    labels = [1.0] * 10 + [0.0] * 80 + [1.0] * 5 + [0.0] * 5
    data = pd.DataFrame({"source": ["a"] * 90 + ["b"] * 10, "label": labels})
    weight = source_class_weights(data)
    totals = pd.Series(weight).groupby([data["source"], data["label"]]).sum()
    np.testing.assert_allclose(totals.to_numpy(), 25.0)  # 100 rows over 4 (source, label) pairs
    np.testing.assert_allclose(weight.mean(), 1.0)
    # so a source's share of fakes says nothing: each source is half fake by weight
    fake_share = pd.Series(weight * data["label"]).groupby(data["source"]).sum() / pd.Series(weight).groupby(
        data["source"]).sum()
    np.testing.assert_allclose(fake_share.to_numpy(), 0.5)


def test_feature_sets_are_nested_subsets_of_the_profile_features() -> None:
    core, portable, every = (set(FEATURE_SETS[k]) for k in ("core", "portable", "all"))
    assert core < portable < every == set(ACCOUNT_FEATURES)
