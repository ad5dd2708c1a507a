"""The assembler on a small synthetic world: as-of cuts, chunking, scorers, campaigns, config and docs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from authfit.config import load_settings
from authfit.features.asof import max_timestamp, restrict_to_as_of
from authfit.contract.validate import coerce_table

from authfit.features.build import (
    FeatureBuilder,
    FeatureSettings,
    feature_set_version,
    positions_in,
    side_by_side,
    split_by_accounts,
)
from authfit.features.docs import campaign_specs, current_features_md, influencer_specs

AS_OF = pd.Timestamp("2025-12-31", tz="UTC")
FAR_FUTURE = pd.Timestamp("2100-01-01", tz="UTC")
WORDS = {"fitness": "gym workout squat protein run", "food": "pasta recipe bake pizza dinner"}


def typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    return coerce_table(frame, table, now=FAR_FUTURE)[0]


def _accounts(n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": [f"inf_{i}" for i in range(n)],
            "username": [f"user{i}" for i in range(n)],
            "follower_count": rng.integers(2_000, 50_000, n),
            "following_count": rng.integers(100, 900, n),
            "media_count": 50,
            "has_profile_pic": 1,
            "category": ["fitness", "food"] * (n // 2),
            "country": ["CH", "DE"] * (n // 2),
        }
    )


def _history(accounts: pd.DataFrame) -> pd.DataFrame:
    dates = pd.date_range("2025-01-06", "2025-12-29", freq="7D")
    parts = [
        pd.DataFrame(
            {
                "account_id": a,
                "date": dates.strftime("%Y-%m-%d"),
                "follower_count": np.linspace(0.8 * f, f, len(dates)).round(),
                "following_count": 300,
            }
        )
        for a, f in zip(accounts["account_id"], accounts["follower_count"], strict=True)
    ]
    return pd.concat(parts, ignore_index=True)


def _posts(accounts: pd.DataFrame, per_account: int, rng: np.random.Generator) -> pd.DataFrame:
    n = len(accounts) * per_account
    owner = np.repeat(accounts["account_id"].to_numpy(), per_account)
    niche = np.repeat(accounts["category"].to_numpy(), per_account)
    times = pd.Timestamp("2025-09-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 110, n), unit="D")
    return pd.DataFrame(
        {
            "post_id": [f"post_{i}" for i in range(n)],
            "account_id": owner,
            "posted_at": times.astype(str),
            "caption": [WORDS[c] + f" #{c}" for c in niche],
            "like_count": rng.integers(50, 900, n),
            "comment_count": 4,
            "is_sponsored": (rng.uniform(size=n) < 0.2).astype(int),
        }
    )


def _comments(posts: pd.DataFrame, per_post: int, rng: np.random.Generator) -> pd.DataFrame:
    n = len(posts) * per_post
    post_time = pd.to_datetime(np.repeat(posts["posted_at"].to_numpy(), per_post), utc=True)
    texts = np.array(["nice pic 🔥", "love this recipe", "great workout today", "check my page", "wow"])
    return pd.DataFrame(
        {
            "comment_id": [f"c_{i}" for i in range(n)],
            "post_id": np.repeat(posts["post_id"].to_numpy(), per_post),
            "commenter_id": [f"u_{j}" for j in rng.integers(0, 40, n)],
            "created_at": (post_time + pd.to_timedelta(rng.uniform(1, 3000, n), unit="min")).astype(str),
            "text": texts[rng.integers(0, len(texts), n)],
        }
    )


def _audience(accounts: pd.DataFrame, per_account: int, rng: np.random.Generator) -> pd.DataFrame:
    n = len(accounts) * per_account
    return pd.DataFrame(
        {
            "influencer_id": np.repeat(accounts["account_id"].to_numpy(), per_account),
            "follower_id": [f"f_{i}" for i in range(n)],
            "has_profile_pic": rng.integers(0, 2, n),
            "following_count": rng.integers(10, 3000, n),
            "username": [f"fan{i}" for i in range(n)],
        }
    )


def make_world(n_accounts: int = 6, seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    accounts = _accounts(n_accounts, rng)
    posts = _posts(accounts, 8, rng)
    campaigns = pd.DataFrame(
        {
            "campaign_id": ["camp_fit", "camp_food"],
            "brand": ["b1", "b2"],
            "category": ["fitness", "food"],
            "brief": [WORDS["fitness"], WORDS["food"]],
            "target_country": ["CH", "DE"],
            "start_date": ["2025-11-15", "2025-12-01"],
        }
    )
    outcomes = pd.DataFrame(
        {
            "campaign_id": ["camp_fit", "camp_fit", "camp_food"],
            "account_id": ["inf_0", "inf_1", "inf_1"],
            "conversions": [3, 1, 0],
        }
    )
    raw = {
        "accounts": accounts,
        "follower_history": _history(accounts),
        "posts": posts,
        "comments": _comments(posts, 4, rng),
        "audience": _audience(accounts, 20, rng),
        "campaigns": campaigns,
        "outcomes": outcomes,
    }
    return {name: typed(frame, name) for name, frame in raw.items()}


def small_settings(**changes: object) -> FeatureSettings:
    base = FeatureSettings(as_of=AS_OF.to_pydatetime())
    topics = base.topics.model_copy(update={"n_topics": 2, "max_features": 200})
    return base.model_copy(update={"topics": topics, **changes})


def spam_scorer(texts: pd.Series) -> np.ndarray:
    return texts.str.contains("check my page", regex=False).to_numpy(dtype=np.float64, na_value=0.0)


def fake_scorer(profiles: pd.DataFrame) -> np.ndarray:
    return np.where(profiles["has_profile_pic"].to_numpy() == 0, 0.9, 0.1)


@pytest.fixture(scope="module")
def world() -> dict[str, pd.DataFrame]:
    return make_world()


@pytest.fixture(scope="module")
def fitted(world: dict[str, pd.DataFrame]) -> FeatureBuilder:
    return FeatureBuilder(small_settings(), comment_scorer=spam_scorer, account_scorer=fake_scorer).fit(world)


def test_restrict_to_as_of_drops_later_activity_and_comments_on_later_posts(world: dict) -> None:
    cut = pd.Timestamp("2025-10-15", tz="UTC")
    before = {k: v.copy(deep=True) for k, v in world.items()}
    known = restrict_to_as_of(world, cut)
    assert (known["posts"]["posted_at"] <= cut).all() and len(known["posts"]) < len(world["posts"])
    assert (known["follower_history"]["date"] <= cut).all()
    assert (known["comments"]["created_at"] <= cut).all()
    assert known["comments"]["post_id"].isin(known["posts"]["post_id"]).all()
    assert known["accounts"] is world["accounts"] and known["audience"] is world["audience"]
    for name, frame in world.items():
        pd.testing.assert_frame_equal(frame, before[name])
    assert max_timestamp(known) <= cut < max_timestamp(world)


def test_as_of_cut_is_exact_in_the_columns_own_unit_and_keeps_unknown_times() -> None:
    times = pd.Series(pd.to_datetime(["2025-01-01 00:00:00.000001", "2025-01-01 00:00:00.000002", None], utc=True)
                      .as_unit("us"))
    posts = pd.DataFrame({"post_id": ["a", "b", "c"], "posted_at": times})
    cut = pd.Timestamp("2025-01-01 00:00:00.000001999", tz="UTC")  # between the two, in nanoseconds
    known = restrict_to_as_of({"posts": posts}, cut)
    assert known["posts"]["post_id"].tolist() == ["a", "c"]
    assert restrict_to_as_of({"posts": posts}, times[1])["posts"] is posts  # all kept: the same frame


def test_side_by_side_aligns_families_on_the_ids_as_floats_without_infinities() -> None:
    ids = pd.Index(["a", "b", "c"], name="account_id")
    first = pd.DataFrame({"n": [1, 2, 3], "flag": [True, False, True]}, index=ids)
    second = pd.DataFrame({"rate": [np.inf, 0.5]}, index=pd.Index(["c", "a"]))
    out = side_by_side([first, second, pd.DataFrame(columns=["none"], dtype=float)], ids)
    expected = pd.DataFrame({"n": [1.0, 2.0, 3.0], "flag": [1.0, 0.0, 1.0], "rate": [0.5, np.nan, np.nan],
                             "none": np.nan}, index=ids)
    pd.testing.assert_frame_equal(out, expected)


def test_split_by_accounts_partitions_every_table(world: dict) -> None:
    groups = pd.Series(np.arange(6) % 3, index=world["accounts"]["account_id"].to_numpy())
    parts = list(split_by_accounts(world, groups))
    assert len(parts) == 3
    for name in ("accounts", "posts", "comments", "audience", "follower_history"):
        assert sum(len(p[name]) for p in parts) == len(world[name])
    for part in parts:
        owners = set(part["accounts"]["account_id"])
        assert set(part["posts"]["account_id"]) <= owners
        assert part["comments"]["post_id"].isin(part["posts"]["post_id"]).all()
        assert set(part["audience"]["influencer_id"]) <= owners


def test_positions_in_finds_keys_and_marks_absent_ones() -> None:
    keys = pd.Series(["b", "zz", None, "a", "b"], dtype="str")
    assert positions_in(keys, pd.Index(["a", "b"])).tolist() == [1, -1, -1, 0, 1]
    assert positions_in(pd.Series([3, 1]), pd.Index([1, 2])).tolist() == [-1, 0]


def test_transform_gives_one_float_row_per_account(fitted: FeatureBuilder, world: dict) -> None:
    out = fitted.transform(world)
    assert list(out.index) == list(world["accounts"]["account_id"]) and out.index.name == "account_id"
    assert list(out.columns) == fitted.feature_names_
    assert (out.dtypes == np.float64).all() and not np.isinf(out.to_numpy()).any()
    assert out["spam_share"].notna().all() and out["audience_fake_share"].notna().all()
    assert out["engagement_vs_benchmark"].notna().all() and out["follower_growth_30d"].notna().all()


def test_chunking_and_worker_processes_do_not_change_the_result(world: dict) -> None:
    whole = FeatureBuilder(small_settings(chunk_size=1000), spam_scorer, fake_scorer).fit(world)
    chunked = FeatureBuilder(small_settings(chunk_size=2), spam_scorer, fake_scorer).fit(world)
    forked = FeatureBuilder(small_settings(chunk_size=2, n_jobs=2), spam_scorer, fake_scorer).fit(world)
    pd.testing.assert_frame_equal(chunked.transform(world), forked.transform(world))
    pd.testing.assert_frame_equal(whole.transform(world), chunked.transform(world))


def test_activity_after_as_of_does_not_leak(fitted: FeatureBuilder, world: dict) -> None:
    later = make_world(seed=1)
    shifted = dict(world)
    future_posts = later["posts"].assign(
        post_id=lambda f: "late_" + f["post_id"],
        posted_at=lambda f: f["posted_at"] + pd.Timedelta(days=200),
        like_count=99_999.0,
    )
    future_comments = later["comments"].assign(
        comment_id=lambda f: "late_" + f["comment_id"],
        post_id=lambda f: "late_" + f["post_id"],
        created_at=lambda f: f["created_at"] + pd.Timedelta(days=200),
    )
    jump = world["follower_history"].assign(
        date=lambda f: f["date"] + pd.Timedelta(days=400), follower_count=lambda f: f["follower_count"] * 5
    )
    shifted["posts"] = pd.concat([world["posts"], future_posts])
    shifted["comments"] = pd.concat([world["comments"], future_comments])
    shifted["follower_history"] = pd.concat([world["follower_history"], jump])
    pd.testing.assert_frame_equal(fitted.transform(world), fitted.transform(shifted))


def test_without_scorers_their_columns_are_nan(world: dict) -> None:
    out = FeatureBuilder(small_settings()).fit_transform(world)
    assert out[["spam_prob_mean", "spam_share", "audience_fake_share"]].isna().all(axis=None)
    assert out["audience_sample_size"].eq(20).all()


def test_absent_tables_leave_their_families_nan(fitted: FeatureBuilder, world: dict) -> None:
    out = fitted.transform({"accounts": world["accounts"]})
    assert len(out) == len(world["accounts"]) and list(out.columns) == fitted.feature_names_
    assert out["log10_followers_as_of"].notna().all()  # from the profile
    for name in ("follower_growth_30d", "engagement_rate", "audience_sample_size", "comments_per_post"):
        assert out[name].isna().all()


def test_as_of_defaults_to_the_latest_time_in_the_data(world: dict) -> None:
    builder = FeatureBuilder(small_settings(as_of=None)).fit(world)
    assert builder.as_of_ == max_timestamp(world)


def test_feature_set_version_follows_names_and_settings(fitted: FeatureBuilder) -> None:
    names, settings = fitted.feature_names_, small_settings()
    assert fitted.feature_set_version_ == feature_set_version(names, settings)
    assert feature_set_version(names, small_settings(chunk_size=7)) == fitted.feature_set_version_
    spike = settings.growth.model_copy(update={"spike_z": 9.0})
    assert (
        feature_set_version(names, settings.model_copy(update={"growth": spike}))
        != fitted.feature_set_version_
    )
    assert feature_set_version(names[:-1], settings) != fitted.feature_set_version_


def test_campaign_features_for_outcome_pairs_and_all_pairs(fitted: FeatureBuilder, world: dict) -> None:
    pairs = fitted.campaign_features(world)
    assert list(pairs.index) == [("camp_fit", "inf_0"), ("camp_fit", "inf_1"), ("camp_food", "inf_1")]
    assert pairs.loc[("camp_fit", "inf_0"), "country_match"] == 1.0
    assert pairs.loc[("camp_fit", "inf_1"), "country_match"] == 0.0
    assert set(fitted.feature_names_) <= set(pairs.columns)
    assert {s.name for s in campaign_specs()} <= set(pairs.columns)
    every = fitted.campaign_features(world, all_pairs=True)
    assert len(every) == 2 * len(world["accounts"])


def test_campaign_features_are_as_of_the_campaign_start(fitted: FeatureBuilder, world: dict) -> None:
    start = pd.Timestamp("2025-11-15", tz="UTC")
    boosted = dict(world)
    late = world["posts"]["posted_at"] >= start
    boosted["posts"] = world["posts"].assign(like_count=world["posts"]["like_count"].where(~late, 50_000.0))
    a = fitted.campaign_features(world).loc[("camp_fit", "inf_0")]
    b = fitted.campaign_features(boosted).loc[("camp_fit", "inf_0")]
    pd.testing.assert_series_equal(a, b)
    assert (
        fitted.transform(boosted).loc["inf_0", "engagement_rate"]
        > fitted.transform(world).loc["inf_0", "engagement_rate"]
    )


def test_configs_features_yaml_mirrors_the_defaults(request: pytest.FixtureRequest) -> None:
    path = Path(request.config.rootpath) / "configs" / "features.yaml"
    assert load_settings(path, FeatureSettings) == FeatureSettings(), (
        "configs/features.yaml differs from the defaults: `python -m authfit.features.docs --config "
        "configs/features.yaml` rewrites it"
    )


def test_every_emitted_feature_is_documented_once(fitted: FeatureBuilder) -> None:
    names = [s.name for s in influencer_specs(n_topics=small_settings().topics.n_topics)]
    assert len(names) == len(set(names))
    assert fitted.feature_names_ == names
    every = [s.name for s in influencer_specs()] + [s.name for s in campaign_specs()]
    assert len(every) == len(set(every))


def test_features_md_is_up_to_date(request: pytest.FixtureRequest) -> None:
    path = Path(request.config.rootpath) / "data" / "FEATURES.md"
    assert path.read_text(encoding="utf-8") == current_features_md(), (
        "data/FEATURES.md is stale: run `python -m authfit.features.docs --out data/FEATURES.md`"
    )


@pytest.mark.realdata
def test_builder_runs_on_real_kim2020_posts() -> None:
    from authfit.datasets.kim2020 import KIM2020, read_kim2020_accounts, read_kim2020_posts
    from authfit.datasets.paths import DatasetMissingError, dataset_dir

    try:
        dataset_dir(KIM2020)
    except DatasetMissingError as exc:
        pytest.skip(str(exc))
    posts, comments = read_kim2020_posts(limit=400)
    accounts = read_kim2020_accounts()
    tables = {
        "accounts": accounts.loc[accounts["account_id"].isin(posts["account_id"])],
        "posts": posts,
        "comments": comments,
    }
    settings = FeatureSettings(topics=small_settings().topics, engagement={"window_days": 3650})
    out = FeatureBuilder(settings).fit_transform(tables)
    assert len(out) == tables["accounts"]["account_id"].nunique()
    rate = out["engagement_rate"].dropna()
    # Instagram influencers: typical (likes + comments) / followers per post lies between 0.1% and 20%.
    assert len(rate) > 0.8 * len(out) and 0.001 < rate.median() < 0.2
    assert out["comments_per_post"].median() > 0
    assert not np.isinf(out.to_numpy()).any()


def test_profile_scorer_gives_the_features_of_two_calls_from_one(world: dict) -> None:
    """One profile-features call for influencers and audience together (chunked or not) gives exactly what
    scoring the audience's profiles apart gives, and the audience scorer sees each follower's own row."""
    from authfit.features.account_profile import account_profile_features

    calls: list[int] = []

    def from_features(features: pd.DataFrame) -> np.ndarray:
        calls.append(len(features))
        # what fake_scorer says, from the features: no picture -> 0.9; plus a term that needs the right row
        return np.where(features["has_profile_pic"].to_numpy() == 0, 0.9, 0.1) + features["log_following"] / 1e3

    def from_profiles(profiles: pd.DataFrame) -> np.ndarray:
        return from_features(account_profile_features(profiles))

    for chunk_size in (1000, 2):
        apart = FeatureBuilder(small_settings(chunk_size=chunk_size), spam_scorer, from_profiles).fit(world)
        together = FeatureBuilder(small_settings(chunk_size=chunk_size), spam_scorer, from_profiles,
                                  account_profile_scorer=from_features).fit(world)
        calls.clear()
        result = together.transform(world)
        assert sum(calls) == len(world["audience"])  # the sample is scored once, from the shared call
        pd.testing.assert_frame_equal(apart.transform(world), result)
        assert result["audience_fake_share"].notna().any()
