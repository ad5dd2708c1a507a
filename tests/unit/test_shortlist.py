"""The budget shortlist: exact optimum, gates and niche diversity."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from authfit.scoring.shortlist import ShortlistError, shortlist


def _candidates() -> pd.DataFrame:
    return pd.DataFrame({
        "account_id": ["big", "m1", "m2", "m3", "fake", "nocost"],
        "expected_conversions": [50.0, 22.0, 20.0, 18.0, 90.0, 40.0],
        "cost": [1000.0, 400.0, 350.0, 300.0, 100.0, np.nan],
        "authenticity_score": [90, 85, 80, 75, 10, 90],
        "niche": ["fitness", "fitness", "food", "food", "fitness", "food"],
    })


def test_spreads_budget_over_micro_influencers_when_that_converts_more():
    result = shortlist(_candidates(), budget=1050, min_authenticity=50)
    assert set(result.chosen["account_id"]) == {"m1", "m2", "m3"}  # 60 conversions beats "big" (50)
    assert result.total_cost <= 1050 and result.total_expected_conversions == pytest.approx(60.0)
    assert result.gap == pytest.approx(0.0)


def test_authenticity_gate_and_unknown_cost_are_excluded_with_reasons():
    result = shortlist(_candidates(), budget=5000, min_authenticity=50)
    reasons = result.excluded.set_index("account_id")["excluded_because"]
    assert reasons["fake"] == "authenticity below 50" and reasons["nocost"] == "cost unknown or negative"
    assert "fake" not in set(result.chosen["account_id"])
    assert len(result.chosen) + len(result.excluded) == len(_candidates())


def test_max_per_niche_limits_each_niche():
    result = shortlist(_candidates(), budget=5000, max_per_niche=1, min_authenticity=50)
    assert result.chosen["niche"].value_counts().max() == 1


def test_matches_brute_force_on_random_instances():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = 9
        frame = pd.DataFrame({"account_id": [f"a{i}" for i in range(n)],
                              "expected_conversions": rng.gamma(2, 5, n), "cost": rng.uniform(50, 500, n)})
        budget = float(rng.uniform(300, 1500))
        subsets = np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)
        feasible = subsets @ frame["cost"].to_numpy() <= budget
        best = (subsets[feasible] @ frame["expected_conversions"].to_numpy()).max()
        assert shortlist(frame, budget).total_expected_conversions == pytest.approx(best, rel=1e-9)


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ShortlistError, match="lack column"):
        shortlist(pd.DataFrame({"account_id": ["a"]}), budget=10)
    with pytest.raises(ShortlistError, match="budget must be a positive"):
        shortlist(_candidates(), budget=-1)


def test_flagged_fake_engagement_is_excluded_by_default_and_included_on_request():
    frame = _candidates().assign(fake_engagement_flag=[False, False, False, False, True, False])
    frame.loc[frame["account_id"] == "fake", "authenticity_score"] = 95  # passes any authenticity gate
    default = shortlist(frame, budget=5000)
    assert "fake" not in set(default.chosen["account_id"])
    assert default.excluded.set_index("account_id").loc["fake", "excluded_because"] == "flagged for fake engagement"
    assert "fake" in set(shortlist(frame, budget=5000, include_flagged=True).chosen["account_id"])


def test_flag_read_back_from_csv_text_still_excludes():
    frame = _candidates().assign(fake_engagement_flag=["False", "False", "False", "False", "True", None])
    assert "fake" not in set(shortlist(frame, budget=5000).chosen["account_id"])
    assert "nocost" in set(shortlist(frame, budget=5000).excluded["account_id"])  # excluded for cost, not flag


def test_an_influencer_without_a_verdict_is_not_taken_as_flagged():
    from authfit.scoring.shortlist import flagged

    scores = pd.DataFrame({"fake_engagement_flag": pd.array([True, None, False], dtype="boolean")})
    assert flagged(scores).tolist() == [True, False, False]  # NA: 'insufficient data', not a flag


def test_an_influencer_without_a_verdict_is_left_out_unless_asked_for():
    frame = _candidates().assign(status="scored")
    best = frame.sort_values("expected_conversions").iloc[-1]["account_id"]
    frame.loc[frame["account_id"] == best, ["status", "authenticity_score"]] = ["insufficient data", np.nan]
    frame["fake_engagement_flag"] = pd.array([False] * len(frame), dtype="boolean")
    frame.loc[frame["account_id"] == best, "fake_engagement_flag"] = pd.NA
    default = shortlist(frame, budget=5000)
    assert best not in set(default.chosen["account_id"])
    assert default.excluded.set_index("account_id").loc[best, "excluded_because"].startswith("no authenticity")
    assert best in set(shortlist(frame, budget=5000, include_flagged=True).chosen["account_id"])
