"""The data behind an audit report: for the chosen influencers, their daily follower series with spikes and
purges detected exactly as the growth features detect them, their engagement against the fitted tier
benchmark, their comment mix, their audience split into real, mass-follower and suspicious accounts, and
their scores (fake-follower share with its CI, reasons, campaign fit, local influence, costs in the
campaign's currency)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from authfit.features.asof import restrict_to_as_of
from authfit.features.build import FeatureBuilder, complete_tables
from authfit.features.docs import influencer_specs
from authfit.features.growth import GrowthSettings, daily_matrix, robust_z
from authfit.features.local import LOCAL_SHARE, local_influence
from authfit.features.registry import FeatureSpec
from authfit.modeling.quantification import ErrorRates
from authfit.report.phrases import topic_words

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
    audience: pd.DataFrame | None = None  # per audited account: sample, real, mass_follower, suspicious
    local: pd.Series | None = None  # per audited account: audience share in the campaign's target country
    target_country: str | None = None
    currency: str = "campaign currency"
    specs: tuple[FeatureSpec, ...] = ()  # feature definitions, to put fallback reasons into words
    topics: dict[int, str] | None = None  # the top words of each caption topic


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


SPLIT = ("real", "mass_follower", "suspicious")


def audience_split(audience: pd.DataFrame, account_ids: list[str], builder: FeatureBuilder) -> pd.DataFrame:
    """Per account, its audience sample split three ways as HypeAuditor splits it: suspicious (the account
    model flags the follower as fake), mass follower (not suspicious, but follows more than the mass-follow
    threshold, so it rarely sees a post) and real (the rest). Shares of the sample, before the error-rate
    correction that the fake-follower share estimate applies; `sample` is the number of followers. A follower
    is suspicious at the threshold the fake-follower share flags it at (the account model's error rates)."""
    settings = builder._settings.audience
    threshold = (builder.error_rates or ErrorRates()).threshold
    rows = audience[audience["influencer_id"].astype(str).isin(account_ids)]
    following = rows["following_count"].to_numpy(dtype=float)
    scorer = builder.account_scorer
    if scorer is not None and len(rows):
        suspicious = np.asarray(scorer(rows), dtype=float) >= threshold
    else:
        suspicious = np.full(len(rows), np.nan)
    mass = np.where(np.isnan(following), np.nan, following > settings.mass_follow_threshold)
    split = pd.DataFrame({
        "account": rows["influencer_id"].astype(str).to_numpy(), "sample": 1.0,
        "suspicious": suspicious,
        "mass_follower": np.where(suspicious == 1, 0.0, mass),
    })
    split["real"] = 1.0 - split["suspicious"].fillna(0.0) - split["mass_follower"]
    grouped = split.groupby("account")
    out = grouped[list(SPLIT)].mean().join(grouped["sample"].sum())
    return out.reindex(account_ids)


def campaign_currency(scores: pd.DataFrame, campaigns: pd.DataFrame, campaign: str | None) -> str:
    """The currency costs are in: a `currency` column of the scores or of the campaign, else the
    contract's unit, 'campaign currency' (never a guessed symbol)."""
    if "currency" in scores and scores["currency"].notna().any():
        return str(scores["currency"].dropna().iloc[0])
    if campaign is not None and "currency" in campaigns:
        found = campaigns.loc[campaigns["campaign_id"] == campaign, "currency"].dropna()
        if len(found):
            return str(found.iloc[0])
    return "campaign currency"


def local_shares(tables: dict[str, pd.DataFrame], account_ids: list[str], campaign: str | None
                 ) -> tuple[pd.Series | None, str | None]:
    """The audience share in the campaign's target country per account (the campaign fit feature), and
    the target country."""
    campaigns = tables["campaigns"]
    if campaign is None or campaign not in set(campaigns["campaign_id"]):
        return None, None
    target = campaigns.loc[campaigns["campaign_id"] == campaign, "target_country"].iloc[0]
    pairs = pd.DataFrame({"campaign_id": campaign, "account_id": account_ids})
    share = local_influence(tables["audience"], campaigns, pairs).set_index("account_id")[LOCAL_SHARE]
    return share, (None if pd.isna(target) else str(target).upper())


def collect(scores: pd.DataFrame, tables: dict[str, pd.DataFrame], builder: FeatureBuilder,
            accounts: list[str] | None = None, top: int = 5) -> AuditData:
    """Everything the report shows, from the scores file, the contract tables and the fitted builder."""
    chosen = choose_accounts(scores, accounts, top)
    tables = complete_tables(tables)
    as_of = builder.resolve_as_of(tables)
    known = restrict_to_as_of(tables, as_of)
    settings = builder._settings
    from authfit.scoring.batch_files import tables_for

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
    local, target = local_shares(known, chosen, campaign)
    topic_model = getattr(builder, "topic_model_", None)
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
        audience=audience_split(known["audience"], chosen, builder),
        local=local,
        target_country=target,
        currency=campaign_currency(scores, tables["campaigns"], campaign),
        specs=tuple(influencer_specs(getattr(topic_model, "n_topics", None))),
        topics=topic_words(topic_model.components_, topic_model.vocabulary_) if topic_model is not None else None,
    )
