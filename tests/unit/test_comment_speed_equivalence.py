"""Comment and caption text paths on awkward random strings: properties the shortcuts must keep (hashing
per text, link counts on candidates only, tokenising each distinct text once, Arrow factorising, the
per-chunk `iloc` that takes chunked Arrow columns chunk by chunk)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from authfit.features import comment_text as ct
from authfit.features import comment_patterns as cm
from authfit.features import text_normalise as tx
from authfit.features.build import _positions_by_chunk, split_by_accounts, take_rows
from authfit.features.topics import TopicModel
from authfit.modeling.comment_spam import CommentSpamModel

# Whitespace of several kinds, punctuation next to it, apostrophes, invisible characters, mentions,
# hashtags, emoji with variation selectors and skin tones, styled letters (NFKC), combining marks.
ALPHABET = st.sampled_from(
    list("aAbz09 .,!?'@#$-_/:") + ["  ", "\t", "\n", "\x0b", "\u00a0", "\u2003", "\u200b", "\ufeff", "\u2019",
                                 "\ufe0f", "\U0001f525", "\U0001f3fb", "\u2764", "\U0001d41f", "\u00e9", "e\u0301",
                                 "\u24b6", "www.x.com", "check my", "\U0001f130", "ooo", "!!!"])
TEXTS = st.lists(st.one_of(st.none(), st.lists(ALPHABET, max_size=12).map("".join), st.text(max_size=8)),
                 min_size=1, max_size=25)


def _arrow(values: list[str | None]) -> pa.Array:
    return ct.as_text_array(pd.Series(values, dtype="str"))


def test_comment_normalisation_decomposes_whatever_the_pyarrow_release() -> None:
    """Styled letters fold to plain ones and accents come apart, as the shipped models were trained."""
    out = ct.normalise_comment_text(pd.Series(["\U0001d41f\U0001d42b\U0001d41e\U0001d41e Caf\u00e9"], dtype="str"))
    assert out.iloc[0] == "free cafe\u0301"


@settings(max_examples=60, deadline=None)
@given(TEXTS)
def test_scoring_path_shape_features_equal_the_featurizers(values: list[str | None]) -> None:
    """The scorer takes the shape features' word counts from its word n-grams; they must be the features
    `comment_shape_features` computes alone."""
    texts = pd.Series(values, dtype="str")
    shape, _ = ct.shape_and_ngram_margin(ct.as_text_array(texts), np.zeros(2**10, dtype=np.float32), 2**10)
    np.testing.assert_array_equal(shape, ct.comment_shape_features(texts).to_numpy(np.float64))


def _ngrams_of(hashed: ct.HashedNgrams, row: int) -> list[tuple[int, float]]:
    mine = hashed.rows == row
    return sorted(zip(hashed.cols[mine].tolist(), hashed.weights[mine].tolist()))


@settings(max_examples=80, deadline=None)
@given(TEXTS)
def test_a_texts_ngrams_do_not_depend_on_the_texts_beside_it(values: list[str | None]) -> None:
    """No word or character n-gram spans two texts, and a text hashes alike wherever it sits in a chunk."""
    normalised = ct.normalise_comment_text(pd.Series(values, dtype="str"))
    batch = ct.hash_comment_ngrams(normalised, 2**10)
    for row, text in enumerate(normalised):
        alone = ct.hash_comment_ngrams(pd.Series([text], dtype="str"), 2**10)
        assert _ngrams_of(batch, row) == _ngrams_of(alone, 0)


def test_a_text_hashes_alike_after_a_chunk_long_enough_to_grow_the_cached_powers() -> None:
    """The polynomial hash's powers are cached per process and grown by doubling past 2**16 bytes."""
    filler = ["x" * 1_000] * 300  # 300 kB before the text: the cache grows twice
    text = "check my channel www.x.com"
    alone = ct.hash_comment_ngrams(pd.Series([text], dtype="str"), 2**10)
    late = ct.hash_comment_ngrams(pd.Series([*filler, text], dtype="str"), 2**10)
    assert _ngrams_of(late, len(filler)) == _ngrams_of(alone, 0)


LINK_TEXTS = st.lists(st.one_of(st.none(), st.lists(st.sampled_from(
    ["a", "B", " ", ".", ":", "/", "HTTPS://", "www.", "x.Com", "shop.io", "\u0130", "\u00e9", "\U0001f525",
     "-", "\t", "\u2003", "  ", "\x0b", "\r\n", "\u200b", "\ufeff", "\u2019", "`", "\u00b4", "'", "\ufe0f"]),
    max_size=10).map("".join)), min_size=1, max_size=25)


@settings(max_examples=80, deadline=None)
@given(st.one_of(TEXTS, LINK_TEXTS))
def test_link_counts_scan_only_texts_with_a_dot_or_colon_yet_count_every_link(
        values: list[str | None]) -> None:
    """Links are counted on the few texts holding "." or ":" (every link does); the counts must be those
    of the link pattern over every lower-cased text without invisible characters."""
    texts = pd.Series(values, dtype="str")
    visible = pc.replace_substring_regex(ct.as_text_array(texts), ct._INVISIBLE, "")
    expected = np.log1p(pc.count_substring_regex(pc.utf8_lower(visible), ct._LINKS).to_numpy(zero_copy_only=False))
    np.testing.assert_allclose(ct.comment_shape_features(texts)["log_links"].to_numpy(), expected, rtol=1e-6)


@settings(max_examples=60, deadline=None)
@given(TEXTS)
def test_factorize_strings_matches_pandas(values: list[str | None]) -> None:
    texts = pd.Series(values, dtype="str")
    codes, uniques = cm.factorize_strings(texts)
    old_codes, old_uniques = pd.factorize(texts)
    np.testing.assert_array_equal(codes, old_codes)
    assert uniques.tolist() == list(old_uniques)


@settings(max_examples=60, deadline=None)
@given(TEXTS)
def test_token_sets_of_distinct_texts_expand_to_the_per_comment_sets(values: list[str | None]) -> None:
    """The old path tokenised every comment; the new one tokenises each distinct text and expands."""
    texts = pd.Series(values + values[::2], dtype="str")  # with repeats
    captions = tx.caption_tokens(pd.Series(["a caption with words #tag", None], dtype="str"))
    per_row = cm._token_sets(texts, captions)
    old_mine = per_row.rows < len(texts)
    expected = sorted(zip(per_row.rows[old_mine].tolist(), per_row.vocab[per_row.codes[old_mine]].tolist()))
    codes, uniques = cm.factorize_strings(texts)
    distinct = cm._token_sets(uniques, captions)
    mine = distinct.rows < len(uniques)
    rows, tokens = cm._expand_pairs(distinct.rows[mine], distinct.codes[mine], len(uniques), codes)
    assert sorted(zip(rows.tolist(), distinct.vocab[tokens].tolist())) == expected
    n_tokens = cm._per_comment(np.bincount(distinct.rows[mine], minlength=len(uniques)), codes)
    np.testing.assert_array_equal(n_tokens, np.bincount(per_row.rows[old_mine], minlength=len(texts)))


def test_missing_and_empty_texts_score_alike_and_repeats_are_scored_once() -> None:
    texts = pd.Series(["free btc dm me", "love it", "so cute", "check my page"] * 5, dtype="str")
    labels = np.array([1.0, 0.0, 0.0, 1.0] * 5)
    model = CommentSpamModel(n_features=2**10, folds=2).fit(texts, labels)
    seen: list[int] = []
    stacked_inputs = model.stacked_inputs
    model.stacked_inputs = lambda chunk: seen.append(len(chunk)) or stacked_inputs(chunk)
    scores = model.decision_texts(pd.Series(["love it", None, "", "love it", "free btc dm me"], dtype="str"))
    assert sum(seen) == 3  # "love it", "" (missing counts as ""), "free btc dm me"
    assert scores[1] == scores[2] and scores[0] == scores[3]


def _chunked(frame: pd.DataFrame, pieces: int) -> pd.DataFrame:
    bounds = np.linspace(0, len(frame), pieces + 1).astype(int)
    return pd.concat([frame.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])], ignore_index=True)


def test_chunk_by_chunk_take_equals_iloc_and_keeps_the_split() -> None:
    rng = np.random.default_rng(0)
    n = 600
    posts = pd.DataFrame({"post_id": pd.Series([f"p{i}" for i in range(n)], dtype="str"),
                          "account_id": pd.Series([f"a{i % 7}" for i in range(n)], dtype="str")})
    comments = pd.DataFrame({"post_id": pd.Series([f"p{i}" for i in rng.integers(0, n, 3 * n)], dtype="str"),
                             "text": pd.Series(rng.choice(["x", "y", None], 3 * n), dtype="str"),
                             "n": np.arange(3 * n)})
    chunked = _chunked(comments, 5)
    assert pa.array(chunked["text"]).num_chunks == 5
    for positions in (np.sort(rng.choice(len(chunked), 500, replace=False)), rng.permutation(len(chunked))[:50],
                      np.array([], dtype=np.int64), np.arange(len(chunked))):
        pd.testing.assert_frame_equal(take_rows(chunked, positions), comments.iloc[positions])
    accounts = pd.DataFrame({"account_id": pd.Series([f"a{i}" for i in range(7)], dtype="str")})
    empty = {"follower_history": pd.DataFrame({"account_id": pd.Series([], dtype="str")}),
             "audience": pd.DataFrame({"influencer_id": pd.Series([], dtype="str")})}
    whole = {"accounts": accounts, "posts": posts, "comments": comments} | empty
    pieces = {"accounts": accounts, "posts": _chunked(posts, 4), "comments": chunked} | empty
    groups = pd.Series(np.arange(7) % 3, index=accounts["account_id"].to_numpy())
    for expected, got in zip(split_by_accounts(whole, groups), split_by_accounts(pieces, groups), strict=True):
        for name in ("posts", "comments"):
            pd.testing.assert_frame_equal(got[name], expected[name])


def test_topic_counts_look_up_the_vocabulary_as_get_indexer_did() -> None:
    captions = pd.Series(["Gym day #gym #fit", "pasta night 🍝 #food", "leg day at the gym", "bake bread #food",
                          "café crème #café", None, "run run run #run"] * 3, dtype="str")
    model = TopicModel(n_topics=2, max_features=50).fit(captions)
    tokens = tx.caption_tokens(pd.Series(["gym pasta unknownword #gym", "", "café #food #newtag"], dtype="str"))
    column = pd.Index(model.vocabulary_).get_indexer(tokens.vocab.astype(str))[tokens.codes]
    use = column >= 0
    expected = np.zeros((tokens.n_texts, len(model.vocabulary_)))
    np.add.at(expected, (tokens.rows[use], column[use]), 1.0)
    np.testing.assert_array_equal(model._count(tokens).toarray(), expected)
    assert expected.sum() > 0 and not use.all()  # some words known, some not


def test_chunk_positions_from_the_narrow_radix_sort_equal_the_int64_sort() -> None:
    rng = np.random.default_rng(1)
    for n_chunks in (1, 7, 40_000):  # the last one too wide for int16: the int64 sort is kept
        codes = rng.integers(-1, n_chunks, 5_000).astype(np.int64)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(n_chunks + 1))
        expected = [order[bounds[i]:bounds[i + 1]] for i in range(n_chunks)]
        for got, want in zip(_positions_by_chunk(codes, n_chunks), expected, strict=True):
            np.testing.assert_array_equal(got, want)
