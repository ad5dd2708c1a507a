"""The account model's per-source cap: small sources whole, a large one cut to about the cap, shares kept."""

from __future__ import annotations

import numpy as np
import pandas as pd

from authfit.training.real_models import cap_per_source


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
