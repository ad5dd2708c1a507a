"""Known-answer tests for the comment-pattern features and the text helpers they rest on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authfit.datasets.paths import DatasetMissingError
from authfit.features.comment_patterns import (
    FEATURE_NAMES,
    FEATURES,
    CommentFeatureSettings,
    comment_pattern_features,
)
from authfit.features.text_normalise import caption_tokens, collapse_repeats, dedupe_pairs, normalise_text, tokenise
from authfit.contract.validate import coerce_table

NOW = pd.Timestamp("2024-06-01", tz="UTC")
T0 = pd.Timestamp("2024-01-01", tz="UTC")
STEP_FEATURES = ["generic_comment_step_t", "early_comment_step_t"]  # t statistics, not shares


def _typed(rows: list[dict], table: str) -> pd.DataFrame:
    return coerce_table(pd.DataFrame(rows), table, now=NOW)[0]


def _posts(*specs: tuple[str, str, str | None]) -> pd.DataFrame:
    """(post_id, account_id, caption), one day apart."""
    rows = [{"post_id": p, "account_id": a, "caption": c, "posted_at": T0 + pd.Timedelta(days=i),
             "like_count": 100, "comment_count": None} for i, (p, a, c) in enumerate(specs)]
    return _typed(rows, "posts")


def _comments(posts: pd.DataFrame, *specs: tuple[str, str | None, str | None, float | None]) -> pd.DataFrame:
    """(post_id, commenter_id, text, minutes after the post)."""
    posted = posts.set_index("post_id")["posted_at"]
    rows = [{"comment_id": f"c{i}", "post_id": p, "commenter_id": who, "text": text,
             "created_at": None if minutes is None else posted[p] + pd.Timedelta(minutes=minutes)}
            for i, (p, who, text, minutes) in enumerate(specs)]
    return _typed(rows, "comments")


def _features(posts: pd.DataFrame, comments: pd.DataFrame, scorer=None, **settings) -> pd.DataFrame:
    return comment_pattern_features(posts, comments, scorer, CommentFeatureSettings(**settings))


# ---------------------------------------------------------------- text helpers


def test_normalise_text_removes_case_punctuation_and_emoji_variance():
    texts = pd.Series(["Nice   PIC!!! 🔥🔥", "❤️ café, übung", None, "👍🏻ok", "@ann.b_1 so good"], dtype="str")
    out = normalise_text(texts)
    assert out.iloc[0] == "nice pic 🔥 🔥"
    assert out.iloc[1] == "❤ café übung"  # variation selector gone, accents kept
    assert pd.isna(out.iloc[2])
    assert out.iloc[3] == "👍 ok"  # skin tone gone, emoji split from the word
    assert out.iloc[4] == "so good"  # mentions dropped


def test_tokenise_codes_share_one_vocabulary_and_split_emoji_off_words():
    tokens = tokenise(pd.Series(["love it", None, "LOVE, love", "nice🔥🔥 @ann"], dtype="str"))
    pairs = sorted(zip(tokens.rows.tolist(), tokens.vocab[tokens.codes]))
    assert pairs == [(0, "it"), (0, "love"), (2, "love"), (2, "love"), (3, "nice"), (3, "🔥"), (3, "🔥")]
    assert tokens.n_texts == 4
    assert dict(zip(tokens.vocab, tokens.is_word)) == {"love": True, "it": True, "nice": True, "🔥": False}


def test_collapse_repeats_and_dedupe_pairs():
    collapsed = collapse_repeats(np.array(["loooove", "niiice", "ok"], dtype=object))
    assert list(collapsed) == ["love", "nice", "ok"]
    rows, codes = dedupe_pairs(np.array([1, 0, 1, 0]), np.array([2, 3, 2, 1]), 4)
    assert rows.tolist() == [0, 0, 1] and codes.tolist() == [1, 3, 2]


# ---------------------------------------------------------------- features


def test_generic_emoji_and_short_comments():
    posts = _posts(("p1", "bot", "Leg day"), ("p2", "real", "Leg day"))
    comments = _comments(
        posts,
        ("p1", "u1", "Nice pic 🔥", 5), ("p1", "u2", "🔥🔥", 5), ("p1", "u3", "Loooove it!!", 5),
        ("p1", "u4", "great shot", 5),
        ("p2", "u5", "Which squat variation do you use for depth?", 5),
        ("p2", "u6", "My knees hurt on the last set, any tips", 5),
    )
    out = _features(posts, comments)
    assert out.loc["bot", "generic_comment_share"] == 1.0
    assert out.loc["real", "generic_comment_share"] == 0.0
    assert out.loc["bot", "emoji_only_share"] == 0.25
    assert out.loc["bot", "short_comment_share"] == 1.0
    assert out.loc["real", "short_comment_share"] == 0.0


def test_exact_and_near_duplicates_within_an_account():
    posts = _posts(("p1", "a", "x"), ("p2", "a", "x"), ("p3", "b", "x"))
    comments = _comments(
        posts,
        ("p1", "u1", "Great post!", 1), ("p2", "u2", "Great post!", 1),  # exact pair
        ("p1", "u3", "GREAT   post 🔥️", 1), ("p2", "u4", "post, greaaat 🔥", 1),  # near: case, order, letters
        ("p2", "u5", "what camera is this", 1),
        ("p3", "u6", "great post", 1), ("p3", "u7", "totally unrelated words here", 1),
    )
    out = _features(posts, comments)
    assert out.loc["a", "exact_duplicate_share"] == pytest.approx(2 / 5)
    assert out.loc["a", "near_duplicate_share"] == pytest.approx(4 / 5)
    assert out.loc["b", "near_duplicate_share"] == 0.0  # a copy on another account does not count
    assert out.loc["b", "exact_duplicate_share"] == 0.0


def test_commenter_concentration():
    posts = _posts(("p1", "one", "x"), ("p2", "many", "x"))
    comments = _comments(
        posts,
        *[("p1", "same", f"text {i}", 1) for i in range(3)],
        ("p1", "other", "hi", 1), ("p1", None, "anon", 1),
        *[("p2", f"u{i}", f"text {i}", 1) for i in range(4)],
    )
    out = _features(posts, comments, top_k=1)
    assert out.loc["one", "top_k_commenter_share"] == pytest.approx(3 / 4)  # unknown commenter left out
    assert out.loc["many", "top_k_commenter_share"] == pytest.approx(1 / 4)
    # Gini of [1, 3]: 2*(1*1 + 2*3)/(2*4) - 3/2 = 0.25; an even spread gives 0.
    assert out.loc["one", "commenter_gini"] == pytest.approx(0.25)
    assert out.loc["many", "commenter_gini"] == pytest.approx(0.0)
    assert out.loc["one", "unique_commenter_ratio"] == pytest.approx(2 / 4)
    assert out.loc["many", "unique_commenter_ratio"] == 1.0


def test_pods_recur_across_posts_and_arrive_early():
    specs = [(f"p{i}", "pod", "x") for i in range(3)] + [(f"q{i}", "organic", "x") for i in range(3)]
    posts = _posts(*specs)
    pod = [(f"p{i}", who, "so good", 2) for i in range(3) for who in ("m1", "m2")]
    pod += [("p0", "fan", "late but here", 600)]
    organic = [(f"q{i}", f"f{i}{j}", "so good", 300) for i in range(3) for j in range(2)]
    out = _features(posts, _comments(posts, *pod, *organic), pod_min_posts=3, early_minutes=10)
    assert out.loc["pod", "recurring_commenter_share"] == pytest.approx(2 / 3)
    assert out.loc["pod", "recurring_comment_share"] == pytest.approx(6 / 7)
    assert out.loc["pod", "recurring_early_comment_share"] == pytest.approx(6 / 7)
    assert out.loc["organic", "recurring_commenter_share"] == 0.0
    assert out.loc["organic", "recurring_early_comment_share"] == 0.0


def test_early_share_and_burstiness():
    posts = _posts(("p1", "burst", "x"), ("p2", "regular", "x"), ("p3", "burst", "x"))
    burst = [("p1", f"b{i}", "hey", m) for i, m in enumerate([1, 1.1, 1.2, 1.3, 600])]
    burst += [("p3", "x1", "hey", 1), ("p3", "x2", "hey", 900)]  # one gap: too few to judge, left out
    regular = [("p2", f"r{i}", "hey", m) for i, m in enumerate([30, 60, 90, 120, 150])]
    out = _features(posts, _comments(posts, *burst, *regular, ("p2", "late", "hey", None)), early_minutes=60)
    assert out.loc["burst", "early_comment_share"] == pytest.approx(5 / 7)
    assert out.loc["regular", "early_comment_share"] == pytest.approx(2 / 5)  # untimed comment left out
    assert out.loc["regular", "comment_burstiness"] == pytest.approx(-1.0)  # equal gaps: sd = 0
    gaps = np.diff([1, 1.1, 1.2, 1.3, 600]) * 60
    expected = (gaps.std() - gaps.mean()) / (gaps.std() + gaps.mean())
    assert out.loc["burst", "comment_burstiness"] == pytest.approx(expected)
    assert expected > 0.2  # one burst then a long wait: clearly above the random (0) level


def test_early_one_off_comments_count_only_single_visits():
    posts = _posts(("p1", "a", "x"), ("p2", "a", "x"))
    comments = _comments(posts, ("p1", "fan", "hey", 2), ("p2", "fan", "hey", 3),  # early, but comes back
                         ("p1", "bot1", "nice", 1), ("p2", "bot2", "nice", 4),  # early, once each
                         ("p1", "late", "hey", 300), ("p2", "untimed", "hey", None))
    out = _features(posts, comments, early_minutes=10)
    assert out.loc["a", "early_one_off_comment_share"] == pytest.approx(2 / 5)  # untimed comment left out


def _step_world(shares_before: list[int], shares_after: list[int]) -> pd.DataFrame:
    """Features of one account whose posts (in time order) get k generic, early comments out of 4."""
    n_generic = shares_before + shares_after
    posts = _posts(*[(f"p{i}", "a", "x") for i in range(len(n_generic))])
    specs = [(f"p{i}", f"u{i}{j}", "nice" if j < k else "where is this lake", 1 if j < k else 300)
             for i, k in enumerate(n_generic) for j in range(4)]
    return _features(posts, _comments(posts, *specs), early_minutes=10, step_min_posts=3)


def test_step_features_rise_when_generic_early_comments_start_not_when_they_are_constant():
    started = _step_world([0, 1, 0, 1], [3, 4, 3, 4])
    constant = _step_world([1, 3, 2, 2], [3, 1, 2, 2])
    ended = _step_world([3, 4, 3, 4], [0, 1, 0, 1])
    for name in ("generic_comment_step_t", "early_comment_step_t"):
        assert started.loc["a", name] > 5.0
        assert constant.loc["a", name] < 2.0
        assert ended.loc["a", name] < 0.0  # a fall is no rise
    assert started.loc["a", "generic_comment_share"] == pytest.approx(constant.loc["a", "generic_comment_share"])


def test_step_features_need_enough_posts_with_enough_comments():
    posts = _posts(*[(f"p{i}", "a", "x") for i in range(6)])
    specs = [(f"p{i}", f"u{i}{j}", "nice", 1) for i in range(6) for j in range(2)]  # 2 comments a post
    out = _features(posts, _comments(posts, *specs), step_min_posts=3, step_min_comments=3)
    assert np.isnan(out.loc["a", "generic_comment_step_t"]) and np.isnan(out.loc["a", "early_comment_step_t"])


def test_caption_relevance():
    posts = _posts(("p1", "on", "Sourdough bread recipe #baking"), ("p2", "off", "Sourdough bread recipe"))
    comments = _comments(
        posts,
        ("p1", "u1", "What flour for this sourdough?", 1), ("p1", "u2", "Baking bread today!!", 1),
        ("p2", "u3", "Check my page for crypto gains", 1), ("p2", "u4", "🔥🔥", 1),
    )
    out = _features(posts, comments)
    # on: {flour, sourdough} vs {sourdough, bread, recipe, baking}: 1/sqrt(8);
    #     {baking, bread, today} vs the same caption: 2/sqrt(12)
    assert out.loc["on", "caption_relevance_mean"] == pytest.approx((1 / np.sqrt(8) + 2 / np.sqrt(12)) / 2)
    assert out.loc["on", "caption_overlap_share"] == 1.0
    assert out.loc["off", "caption_relevance_mean"] == 0.0  # emoji-only comment has no content words
    assert out.loc["off", "caption_overlap_share"] == 0.0


def test_caption_hashtags_count_as_words_once_and_shared_tokens_change_nothing():
    posts = _posts(("p1", "on", "#Sourdough #sourdough loaf"), ("p2", "on", "x"))
    comments = _comments(posts, ("p1", "u1", "sourdough!", 1), ("p2", "u2", "x marks it", 1))
    out = _features(posts, comments)
    # {sourdough} vs {sourdough, loaf}: the tags are the word "sourdough" once, not "#sourdough" as well;
    # the one-letter caption "x" has no content word, so p2's comment is left out
    assert out.loc["on", "caption_relevance_mean"] == pytest.approx(1 / np.sqrt(2))
    shared = comment_pattern_features(posts, comments, None, CommentFeatureSettings(),
                                      caption_tokens(posts["caption"]))
    pd.testing.assert_frame_equal(shared, out)


def test_spam_scorer_sees_each_distinct_text_once():
    posts = _posts(("p1", "a", "x"), ("p2", "b", "x"))
    comments = _comments(posts, ("p1", "u1", "DM me", 1), ("p1", "u2", "DM me", 1), ("p1", "u3", "cute", 1),
                         ("p2", "u4", "cute", 1), ("p2", "u5", None, 1))
    seen: list[pd.Series] = []

    def scorer(texts: pd.Series) -> np.ndarray:
        seen.append(texts)
        return np.where(texts.str.contains("DM"), 0.9, 0.2)

    out = _features(posts, comments, scorer, spam_threshold=0.5)
    assert sorted(seen[0].tolist()) == ["DM me", "cute"]
    assert out.loc["a", "spam_prob_mean"] == pytest.approx((0.9 + 0.9 + 0.2) / 3)
    assert out.loc["a", "spam_share"] == pytest.approx(2 / 3)
    assert out.loc["b", "spam_share"] == 0.0
    without = _features(posts, comments)
    assert without[["spam_prob_mean", "spam_share"]].isna().all().all()
    with pytest.raises(ValueError, match="scores"):
        _features(posts, comments, lambda texts: np.zeros(1))


def test_volume_uses_declared_counts_and_falls_back_to_rows():
    posts = _posts(("p1", "a", "x"), ("p2", "a", "x"), ("p3", "b", "x"))
    posts = posts.assign(comment_count=[10.0, np.nan, np.nan], like_count=[100.0, 50.0, np.nan])
    comments = _comments(posts, ("p2", "u1", "hi", 1), ("p2", "u2", "yo", 1))
    out = _features(posts, comments)
    assert out.loc["a", "comments_per_post"] == pytest.approx((10 + 2) / 2)
    assert out.loc["a", "comment_like_ratio"] == pytest.approx(12 / 150)
    assert out.loc["a", "n_comments_observed"] == 2.0
    assert out.loc["b", "comments_per_post"] == 0.0
    assert np.isnan(out.loc["b", "comment_like_ratio"])  # no like counts
    assert out.loc["b", ["generic_comment_share", "commenter_gini", "early_comment_share"]].isna().all()


def test_output_contract_purity_and_row_order_invariance():
    posts = _posts(("p1", "a", "Leg day #gym"), ("p2", "a", "rest"), ("p3", "b", "Pasta"))
    comments = _comments(posts, ("p1", "u1", "nice 🔥", 1), ("p1", "u2", "gym time", 30),
                         ("p2", "u1", "nice 🔥", 2), ("p3", "u3", "yum pasta", 5), ("p3", "u3", "more", 9))
    before_posts, before_comments = posts.copy(), comments.copy()
    out = _features(posts, comments)
    pd.testing.assert_frame_equal(posts, before_posts)
    pd.testing.assert_frame_equal(comments, before_comments)
    assert list(out.columns) == list(FEATURE_NAMES) == [f.name for f in FEATURES]
    assert out.index.name == "account_id" and sorted(out.index) == ["a", "b"]
    assert (out.dtypes == np.float64).all()
    assert not np.isinf(out.to_numpy()).any()
    shuffled = _features(posts.sample(frac=1, random_state=1), comments.sample(frac=1, random_state=2))
    pd.testing.assert_frame_equal(out, shuffled.loc[out.index])


def test_features_do_not_depend_on_which_other_accounts_are_present():
    # The feature builder transforms chunks of accounts; a chunk must not change anyone's features.
    posts = _posts(("p1", "a", "Leg day #gym"), ("p2", "a", "rest"), ("p3", "b", "Pasta"))
    comments = _comments(posts, ("p1", "u1", "nice 🔥", 1), ("p1", "u2", "gym time", 30),
                         ("p2", "u1", "nice 🔥", 2), ("p3", "u1", "nice 🔥", 5), ("p3", "u3", "more", 9))
    everyone = _features(posts, comments, lambda texts: texts.str.len().to_numpy() / 10.0)
    only_a = posts["account_id"] == "a"
    alone = _features(posts[only_a], comments[comments["post_id"].isin(posts.loc[only_a, "post_id"])],
                      lambda texts: texts.str.len().to_numpy() / 10.0)
    pd.testing.assert_frame_equal(alone, everyone.loc[["a"]])


def test_empty_comments_give_nan_shares():
    posts = _posts(("p1", "a", "x"))
    out = _features(posts, _comments(posts))
    assert out.loc["a", "n_comments_observed"] == 0.0
    shares = out.drop(columns=["n_comments_observed", "comments_per_post", "comment_like_ratio"])
    assert shares.isna().all().all()


def test_registry_definitions_are_unique_and_filled():
    names = [f.name for f in FEATURES]
    assert len(names) == len(set(names))
    assert all(f.definition and f.family == "comments" for f in FEATURES)


@pytest.mark.realdata
def test_real_kim2020_comments_give_bounded_features():
    from authfit.datasets.kim2020 import read_kim2020_posts

    try:
        posts, comments = read_kim2020_posts(limit=300, posts_per_chunk=300)
    except DatasetMissingError as exc:
        pytest.skip(str(exc))
    out = _features(posts, comments)
    assert len(out) == posts["account_id"].nunique()
    shares = out.drop(columns=["n_comments_observed", "comments_per_post", "comment_like_ratio",
                               "comment_burstiness", *STEP_FEATURES])
    values = shares.to_numpy()
    assert np.nanmin(values) >= 0.0 and np.nanmax(values) <= 1.0 + 1e-9
    assert out["n_comments_observed"].sum() == len(comments)
    assert out["generic_comment_share"].notna().any()


_WORDS = ["nice", "pic", "🔥", "❤️", "gym", "Leg", "day!!", "@ann", "soooo", "good", "recipe", "#fit", "", " "]


@settings(max_examples=30, deadline=None)
@given(
    n_comments=st.integers(0, 25),
    seed=st.integers(0, 10_000),
    missing=st.floats(0.0, 0.6),
)
def test_random_frames_stay_in_range(n_comments: int, seed: int, missing: float):
    rng = np.random.default_rng(seed)
    posts = _posts(*[(f"p{i}", f"a{i % 3}", " ".join(rng.choice(_WORDS, 3))) for i in range(5)])
    specs = [(f"p{rng.integers(5)}", None if rng.random() < missing else f"u{rng.integers(4)}",
              None if rng.random() < missing else " ".join(rng.choice(_WORDS, rng.integers(0, 4))),
              None if rng.random() < missing else float(rng.exponential(60)))
             for _ in range(n_comments)]
    out = _features(posts, _comments(posts, *specs), lambda texts: np.full(len(texts), 0.5), top_k=2)
    assert not np.isinf(out.to_numpy()).any()
    shares = out.drop(columns=["n_comments_observed", "comments_per_post", "comment_like_ratio",
                               "comment_burstiness", *STEP_FEATURES]).to_numpy()
    assert np.nanmin(shares, initial=0.0) >= 0.0 and np.nanmax(shares, initial=1.0) <= 1.0 + 1e-9
    burst = out["comment_burstiness"].dropna()
    assert burst.between(-1.0 - 1e-9, 1.0 + 1e-9).all()
    assert out["n_comments_observed"].sum() == n_comments
