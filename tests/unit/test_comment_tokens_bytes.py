"""The comment tokeniser and the comment-spam normaliser read characters through a table of RE2's
Unicode categories instead of compiling RE2's Unicode classes on every call. They must split and
normalise exactly as the RE2 expressions they stand for (kept here as the oracle), including the
order-dependent mention rule, and the comment features built on them must keep their hand-computed
values."""

from __future__ import annotations

import re
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authfit.contract.validate import coerce_table
from authfit.features import comment_text as ct
from authfit.features import text_normalise as tx
from authfit.features.comment_patterns import CommentFeatureSettings, comment_pattern_features

# Mentions after punctuation and after other mentions, joiners, skin tones and variation selectors next
# to "@", marks, symbols, currency, Unicode and ASCII whitespace (\v is not RE2's \s), apostrophes and
# invisible characters, letters from scripts and releases Python's own tables may not know.
ALPHABET = st.sampled_from(
    list("aAbz09_.@#!?,'`$- ") + ["\t", "\n", "\x0b", "\x0c", "\r", "\x00", "\x1c", "\u00a0", "\u2003", "\u3000",
                                 "\u200b", "\u200d", "\u2060", "\ufeff", "\ufe0e", "\ufe0f", "\u2019", "\u00b4",
                                 "\U0001f525", "\U0001f3fb", "\U0001f3ff", "\u2764", "\U0001d41f", "\u00e9",
                                 "e\u0301", "\u0345", "\u4e2d", "\u0e01", "\u20ac", "\u00a3", "\u2460", "\u00bd",
                                 "\U0001fae8", "\u0cf3", "\ue000", "\u00ad", "\u0130", "\ufb01", "@ann", "x.@",
                                 ".@", "@.", "@@", "ooo"])
TEXTS = st.lists(st.one_of(st.none(), st.lists(ALPHABET, max_size=14).map("".join), st.text(max_size=8)),
                 min_size=1, max_size=25)


def _regex_tokens(texts: pd.Series) -> list[tuple[int, str]]:
    """The RE2 path `tokenise` replaces: `_PUNCTUATION` to spaces, split, emoji split off words, no empty
    token."""
    spaced = pc.replace_substring_regex(pc.utf8_lower(pa.array(texts, type=pa.large_string(), from_pandas=True)),
                                        tx._PUNCTUATION, " ")
    spaced = pc.replace_substring_regex(spaced, r"(\p{So})", r" \1 ")
    return sorted((row, token) for row, parts in enumerate(pc.ascii_split_whitespace(spaced).to_pylist())
                  for token in (parts or []) if token)


def _tokens(texts: pd.Series) -> list[tuple[int, str]]:
    tokens = tx.tokenise(texts)
    return sorted(zip(tokens.rows.tolist(), tokens.vocab[tokens.codes].tolist()))


def _regex_normalised(arr: pa.Array) -> list[str]:
    """The RE2 replacements `comment_text._normalise_arrow` replaces."""
    arr = pc.utf8_lower(pc.utf8_normalize(arr, "NFKD"))
    arr = pc.replace_substring_regex(arr, f"{ct._INVISIBLE}|{ct._APOSTROPHES}", "")
    arr = pc.utf8_trim_whitespace(pc.replace_substring_regex(arr, rf"\s*{ct._PUNCTUATION}\s*", " "))
    return pc.replace_substring_regex(arr, r"\s{2,}|[^\S ]", " ").to_pylist()


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_tokenise_splits_as_the_re2_expression(values: list[str | None]) -> None:
    texts = pd.Series(values, dtype="str")
    assert _tokens(texts) == _regex_tokens(texts)


def _regex_caption_tokens(texts: pd.Series) -> list[tuple[int, str]]:
    """The RE2 path `caption_tokens` replaces: `_CAPTION_PUNCTUATION` to spaces, split on whitespace, then
    each hashtag twice (as the word and as the tag), and stems shorter than two characters dropped."""
    spaced = pc.replace_substring_regex(pc.utf8_lower(pa.array(texts, type=pa.large_string(), from_pandas=True)),
                                        r"@[\pL\pN_.]+|[^\pL\pN\pM_#\s]+", " ")
    words = [(row, word) for row, parts in enumerate(pc.ascii_split_whitespace(spaced).to_pylist())
             for word in (parts or [])]
    tagged = [(row, part) for row, word in words for part in re.sub(r"#([^#]+)", r" \1 #\1 ", word).split()]
    return sorted((row, part) for row, part in tagged if len(part.lstrip("#")) >= 2)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_caption_tokens_split_as_the_re2_expression(values: list[str | None]) -> None:
    texts = pd.Series(values, dtype="str")
    tokens = tx.caption_tokens(texts)
    assert sorted(zip(tokens.rows.tolist(), tokens.vocab[tokens.codes].tolist())) == _regex_caption_tokens(texts)
    assert tokens.n_texts == len(texts)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_comment_normalisation_equals_the_re2_replacements(values: list[str | None]) -> None:
    arr = ct.as_text_array(pd.Series(values, dtype="str"))
    assert ct._normalise_arrow(arr).to_pylist() == _regex_normalised(arr)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(ALPHABET, max_size=6).map("".join), min_size=1, max_size=20, unique=True))
def test_is_word_is_the_re2_word_class(vocab: list[str]) -> None:
    tokens = tx.Tokens(rows=np.zeros(0, np.int64), codes=np.zeros(0, np.int64),
                       vocab=np.asarray(vocab, dtype=object), n_texts=0)
    expected = pc.match_substring_regex(pa.array(vocab, type=pa.large_string()), r"[\pL\pN\pM_]")
    assert tokens.is_word.tolist() == expected.to_pylist()


def test_the_planes_the_category_table_skips_hold_no_categorised_code_point() -> None:
    asked = np.zeros(0x110000, dtype=bool)
    for start, stop in tx.CATEGORY_PLANES:
        asked[start:stop] = True
    asked[0xD800:0xE000] = True  # surrogates are no characters
    skipped = np.flatnonzero(~asked)
    assert len(skipped) > 700_000
    assert not tx.re2_categories(skipped).any()


@pytest.mark.parametrize(("text", "tokens"), [
    ("x.@ann nice", ["ann", "nice", "x"]),  # "." starts a punctuation run that swallows the "@"
    ("@ann.@bob hi", ["hi"]),  # the first mention ends on "." and the next "@" starts another
    ("!!@ann", ["ann"]),
    ("a@b c", ["a", "c"]),
    ("\u200d@ann nice", ["nice"]),  # a joiner is matched alone; the "@" after it starts a mention
    ("@ann\ufe0fwow", ["wow"]),  # a variation selector ends the mention and goes
    ("@.x y", ["y"]),
    ("nice🔥🔥 @ann", ["nice", "🔥", "🔥"]),
    ("Caf\u00e9\u00a0LOVE\u000bit", ["café", "it", "love"]),  # NBSP and \v are punctuation here
    ("\U0001f44d\U0001f3fbok", ["ok", "\U0001f44d"]),  # the skin tone goes, the emoji stays a token
])
def test_tokenise_known_answers(text: str, tokens: list[str]) -> None:
    assert [token for _, token in _tokens(pd.Series([text], dtype="str"))] == tokens


@pytest.mark.parametrize(("text", "normalised"), [
    ("Don't   MISS this!!! 🔥", "dont miss this 🔥"),
    ("a\u200bb", "ab"),  # invisible characters join what they split
    ("  $5 @Ann #Tag!! ", "$5 @ann #tag"),
    ("x\u00a0\t\x0b y", "x y"),
    ("caf\u00e9", "cafe\u0301"),
    ("!!!", ""),
])
def test_comment_normalisation_known_answers(text: str, normalised: str) -> None:
    assert ct.normalise_comment_text(pd.Series([text], dtype="str")).iloc[0] == normalised


NOW = pd.Timestamp("2024-06-01", tz="UTC")
T0 = pd.Timestamp("2024-01-01", tz="UTC")


def test_comment_features_on_a_hand_computed_account() -> None:
    """Near duplicates that differ in case, punctuation, whitespace and a mention; early comments at the
    window's edge (60 minutes is early, 60 minutes and a second is not); an untimed comment; a caption
    whose hashtag counts as a word."""
    posts = coerce_table(pd.DataFrame([
        {"post_id": "p1", "account_id": "A", "caption": "beach day #sun", "posted_at": T0, "like_count": 100,
         "comment_count": None},
        {"post_id": "p2", "account_id": "A", "caption": None, "posted_at": T0 + pd.Timedelta(days=1),
         "like_count": 100, "comment_count": None},
    ]), "posts", now=NOW)[0]
    specs = [("p1", "u1", "Nice pic!!", pd.Timedelta(minutes=10)),
             ("p1", "u2", "nice   PIC 🔥", pd.Timedelta(minutes=60)),
             ("p1", "u3", "@bob nice pic", pd.Timedelta(minutes=60, seconds=1)),
             ("p1", "u1", "sunny beach", pd.Timedelta(minutes=120)),
             ("p2", "u1", "NICE PIC!!", None)]
    posted = {"p1": T0, "p2": T0 + pd.Timedelta(days=1)}
    comments = coerce_table(pd.DataFrame([
        {"comment_id": f"c{i}", "post_id": p, "commenter_id": who, "text": text,
         "created_at": None if delay is None else posted[p] + delay} for i, (p, who, text, delay) in enumerate(specs)
    ]), "comments", now=NOW)[0]
    row = comment_pattern_features(posts, comments, None, CommentFeatureSettings()).loc["A"]
    assert row["n_comments_observed"] == 5
    assert row["comments_per_post"] == 2.5
    assert row["exact_duplicate_share"] == 0.0  # no two texts are the same string
    assert row["near_duplicate_share"] == pytest.approx(3 / 5)  # {nice, pic} three times; 🔥 makes a fourth set
    assert row["generic_comment_share"] == pytest.approx(4 / 5)  # all but "sunny beach"
    assert row["short_comment_share"] == 1.0 and row["emoji_only_share"] == 0.0
    assert row["early_comment_share"] == pytest.approx(2 / 4)  # the untimed comment is left out
    assert row["unique_commenter_ratio"] == pytest.approx(3 / 5)
    assert row["caption_overlap_share"] == pytest.approx(1 / 4)  # p2 has no caption: its comment is left out
    assert row["caption_relevance_mean"] == pytest.approx(1 / np.sqrt(2 * 3) / 4, rel=1e-12)
