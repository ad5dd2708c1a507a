"""How close is the simulated world to real Instagram data? Quantiles of the same measures on both.

Every measure is computed by the same functions from contract tables, so the simulated world and the
real data sets (read through their adapters) are measured identically:

| metric | from | tiers |
|---|---|---|
| likes_per_post, comments_per_post | posts.like_count / comment_count | follower tier of the account |
| engagement_rate | (likes + comments) / accounts.follower_count, per post | follower tier |
| hashtags_per_caption | `#word` tokens per caption (no caption = 0) | follower tier |
| comment_length | characters per comment text | all |
| weekly_follower_volatility | per account: std of its weekly % follower change | tier by median followers |

Real references: kim2020 (posts, comments, accounts; a sample of posts spread over the archive) and
frost2023 (weekly Social Blade follower histories of large accounts, so the real volatility reference
is almost all mid and macro tier). kim2020's follower counts were taken when the profiles were crawled
(2019) while its posts go back to 2012, so the real engagement rates of older posts are somewhat low.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from authfit.datasets.frost2023 import FROST2023, read_frost2023_follower_history
from authfit.datasets.kim2020 import KIM2020, read_kim2020_accounts, read_kim2020_posts
from authfit.datasets.paths import DatasetMissingError, dataset_dir, datasets_root

LOGGER = logging.getLogger(__name__)
QUANTILES: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9)
TIER_EDGES: tuple[float, ...] = (1_000, 10_000, 100_000, 1_000_000)
TIER_NAMES: tuple[str, ...] = ("nano_lt_1k", "micro_1k_10k", "micro_10k_100k", "mid_100k_1m", "macro_1m_plus")
ALL_TIERS = "all"
REPORT_COLUMNS = ["metric", "tier", "quantile", "simulated", "real", "ratio", "n_simulated", "n_real"]
_HASHTAG = r"#\w+"
_WEEK_TOLERANCE_DAYS = 3  # a "week" between two snapshots is 4 to 10 days; longer is a hole
_MIN_WEEKLY_CHANGES = 4


def follower_tier(followers: pd.Series) -> pd.Series:
    """The tier name for each follower count (NaN stays NaN)."""
    codes = np.searchsorted(np.asarray(TIER_EDGES), followers.to_numpy(dtype=float), side="right")
    names = np.asarray(TIER_NAMES, dtype=object)[np.minimum(codes, len(TIER_NAMES) - 1)]
    return pd.Series(np.where(followers.notna(), names, None), index=followers.index, dtype="str")


def _long(metric: str, values: pd.Series, tier: pd.Series) -> pd.DataFrame:
    frame = pd.DataFrame({"metric": metric, "tier": tier, "value": values.astype("float64")})
    return frame[np.isfinite(frame["value"])]


def post_samples(posts: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """metric, tier, value: one row per post and per-post metric."""
    followers = posts["account_id"].map(accounts.drop_duplicates("account_id")
                                        .set_index("account_id")["follower_count"])
    tier = follower_tier(followers)
    engagement = (posts["like_count"] + posts["comment_count"]) / followers.where(followers > 0)
    hashtags = posts["caption"].str.count(_HASHTAG).fillna(0.0)
    return pd.concat([_long("likes_per_post", posts["like_count"], tier),
                      _long("comments_per_post", posts["comment_count"], tier),
                      _long("engagement_rate", engagement, tier),
                      _long("hashtags_per_caption", hashtags, tier)], ignore_index=True)


def comment_samples(comments: pd.DataFrame) -> pd.DataFrame:
    """metric, tier, value: the length in characters of every comment with text."""
    length = comments["text"].str.len()
    return _long("comment_length", length, pd.Series(np.nan, index=comments.index, dtype="str"))


def weekly_volatility(history: pd.DataFrame) -> pd.DataFrame:
    """account_id, tier, value: std of each account's weekly % follower change.

    Each snapshot is paired with the account's snapshot nearest to 7 days earlier, if that one is 4 to 10
    days earlier; the change is rescaled to exactly 7 days. So weekly series with jitter, daily series
    and series with holes all give weekly changes, and a hole never passes for one week. Accounts with
    fewer than 4 changes are left out; the tier is that of the account's median follower count."""
    h = history.dropna(subset=["date", "follower_count"])[["account_id", "date", "follower_count"]]
    h = h.drop_duplicates(["account_id", "date"], keep="last")
    earlier = h.rename(columns={"date": "prev_date", "follower_count": "prev_count"}).sort_values("prev_date")
    lookup = h.assign(target=h["date"] - pd.Timedelta(days=7)).sort_values("target")
    pairs = pd.merge_asof(lookup, earlier, left_on="target", right_on="prev_date", by="account_id",
                          direction="nearest", tolerance=pd.Timedelta(days=_WEEK_TOLERANCE_DAYS))
    gap = (pairs["date"] - pairs["prev_date"]).dt.total_seconds() / 86_400
    pairs = pairs.assign(change=(pairs["follower_count"] / pairs["prev_count"]) ** (7.0 / gap) - 1.0)
    pairs = pairs[(pairs["prev_count"] > 0) & np.isfinite(pairs["change"])]
    stats = pairs.groupby("account_id")["change"].agg(["std", "size"])
    stats = stats[stats["size"] >= _MIN_WEEKLY_CHANGES]
    median_followers = h.groupby("account_id")["follower_count"].median().reindex(stats.index)
    return pd.DataFrame({"account_id": stats.index.astype("str"), "value": stats["std"].to_numpy(),
                         "tier": follower_tier(median_followers).to_numpy()})


def metric_samples(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """metric, tier, value for every measure the given contract tables allow (absent tables are skipped)."""
    parts: list[pd.DataFrame] = []
    if "posts" in tables and "accounts" in tables:
        parts.append(post_samples(tables["posts"], tables["accounts"]))
    if "comments" in tables:
        parts.append(comment_samples(tables["comments"]))
    if "follower_history" in tables:
        volatility = weekly_volatility(tables["follower_history"])
        parts.append(_long("weekly_follower_volatility", volatility["value"], volatility["tier"]))
    if not parts:
        return pd.DataFrame({"metric": [], "tier": [], "value": []}).astype({"value": "float64"})
    return pd.concat(parts, ignore_index=True)


def quantile_table(samples: pd.DataFrame) -> pd.DataFrame:
    """metric, tier, quantile ("p10", ...), value, n; every metric also over all tiers (tier "all")."""
    pooled = pd.concat([samples.dropna(subset=["tier"]), samples.assign(tier=ALL_TIERS)], ignore_index=True)
    grouped = pooled.groupby(["metric", "tier"])["value"]
    table = grouped.quantile(list(QUANTILES)).rename("value").reset_index()
    table = table.rename(columns={table.columns[2]: "quantile"})
    table["quantile"] = "p" + (table["quantile"] * 100).round().astype(int).astype("str")
    return table.merge(grouped.size().rename("n").reset_index(), on=["metric", "tier"])


def real_tables(real_root: Path | None = None, sample_posts: int = 8000, step: int = 5
                ) -> dict[str, pd.DataFrame]:
    """The real reference tables: kim2020 accounts, posts and comments (`sample_posts` posts taken every
    `step`-th file), and frost2023's weekly follower history. A missing data set is left out with a
    warning."""
    root = datasets_root() if real_root is None else Path(real_root)
    tables: dict[str, pd.DataFrame] = {}
    try:
        kim = dataset_dir(KIM2020, root)
        tables["accounts"] = read_kim2020_accounts(kim)
        tables["posts"], tables["comments"] = read_kim2020_posts(kim, limit=sample_posts, step=step)
    except DatasetMissingError as exc:
        LOGGER.warning("realism: no real posts or comments to compare with: %s", exc)
    try:
        tables["follower_history"] = read_frost2023_follower_history(
            dataset_dir(FROST2023, root))
    except DatasetMissingError as exc:
        LOGGER.warning("realism: no real follower histories to compare with: %s", exc)
    return tables


def real_quantiles(real_root: Path | None = None, sample_posts: int = 8000, step: int = 5) -> pd.DataFrame:
    """The quantile table (see `quantile_table`) of the real reference data sets alone."""
    return quantile_table(metric_samples(real_tables(real_root, sample_posts, step)))


def compare_quantiles(simulated: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    """Side by side quantile tables (from `quantile_table`), ratio = simulated / real."""
    keys = ["metric", "tier", "quantile"]
    merged = simulated.rename(columns={"value": "simulated", "n": "n_simulated"}).merge(
        real.rename(columns={"value": "real", "n": "n_real"}), on=keys, how="outer")
    merged["ratio"] = merged["simulated"] / merged["real"].where(merged["real"] != 0)
    order = {name: i for i, name in enumerate((ALL_TIERS, *TIER_NAMES))}
    merged = merged.assign(_t=merged["tier"].map(order), _q=merged["quantile"].str[1:].astype(int))
    return merged.sort_values(["metric", "_t", "_q"])[REPORT_COLUMNS].reset_index(drop=True)


def realism_report(simulated: dict[str, pd.DataFrame], real_root: Path | None = None,
                   sample_posts: int = 8000, step: int = 5) -> pd.DataFrame:
    """Quantiles of every measure on the simulated tables next to the real data sets under `real_root`
    (default: `$AUTHFIT_DATASETS`). Columns: `REPORT_COLUMNS`."""
    real = real_quantiles(real_root, sample_posts, step)
    return compare_quantiles(quantile_table(metric_samples(simulated)), real)


def _cell(value: object, digits: int) -> str:
    if value is None or value is pd.NA or (isinstance(value, float | np.floating) and np.isnan(value)):
        return ""
    if isinstance(value, float | np.floating):
        return f"{value:.{digits}g}"
    return str(value)


def realism_markdown(report: pd.DataFrame, digits: int = 3) -> str:
    """The report as a Markdown table: values to `digits` significant digits, sample sizes as integers."""
    shown = report[REPORT_COLUMNS].astype({"n_simulated": "Int64", "n_real": "Int64"}).astype(object)
    header = "| " + " | ".join(REPORT_COLUMNS) + " |"
    rule = "|" + "---|" * len(REPORT_COLUMNS)
    rows = ["| " + " | ".join(_cell(v, digits) for v in row) + " |" for row in shown.itertuples(index=False)]
    return "\n".join([header, rule, *rows])
