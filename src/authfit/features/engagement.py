"""Engagement features: rate per follower, against a benchmark curve by size, spread of likes, tiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.utils.validation import check_is_fitted

from authfit.features.asof import as_utc
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


def followers_as_of(accounts: pd.DataFrame, history: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.Series:
    """Followers per account at as_of: the latest history snapshot at or before it, else the profile count."""
    profile = accounts.set_index("account_id")["follower_count"].astype(np.float64)
    if history is None or history.empty:
        return profile.rename("followers")
    known = history.loc[(history["date"] <= as_utc(as_of)) & history["follower_count"].notna()]
    latest = known.sort_values("date").groupby("account_id")["follower_count"].last()
    return latest.reindex(profile.index).fillna(profile).astype(np.float64).rename("followers")


def recent_posts(
    posts: pd.DataFrame, followers: pd.Series, as_of: pd.Timestamp, settings: EngagementSettings
) -> pd.DataFrame:
    """Posts of known accounts within window_days before as_of, with `code` (position of the account in
    followers), `rate` and `recent` (among the latest max_posts) columns added to a copy."""
    as_of = as_utc(as_of)
    start = as_of - pd.Timedelta(days=settings.window_days)
    codes = positions_in(posts["account_id"], followers.index)
    inside = ((posts["posted_at"] <= as_of) & (posts["posted_at"] > start)).to_numpy() & (codes >= 0)
    frame = posts.loc[inside, ["posted_at", "like_count", "comment_count", "is_sponsored"]]
    frame = frame.assign(code=codes[inside])
    fol = followers.to_numpy(dtype=np.float64)[frame["code"].to_numpy()]
    likes = frame["like_count"].to_numpy(dtype=np.float64)
    total = likes + np.nan_to_num(frame["comment_count"].to_numpy(dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(fol > 0, total / fol, np.nan)
    # Integer codes, not the id strings, as group keys: several times faster to sort and group.
    order = frame.assign(rate=rate).sort_values(["code", "posted_at"], ascending=[True, False])
    latest = order.groupby("code").cumcount() < settings.max_posts
    return order.assign(recent=latest.to_numpy())


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


def _rate_stats(recent: pd.DataFrame, n_accounts: int) -> pd.DataFrame:
    """Rate and like statistics per account code 0..n_accounts-1."""
    grouped = recent.groupby("code")
    likes = grouped["like_count"]
    sums = grouped[["like_count", "comment_count"]].sum(min_count=1)
    mean_likes = likes.mean()
    stats = pd.DataFrame(
        {
            "engagement_rate": grouped["rate"].median(),
            "engagement_rate_mean": grouped["rate"].mean(),
            "likes_cv": (likes.std(ddof=0) / mean_likes).where(mean_likes > 0),
            "likes_per_comment": (sums["like_count"] + 1.0) / (sums["comment_count"].fillna(0.0) + 1.0),
        }
    ).reindex(np.arange(n_accounts))
    codes, like_counts = recent["code"].to_numpy(), recent["like_count"].to_numpy(dtype=np.float64)
    return stats.assign(likes_gini=gini_by_group(codes, like_counts, n_accounts))


def _sponsored_ratio(window: pd.DataFrame, n_accounts: int) -> np.ndarray:
    medians = window.dropna(subset=["is_sponsored"]).groupby(["code", "is_sponsored"])["rate"].median()
    table = medians.unstack("is_sponsored").reindex(index=np.arange(n_accounts), columns=[0.0, 1.0])
    return (table[1.0] / table[0.0]).where(table[0.0] > 0).to_numpy()


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
    window = recent_posts(posts, followers, as_of, settings)
    stats = _rate_stats(window.loc[window["recent"]], len(followers)).set_axis(followers.index)
    expected = (
        benchmark.expected_rate(followers) if benchmark is not None else np.full(len(followers), np.nan)
    )
    rate = stats["engagement_rate"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, rate / expected, np.nan)
        log_ratio = np.log((rate + _EPS) / (expected + _EPS))
    out = stats.assign(
        log10_followers_as_of=np.log10(1.0 + followers.clip(lower=0)),
        follower_tier=tier_codes(followers, settings),
        engagement_vs_benchmark=ratio,
        engagement_log_ratio=log_ratio,
        sponsored_engagement_ratio=_sponsored_ratio(window, len(followers)),
    )
    out.index.name = "account_id"
    return out[[spec.name for spec in FEATURES]].astype(np.float64).replace([np.inf, -np.inf], np.nan)


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
