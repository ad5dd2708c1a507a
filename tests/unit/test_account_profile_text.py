"""The character statistics of `account_profile_features` on names whose answers are known by hand,
including the cases the array code must get right: whitespace runs (counted as one space, as the hashed
character counts the models were trained on had them), U+0130 (lower-cases to two code points) and the
Greek final sigma (lowered by context), and invariants on random strings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authfit.features.account_profile import account_profile_features

ALPHABET = st.sampled_from(list("abcxyzBCXY019_. -@") + ["\t", "\n", "\u2003", "\u0130", "\u03a3", "\u03c3",
                                                          "\U0001f600", "\x00", "\u00e9", "\u212a"])
TEXTS = st.lists(st.one_of(st.none(), st.text(ALPHABET, max_size=14), st.text(max_size=10)),
                 min_size=1, max_size=30)


def _features(usernames: list[str | None], full_names: list[str | None] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"username": pd.Series(usernames, dtype="str")})
    if full_names is not None:
        frame["full_name"] = pd.Series(full_names, dtype="str")
    return account_profile_features(frame)


@pytest.mark.parametrize(("username", "run", "distinct_share"), [
    ("xkcdq42", 5, 1.0),  # consonants x k c d q, seven distinct characters
    ("aaaa", 0, 0.25),
    ("Bb cc", 2, 3 / 5),  # lower case: b, space, c
    ("ab\t\ncd", 2, 5 / 6),  # a whitespace run counts as one space
    ("ab\u3000\x85cd", 2, 5 / 6),  # so does a run of the rarer spaces Python's \s knows
    ("\u03a3\u0391\u03a3", 0, 1.0),  # lowers to sigma, alpha, final sigma: three distinct
    ("\u0130\u0130ab", 1, 1.0),  # lowers to six code points, four distinct: the share is capped at 1
    ("", 0, np.nan),
])
def test_consonant_runs_and_distinct_characters_of_a_username(username, run, distinct_share):
    out = _features([username]).iloc[0]
    assert out["username_max_consonant_run"] == run
    assert out["username_distinct_char_share"] == pytest.approx(distinct_share, nan_ok=True)


@pytest.mark.parametrize(("full_name", "username", "similarity"), [
    ("Anna Smith", "anna_smith", 1.0),  # the same letters once case, spaces and underscores go
    ("abcd", "abce", 2 / 3),  # bigrams ab bc cd against ab bc ce
    ("abc", "xyz", 0.0),
    ("a", "abc", np.nan),  # a bigram needs two characters on both sides
])
def test_name_username_similarity_is_the_cosine_of_character_bigrams(full_name, username, similarity):
    out = _features([username], [full_name]).iloc[0]
    assert out["name_username_similarity"] == pytest.approx(similarity, nan_ok=True)


def test_missing_profiles_stay_unknown():
    out = _features([None], [None]).iloc[0]
    assert np.isnan(out[["username_max_consonant_run", "username_distinct_char_share",
                         "name_username_similarity"]].to_numpy(dtype=float)).all()


@settings(max_examples=150, deadline=None)
@given(TEXTS, TEXTS)
def test_character_statistics_stay_in_their_ranges_and_similarity_is_symmetric(left, right) -> None:
    n = min(len(left), len(right))
    forward, backward = _features(left[:n], right[:n]), _features(right[:n], left[:n])
    length = forward["username_length"]
    assert (forward["username_max_consonant_run"].dropna() <= length.dropna()).all()
    share = forward["username_distinct_char_share"].dropna()
    assert ((share > 0) & (share <= 1)).all()
    similarity = forward["name_username_similarity"]
    assert ((similarity.dropna() >= -1e-12) & (similarity.dropna() <= 1 + 1e-12)).all()
    np.testing.assert_allclose(similarity, backward["name_username_similarity"], rtol=1e-12, atol=1e-15)


def test_a_name_equal_to_its_username_is_fully_similar_even_with_hash_collisions() -> None:
    """Thousands of distinct bigrams over a wide alphabet, so some share a hashed column."""
    rng = np.random.default_rng(3)
    alphabet = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789") + [chr(c) for c in range(0x400, 0x460)])
    values = ["".join(rng.choice(alphabet, k)) for k in rng.integers(2, 16, 3000)]
    out = _features(values, values)
    np.testing.assert_allclose(out["name_username_similarity"], 1.0, rtol=1e-12)
