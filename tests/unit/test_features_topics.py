"""Known-answer tests for the caption topic model, content features and brand fit."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from authfit.features.topics import (
    BRAND_FIT_FEATURES,
    FEATURES,
    ContentFeatureSettings,
    TopicModel,
    brand_fit,
    content_features,
    content_feature_specs,
)
from authfit.features.text_normalise import caption_tokens
from authfit.contract.validate import coerce_table

NOW = pd.Timestamp("2024-12-31", tz="UTC")
T0 = pd.Timestamp("2024-01-01", tz="UTC")

NICHES = {
    "fit": ["leg day squat gym #fitness", "gym workout protein #fitness #gym",
            "protein shake after gym workout",
            "deadlift squat session #gym", "morning run then gym #fitness"],
    "food": ["pasta recipe with tomato #food", "tomato soup recipe dinner #foodie",
             "dinner pasta cheese #food",
             "homemade pizza dough recipe #food", "cheese board dinner party #foodie"],
    "beauty": ["lipstick makeup tutorial #beauty", "skincare routine serum #beauty",
               "makeup lipstick review serum",
               "night skincare routine #skincare", "glowy makeup look #beauty"],
}


def _posts(rows: list[tuple[str, str, str | None, float, float | None]]) -> pd.DataFrame:
    """(account_id, caption, days after T0, is_sponsored) per post."""
    frame = pd.DataFrame([{"post_id": f"p{i}", "account_id": a, "caption": c,
                           "posted_at": T0 + pd.Timedelta(days=d), "is_sponsored": s}
                          for i, (a, c, d, s) in enumerate(rows)])
    return coerce_table(frame, "posts", now=NOW)[0]


def _niche_posts() -> pd.DataFrame:
    rows = [(niche, caption, 7.0 * i, 0.0)
            for niche, captions in NICHES.items() for i, caption in enumerate(captions)]
    return _posts(rows)


@pytest.fixture(scope="module")
def model() -> TopicModel:
    return TopicModel(n_topics=3, min_df=1).fit(_niche_posts()["caption"])


def test_topics_separate_niches_and_rows_sum_to_one_or_zero(model):
    posts = _niche_posts()
    mixtures = model.transform(posts["caption"])
    assert mixtures.shape == (15, 3)
    np.testing.assert_allclose(mixtures.sum(axis=1), 1.0)
    main = pd.Series(mixtures.argmax(axis=1)).groupby(posts["account_id"].to_numpy()).agg(set)
    assert all(len(topics) == 1 for topics in main)  # one topic per niche
    assert len(set.union(*main)) == 3  # and a different one for each niche
    empty = model.transform(pd.Series([None, "", "zzz qqq"], dtype="str"))
    np.testing.assert_array_equal(empty, np.zeros((3, 3)))


def test_hashtags_are_extra_tokens(model):
    vocabulary = set(model.vocabulary_)
    assert {"fitness", "#fitness", "gym", "#gym"} <= vocabulary
    assert "the" not in vocabulary  # English stop words dropped


def test_persist_as_plain_arrays(model):
    buffer = io.BytesIO()
    np.savez(buffer, **model.to_arrays())
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as stored:
        restored = TopicModel.from_arrays(dict(stored))
    captions = pd.Series(["gym and pasta", "serum review #beauty"], dtype="str")
    np.testing.assert_allclose(restored.transform(captions), model.transform(captions))


def test_follows_scikit_learn_conventions():
    fresh = TopicModel(n_topics=4, max_features=50, random_state=3)
    assert clone(fresh).get_params()["n_topics"] == 4
    assert not hasattr(fresh, "components_")
    with pytest.raises(NotFittedError):
        fresh.transform(pd.Series(["gym"], dtype="str"))
    assert fresh.fit(_niche_posts()["caption"]) is fresh


def test_content_topic_mixture_and_focus(model):
    niche = _niche_posts()
    mixed = _posts([("mixed", NICHES[n][i], float(k * 3 + i), 0.0)
                    for k, n in enumerate(NICHES) for i in range(3)])
    out = content_features(pd.concat([niche, mixed], ignore_index=True), model, NOW, ContentFeatureSettings())
    topics = out[["topic_0", "topic_1", "topic_2"]]
    np.testing.assert_allclose(topics.sum(axis=1), 1.0)
    assert (out.loc[list(NICHES), "top_topic_share"] > 0.95).all()
    assert (out.loc[list(NICHES), "topic_entropy"] < 0.2).all()
    assert out.loc["mixed", "topic_entropy"] > 0.9
    assert out.loc["mixed", "top_topic_share"] < 0.5


def test_cadence_regularity_and_as_of(model):
    rows = [("weekly", "gym", 7.0 * i, 0.0) for i in range(5)]
    rows += [("bursty", "gym", d, 0.0) for d in (0.0, 1.0, 2.0, 30.0)]
    rows += [("future", "gym", 400.0, 0.0)]  # after as_of: invisible
    as_of = T0 + pd.Timedelta(days=35)
    out = content_features(_posts(rows), model, as_of, ContentFeatureSettings())
    assert "future" not in out.index
    assert out.loc["weekly", "posts_per_week"] == pytest.approx(1.0)
    assert out.loc["weekly", "posting_gap_cv"] == pytest.approx(0.0)
    gaps = np.array([1.0, 1.0, 28.0])
    assert out.loc["bursty", "posting_gap_cv"] == pytest.approx(gaps.std() / gaps.mean())
    assert out.loc["bursty", "posts_per_week"] == pytest.approx(3 / (30 / 7))
    assert out.loc["weekly", "days_since_last_post"] == pytest.approx(7.0)
    recent = content_features(_posts(rows), model, as_of, ContentFeatureSettings(window_days=10))
    assert np.isnan(recent.loc["weekly", "posting_gap_cv"])  # one post in the window
    assert np.isnan(recent.loc["weekly", "posts_per_week"])


def test_sponsored_share_from_flag_tags_and_phrases(model):
    sponsored = ["new drop #ad", "Lecker! #Werbung", "Paid partnership with brandx", "thanks #sponsored!"]
    plain = ["#adventure time", "#adidas run", "read more about ads", "#ad_free morning"]
    rows = [("s", c, float(i), 0.0) for i, c in enumerate(sponsored)]
    rows += [("p", c, float(i), 0.0) for i, c in enumerate(plain)]
    rows += [("flag", "just a post", 0.0, 1.0), ("flag", "another", 1.0, None)]
    out = content_features(_posts(rows), model, NOW, ContentFeatureSettings())
    assert out.loc["s", "sponsored_share"] == 1.0
    assert out.loc["p", "sponsored_share"] == 0.0
    assert out.loc["flag", "sponsored_share"] == 0.5
    assert out.loc["s", "hashtags_per_post"] == pytest.approx(3 / 4)


def test_hashtags_are_counted_from_the_caption_tokens(model):
    rows = [("a", "#Gym and #gym day #a", 0.0, 0.0), ("a", "no tags, just #", 1.0, 0.0),
            ("b", "leg#day #fitness💪#gym", 0.0, 0.0)]
    out = content_features(_posts(rows), model, NOW, ContentFeatureSettings())
    assert out.loc["a", "hashtags_per_post"] == 1.0  # 2 + 0 over two posts: one-letter "#a" is not a tag
    assert out.loc["b", "hashtags_per_post"] == 3.0  # glued tags count, an emoji separates them


@pytest.mark.parametrize("window_days", [None, 10.0])
def test_shared_caption_tokens_give_the_same_features(model, window_days):
    """The builder tokenises captions once for the topic and comment families; handing those tokens in
    (also when the window drops posts) must equal tokenising inside."""
    rows = [(niche, caption, 3.0 * i if niche == "food" else 357.0 + i, float(i == 1))  # food: before the window
            for niche, captions in NICHES.items() for i, caption in enumerate(captions)]
    posts = _posts(rows)
    settings = ContentFeatureSettings(window_days=window_days)
    shared = content_features(posts, model, NOW, settings, caption_tokens(posts["caption"]))
    pd.testing.assert_frame_equal(shared, content_features(posts, model, NOW, settings))
    assert shared["topic_entropy"].notna().any()


def test_content_output_contract(model):
    posts = _niche_posts()
    before = posts.copy()
    out = content_features(posts, model, NOW, ContentFeatureSettings())
    pd.testing.assert_frame_equal(posts, before)
    assert out.index.name == "account_id"
    assert (out.dtypes == np.float64).all() and not np.isinf(out.to_numpy()).any()
    assert list(out.columns) == [s.name for s in content_feature_specs(3)]
    assert [s.name for s in FEATURES] == [s.name for s in content_feature_specs(12)]


def test_brand_fit_prefers_matching_niche(model):
    posts = _niche_posts()
    campaigns = coerce_table(pd.DataFrame({
        "campaign_id": ["c_fit", "c_food"], "brand": ["b1", "b2"], "category": ["Fitness", None],
        "brief": ["protein shake for your gym workout", "a new pasta sauce for dinner recipe"]}),
        "campaigns", now=NOW)[0]
    accounts = pd.DataFrame({"account_id": ["fit", "food", "beauty", "silent"],
                             "category": ["fitness", "food", None, "beauty"]}).astype("str")
    out = brand_fit(campaigns, posts, model, accounts=accounts).set_index(["campaign_id", "account_id"])
    assert len(out) == 2 * 4
    assert list(out.columns) == [s.name for s in BRAND_FIT_FEATURES]
    for column in ("brand_topic_cosine", "brand_top_topic_share", "brand_tfidf_cosine"):
        assert out.loc[("c_fit", "fit"), column] > out.loc[("c_fit", "food"), column] + 0.3
        assert out.loc[("c_food", "food"), column] > out.loc[("c_food", "beauty"), column] + 0.3
        assert np.isnan(out.loc[("c_fit", "silent"), column])  # no posts, no fit
    assert out.loc[("c_fit", "fit"), "brand_category_match"] == 1.0  # case-insensitive
    assert out.loc[("c_fit", "food"), "brand_category_match"] == 0.0
    assert np.isnan(out.loc[("c_fit", "beauty"), "brand_category_match"])
    assert out.xs("c_food")["brand_category_match"].isna().all()
    without_accounts = brand_fit(campaigns, posts, model)
    assert sorted(without_accounts["account_id"].unique()) == sorted(NICHES)
    assert without_accounts["brand_category_match"].isna().all()


def test_caption_tokens_duplicate_hashtags_and_drop_emoji():
    tokens = caption_tokens(pd.Series(["Leg day 💪 #Gym no#1 @coach", None, "#a #café"], dtype="str"))
    pairs = sorted(zip(tokens.rows.tolist(), tokens.vocab[tokens.codes]))
    assert pairs == [(0, "#gym"), (0, "day"), (0, "gym"), (0, "leg"), (0, "no"), (2, "#café"), (2, "café")]


def test_without_caption_text_topics_degrade_to_nan():
    empty = pd.Series([None, "", "🔥 !!"], dtype="str")
    with pytest.warns(UserWarning, match="no caption terms"):
        model = TopicModel(n_topics=2, min_df=1).fit(empty)
    np.testing.assert_array_equal(model.transform(pd.Series(["gym day"], dtype="str")), np.zeros((1, 2)))
    posts = _posts([("a", None, 0.0, 0.0), ("a", "gym", 1.0, 0.0)])
    out = content_features(posts, model, NOW, ContentFeatureSettings())
    assert out[["topic_0", "topic_1", "topic_entropy", "top_topic_share"]].isna().all().all()
    assert out.loc["a", "posts_per_week"] == pytest.approx(7.0)


@pytest.mark.realdata
def test_real_kim2020_captions_fit_topics():
    from authfit.datasets.kim2020 import read_kim2020_posts
    from authfit.datasets.paths import DatasetMissingError

    try:
        posts, _ = read_kim2020_posts(limit=300, posts_per_chunk=300, step=5)
    except DatasetMissingError as exc:
        pytest.skip(str(exc))
    model = TopicModel(n_topics=5).fit(posts["caption"])
    mixtures = model.transform(posts["caption"])
    sums = mixtures.sum(axis=1)
    assert np.all(np.isclose(sums, 1.0) | (sums == 0.0))
    assert (sums > 0).mean() > 0.5  # most real captions carry fitted terms
    out = content_features(posts, model, posts["posted_at"].max(), ContentFeatureSettings())
    entropy = out["topic_entropy"].dropna()
    assert len(entropy) > 0 and entropy.between(0.0, 1.0 + 1e-9).all()
    assert out["sponsored_share"].between(0, 1).all()


_CAPTIONS = ["gym squat #fitness", "pasta #food", None, "", "#ad new serum", "🔥", "makeup lipstick #beauty"]


@settings(max_examples=25, deadline=None)
@given(n_posts=st.integers(0, 12), seed=st.integers(0, 10_000))
def test_random_posts_stay_in_range(model, n_posts: int, seed: int):
    rng = np.random.default_rng(seed)
    rows = [(f"a{rng.integers(3)}", _CAPTIONS[rng.integers(len(_CAPTIONS))], float(rng.integers(0, 4)),
             [0.0, 1.0, None][rng.integers(3)]) for _ in range(n_posts)]
    out = content_features(_posts(rows), model, NOW, ContentFeatureSettings())
    assert len(out) == len({r[0] for r in rows})
    assert not np.isinf(out.to_numpy()).any()
    sums = out[["topic_0", "topic_1", "topic_2"]].sum(axis=1, min_count=1).dropna()
    np.testing.assert_allclose(sums, 1.0)
    assert out["topic_entropy"].dropna().between(0.0, 1.0 + 1e-9).all()
    assert out["sponsored_share"].between(0.0, 1.0).all()
    assert (out["posting_gap_cv"].dropna() >= 0).all() and (out["days_since_last_post"] >= 0).all()
