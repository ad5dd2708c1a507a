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

The fraud checks (`fraud_samples`, `fraud_checks`, `FRAUD_CHECKS`) compare what the fraud detectors read,
each with a pass/fail bound and the reason for it: following counts of influencers (kim2020) and of
audience accounts (srf2017's sample of real followers), comment delays and early-comment shares (kim2020
posts whose comments were all crawled), duplicate-comment shares per post and commenters recurring over an
account's latest posts (kim2020, whole accounts in archive order), and the largest weekly follower jump
(frost2023). The simulated side is the whole world, buyers included, as the real side may hold buyers
too. `NOT_CHECKABLE` lists what no public real data can check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
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
    pairs = weekly_changes(history)
    h = history.dropna(subset=["date", "follower_count"]).drop_duplicates(["account_id", "date"], keep="last")
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


# ---------------------------------------------------------------------------------------------- fraud checks
#
# The quantile table above compares what the simulator looks like; the checks below compare what the fraud
# detectors read, and give each comparison a pass/fail bound. Each statistic is computed by one function
# from contract tables, on the simulated world and on the real reference alike.

SRF2017_AUDIENCE = "srf2017"
MIN_UNITS = 30  # a (statistic, tier) is checked only when both sides have at least this many units
RECURRING_POSTS = 5  # an account's latest posts with comments over which commenters are counted
DUPLICATE_MIN_COMMENTS = 10
EARLY_MINUTES = 60.0
CHECK_COLUMNS = ["statistic", "tier", "quantity", "simulated", "real", "bound", "passed", "n_simulated",
                 "n_real", "real_source"]


@dataclass(frozen=True)
class FraudCheck:
    """How one statistic is compared: its quantities, the bound on each and why that bound."""

    quantities: tuple[str, ...]
    # "ratio": simulated / real within [1 / bound, bound]; "difference": |simulated - real| <= bound
    kind: str
    bound: float
    real_source: str
    why: str


FRAUD_CHECKS: dict[str, FraudCheck] = {
    "influencer_following_count": FraudCheck(
        ("p50", "p90"), "ratio", 2.0, "kim2020 influencers.txt (#Followees), per follower tier",
        "the churn features and the account model read following counts on a log scale; a factor of 2 keeps "
        "honest influencers' level apart from where follow/unfollow buyers are put, without asking the "
        "simulator to match one crawl year"),
    "audience_following_count": FraudCheck(
        ("p50", "p90"), "ratio", 2.0, "srf2017 (the 100 newest followers of 10 influencers, fake and real)",
        "the account model scores the audience sample from these counts; the real sample is one country and "
        "ten influencers, so a factor of 2 at the median and the 90th percentile, which is less than the gap "
        "between srf2017's real and fake followers' medians (604 vs 2,096): a world inside it keeps fakes "
        "following more than real followers"),
    "comment_delay_minutes": FraudCheck(
        ("p25", "p50", "p75"), "ratio", 3.0, "kim2020 comment created_at - post taken_at",
        "pod and burst features cut at an hour; a factor of 3 in the delay quartiles moves a fan's comment "
        "across that cut only when the whole distribution is off, and is half the factor between kim2020's "
        "own neighbouring quartiles (36, 207, 1,245 minutes)"),
    "early_comment_share": FraudCheck(
        ("mean",), "difference", 0.10, "kim2020, per post",
        "early_comment_share is a feature; 0.10 is about the gap a pod of a few members adds on a post"),
    "duplicate_comment_share": FraudCheck(
        ("mean", "p90"), "difference", 0.05, f"kim2020, per post with >= {DUPLICATE_MIN_COMMENTS} comments",
        "duplicate shares are read as bot comments; honest posts must not sit 0.05 above or below real ones, "
        "the smallest planted bot share the comment benchmark asks to recover"),
    "recurring_commenter_share": FraudCheck(
        ("mean", "p90"), "difference", 0.10, f"kim2020, per account over its latest {RECURRING_POSTS} posts "
        "with comments",
        "recurring commenters are the pod signal; 0.10 is less than a small pod adds to a small account, "
        "and about the gap between kim2020's mean (0.09) and its 90th percentile (0.21) over 71 accounts"),
    "largest_weekly_follower_jump": FraudCheck(
        ("p50", "p90"), "ratio", 2.0, "frost2023 Social Blade weekly followers, per account and tier",
        "the growth detector compares purchases with organic jumps; a factor of 2 in the size of honest "
        "accounts' largest weekly jump changes which purchases stand out, and is a third of the factor "
        "between frost2023's median (1.1%) and 90th percentile (7%) at 100k-1M followers"),
}

NOT_CHECKABLE: tuple[str, ...] = (
    "which influencers buy, and how much: no public data labels buyers of followers, likes or comments",
    "the fake share of an influencer's audience: no public audience sample is labelled per influencer "
    "(srf2017 gives one pooled sample of ten influencers)",
    "engagement pods: kim2020 shows recurring commenters, but not which of them are a pod",
    "follow/unfollow churn of buyers: no public history of an account's following count around a purchase",
    "purges after purchases, and bought likes: no real series labelled as bought",
    "follower histories of nano and micro accounts: frost2023 holds accounts of 60k followers and more",
    "look-alikes (honest accounts that look like buyers): no labels",
    "campaign conversions: no public outcomes table",
)


def _account_tier(accounts: pd.DataFrame) -> pd.Series:
    return follower_tier(accounts["follower_count"])


def influencer_following(accounts: pd.DataFrame) -> pd.DataFrame:
    """statistic, tier, value: each influencer's following count."""
    return _long("influencer_following_count", accounts["following_count"], _account_tier(accounts)).rename(
        columns={"metric": "statistic"})


def audience_following(audience: pd.DataFrame) -> pd.DataFrame:
    """Following counts of the audience sample (all tiers pooled)."""
    return _statistic("audience_following_count", audience["following_count"])


def _statistic(name: str, values: pd.Series) -> pd.DataFrame:
    values = pd.Series(values, dtype="float64")
    return pd.DataFrame({"statistic": name, "tier": ALL_TIERS, "value": values.to_numpy()}).loc[
        lambda f: np.isfinite(f["value"])]


def complete_comments(posts: pd.DataFrame, comments: pd.DataFrame) -> pd.DataFrame:
    """The comments of posts whose comments are all there (rows >= the post's comment_count, when known):
    a crawl that keeps one page of comments keeps the latest ones, which would bias delays upwards."""
    rows = comments.groupby("post_id").size()
    declared = posts.drop_duplicates("post_id").set_index("post_id")["comment_count"]
    complete = rows.index[(rows >= declared.reindex(rows.index).fillna(0)).to_numpy()]
    return comments.loc[comments["post_id"].isin(complete)]


def comment_timing(posts: pd.DataFrame, comments: pd.DataFrame) -> pd.DataFrame:
    """Per comment: minutes from the post to the comment; per post: the share within EARLY_MINUTES (posts
    with all their comments only, see `complete_comments`)."""
    comments = complete_comments(posts, comments)
    posted = comments["post_id"].map(posts.drop_duplicates("post_id").set_index("post_id")["posted_at"])
    minutes = (comments["created_at"] - posted).dt.total_seconds() / 60.0
    timed = minutes.notna() & (minutes >= 0)
    early = (minutes[timed] <= EARLY_MINUTES).groupby(comments.loc[timed, "post_id"]).mean()
    return pd.concat([_statistic("comment_delay_minutes", minutes[timed]),
                      _statistic("early_comment_share", early)], ignore_index=True)


def duplicate_share(comments: pd.DataFrame) -> pd.DataFrame:
    """Per post with enough comments: share of comments whose exact text occurs more than once on it."""
    texts = comments.dropna(subset=["text"])
    repeated = texts.groupby(["post_id", "text"])["text"].transform("size") > 1
    per_post = repeated.groupby(texts["post_id"]).agg(["mean", "size"])
    return _statistic("duplicate_comment_share",
                      per_post.loc[per_post["size"] >= DUPLICATE_MIN_COMMENTS, "mean"])


def recurring_commenters(posts: pd.DataFrame, comments: pd.DataFrame) -> pd.DataFrame:
    """Per account with RECURRING_POSTS posts with comments: the share of distinct commenters on its latest
    RECURRING_POSTS such posts who comment on at least two of them."""
    commented = posts.loc[posts["post_id"].isin(comments["post_id"])].sort_values("posted_at")
    latest = commented.groupby("account_id").tail(RECURRING_POSTS)
    latest = latest.loc[latest.groupby("account_id")["post_id"].transform("size") == RECURRING_POSTS]
    pairs = comments.loc[comments["post_id"].isin(latest["post_id"]) & comments["commenter_id"].notna(),
                         ["post_id", "commenter_id"]].drop_duplicates()
    pairs = pairs.assign(account_id=pairs["post_id"].map(latest.set_index("post_id")["account_id"]))
    posts_per = pairs.groupby(["account_id", "commenter_id"]).size()
    share = (posts_per >= 2).groupby(level="account_id").mean()
    return _statistic("recurring_commenter_share", share)


def weekly_changes(history: pd.DataFrame) -> pd.DataFrame:
    """account_id, change: weekly relative follower changes (pairing as in `weekly_volatility`)."""
    h = history.dropna(subset=["date", "follower_count"])[["account_id", "date", "follower_count"]]
    h = h.drop_duplicates(["account_id", "date"], keep="last")
    earlier = h.rename(columns={"date": "prev_date", "follower_count": "prev_count"}).sort_values("prev_date")
    lookup = h.assign(target=h["date"] - pd.Timedelta(days=7)).sort_values("target")
    pairs = pd.merge_asof(lookup, earlier, left_on="target", right_on="prev_date", by="account_id",
                          direction="nearest", tolerance=pd.Timedelta(days=_WEEK_TOLERANCE_DAYS))
    gap = (pairs["date"] - pairs["prev_date"]).dt.total_seconds() / 86_400
    pairs = pairs.assign(change=(pairs["follower_count"] / pairs["prev_count"]) ** (7.0 / gap) - 1.0)
    valid = (pairs["prev_count"] > 0) & np.isfinite(pairs["change"])
    return pairs.loc[valid, ["account_id", "follower_count", "change"]]


def largest_weekly_jump(history: pd.DataFrame) -> pd.DataFrame:
    """Per account with at least `_MIN_WEEKLY_CHANGES` weekly changes in its last year: the largest weekly
    relative gain, in the tier of its median follower count."""
    last = history.groupby("account_id")["date"].transform("max")
    recent = history.loc[history["date"] > last - pd.Timedelta(days=365)]
    changes = weekly_changes(recent)
    stats = changes.groupby("account_id").agg(jump=("change", "max"), size=("change", "size"),
                                              level=("follower_count", "median"))
    stats = stats[stats["size"] >= _MIN_WEEKLY_CHANGES]
    return pd.DataFrame({"statistic": "largest_weekly_follower_jump", "tier": follower_tier(stats["level"]),
                         "value": stats["jump"].to_numpy(dtype=float)}).reset_index(drop=True)


def fraud_samples(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """statistic, tier, value for every fraud statistic the given contract tables allow."""
    parts: list[pd.DataFrame] = []
    if "accounts" in tables and "following_count" in tables["accounts"]:
        parts.append(influencer_following(tables["accounts"]))
    if "audience" in tables:
        parts.append(audience_following(tables["audience"]))
    if "posts" in tables and "comments" in tables:
        parts += [comment_timing(tables["posts"], tables["comments"]), duplicate_share(tables["comments"]),
                  recurring_commenters(tables["posts"], tables["comments"])]
    if "follower_history" in tables:
        parts.append(largest_weekly_jump(tables["follower_history"]))
    if not parts:
        return pd.DataFrame({"statistic": [], "tier": [], "value": []}).astype({"value": "float64"})
    return pd.concat(parts, ignore_index=True)


def _quantity(values: pd.Series, quantity: str) -> float:
    return float(values.mean()) if quantity == "mean" else float(values.quantile(int(quantity[1:]) / 100))


def _within(simulated: float, real: float, check: FraudCheck) -> bool:
    if check.kind == "difference":
        return bool(abs(simulated - real) <= check.bound)
    if real <= 0 or simulated <= 0:
        return bool(simulated == real)
    return bool(1.0 / check.bound <= simulated / real <= check.bound)


def fraud_checks(simulated: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    """One row per (statistic, tier, quantity) both sides have at least MIN_UNITS units of, with the
    bound of `FRAUD_CHECKS` and whether the simulated value is within it. Columns: CHECK_COLUMNS."""
    rows = []
    for (statistic, tier), sim in simulated.groupby(["statistic", "tier"]):
        ref = real.loc[(real["statistic"] == statistic) & (real["tier"] == tier), "value"]
        check = FRAUD_CHECKS[statistic]
        if len(sim) < MIN_UNITS or len(ref) < MIN_UNITS:
            continue
        for quantity in check.quantities:
            s, r = _quantity(sim["value"], quantity), _quantity(ref, quantity)
            bound = f"x{check.bound:g}" if check.kind == "ratio" else f"+-{check.bound:g}"
            rows.append((statistic, tier, quantity, s, r, bound, _within(s, r, check), len(sim), len(ref),
                         check.real_source))
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def real_fraud_tables(real_root: Path | None = None, sample_posts: int = 15_000) -> dict[str, pd.DataFrame]:
    """The real references of the fraud checks: kim2020 accounts and its first `sample_posts` posts in
    archive order (whole accounts, so commenters can recur across an account's consecutive posts),
    srf2017's audience sample and frost2023's weekly follower history. A missing set is left out with a
    warning."""
    from authfit.datasets.labelled_accounts import load_labelled_accounts

    root = datasets_root() if real_root is None else Path(real_root)
    tables: dict[str, pd.DataFrame] = {}
    loaders = {
        "kim2020": lambda: {"accounts": read_kim2020_accounts(dataset_dir(KIM2020, root)),
                            **dict(zip(("posts", "comments"),
                                       read_kim2020_posts(dataset_dir(KIM2020, root), limit=sample_posts)))},
        "srf2017": lambda: {"audience": load_labelled_accounts(SRF2017_AUDIENCE, root)},
        "frost2023": lambda: {
            "follower_history": read_frost2023_follower_history(dataset_dir(FROST2023, root))},
    }
    for name, load in loaders.items():
        try:
            tables |= load()
        except DatasetMissingError as exc:
            LOGGER.warning("realism: %s missing, its fraud checks are skipped: %s", name, exc)
    return tables


def fraud_markdown(checks: pd.DataFrame) -> str:
    """The checks as a Markdown table, then why each bound, then what no real data can check."""
    lines = ["| statistic | tier | quantity | simulated | real | bound | result | n sim | n real |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in checks.itertuples(index=False):
        lines.append(f"| {r.statistic} | {r.tier} | {r.quantity} | {_cell(r.simulated, 3)} | "
                     f"{_cell(r.real, 3)} | {r.bound} | {'pass' if r.passed else 'FAIL'} | {r.n_simulated} | "
                     f"{r.n_real} |")
    lines += ["", "Bounds and real sources:", ""]
    lines += [f"- `{name}` ({c.real_source}): {c.why}." for name, c in FRAUD_CHECKS.items()]
    lines += ["", "What no public real data can check:", ""] + [f"- {item}" for item in NOT_CHECKABLE]
    return "\n".join(lines)
