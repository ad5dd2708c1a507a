"""Known-answer tests for engagement features, the benchmark curve, tiers and country match."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.exceptions import NotFittedError

from authfit.features.engagement import (
    FEATURES,
    EngagementBenchmark,
    EngagementSettings,
    account_engagement_rates,
    country_match,
    engagement_features,
    followers_as_of,
    tier_of,
)
from authfit.contract.validate import coerce_table

AS_OF = pd.Timestamp("2025-12-31", tz="UTC")
FAR_FUTURE = pd.Timestamp("2100-01-01", tz="UTC")


def typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    return coerce_table(frame, table, now=FAR_FUTURE)[0]


def accounts_frame(followers: dict[str, float], countries: dict[str, str] | None = None) -> pd.DataFrame:
    countries = countries or {}
    return typed(
        pd.DataFrame(
            {
                "account_id": list(followers),
                "follower_count": list(followers.values()),
                "country": [countries.get(a) for a in followers],
            }
        ),
        "accounts",
    )


def posts_frame(
    rows: dict[str, list[tuple[float, float]]],
    start: str = "2025-11-01",
    sponsored: dict[str, list[int]] | None = None,
) -> pd.DataFrame:
    """Posts every 2 days from `start`: per account a list of (likes, comments)."""
    parts = []
    for account, values in rows.items():
        dates = pd.date_range(start, periods=len(values), freq="2D", tz="UTC")
        parts.append(
            pd.DataFrame(
                {
                    "post_id": [f"{account}_{i}" for i in range(len(values))],
                    "account_id": account,
                    "posted_at": dates.strftime("%Y-%m-%dT10:00:00Z"),
                    "like_count": [v[0] for v in values],
                    "comment_count": [v[1] for v in values],
                    "is_sponsored": (sponsored or {}).get(account, [0] * len(values)),
                }
            )
        )
    return typed(pd.concat(parts, ignore_index=True), "posts")


def test_tier_boundaries_follow_the_settings() -> None:
    tiers = tier_of(pd.Series([0, 999, 1000, 99_999, 100_000, 499_999, 500_000, 999_999, 1_000_000, np.nan]))
    assert tiers.iloc[:9].tolist() == [
        "nano",
        "nano",
        "micro",
        "micro",
        "mid",
        "mid",
        "macro",
        "macro",
        "mega",
    ]
    assert pd.isna(tiers.iloc[9])
    custom = EngagementSettings(tier_bounds=(10,), tier_names=("small", "big"))
    assert tier_of(pd.Series([9.0, 10.0]), custom).tolist() == ["small", "big"]


def test_tier_settings_must_line_up() -> None:
    with pytest.raises(ValidationError):
        EngagementSettings(tier_bounds=(10, 20), tier_names=("a", "b"))
    with pytest.raises(ValidationError):
        EngagementSettings(tier_bounds=(20, 10), tier_names=("a", "b", "c"))


def benchmark_training(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    followers = 10 ** rng.uniform(2.5, 6.5, n)
    rate = 0.1 * (followers / 300) ** -0.35 * np.exp(rng.normal(0, 0.2, n))
    return pd.DataFrame({"follower_count": followers, "engagement_rate": rate})


def test_benchmark_is_monotone_decreasing_and_tracks_the_curve() -> None:
    bench = EngagementBenchmark(n_bins=10).fit(benchmark_training())
    grid = np.logspace(2.5, 6.5, 50)
    expected = bench.expected_rate(grid)
    assert (np.diff(expected) <= 1e-12).all()
    truth = 0.1 * (grid / 300) ** -0.35
    inner = (grid > 10**3) & (grid < 10**6)
    assert np.allclose(expected[inner], truth[inner], rtol=0.3)
    assert np.isnan(bench.expected_rate(np.array([0.0, np.nan]))).all()
    assert bench.transform(pd.DataFrame({"follower_count": grid})).shape == (50, 1)


def test_benchmark_is_robust_to_a_few_inflated_accounts() -> None:
    train = benchmark_training()
    clean = EngagementBenchmark(n_bins=10).fit(train).expected_rate(np.array([10_000.0]))
    inflated = train.copy()
    inflated.loc[inflated.index[:20], "engagement_rate"] *= 50
    dirty = EngagementBenchmark(n_bins=10).fit(inflated).expected_rate(np.array([10_000.0]))
    assert dirty[0] == pytest.approx(clean[0], rel=0.15)


def test_benchmark_needs_fitting_and_usable_rows() -> None:
    with pytest.raises(NotFittedError):
        EngagementBenchmark().expected_rate(np.array([1000.0]))
    with pytest.raises(ValueError):
        EngagementBenchmark().fit(pd.DataFrame({"follower_count": [0.0], "engagement_rate": [0.1]}))


def test_engagement_rate_and_benchmark_ratio() -> None:
    accounts = accounts_frame({"honest": 10_000, "inflated": 10_000})
    posts = posts_frame({"honest": [(190, 10)] * 6, "inflated": [(990, 10)] * 6})
    bench = EngagementBenchmark(n_bins=1).fit(
        pd.DataFrame({"follower_count": [10_000.0], "engagement_rate": [0.02]})
    )
    out = engagement_features(accounts, posts, bench, AS_OF)
    assert out.loc["honest", "engagement_rate"] == pytest.approx(0.02)
    assert out.loc["inflated", "engagement_rate"] == pytest.approx(0.1)
    assert out.loc["honest", "engagement_vs_benchmark"] == pytest.approx(1.0)
    assert out.loc["inflated", "engagement_vs_benchmark"] == pytest.approx(5.0)
    assert out.loc["inflated", "engagement_log_ratio"] == pytest.approx(np.log(5.0), abs=1e-3)
    assert out.loc["honest", "follower_tier"] == 1 and out.loc[
        "honest", "log10_followers_as_of"
    ] == pytest.approx(4.0, abs=1e-3)


def test_like_spread_and_likes_per_comment() -> None:
    accounts = accounts_frame({"even": 5000, "one_hit": 5000, "likes_only": 5000})
    posts = posts_frame(
        {
            "even": [(100, 10)] * 4,
            "one_hit": [(400, 10), (0, 10), (0, 10), (0, 10)],
            "likes_only": [(100, 0)] * 4,
        }
    )
    out = engagement_features(accounts, posts, None, AS_OF)
    assert out.loc["even", "likes_cv"] == 0 and out.loc["even", "likes_gini"] == pytest.approx(0.0)
    assert out.loc["one_hit", "likes_gini"] == pytest.approx(0.75)  # one of n=4 has all: 1 - 1/n
    assert out.loc["one_hit", "likes_cv"] == pytest.approx(np.sqrt(3.0))
    assert out.loc["even", "likes_per_comment"] == pytest.approx(401 / 41)
    assert out.loc["likes_only", "likes_per_comment"] == pytest.approx(401.0)
    assert np.isnan(out.loc["even", "engagement_vs_benchmark"])  # no benchmark given


def test_only_recent_posts_before_as_of_count() -> None:
    accounts = accounts_frame({"a": 1000})
    old = posts_frame({"a": [(900, 0)] * 3}, start="2024-01-01")
    recent = posts_frame({"a": [(10, 0)] * 20}, start="2025-10-01").assign(
        post_id=lambda f: "r" + f["post_id"]
    )
    future = posts_frame({"a": [(5000, 0)] * 3}, start="2026-01-05").assign(
        post_id=lambda f: "f" + f["post_id"]
    )
    posts = pd.concat([old, recent, future])
    settings = EngagementSettings(max_posts=5)
    out = engagement_features(accounts, posts, None, AS_OF, settings)
    assert out.loc["a", "engagement_rate"] == pytest.approx(0.01)
    changed = recent.copy()
    changed.loc[changed.index[:15], "like_count"] = 700.0  # older than the latest 5: must not matter
    again = engagement_features(accounts, pd.concat([old, changed, future]), None, AS_OF, settings)
    assert again.loc["a", "engagement_rate_mean"] == pytest.approx(0.01)


def test_sponsored_posts_that_flop_lower_the_ratio() -> None:
    accounts = accounts_frame({"a": 1000})
    posts = posts_frame({"a": [(100, 0), (100, 0), (20, 0), (20, 0)]}, sponsored={"a": [0, 0, 1, 1]})
    out = engagement_features(accounts, posts, None, AS_OF)
    assert out.loc["a", "sponsored_engagement_ratio"] == pytest.approx(0.2)


def test_followers_as_of_prefers_the_latest_snapshot_not_after_as_of() -> None:
    accounts = accounts_frame({"a": 9000, "b": 500})
    hist = typed(
        pd.DataFrame(
            {
                "account_id": ["a", "a", "a"],
                "date": ["2025-11-01", "2025-12-20", "2026-02-01"],
                "follower_count": [1000, 2000, 8000],
            }
        ),
        "follower_history",
    )
    followers = followers_as_of(accounts, hist, AS_OF)
    assert followers["a"] == 2000 and followers["b"] == 500
    rates = account_engagement_rates(accounts, posts_frame({"a": [(200, 0)]}), AS_OF, history=hist)
    assert rates.loc["a", "engagement_rate"] == pytest.approx(0.1)


def test_output_contract_and_inputs_untouched() -> None:
    accounts = accounts_frame({"a": 1000, "no_posts": 2000, "zero": 0})
    posts = posts_frame({"a": [(10, 1)] * 3, "zero": [(0, 0)] * 2})
    before_a, before_p = accounts.copy(deep=True), posts.copy(deep=True)
    out = engagement_features(accounts, posts, EngagementBenchmark().fit(benchmark_training()), AS_OF)
    pd.testing.assert_frame_equal(accounts, before_a)
    pd.testing.assert_frame_equal(posts, before_p)
    assert list(out.columns) == [f.name for f in FEATURES] and out.index.name == "account_id"
    assert sorted(out.index) == ["a", "no_posts", "zero"]
    assert (out.dtypes == np.float64).all() and not np.isinf(out.to_numpy()).any()
    assert np.isnan(out.loc["no_posts", "engagement_rate"]) and np.isnan(out.loc["zero", "engagement_rate"])


def hand_posts(rows: list[tuple[str, str, float, float, float]]) -> pd.DataFrame:
    """Posts from (account, posted_at, likes, comments, is_sponsored) rows, NaN for unknown values."""
    columns = ["account_id", "posted_at", "like_count", "comment_count", "is_sponsored"]
    frame = pd.DataFrame(rows, columns=columns)
    return typed(frame.assign(post_id=[f"p{i}" for i in range(len(rows))]), "posts")


def test_hand_computed_medians_ties_and_missing_values() -> None:
    """Every statistic by hand on 1,000 followers, latest 4 posts: an even count of posts, ties in posted_at,
    unknown comment counts and sponsored flags, posts of an unknown account and an account without posts."""
    accounts = accounts_frame({"even": 1000, "tie": 1000, "none": 1000})
    posts = hand_posts([
        ("even", "2025-12-01T10:00:00Z", 10, 0, 0),
        ("tie", "2025-12-01T10:00:00Z", 1000, 0, 0),  # older than the four tied posts: left out
        ("even", "2025-12-02T10:00:00Z", 20, 0, 0),
        ("tie", "2025-12-05T10:00:00Z", 100, 0, 0),  # five posts at the same time: the first four given count
        ("tie", "2025-12-05T10:00:00Z", 200, 0, 0),
        ("even", "2025-12-03T10:00:00Z", 40, np.nan, 1),  # unknown comments count as none in the rate
        ("tie", "2025-12-05T10:00:00Z", 300, 0, 0),
        ("tie", "2025-12-05T10:00:00Z", 400, 0, 0),
        ("even", "2025-12-04T10:00:00Z", 30, 10, np.nan),  # unknown sponsorship: in no side of the ratio
        ("tie", "2025-12-05T10:00:00Z", 500, 0, 0),
        ("stranger", "2025-12-05T10:00:00Z", 9, 9, 1),  # not among the accounts
    ])
    out = engagement_features(accounts, posts, None, AS_OF, EngagementSettings(max_posts=4))
    even, tie = out.loc["even"], out.loc["tie"]
    # even: rates 0.01, 0.02, 0.04, 0.04 -> median of the two middles (0.02 + 0.04) / 2
    assert even["engagement_rate"] == pytest.approx(0.03, rel=1e-12)
    assert even["engagement_rate_mean"] == pytest.approx(0.11 / 4, rel=1e-12)
    assert even["likes_cv"] == pytest.approx(np.sqrt(125.0) / 25.0, rel=1e-12)  # likes 10, 20, 40, 30
    assert even["likes_gini"] == pytest.approx(0.25, rel=1e-12)  # 2 * 300 / (4 * 100) - 5 / 4
    assert even["likes_per_comment"] == pytest.approx(101 / 11, rel=1e-12)
    assert even["sponsored_engagement_ratio"] == pytest.approx(0.04 / 0.015, rel=1e-12)
    # tie: likes 100, 200, 300, 400 -> median rate (0.2 + 0.3) / 2
    assert tie["engagement_rate"] == pytest.approx(0.25, rel=1e-12)
    assert tie["engagement_rate_mean"] == pytest.approx(0.25, rel=1e-12)
    assert tie["likes_per_comment"] == pytest.approx(1001.0, rel=1e-12)
    assert np.isnan(tie["sponsored_engagement_ratio"])  # no sponsored post
    none = out.loc["none"]
    assert none["follower_tier"] == 1 and none["log10_followers_as_of"] == pytest.approx(np.log10(1001.0))
    assert none.drop(["follower_tier", "log10_followers_as_of"]).isna().all()
    assert list(out.index) == ["even", "tie", "none"]


def test_country_match_per_pair() -> None:
    accounts = accounts_frame({"a": 1, "b": 1, "c": 1}, {"a": "ch", "b": "DE"})
    campaigns = typed(
        pd.DataFrame({"campaign_id": ["x", "y"], "brand": "b", "brief": "t", "target_country": ["CH", None]}),
        "campaigns",
    )
    every = country_match(accounts, campaigns).set_index(["campaign_id", "account_id"])["country_match"]
    assert len(every) == 6
    assert every[("x", "a")] == 1.0 and every[("x", "b")] == 0.0
    assert np.isnan(every[("x", "c")]) and np.isnan(every[("y", "a")])
    pairs = pd.DataFrame({"campaign_id": ["x"], "account_id": ["b"]})
    assert country_match(accounts, campaigns, pairs)["country_match"].tolist() == [0.0]
