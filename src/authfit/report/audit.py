"""The data behind an audit report: for the chosen influencers, their daily follower series with spikes and
purges detected exactly as the growth features detect them, their engagement against the fitted tier
benchmark, their comment mix, and their scores (fake-follower share with its CI, reasons, campaign fit)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from authfit.features.asof import restrict_to_as_of
from authfit.features.build import FeatureBuilder, complete_tables
from authfit.features.growth import GrowthSettings, daily_matrix, robust_z

# Comment patterns shown in the mix, each the feature that measures it (a comment may show several).
COMMENT_PATTERNS = {
    "generic": "generic_comment_share",
    "duplicate": "near_duplicate_share",
    "spam": "spam_share",
    "pod": "recurring_early_comment_share",
}
CAMPAIGN_COLUMNS = ("campaign_id", "expected_conversions", "cost", "expected_cost_per_conversion", "fit_score")
# Scored influencers whose comment mix is the chart's "typical" mark: enough for a stable median, few
# enough that the report stays a matter of seconds on a large scores file.
REFERENCE_SIZE = 200


@dataclass(frozen=True)
class FollowerSeries:
    days: pd.DatetimeIndex
    followers: np.ndarray
    spikes: np.ndarray  # bool per day: the day's gain has robust z > spike_z
    purges: np.ndarray  # bool per day: the day's loss has robust z < -spike_z


def choose_accounts(scores: pd.DataFrame, accounts: list[str] | None, top: int) -> list[str]:
    """The requested ids (all must be in the scores), else the top `top` by expected conversions when the
    scores are for a campaign, else by authenticity."""
    known = set(scores["account_id"].astype(str))
    if accounts:
        missing = [a for a in accounts if a not in known]
        if missing:
            raise ValueError(f"account(s) {missing} are not in the scores file")
        return list(dict.fromkeys(accounts))
    by = "expected_conversions" if "expected_conversions" in scores else "authenticity_score"
    return scores.sort_values(by, ascending=False)["account_id"].astype(str).head(top).tolist()


def follower_series(history: pd.DataFrame, account_ids: list[str], as_of: pd.Timestamp,
                    settings: GrowthSettings) -> dict[str, FollowerSeries]:
    """Daily interpolated follower counts over the lookback window, with spike and purge days flagged by
    the same robust z the `follower_spike_count` / `follower_drop_count` features use."""
    ids = pd.Index(account_ids)
    n_days = settings.lookback_days
    matrix = daily_matrix(history, "follower_count", ids, as_of, n_days)
    z, _ = robust_z(matrix, settings)
    with np.errstate(invalid="ignore"):
        # a delta belongs to the day it ends on, so the flag goes to column 1.. of the grid
        spikes = np.pad(z > settings.spike_z, ((0, 0), (1, 0)))
        purges = np.pad(z < -settings.spike_z, ((0, 0), (1, 0)))
    days = pd.date_range(end=as_of.normalize(), periods=n_days, freq="D")
    out = {}
    for i, account in enumerate(account_ids):  # one entry per audited account (a handful), not per row
        seen = np.isfinite(matrix[i])
        out[account] = FollowerSeries(days[seen], matrix[i][seen], spikes[i][seen], purges[i][seen])
    return out


def comment_mix(features: pd.DataFrame) -> pd.DataFrame:
    """Per account, the share of comments showing each pattern, and `authentic`: the share showing none of
    them, at least (1 - the sum, since the patterns overlap the true share can only be higher)."""
    mix = pd.DataFrame({name: features.get(col, pd.Series(np.nan, index=features.index))
                        for name, col in COMMENT_PATTERNS.items()}, index=features.index)
    flagged = mix.fillna(0.0).sum(axis=1)
    authentic = (1.0 - flagged).clip(lower=0.0).where(mix.notna().any(axis=1))
    return pd.concat([authentic.rename("authentic"), mix], axis=1)


def benchmark_curve(builder: FeatureBuilder, population_followers: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The fitted tier benchmark evaluated over the population's follower range."""
    benchmark = getattr(builder, "benchmark_", None)
    positive = population_followers[population_followers > 0]
    if benchmark is None or positive.empty:
        return np.array([]), np.array([])
    x = np.logspace(np.log10(positive.min()), np.log10(positive.max()), 200)
    return x, benchmark.expected_rate(x)


@dataclass(frozen=True)
class AuditData:
    accounts: list[str]
    scores: pd.DataFrame  # the audited rows of the scores file, index account_id
    population: pd.DataFrame  # account_id, followers, engagement_rate of every scored account
    series: dict[str, FollowerSeries]
    mix: pd.DataFrame
    curve: tuple[np.ndarray, np.ndarray]
    tier_bounds: tuple[float, ...]
    campaign: str | None
    typical_mix: pd.Series | None = None  # median comment mix over a reference sample of the scored accounts
    reference_size: int = 0


def read_scores(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path) if path.name.endswith(".parquet") else pd.read_csv(path)
    if "account_id" not in frame:
        raise ValueError(f"{path} has no account_id column; pass the output of `authfit score`")
    return frame.assign(account_id=frame["account_id"].astype(str))


def reasons_list(value: object) -> list[str]:
    """Reasons as stored: a list/array (Parquet) or one ' | '-joined string (CSV)."""
    if isinstance(value, str):
        if value.startswith("[") and value.endswith("]"):  # an array's repr, as older shortlist CSVs hold
            return [a or b for a, b in re.findall(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"", value)]
        return [part.strip() for part in value.split("|") if part.strip()]
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return [str(v) for v in value]


def reference_accounts(scores: pd.DataFrame, size: int = REFERENCE_SIZE) -> list[str]:
    """An evenly spaced, reproducible sample of the scored influencers (sorted by id)."""
    ids = np.sort(scores["account_id"].astype(str).unique())
    return ids[np.linspace(0, len(ids) - 1, min(size, len(ids))).astype(int)].tolist() if len(ids) else []


def collect(scores: pd.DataFrame, tables: dict[str, pd.DataFrame], builder: FeatureBuilder,
            accounts: list[str] | None = None, top: int = 5) -> AuditData:
    """Everything the report shows, from the scores file, the contract tables and the fitted builder."""
    chosen = choose_accounts(scores, accounts, top)
    tables = complete_tables(tables)
    as_of = builder.resolve_as_of(tables)
    known = restrict_to_as_of(tables, as_of)
    settings = builder._settings
    from authfit.scoring.batch import tables_for

    reference = reference_accounts(scores)
    together = list(dict.fromkeys([*chosen, *reference]))  # one transform for both
    features = builder.transform(tables_for(tables, np.asarray(together)), as_of=as_of)
    typical = comment_mix(features.reindex(reference)).median(skipna=True)
    followers = known["accounts"].drop_duplicates("account_id").set_index("account_id")["follower_count"]
    population = scores.drop_duplicates("account_id")[["account_id", "engagement_rate"]].assign(
        followers=lambda f: followers.reindex(f["account_id"]).to_numpy(dtype=float))
    campaign = None
    if "campaign_id" in scores and scores["campaign_id"].notna().any():
        campaign = str(scores["campaign_id"].dropna().iloc[0])
    return AuditData(
        accounts=chosen,
        scores=scores.drop_duplicates("account_id").set_index("account_id").loc[chosen],
        population=population,
        series=follower_series(known["follower_history"], chosen, as_of, settings.growth),
        mix=comment_mix(features.reindex(chosen)),
        curve=benchmark_curve(builder, population["followers"]),
        tier_bounds=tuple(settings.engagement.tier_bounds),
        campaign=campaign,
        typical_mix=typical,
        reference_size=len(reference),
    )
