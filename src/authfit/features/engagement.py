"""Engagement features: rate per follower, against a benchmark curve by size, spread of likes, tiers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.utils.validation import check_is_fitted

from authfit.features.asof import NAT_NS, as_utc, epoch_ns
from authfit.contract.keys import positions_in
from authfit.features.registry import FeatureSpec

FAMILY = "engagement"
_EPS = 1e-6


class EngagementSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window_days: int = Field(
        180, ge=1, description="posts within this many days before as_of count as recent"
    )
    max_posts: int = Field(12, ge=1, description="at most this many latest posts feed the rate statistics")
    tier_bounds: tuple[float, ...] = Field(
        (1_000, 100_000, 500_000, 1_000_000), description="follower counts where the next tier starts"
    )
    tier_names: tuple[str, ...] = ("nano", "micro", "mid", "macro", "mega")
    benchmark_bins: int = Field(
        20, ge=1, description="quantile bins of log followers for the benchmark curve"
    )

    @model_validator(mode="after")
    def _tiers_line_up(self) -> EngagementSettings:
        if len(self.tier_names) != len(self.tier_bounds) + 1:
            raise ValueError("tier_names needs exactly one more entry than tier_bounds")
        if list(self.tier_bounds) != sorted(set(self.tier_bounds)):
            raise ValueError("tier_bounds must be strictly increasing")
        return self


FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec(
        "log10_followers_as_of",
        FAMILY,
        "log10(1 + followers at as_of: latest history snapshot, else profile)",
    ),
    FeatureSpec(
        "follower_tier", FAMILY, "ordinal tier from tier_bounds: 0 nano, 1 micro, 2 mid, 3 macro, 4 mega"
    ),
    FeatureSpec(
        "engagement_rate",
        FAMILY,
        "median over recent posts of (likes + comments) / followers (latest max_posts within window_days)",
    ),
    FeatureSpec("engagement_rate_mean", FAMILY, "mean over recent posts of (likes + comments) / followers"),
    FeatureSpec(
        "engagement_vs_benchmark",
        FAMILY,
        "engagement_rate over the benchmark rate expected for the follower count",
    ),
    FeatureSpec("engagement_log_ratio", FAMILY, "log((engagement_rate + 1e-6) / (benchmark rate + 1e-6))"),
    FeatureSpec("likes_cv", FAMILY, "coefficient of variation (std / mean) of likes over recent posts"),
    FeatureSpec(
        "likes_gini", FAMILY, "Gini coefficient of likes over recent posts (0 = even, 1 = one post has all)"
    ),
    FeatureSpec("likes_per_comment", FAMILY, "(sum likes + 1) / (sum comments + 1) over recent posts"),
    FeatureSpec(
        "sponsored_engagement_ratio",
        FAMILY,
        "median engagement rate of sponsored over organic posts within window_days",
    ),
)


def tier_codes(followers: pd.Series, settings: EngagementSettings) -> np.ndarray:
    """Ordinal tier per follower count (0 = first tier), NaN for unknown counts."""
    values = followers.to_numpy(dtype=np.float64)
    codes = np.searchsorted(np.asarray(settings.tier_bounds, dtype=np.float64), values, side="right")
    return np.where(np.isnan(values), np.nan, codes.astype(np.float64))


def tier_of(followers: pd.Series, settings: EngagementSettings | None = None) -> pd.Series:
    """Tier name (nano, micro, ...) per follower count, NaN for unknown counts."""
    settings = settings or EngagementSettings()
    codes = tier_codes(followers, settings)
    names = np.asarray(settings.tier_names, dtype=object)
    labels = np.where(np.isnan(codes), None, names[np.nan_to_num(codes).astype(np.int64)])
    return pd.Series(labels, index=followers.index, dtype="str", name="tier")


class EngagementBenchmark(TransformerMixin, BaseEstimator):
    """The engagement rate expected for a follower count: medians of log rate in quantile bins of log
    followers (robust to bought outliers), made monotone by isotonic regression and interpolated.

    fit/transform take a frame with columns follower_count and (for fit) engagement_rate.
    """

    def __init__(self, n_bins: int = 20, increasing: bool = False) -> None:
        self.n_bins = n_bins
        self.increasing = increasing

    def fit(self, X: pd.DataFrame, y: object = None) -> EngagementBenchmark:
        followers = X["follower_count"].to_numpy(dtype=np.float64)
        rate = X["engagement_rate"].to_numpy(dtype=np.float64)
        ok = (followers > 0) & (rate > 0)
        if not ok.any():
            raise ValueError("EngagementBenchmark needs at least one account with followers > 0 and rate > 0")
        log_f, log_r = np.log10(followers[ok]), np.log(rate[ok])
        edges = np.unique(np.quantile(log_f, np.linspace(0, 1, self.n_bins + 1)))
        bins = np.clip(np.searchsorted(edges, log_f, side="right") - 1, 0, max(len(edges) - 2, 0))
        grouped = pd.DataFrame({"bin": bins, "x": log_f, "y": log_r}).groupby("bin")
        knots = grouped.median().assign(n=grouped.size())
        iso = IsotonicRegression(increasing=self.increasing)
        self.knots_log_followers_ = knots["x"].to_numpy()
        self.knots_log_rate_ = iso.fit_transform(knots["x"], knots["y"], sample_weight=knots["n"])
        self.n_features_in_ = 1
        return self

    def expected_rate(self, followers: pd.Series | np.ndarray) -> np.ndarray:
        """Benchmark engagement rate per follower count; NaN where the count is unknown or not positive."""
        check_is_fitted(self, "knots_log_rate_")
        values = np.asarray(followers, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_f = np.log10(values)
        rate = np.exp(np.interp(log_f, self.knots_log_followers_, self.knots_log_rate_))
        return np.where(values > 0, rate, np.nan)

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        return self.expected_rate(X["follower_count"])[:, None]


def _floats(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=np.float64, na_value=np.nan)


def followers_as_of(accounts: pd.DataFrame, history: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.Series:
    """Followers per account at as_of: the latest history snapshot at or before it, else the profile count.
    Index account_id, in the order of `accounts` (whose ids are unique, as validation makes them)."""
    ids = pd.Index(accounts["account_id"], name="account_id")
    followers = _floats(accounts, "follower_count")
    if history is not None and len(history):
        codes = positions_in(history["account_id"], ids)
        date, count = epoch_ns(history["date"]), _floats(history, "follower_count")
        known = (date <= as_utc(as_of).value) & (date != NAT_NS) & ~np.isnan(count) & (codes >= 0)
        codes, date, count = codes[known], date[known], count[known]
        order = np.lexsort((date, codes))  # stable: of snapshots at the same time the last given wins
        codes, count = codes[order], count[order]
        last = np.flatnonzero(np.append(codes[1:] != codes[:-1], True)) if len(codes) else codes
        followers = followers.copy()
        followers[codes[last]] = count[last]
    return pd.Series(followers, index=ids, name="followers")


def _segments(codes: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows per group and the first row of each group, for rows sorted by group code."""
    n = np.bincount(codes, minlength=n_groups)
    return n, np.cumsum(n) - n


def group_medians(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of the known `values` within each group code 0..n_groups-1 (the mean of the two middle values
    for an even count, as pandas); NaN for groups without known values."""
    known = ~np.isnan(values)
    codes, values = codes[known], values[known]
    order = np.lexsort((values, codes))
    ordered = values[order]
    n, first = _segments(codes, n_groups)
    has = n > 0
    lo, hi = (first + (n - 1) // 2)[has], (first + n // 2)[has]
    out = np.full(n_groups, np.nan)
    out[has] = (ordered[lo] + ordered[hi]) / 2.0
    return out


def group_mean_std(codes: np.ndarray, values: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and population standard deviation of the known `values` within each group; NaN for groups
    without known values."""
    known = ~np.isnan(values)
    codes, values = codes[known], values[known]
    n = np.bincount(codes, minlength=n_groups).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(codes, weights=values, minlength=n_groups) / n
        var = np.bincount(codes, weights=(values - mean[codes]) ** 2, minlength=n_groups) / n
    return mean, np.sqrt(var)


@dataclass(frozen=True)
class PostWindow:
    """The posts of known accounts within window_days before as_of, sorted by account then newest first."""

    rows: np.ndarray  # position of each post in the posts table
    code: np.ndarray  # position of its account among the followers
    rate: np.ndarray  # (likes + comments) / followers; NaN without a positive follower count
    likes: np.ndarray
    comments: np.ndarray
    sponsored: np.ndarray
    recent: np.ndarray  # among the latest max_posts of its account


def post_window(
    posts: pd.DataFrame, followers: pd.Series, as_of: pd.Timestamp, settings: EngagementSettings
) -> PostWindow:
    """The window of posts the engagement statistics are computed on (see PostWindow)."""
    end = as_utc(as_of)
    start = (end - pd.Timedelta(days=settings.window_days)).value
    codes = positions_in(posts["account_id"], followers.index)
    posted = epoch_ns(posts["posted_at"])
    inside = (posted <= end.value) & (posted > start) & (codes >= 0)
    rows = np.flatnonzero(inside)
    # Newest first within each account; of posts at the same time the earlier row comes first.
    rows = rows[np.lexsort((-posted[rows], codes[rows]))]
    code = codes[rows]
    likes, comments = _floats(posts, "like_count")[rows], _floats(posts, "comment_count")[rows]
    fol = followers.to_numpy(dtype=np.float64)[code]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(fol > 0, (likes + np.nan_to_num(comments)) / fol, np.nan)
    n, first = _segments(code, len(followers))
    recent = np.arange(len(code)) - first[code] < settings.max_posts
    return PostWindow(rows, code, rate, likes, comments, _floats(posts, "is_sponsored")[rows], recent)


def recent_posts(
    posts: pd.DataFrame, followers: pd.Series, as_of: pd.Timestamp, settings: EngagementSettings
) -> pd.DataFrame:
    """Posts of known accounts within window_days before as_of, with `code` (position of the account in
    followers), `rate` and `recent` (among the latest max_posts) columns added to a copy."""
    window = post_window(posts, followers, as_of, settings)
    frame = posts.iloc[window.rows][["posted_at", "like_count", "comment_count", "is_sponsored"]]
    return frame.assign(code=window.code, rate=window.rate, recent=window.recent)


def gini_by_group(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Gini coefficient of `values` within each group code 0..n_groups-1; NaN for empty or all-zero groups."""
    known = ~np.isnan(values)
    order = np.lexsort((values[known], codes[known]))
    group, x = codes[known][order], values[known][order]
    n = np.bincount(group, minlength=n_groups).astype(np.float64)
    rank = np.arange(len(group)) - (np.cumsum(n) - n)[group] + 1.0
    total = np.bincount(group, weights=x, minlength=n_groups)
    weighted = np.bincount(group, weights=rank * x, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        gini = 2.0 * weighted / (n * total) - (n + 1.0) / n
    return np.where(total > 0, gini, np.nan)


def _rate_stats(window: PostWindow, n_accounts: int) -> dict[str, np.ndarray]:
    """Rate and like statistics per account code 0..n_accounts-1, over each account's recent posts."""
    code, rate = window.code[window.recent], window.rate[window.recent]
    likes, comments = window.likes[window.recent], window.comments[window.recent]
    mean_likes, std_likes = group_mean_std(code, likes, n_accounts)
    like_sum = np.bincount(code, weights=np.nan_to_num(likes), minlength=n_accounts)
    comment_sum = np.bincount(code, weights=np.nan_to_num(comments), minlength=n_accounts)
    has_likes = np.bincount(code, weights=~np.isnan(likes), minlength=n_accounts) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "engagement_rate": group_medians(code, rate, n_accounts),
            "engagement_rate_mean": group_mean_std(code, rate, n_accounts)[0],
            "likes_cv": np.where(mean_likes > 0, std_likes / mean_likes, np.nan),
            "likes_per_comment": np.where(has_likes, (like_sum + 1.0) / (comment_sum + 1.0), np.nan),
            "likes_gini": gini_by_group(code, likes, n_accounts),
        }


def _sponsored_ratio(window: PostWindow, n_accounts: int) -> np.ndarray:
    """Median rate of sponsored over organic posts per account code, over the whole window."""
    flagged = (window.sponsored == 0.0) | (window.sponsored == 1.0)
    cell = 2 * window.code[flagged] + window.sponsored[flagged].astype(np.int64)
    medians = group_medians(cell, window.rate[flagged], 2 * n_accounts).reshape(n_accounts, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(medians[:, 0] > 0, medians[:, 1] / medians[:, 0], np.nan)


def engagement_features(
    accounts: pd.DataFrame,
    posts: pd.DataFrame,
    benchmark: EngagementBenchmark | None,
    as_of: pd.Timestamp,
    settings: EngagementSettings | None = None,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Engagement features per account in `accounts` (index account_id, float64; NaN without posts)."""
    settings = settings or EngagementSettings()
    followers = followers_as_of(accounts, history, as_of)
    n = len(followers)
    window = post_window(posts, followers, as_of, settings)
    columns = _rate_stats(window, n)
    fol = followers.to_numpy()
    expected = benchmark.expected_rate(fol) if benchmark is not None else np.full(n, np.nan)
    rate = columns["engagement_rate"]
    with np.errstate(divide="ignore", invalid="ignore"):
        columns["engagement_vs_benchmark"] = np.where(expected > 0, rate / expected, np.nan)
        columns["engagement_log_ratio"] = np.log((rate + _EPS) / (expected + _EPS))
        columns["log10_followers_as_of"] = np.log10(1.0 + np.maximum(fol, 0.0))
    columns["follower_tier"] = tier_codes(followers, settings)
    columns["sponsored_engagement_ratio"] = _sponsored_ratio(window, n)
    names = [spec.name for spec in FEATURES]
    values = np.column_stack([columns[name] for name in names])
    values[np.isinf(values)] = np.nan
    return pd.DataFrame(values, index=followers.index, columns=names)


def account_engagement_rates(
    accounts: pd.DataFrame,
    posts: pd.DataFrame,
    as_of: pd.Timestamp,
    settings: EngagementSettings | None = None,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """follower_count and engagement_rate per account: the training input of EngagementBenchmark."""
    feats = engagement_features(accounts, posts, None, as_of, settings, history)
    followers = followers_as_of(accounts, history, as_of)
    return pd.DataFrame({"follower_count": followers, "engagement_rate": feats["engagement_rate"]})


def country_match(
    accounts: pd.DataFrame, campaigns: pd.DataFrame, pairs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """1.0 when the influencer's country is the campaign's target country, 0.0 when not, NaN when either is
    unknown; one row per (campaign_id, account_id) in `pairs`, or per influencer x campaign without pairs."""
    if pairs is None:
        pairs = campaigns[["campaign_id"]].merge(accounts[["account_id"]], how="cross")
    country = accounts.set_index("account_id")["country"].str.upper()
    target = campaigns.set_index("campaign_id")["target_country"].str.upper()
    left = country.reindex(pairs["account_id"]).to_numpy(dtype=object)
    right = target.reindex(pairs["campaign_id"]).to_numpy(dtype=object)
    known = pd.notna(left) & pd.notna(right)
    match = np.where(known, (left == right).astype(np.float64), np.nan)
    return pd.DataFrame(
        {
            "campaign_id": pairs["campaign_id"].to_numpy(),
            "account_id": pairs["account_id"].to_numpy(),
            "country_match": match,
        }
    )


CAMPAIGN_FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec(
        "country_match",
        "campaign",
        "1 if the influencer's country is the campaign's target country, 0 if not, NaN if either is unknown",
    ),
)
