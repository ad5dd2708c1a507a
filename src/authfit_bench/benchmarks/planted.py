"""Planted-fraud benchmark: known fraud planted into real backgrounds, and the product's detectors on them.

No public data labels influencers who bought followers or comments, but real organic backgrounds exist.
Planting known fraud into them tests the detectors against real organic growth, real viral jumps, real
gaps and real comment sections instead of the simulator's.

**Growth** (frost2023, 199 Social Blade weekly follower series, 2018-2023). Each account's history is cut
into yearly windows (`GrowthPlan.windows`), each re-dated to end at one `as_of`, so one account gives up
to that many one-year series. A planted copy of a window adds a purchase of `step` x the follower level
on a random day (at least 90 days after the window's first snapshot, at least 28 before its last), with or
without a gradual purge (30-80% of the bought followers removed linearly over 14-60 days, starting 7-35 days
after the purchase). The detector is one growth feature (`features/growth.py`), the one with the highest
minimum AUC over steps of at least 10% on the *choice* half of the accounts; its flag is the 97.5th
percentile of its value on the choice half's untouched windows, aiming at half the allowed 5% so that
the split's sampling error does not carry the report half over. Rows give AUC (planted copy vs the
untouched windows), recall at the flag per step, and the share of untouched windows flagged, all on the
*report* half. A second detector stands for the product's use of the growth family: a LightGBM over every
growth feature, planted vs untouched, fitted on the choice half (its flag from out-of-fold scores there).
The shipped fake-engagement model itself is not scored: it is trained on simulated worlds over every
feature family, and a follower series alone leaves all its other inputs missing.

**Comments** (kim2020, real comments with real timing). Posts with at least `CommentPlan.min_comments`
comments get bot comments planted at a known share of the post's comments (0 for untouched posts), in place
of as many of its real ones (a crawl returns one page of comments, bots included; 61% of the posts hold
exactly 24, so +-0.05 is about one comment): one kind per post (generic praise, emoji-only, one duplicated
text, promotional, or a mix), arriving either in a burst after posting or at the post's own real comment
delays. Each post is treated as one account of `comment_pattern_features`, with the product's comment-spam
model (trained here the product's way, on the configured labelled sources) as its scorer. The bot share per
post is estimated four ways (`ShareEstimators`):

- `spam_share, adjusted`: the feature `spam_share` (comments at or above the feature's spam threshold),
  corrected with the model's flag rates on real and on planted comments of the choice posts
  (Rogan-Gladen: (raw - f) / (t - f), clipped to [0, 1]);
- `comment features, regression`: a small LightGBM regression (absolute-error loss) from every comment
  feature of a post to its planted share, fitted on planted copies of the choice posts only;
- `comment detector, adjusted count`: a per-comment LightGBM (`comment_signals`: the spam probability, the
  delay after posting and its neighbours, the text's shape in lower case, repeats on the post) fitted on
  the choice posts' comments, planted vs real, cross-fitted on two halves of the choice accounts; a post's
  share of comments it flags, corrected (Rogan-Gladen) with its held-out flag rates there;
- `comment features + detector, regression`: the regression above with the detector's per-post
  aggregates (held-out probabilities on the choice posts) added to its inputs.

None uses anything of the report posts but their comments. The headline is the share of report posts whose
estimate is within +-0.05 of the planted share, over all report posts and per kind (the minimum is what
counts), and by page size. The detector learns the generator's own bot texts; the "unseen in the fit" rows
refit every fitted estimator without one bot kind (nor the mixed posts) and score the posts of that kind.
Real comments hold spam and bots already (of 40 real comments the spam model flags, read by hand, about 10
are promotional or follow-for-follow spam; of 40 the detector flags, one is spam and the rest short praise
and emoji like the planted ones), so an untouched post's true bot share is not 0: beside the
absolute rows, `the untouched real posts` gives each estimator's mean estimate on the report posts' real
comments, and `recovery over the same post's untouched version` scores estimate(planted) -
estimate(untouched) against the planted share. Posts are split into halves by account, so no influencer is
on both sides.

The whole part runs once per seed in `PlantedBenchmark.seeds` (another split into halves, other plantings)
and each row gives the worst value over them, with their standard deviation as the spread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from authfit_bench.benchmarks.accounts import row
from authfit.datasets.frost2023 import FROST2023, read_frost2023_follower_history
from authfit.datasets.kim2020 import KIM2020, read_kim2020_posts
from authfit.datasets.labelled_comments import load_labelled_comments
from authfit.datasets.paths import dataset_dir
from authfit.modeling.comment_spam import CommentSpamModel
from authfit.features.comment_patterns import FEATURE_NAMES, CommentFeatureSettings, comment_pattern_features
from authfit.features.growth import FEATURES as GROWTH_FEATURES
from authfit.features.growth import GrowthSettings, growth_features
from authfit.training.comment_model import comment_groups
from authfit.training.sources import load_sources

GROWTH_DATASET = "frost2023 + planted purchases"
COMMENT_DATASET = "kim2020 + planted bot comments"
WITHIN = 0.05
TARGET_STEP = 0.10
# Candidate detectors and their direction (+1: higher means more suspicious).
GROWTH_CANDIDATES: dict[str, float] = {
    "follower_max_jump_share": 1.0, "follower_max_jump_z": 1.0, "follower_step_z": 1.0,
    "follower_spike_count": 1.0, "follower_smoothness": -1.0,
}
FLAG_QUANTILE = 0.975
BOT_KINDS: tuple[str, ...] = ("generic", "emoji", "duplicated", "promotional", "mixed")
TIMINGS: tuple[str, ...] = ("burst", "own delays")
LOWER_IS_BETTER = frozenset({"flagged_share", "mean_abs_error", "mean_estimate"})


class GrowthPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: tuple[float, ...] = (0.02, 0.05, 0.10, 0.20, 0.30)
    windows: int = Field(4, ge=1, description="yearly windows cut from each account's history")
    min_points: int = Field(40, ge=10, description="snapshots a window needs")


class CommentPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    posts: int = Field(10_000, ge=100, description="posts read from the kim2020 archive")
    step: int = Field(4, ge=1, description="every step-th post file, spread over the archive")
    min_comments: int = Field(20, ge=5, description="real comments a post needs to be planted into")
    shares: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)
    choice_copies: int = Field(4, ge=1, description="planted copies of each choice post for the fits")


class PlantedBenchmark(BaseModel):
    """Sizes of the planted-fraud part."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seeds: tuple[int, ...] = Field((0, 1, 2), min_length=1,
                                   description="splits into halves and plantings; rows give the worst")
    growth: GrowthPlan = GrowthPlan()
    comments: CommentPlan = CommentPlan()

    @classmethod
    def quick(cls) -> PlantedBenchmark:
        return cls(growth=GrowthPlan(windows=2), comments=CommentPlan(posts=1_500, step=25, choice_copies=3))


def run_planted_benchmark(plan: PlantedBenchmark, root: Path | None, comment_sources: Sequence[str],
                          model_seed: int = 0) -> list[dict[str, object]]:
    """All rows of the planted part (growth, then comments)."""
    history = read_frost2023_follower_history(dataset_dir(FROST2023, root))
    posts, comments = read_kim2020_posts(dataset_dir(KIM2020, root), limit=plan.comments.posts,
                                         step=plan.comments.step)
    model = fit_product_comment_model(comment_sources, model_seed)
    runs = [growth_rows(history, plan.growth, seed)
            + comment_rows(posts, comments, model.predict_proba_texts, plan.comments, seed)
            for seed in plan.seeds]
    return worst_over_seeds(runs, plan.seeds)


def worst_over_seeds(runs: Sequence[list[dict[str, object]]], seeds: Sequence[int]
                     ) -> list[dict[str, object]]:
    """One row per (dataset, task, metric): the worst value over the seeds' runs (the highest for
    LOWER_IS_BETTER metrics, else the lowest), their standard deviation as the spread, and the first
    run's protocol that has the row (its counts and flag are those of that seed's split)."""
    frame = pd.DataFrame([r | {"run": k} for k, rows in enumerate(runs) for r in rows])
    keys = ["dataset", "task", "metric"]
    worst = np.where(frame["metric"].isin(LOWER_IS_BETTER), -frame["value"], frame["value"])
    grouped = frame.assign(_worst=worst).groupby(keys, sort=False)
    out = []
    for key, group in grouped:
        picked = group.loc[group["_worst"].idxmin()]
        protocol = f"{group['protocol'].iloc[0]} [worst of seeds {list(seeds)}; spread: sd over them]"
        out.append(row(*key, group["value"], protocol) | {"value": float(picked["value"])})
    return out


def fit_product_comment_model(sources: Sequence[str], seed: int) -> CommentSpamModel:
    """The comment-spam model as `training/comment_model.py` fits it, on the configured labelled sources."""
    data = load_sources(list(sources), load_labelled_comments, [])
    texts = data["text"].astype("str").reset_index(drop=True)
    return CommentSpamModel(kind="stacked", n_jobs=1, seed=seed).fit(
        texts, data["label"].to_numpy(dtype=float), comment_groups(data))


def halves(keys: pd.Series, seed: int) -> pd.Series:
    """True for the report half, False for the choice half: a seeded random half of the distinct keys."""
    distinct = np.sort(keys.dropna().unique())
    report = np.random.default_rng(seed).permutation(len(distinct)) < len(distinct) // 2
    return keys.map(pd.Series(report, index=distinct)).fillna(False).astype(bool)


# ---------------------------------------------------------------------------------------------- growth


def yearly_windows(history: pd.DataFrame, n_windows: int, min_points: int) -> pd.DataFrame:
    """Each account's history cut into one-year windows ending 0, 1, ... years before the last date,
    re-dated to end at that date; `account_id` becomes `<account>~<k>`, `source_account` keeps the
    account. Windows with fewer than `min_points` snapshots are dropped."""
    as_of = history["date"].max()
    parts = []
    for k in range(n_windows):
        shift = pd.Timedelta(days=365 * k)
        end = as_of - shift
        inside = (history["date"] > end - pd.Timedelta(days=365)) & (history["date"] <= end)
        part = history.loc[inside]
        parts.append(part.assign(source_account=part["account_id"], account_id=part["account_id"] + f"~{k}",
                                 date=part["date"] + shift))
    windows = pd.concat(parts, ignore_index=True)
    size = windows.groupby("account_id")["date"].transform("size")
    return windows.loc[size >= min_points].reset_index(drop=True)


def purchase_plan(spans: pd.DataFrame, steps: Sequence[float], seed: int) -> pd.DataFrame:
    """One planted copy per (series, step, purge): its purchase day and, with a purge, how much of the
    purchase goes and when. `spans` (index: series) holds each series' `first` and `last` snapshot date;
    the day falls at least 90 days after the first and 28 before the last (a window whose account's
    history stops early would otherwise get purchases after its end, which plant nothing)."""
    rng = np.random.default_rng(seed)
    grid = pd.MultiIndex.from_product([spans.index, list(steps), [False, True]],
                                      names=["series", "step", "purge"])
    plan = grid.to_frame(index=False)
    n = len(plan)
    earliest = plan["series"].map(spans["first"]).dt.normalize() + pd.Timedelta(days=90)
    room = ((plan["series"].map(spans["last"]).dt.normalize() - pd.Timedelta(days=28) - earliest).dt.days
            .clip(lower=0).to_numpy())
    plan["day"] = earliest + pd.to_timedelta(np.floor(rng.random(n) * (room + 1)), unit="D")
    plan["purge_start"] = plan["day"] + pd.to_timedelta(rng.integers(7, 36, n), unit="D")
    plan["purge_days"] = rng.integers(14, 61, n).astype(float)
    plan["purge_share"] = np.where(plan["purge"], rng.uniform(0.3, 0.8, n), 0.0)
    plan["account_id"] = (plan["series"] + "|" + (plan["step"] * 100).round().astype(int).astype(str) + "%"
                          + np.where(plan["purge"], "+purge", ""))
    return plan


def plant_purchases(windows: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """Planted copies of the windows: from its day on, each copy carries `step` x its level before that
    day in bought followers, minus the purged part (linear over `purge_days` from `purge_start`)."""
    rows = plan.merge(windows, left_on="series", right_on="account_id", suffixes=("", "_window"))
    rows = rows.sort_values(["account_id", "date"], kind="stable")
    before = rows.loc[rows["date"] < rows["day"]].groupby("account_id")["follower_count"].last()
    bought = rows["step"] * rows["account_id"].map(before)
    progress = ((rows["date"] - rows["purge_start"]).dt.days / rows["purge_days"]).clip(0.0, 1.0)
    added = bought * (rows["date"] >= rows["day"]) * (1.0 - rows["purge_share"] * progress)
    out = rows.assign(follower_count=(rows["follower_count"] + added.fillna(0.0)).round())
    return out[["account_id", "date", "follower_count", "following_count", "source_account", "step", "purge"]]


def growth_scores(windows: pd.DataFrame, steps: Sequence[float], seed: int) -> pd.DataFrame:
    """Growth features of every untouched window and its planted copies, with `step` (0 untouched),
    `purge` and `source_account` beside them."""
    as_of = windows["date"].max()
    spans = windows.groupby("account_id")["date"].agg(first="min", last="max")
    planted = plant_purchases(windows, purchase_plan(spans, steps, seed))
    untouched = windows.assign(step=0.0, purge=False)
    history = pd.concat([untouched, planted], ignore_index=True)
    features = growth_features(history, None, as_of, GrowthSettings())
    meta = history.drop_duplicates("account_id").set_index("account_id")[["source_account", "step", "purge"]]
    return features.join(meta)


def _auc(negative: pd.Series, positive: pd.Series) -> float:
    y = np.r_[np.zeros(len(negative)), np.ones(len(positive))]
    return float(roc_auc_score(y, np.r_[negative.to_numpy(float), positive.to_numpy(float)]))


def detector_aucs(score: pd.Series, meta: pd.DataFrame) -> pd.Series:
    """AUC of `score` per (step, purge) of `meta`: each planted group against the untouched windows."""
    untouched = score[meta["step"] == 0.0]
    planted = meta["step"] > 0.0
    return score[planted].groupby([meta.loc[planted, "step"], meta.loc[planted, "purge"]]).apply(
        lambda group: _auc(untouched, group))


def _large_steps(values: pd.Series) -> pd.Series:
    return values[values.index.get_level_values(0) >= TARGET_STEP - 1e-9]


def single_feature_detector(choice: pd.DataFrame) -> tuple[str, float]:
    """The candidate feature with the highest minimum AUC over steps of at least TARGET_STEP on the choice
    half, and its direction."""
    minima = {name: _large_steps(detector_aucs(sign * choice[name].fillna(-np.inf * sign), choice)).min()
              for name, sign in GROWTH_CANDIDATES.items()}
    best = max(minima, key=minima.get)
    return best, GROWTH_CANDIDATES[best]


def _growth_model(seed: int) -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(n_estimators=300, learning_rate=0.03, num_leaves=15, min_child_samples=20,
                              subsample=0.8, subsample_freq=1, random_state=seed, n_jobs=1, verbose=-1)


def family_detector(choice: pd.DataFrame, shown: pd.DataFrame, seed: int, folds: int = 5
                    ) -> tuple[pd.Series, pd.Series]:
    """A LightGBM over every growth feature, planted vs untouched, fitted on the choice half: its scores
    on the choice half out of fold (grouped by account, for the flag) and on the report half."""
    names = [spec.name for spec in GROWTH_FEATURES if choice[spec.name].notna().any()]
    y = (choice["step"] > 0).astype(int)
    oof = pd.Series(np.nan, index=choice.index)
    splitter = GroupKFold(n_splits=folds)
    for train, test in splitter.split(choice, y, groups=choice["source_account"]):
        model = _growth_model(seed).fit(choice[names].iloc[train], y.iloc[train])
        oof.iloc[test] = model.predict_proba(choice[names].iloc[test])[:, 1]
    model = _growth_model(seed).fit(choice[names], y)
    return oof, pd.Series(model.predict_proba(shown[names])[:, 1], index=shown.index)


def detector_rows(name: str, choice_score: pd.Series, choice: pd.DataFrame, score: pd.Series,
                  shown: pd.DataFrame, protocol: str) -> list[dict[str, object]]:
    """AUC and recall at the flag per (step, purge), the minimum AUC over large steps and the share of
    untouched windows flagged, on the report half; the flag is FLAG_QUANTILE of the choice half's
    untouched windows."""
    cut = float(np.quantile(choice_score[choice["step"] == 0.0], FLAG_QUANTILE))
    protocol = f"{protocol}; flag: score >= {cut:.4g}"
    aucs = detector_aucs(score, shown)
    label = {key: f"{name}, step {key[0]:.0%}{' + purge' if key[1] else ''}" for key in aucs.index}
    flagged = score >= cut
    planted = shown["step"] > 0.0
    recall = flagged[planted].groupby([shown.loc[planted, "step"], shown.loc[planted, "purge"]]).mean()
    return ([row(GROWTH_DATASET, label[key], "roc_auc", auc, protocol) for key, auc in aucs.items()]
            + [row(GROWTH_DATASET, label[key], "recall_at_flag", value, protocol)
               for key, value in recall.items()]
            + [row(GROWTH_DATASET, f"{name}, steps >= {TARGET_STEP:.0%}", "min_roc_auc",
                   float(_large_steps(aucs).min()), protocol),
               row(GROWTH_DATASET, f"{name}, untouched real series", "flagged_share",
                   float(flagged[~planted].mean()), protocol)])


def growth_rows(history: pd.DataFrame, plan: GrowthPlan, seed: int) -> list[dict[str, object]]:
    """Rows of both detectors (the best single growth feature, a LightGBM over the family), report half."""
    windows = yearly_windows(history, plan.windows, plan.min_points)
    scores = growth_scores(windows, plan.steps, seed)
    report = halves(scores["source_account"], seed)
    choice, shown = scores.loc[~report], scores.loc[report]
    protocol = (f"{int((shown['step'] == 0).sum())} untouched one-year windows of "
                f"{shown['source_account'].nunique()} report-half accounts vs one planted copy of each per "
                f"step and purge; detector and flag chosen on the {choice['source_account'].nunique()} other "
                "accounts")
    feature, sign = single_feature_detector(choice)
    choice_oof, shown_family = family_detector(choice, shown, seed)
    single = "best single growth feature"
    return (detector_rows(single, sign * choice[feature].fillna(-np.inf * sign), choice,
                          sign * shown[feature].fillna(-np.inf * sign), shown,
                          f"{protocol}; the feature: {feature} ({'higher' if sign > 0 else 'lower'} is "
                          "suspicious)")
            + detector_rows("growth features, LightGBM", choice_oof, choice, shown_family, shown, protocol))


# ---------------------------------------------------------------------------------------------- comments

_GENERIC = np.array([
    "nice pic", "love this", "amazing", "great post", "wow", "so cool", "beautiful", "awesome shot",
    "nice", "great content", "love it", "looks great", "super", "perfect", "cool pic", "nice one",
    "good vibes", "keep it up", "well done", "great", "so nice", "lovely", "fantastic", "stunning",
], dtype=object)
_SUFFIXES = np.array(["", "", "!", "!!", " 😍", " 🔥", " 👍", " ❤️", " 👏👏", " 💯"], dtype=object)
_EMOJI = np.array(["😍", "🔥", "❤️", "👏", "💯", "😍😍", "🔥🔥🔥", "❤️❤️", "👏👏👏", "🙌", "😂", "💕",
                   "👍", "✨✨", "😘", "💪🔥", "😍🔥", "❤️🙌"], dtype=object)
_PROMO = np.array([
    "check my page @{h} for more", "DM @{h} for a collab", "follow @{h} for daily content",
    "want more followers? visit @{h}", "send this to @{h} to get featured", "we love your feed! DM us @{h}",
    "great pic, check out @{h} for cheap promo", "earn from home, ask @{h} how",
    "get 1k followers now at {h}.shop", "promote your page with @{h}",
], dtype=object)


def comment_population(posts: pd.DataFrame, comments: pd.DataFrame, min_comments: int
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Posts with at least `min_comments` timed comments with text, and those comments."""
    comments = comments.loc[comments["text"].notna() & comments["created_at"].notna()
                            & comments["post_id"].isin(posts["post_id"])]
    counts = comments.groupby("post_id").size()
    keep = counts.index[counts >= min_comments]
    posts = posts.loc[posts["post_id"].isin(keep) & posts["posted_at"].notna()].drop_duplicates("post_id")
    comments = comments.loc[comments["post_id"].isin(posts["post_id"])]
    return posts.reset_index(drop=True), comments.reset_index(drop=True)


def comment_plan(post_ids: pd.Series, shares: Sequence[float], copies: int, rng: np.random.Generator
                 ) -> pd.DataFrame:
    """`copies` planted versions per post: a share, a bot kind and a timing each; `copy_id` names the
    version (the post id with a suffix)."""
    plan = pd.DataFrame({"post_id": np.repeat(post_ids.to_numpy(), copies),
                         "copy": np.tile(np.arange(copies), len(post_ids))})
    n = len(plan)
    plan["share"] = rng.choice(np.asarray(shares, dtype=float), n)
    plan["kind"] = rng.choice(np.asarray(BOT_KINDS, dtype=object), n)
    plan["timing"] = rng.choice(np.asarray(TIMINGS, dtype=object), n)
    plan["copy_id"] = plan["post_id"] + "#" + plan["copy"].astype(str)
    return plan


def _bot_texts(kinds: np.ndarray, post_codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A text per bot comment of the given kind; `duplicated` repeats one text per post."""
    n = len(kinds)
    mixed = kinds == "mixed"
    kinds = np.where(mixed, rng.choice(np.asarray(BOT_KINDS[:4], dtype=object), n), kinds)
    generic = (pd.Series(rng.choice(_GENERIC, n), dtype="str")
               + pd.Series(rng.choice(_SUFFIXES, n), dtype="str"))
    handles = "grow.fast" + pd.Series(rng.integers(0, 5_000, n).astype(str), dtype="str")
    pieces = pd.Series(rng.choice(_PROMO, n), dtype="str").str.split("{h}", n=1, regex=False)
    promo = pieces.str[0] + handles + pieces.str[1].fillna("")
    per_post = rng.choice(_GENERIC, int(post_codes.max()) + 1 if n else 0)
    duplicated = per_post[post_codes] + "!!"
    return np.select([kinds == "generic", kinds == "emoji", kinds == "duplicated"],
                     [generic.to_numpy(object), rng.choice(_EMOJI, n), duplicated],
                     default=promo.to_numpy(object))


def plant_comments(posts: pd.DataFrame, comments: pd.DataFrame, plan: pd.DataFrame, rng: np.random.Generator
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Posts and comments of every planted version: round(share x n_real) bot comments in place of as many
    random real ones, so a version holds as many comments as the real post; comments carry `planted`
    (bool). Replacing, not adding: a crawl returns a page of comments (most kim2020 posts hold exactly 24),
    bots included, so a count above the page would give the planted share away."""
    real = comments.merge(plan[["post_id", "copy_id"]], on="post_id")
    n_real = comments.groupby("post_id").size()
    n_bots = np.round(plan["share"] * plan["post_id"].map(n_real)).astype(int)
    order = pd.Series(rng.random(len(real)), index=real.index).groupby(real["copy_id"]).rank(method="first")
    real = real.loc[order.to_numpy() > real["copy_id"].map(n_bots.set_axis(plan["copy_id"])).to_numpy()]
    owner = np.repeat(np.arange(len(plan)), n_bots.to_numpy())
    posted = plan["post_id"].map(posts.set_index("post_id")["posted_at"]).to_numpy()[owner]
    delays = _bot_delays(comments, posts, plan, owner, rng)
    bots = pd.DataFrame({
        "comment_id": "planted_" + pd.Series(np.arange(len(owner)).astype(str), dtype="str"),
        "post_id": plan["copy_id"].to_numpy()[owner],
        "commenter_id": "planted_bot_" + pd.Series(rng.integers(0, 20_000, len(owner)).astype(str),
                                                   dtype="str"),
        "created_at": pd.Series(pd.to_datetime(posted, utc=True)) + pd.to_timedelta(delays, unit="s"),
        "text": _bot_texts(plan["kind"].to_numpy()[owner], owner, rng),
        "planted": True})
    real = real.assign(post_id=real["copy_id"], planted=False).drop(columns="copy_id")
    planted_posts = plan[["post_id", "copy_id"]].merge(posts, on="post_id")
    copy_id = planted_posts["copy_id"]
    planted_posts = planted_posts.assign(post_id=copy_id, account_id=copy_id)
    return planted_posts.drop(columns="copy_id"), pd.concat([real, bots], ignore_index=True)


def _bot_delays(comments: pd.DataFrame, posts: pd.DataFrame, plan: pd.DataFrame, owner: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """Seconds after posting: a burst (exponential, mean 10 minutes) or a real delay of the same post."""
    posted = comments["post_id"].map(posts.set_index("post_id")["posted_at"])
    real_delay = (comments["created_at"] - posted).dt.total_seconds().to_numpy()
    order = np.argsort(comments["post_id"].to_numpy(), kind="stable")
    ids, start, count = np.unique(comments["post_id"].to_numpy()[order], return_index=True,
                                  return_counts=True)
    where = np.searchsorted(ids, plan["post_id"].to_numpy()[owner])
    pick = order[start[where] + np.floor(rng.random(len(owner)) * count[where]).astype(int)]
    own = np.maximum(real_delay[pick] + rng.normal(0.0, 60.0, len(owner)), 1.0)
    burst = rng.exponential(600.0, len(owner))
    return np.where(plan["timing"].to_numpy()[owner] == "burst", burst, own)


def post_comment_features(posts: pd.DataFrame, comments: pd.DataFrame,
                          scorer: Callable[[pd.Series], np.ndarray]) -> pd.DataFrame:
    """The comment features of each planted version, one version per row (it is its own account)."""
    return comment_pattern_features(posts, comments.drop(columns="planted"), scorer, CommentFeatureSettings())


def distinct_text_scorer(scorer: Callable[[pd.Series], np.ndarray]) -> Callable[[pd.Series], np.ndarray]:
    """`scorer` run once per distinct text: the planted versions of a post share its real comments."""
    def score(texts: pd.Series) -> np.ndarray:
        codes, distinct = pd.factorize(texts.astype("str"))
        return np.asarray(scorer(pd.Series(distinct)), dtype=float)[codes]
    return score


SIGNALS: tuple[str, ...] = ("spam_prob", "log_delay", "delay_rank", "post_median_log_delay",
                            "neighbours_10min", "n_chars", "n_words", "n_alnum", "emoji_only", "generic",
                            "mention", "hashtag", "repeats_on_post")
DETECTOR_FLAG = 0.5
DETECTOR_CUTS: tuple[float, ...] = (0.2, 0.5, 0.9)
AGGREGATES: tuple[str, ...] = ("detector_mean", *(f"detector_share_{cut}" for cut in DETECTOR_CUTS))


def comment_signals(posts: pd.DataFrame, comments: pd.DataFrame, scorer: Callable[[pd.Series], np.ndarray]
                    ) -> pd.DataFrame:
    """What the per-comment bot detector reads, one row per comment (its version in `version`, `planted`
    beside): the product's spam probability; the delay after posting (log, its rank on the post, the
    post's median, comments within 10 minutes of it); the text's shape, read in lower case (the bot texts
    are lower case and most real ones are not, which would tell them apart for the wrong reason); and how
    often the same text recurs on the post."""
    comments = comments.reset_index(drop=True)
    posted = comments["post_id"].map(posts.set_index("post_id")["posted_at"])
    delay = (comments["created_at"] - posted).dt.total_seconds().clip(lower=0.0).to_numpy()
    version = pd.factorize(comments["post_id"])[0]
    key = version * 1e10 + delay
    order = np.argsort(key, kind="stable")
    near = np.empty(len(key))
    near[order] = (np.searchsorted(key[order], key[order] + 600.0, "right")
                   - np.searchsorted(key[order], key[order] - 600.0, "left") - 1)
    text = comments["text"].astype("str").str.lower()
    words = text.str.findall(r"[^\W\d_]+").explode()
    n_words = words.notna().groupby(level=0).sum().to_numpy()
    lexicon = set(CommentFeatureSettings().generic_words) | set(CommentFeatureSettings().stopwords)
    n_alnum = text.str.count(r"[^\W_]").to_numpy()
    log_delay = pd.Series(np.log1p(delay))
    signals = pd.DataFrame({
        "spam_prob": scorer(comments["text"]), "log_delay": log_delay,
        "delay_rank": log_delay.groupby(version).rank(pct=True),
        "post_median_log_delay": log_delay.groupby(version).transform("median"), "neighbours_10min": near,
        "n_chars": text.str.len(), "n_words": n_words, "n_alnum": n_alnum, "emoji_only": n_alnum == 0,
        "generic": (n_words > 0) & words.isin(lexicon).groupby(level=0).all().to_numpy(),
        "mention": text.str.contains("@", regex=False), "hashtag": text.str.contains("#", regex=False),
        "repeats_on_post": text.groupby([version, text.to_numpy()]).transform("size") - 1,
    }).astype(float)
    return signals.assign(version=comments["post_id"].to_numpy(), planted=comments["planted"].to_numpy())


def _comment_detector(seed: int) -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(n_estimators=300, learning_rate=0.05, num_leaves=31, min_child_samples=50,
                              subsample=0.8, subsample_freq=1, random_state=seed, n_jobs=1, verbose=-1)


def detector_aggregates(signals: pd.DataFrame, probability: np.ndarray) -> pd.DataFrame:
    """Per version: the detector's mean probability and the shares of its comments at each DETECTOR_CUTS."""
    frame = pd.DataFrame(np.column_stack([probability, *(probability >= cut for cut in DETECTOR_CUTS)]),
                         columns=list(AGGREGATES))
    return frame.groupby(signals["version"].to_numpy()).mean()


def rogan_gladen(raw: pd.Series, false_rate: float, true_rate: float) -> pd.Series:
    """The share of bots behind a raw flagged share, given the flag rates of real and bot comments."""
    if true_rate - false_rate <= 0:
        return pd.Series(np.nan, index=raw.index)
    return ((raw - false_rate) / (true_rate - false_rate)).clip(0.0, 1.0)


def _flag_rates(flagged: np.ndarray, planted: np.ndarray) -> tuple[float, float]:
    """(share of real comments flagged, share of planted comments flagged)."""
    return float(flagged[~planted].mean()), float(flagged[planted].mean())


def share_regression(features: pd.DataFrame, shares: pd.Series, seed: int,
                     columns: Sequence[str] = FEATURE_NAMES) -> lgb.LGBMRegressor:
    """Absolute-error loss: the headline is a tolerance band around the planted share, and the median of
    the shares a post's features allow hits it more often than their mean (on the choice half, 0.58 vs
    0.49 of posts within it, out of fold)."""
    model = lgb.LGBMRegressor(objective="l1", n_estimators=300, learning_rate=0.03, num_leaves=15,
                              min_child_samples=20, subsample=0.8, subsample_freq=1, random_state=seed, n_jobs=1,
                              verbose=-1)
    return model.fit(features[list(columns)], shares)


STACKED: tuple[str, ...] = (*FEATURE_NAMES, *AGGREGATES)


def _regressed(model: lgb.LGBMRegressor, frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    return pd.Series(model.predict(frame[list(columns)]), index=frame.index).clip(0.0, 1.0)


class ShareEstimators:
    """The four bot-share estimators, fitted on planted versions of the choice posts (see the module
    docstring); `predict` applies them to other versions."""

    def __init__(self, choice: pd.DataFrame, signals: pd.DataFrame, seed: int) -> None:
        planted = signals["planted"].to_numpy(dtype=bool)
        threshold = CommentFeatureSettings().spam_threshold
        self.spam_rates = _flag_rates(signals["spam_prob"].to_numpy() >= threshold, planted)
        fold = signals["version"].map(halves(choice["source_account"], seed + 1)).to_numpy(dtype=bool)
        x = signals[list(SIGNALS)]
        self.detectors = [_comment_detector(seed).fit(x[fold != side], planted[fold != side])
                          for side in (False, True)]
        held_out = np.empty(len(x))
        for side, detector in zip((False, True), self.detectors, strict=True):
            held_out[fold == side] = detector.predict_proba(x[fold == side])[:, 1]
        self.detector_rates = _flag_rates(held_out >= DETECTOR_FLAG, planted)
        stacked = choice.join(detector_aggregates(signals, held_out))
        self.regression = share_regression(choice, choice["true_share"], seed)
        self.stacked = share_regression(stacked, choice["true_share"], seed, STACKED)

    def predict(self, versions: pd.DataFrame, signals: pd.DataFrame) -> dict[str, pd.Series]:
        x = signals[list(SIGNALS)]
        probability = np.mean([d.predict_proba(x)[:, 1] for d in self.detectors], axis=0)
        aggregates = versions.join(detector_aggregates(signals, probability))
        return {
            "spam_share, adjusted": rogan_gladen(versions["spam_share"], *self.spam_rates),
            "comment features, regression": _regressed(self.regression, versions, FEATURE_NAMES),
            "comment detector, adjusted count": rogan_gladen(
                aggregates[f"detector_share_{DETECTOR_FLAG}"], *self.detector_rates),
            "comment features + detector, regression": _regressed(self.stacked, aggregates, STACKED),
        }


def _planted_versions(posts: pd.DataFrame, comments: pd.DataFrame, post_ids: pd.Series,
                      shares: Sequence[float], copies: int, rng: np.random.Generator,
                      scorer: Callable[[pd.Series], np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(plan with features joined on copy_id, comment signals) for `copies` versions of the given posts."""
    versions = comment_plan(post_ids, shares, copies, rng)
    planted_posts, planted_comments = plant_comments(posts, comments, versions, rng)
    features = post_comment_features(planted_posts, planted_comments, scorer)
    truth = planted_comments.groupby("post_id")["planted"].mean().rename("true_share")
    source = versions["post_id"].map(posts.drop_duplicates("post_id").set_index("post_id")["account_id"])
    table = versions.assign(source_account=source).set_index("copy_id").join(features).join(truth)
    return table, comment_signals(planted_posts, planted_comments, scorer)


def _within(estimate: pd.Series, truth: pd.Series) -> pd.Series:
    return (estimate - truth).abs() <= WITHIN + 1e-9


def estimate_rows(name: str, estimate: pd.Series, shown: pd.DataFrame, protocol: str
                  ) -> list[dict[str, object]]:
    """One estimator on the report versions: the share within +-WITHIN over all posts, untouched posts, per
    bot kind (and the worst kind), by page size, and the mean absolute error."""
    task, truth = f"bot share per post, {name}", shown["true_share"]
    within = _within(estimate, truth)
    metric = f"share_within_{WITHIN}"
    per_kind = within[shown["share"] > 0.0].groupby(shown["kind"]).mean()
    one_page = shown["n_comments_observed"] <= 24
    return ([row(COMMENT_DATASET, task, metric, float(within.mean()), protocol),
             row(COMMENT_DATASET, task, "mean_abs_error", float((estimate - truth).abs().mean()), protocol),
             row(COMMENT_DATASET, f"{task}, untouched posts", metric,
                 float(within[shown["share"] == 0.0].mean()), protocol)]
            + [row(COMMENT_DATASET, f"{task}, {kind} bots", metric, float(value), protocol)
               for kind, value in per_kind.items()]
            + [row(COMMENT_DATASET, f"{task}, worst bot kind", f"min_{metric}", float(per_kind.min()),
                   protocol),
               row(COMMENT_DATASET, f"{task}, posts of at most 24 comments", metric,
                   float(within[one_page].mean()), protocol),
               row(COMMENT_DATASET, f"{task}, posts of more than 24 comments", metric,
                   float(within[~one_page].mean()), protocol)])


def recovery_rows(name: str, estimate: pd.Series, untouched: pd.Series, shown: pd.DataFrame, protocol: str
                  ) -> list[dict[str, object]]:
    """Beside the absolute rows: the estimate on a post's real, untouched comments (real comments hold
    spam too, so it need not be 0), and estimate(planted) - estimate(untouched) against the planted share."""
    task = f"bot share per post, {name}"
    background = untouched.reindex(shown["post_id"]).set_axis(shown.index)
    recovered = _within(estimate - background, shown["true_share"])
    return [row(COMMENT_DATASET, f"{task}, the untouched real posts", "mean_estimate",
                float(untouched.mean()), protocol),
            row(COMMENT_DATASET, f"{task}, recovery over the same post's untouched version",
                f"recovery_within_{WITHIN}", float(recovered.mean()), protocol)]


def comment_rows(posts: pd.DataFrame, comments: pd.DataFrame, scorer: Callable[[pd.Series], np.ndarray],
                 plan: CommentPlan, seed: int) -> list[dict[str, object]]:
    """Share of report posts whose estimated bot share is within +-WITHIN of the planted share (all posts,
    untouched posts, per kind, by page size), the mean absolute error and the recovery over the untouched
    version, for each estimator; then the fitted estimators with one bot kind left out of the fit."""
    scorer = distinct_text_scorer(scorer)
    posts, comments = comment_population(posts, comments, plan.min_comments)
    report = halves(posts["account_id"], seed)
    rng = np.random.default_rng(seed)
    choice_ids, report_ids = posts.loc[~report, "post_id"], posts.loc[report, "post_id"]
    choice, choice_signals = _planted_versions(posts, comments, choice_ids, plan.shares, plan.choice_copies,
                                               rng, scorer)
    shown, shown_signals = _planted_versions(posts, comments, report_ids, plan.shares, 1, rng, scorer)
    real, real_signals = _planted_versions(posts, comments, report_ids, (0.0,), 1, rng, scorer)
    estimators = ShareEstimators(choice, choice_signals, seed)
    estimates = estimators.predict(shown, shown_signals)
    background = {name: value.set_axis(real["post_id"].to_numpy())
                  for name, value in estimators.predict(real, real_signals).items()}
    protocol = (f"{len(shown)} report-half posts of {posts.loc[report, 'account_id'].nunique()} accounts, "
                f"each >= {plan.min_comments} real comments, one planted version each (shares "
                f"{list(plan.shares)}); everything fitted on {plan.choice_copies} versions of "
                f"{int((~report).sum())} choice-half posts; there, the spam model flags "
                f"{estimators.spam_rates[0]:.3f} of real and {estimators.spam_rates[1]:.3f} of planted "
                "comments, "
                f"the comment detector (held out) {estimators.detector_rates[0]:.3f} and "
                f"{estimators.detector_rates[1]:.3f}")
    rows = [r for name, estimate in estimates.items()
            for r in estimate_rows(name, estimate, shown, protocol)
            + recovery_rows(name, estimate, background[name], shown, protocol)]
    return rows + unseen_kind_rows(choice, choice_signals, shown, shown_signals, seed, protocol)


def unseen_kind_rows(choice: pd.DataFrame, signals: pd.DataFrame, shown: pd.DataFrame,
                     shown_signals: pd.DataFrame, seed: int, protocol: str) -> list[dict[str, object]]:
    """The fitted estimators without one bot kind (nor the mixed posts, which hold it) anywhere in their fit,
    on the report posts planted with that kind: do they find bots they were not shown?"""
    rows = []
    for kind in BOT_KINDS[:4]:
        kept = ~choice["kind"].isin([kind, "mixed"])
        test = shown.loc[(shown["kind"] == kind) & (shown["share"] > 0.0)]
        kept_signals = signals.loc[signals["version"].map(kept).to_numpy()]
        estimators = ShareEstimators(choice.loc[kept], kept_signals, seed)
        test_signals = shown_signals.loc[shown_signals["version"].isin(test.index)]
        for name, estimate in estimators.predict(test, test_signals).items():
            if name == "spam_share, adjusted":
                continue
            rows.append(row(COMMENT_DATASET, f"bot share per post, {name}, {kind} bots unseen in the fit",
                            f"unseen_kind_share_within_{WITHIN}",
                            float(_within(estimate, test["true_share"]).mean()), protocol))
    return rows
