"""The array implementations of the character statistics in `account_profile` against the per-row
implementations they replaced (regex `extractall`, sklearn's HashingVectorizer), on random strings.

The models were trained on the old values, so the new code must give the same numbers, including for
whitespace runs, characters that lower-case to two code points (U+0130) and context-dependent lowering
(Greek final sigma)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import HashingVectorizer

from authfit.features import account_profile as ap

CONSONANTS = "bcdfghjklmnpqrstvwxz"
# Letters, digits and the awkward cases: whitespace of several kinds, U+0130, sigma, an emoji, NUL.
ALPHABET = st.sampled_from(list("abcxyzBCXY019_. -@") + ["\t", "\n", "\u2003", "\u0130", "\u03a3", "\u03c3",
                                                          "\U0001f600", "\x00", "\u00e9", "\u212a"])
TEXTS = st.lists(st.one_of(st.none(), st.text(ALPHABET, max_size=14), st.text(max_size=10)),
                 min_size=1, max_size=30)


def old_longest_run(text: pd.Series, pattern: str) -> pd.Series:
    positional = text.reset_index(drop=True)
    runs = positional.str.extractall(f"({pattern})")
    longest = runs[0].str.len().groupby(level=0).max() if len(runs) else pd.Series(dtype="float64")
    out = longest.reindex(positional.index).fillna(0.0).where(positional.notna())
    return pd.Series(out.to_numpy(dtype="float64"), index=text.index)


def old_distinct_chars(text: pd.Series) -> pd.Series:
    vectorizer = HashingVectorizer(analyzer="char", ngram_range=(1, 1), n_features=2**18, binary=True,
                                   alternate_sign=False, norm=None, lowercase=True)
    counts = vectorizer.transform(text.fillna("").to_numpy(dtype=object)).getnnz(axis=1).astype("float64")
    return pd.Series(counts, index=text.index).where(text.notna())


def old_bigram_cosine(left: pd.Series, right: pd.Series) -> pd.Series:
    vectorizer = HashingVectorizer(analyzer="char", ngram_range=(2, 2), n_features=2**18,
                                   alternate_sign=False, norm="l2", lowercase=False)
    a = vectorizer.transform(left.fillna("").to_numpy(dtype=object))
    b = vectorizer.transform(right.fillna("").to_numpy(dtype=object))
    cosine = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    known = (left.str.len() >= 2) & (right.str.len() >= 2)
    return pd.Series(cosine, index=left.index).where(known.fillna(False).to_numpy(dtype=bool))


def _series(values: list[str | None]) -> pd.Series:
    return pd.Series(values, dtype="str", index=np.arange(len(values)) * 3 + 5)


@settings(max_examples=150, deadline=None)
@given(TEXTS)
def test_longest_run_equals_the_regex_version(values: list[str | None]) -> None:
    text = _series(values).str.lower()
    pd.testing.assert_series_equal(ap._longest_run(text, CONSONANTS),
                                   old_longest_run(text, f"[{CONSONANTS}]+"), check_names=False)


@settings(max_examples=150, deadline=None)
@given(TEXTS)
def test_distinct_chars_equals_the_hashing_vectorizer(values: list[str | None]) -> None:
    text = _series(values)
    pd.testing.assert_series_equal(ap._distinct_chars(text), old_distinct_chars(text), check_names=False)


@settings(max_examples=150, deadline=None)
@given(TEXTS, TEXTS)
def test_bigram_cosine_equals_the_hashing_vectorizer(left: list[str | None], right: list[str | None]) -> None:
    n = min(len(left), len(right))
    a, b = _series(left[:n]), _series(right[:n])
    pd.testing.assert_series_equal(ap._bigram_cosine(a, b), old_bigram_cosine(a, b), check_names=False,
                                   rtol=1e-12, atol=1e-15)


def test_equal_on_a_large_random_sample_where_hash_collisions_can_occur() -> None:
    """Thousands of distinct bigrams over a wide alphabet, so some share a hashed column."""
    rng = np.random.default_rng(3)
    alphabet = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789 _") + [chr(c) for c in range(0x400, 0x460)])
    lengths = rng.integers(0, 16, 3000)
    values = ["".join(rng.choice(alphabet, k)) for k in lengths]
    values[::97] = [None] * len(values[::97])
    text = _series(values)
    shuffled = _series(list(rng.permutation(np.array(values, dtype=object))))
    pd.testing.assert_series_equal(ap._distinct_chars(text), old_distinct_chars(text), check_names=False)
    pd.testing.assert_series_equal(ap._longest_run(text, CONSONANTS), old_longest_run(text, f"[{CONSONANTS}]+"),
                                   check_names=False)
    pd.testing.assert_series_equal(ap._bigram_cosine(text, shuffled), old_bigram_cosine(text, shuffled),
                                   check_names=False, rtol=1e-12, atol=1e-15)


def test_only_u0130_lowers_to_more_than_one_code_point() -> None:
    """`_python_lower_codepoints` relies on this to know each row's lowered length."""
    multi = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and len(chr(c).lower()) != 1]
    assert multi == [0x130]


def test_distinct_share_never_exceeds_one() -> None:
    out = ap.account_profile_features(pd.DataFrame({"username": pd.Series(["\u0130", "\u0130\u0130ab"], dtype="str")}))
    assert out["username_distinct_char_share"].tolist() == [1.0, 1.0]


def test_space_table_is_every_code_point_python_re_calls_whitespace() -> None:
    """Built from one regex scan now, not one `re.match` per code point; `\\s` in a str pattern is
    `str.isspace`, which the loop below checks without re."""
    expected = frozenset(c for c in range(0x110000) if chr(c).isspace())
    assert ap._space_table() == expected
    assert {0x20, 0x0B, 0x1C, 0x85, 0xA0, 0x3000} <= expected and 0x200B not in expected
