"""Comment text normalisation, shape features, n-gram hashing and the featurizer."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from authfit.features.comment_text import (
    SHAPE_FEATURES,
    CommentTextFeaturizer,
    comment_shape_features,
    hash_comment_ngrams,
    hashed_to_csr,
    normalise_comment_text,
)

N = 2**12


def test_normalise_folds_case_style_punctuation_and_whitespace() -> None:
    texts = pd.Series(["Don't   MISS this!!! 🔥", None, "𝐟𝐫𝐞𝐞 money…", "  a\tb\n",
                       "dm me @bob #ad"], index=[10, 11, 12, 13, 14], dtype="str")
    out = normalise_comment_text(texts)
    assert out.tolist() == ["dont miss this 🔥", "", "free money", "a b", "dm me @bob #ad"]
    assert out.index.tolist() == [10, 11, 12, 13, 14] and out.dtype == "str"


_ALPHABET = st.sampled_from(list("aZ9 !?.,'@#-\t") + ["🔥", "é", "\ufeff"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=_ALPHABET, max_size=30), min_size=1, max_size=8))
def test_normalise_is_idempotent_and_never_leaves_double_spaces(values: list[str]) -> None:
    once = normalise_comment_text(pd.Series(values, dtype="str"))
    assert normalise_comment_text(once).tolist() == once.tolist()
    assert not once.str.contains("  ", regex=False).any()
    assert not once.str.contains(r"[!?.,'\-\ufeffZ]", regex=True).any()


def test_shape_features_measure_what_they_say() -> None:
    texts = pd.Series(["ABcd", "12ab", "🔥🔥 ok", "visit www.example.com now", "hey @ann @bob #tag!!",
                       "𝐌𝐲 keys", "soooo", ""], dtype="str")
    original = texts.copy()
    shape = comment_shape_features(texts)
    assert list(shape.columns) == list(SHAPE_FEATURES) and shape.dtypes.eq(np.float32).all()
    assert shape.loc[0, "upper_share"] == pytest.approx(0.5)
    assert shape.loc[1, "digit_share"] == pytest.approx(0.5)
    assert shape.loc[2, "emoji_share"] > 0 and shape.loc[0, "emoji_share"] == 0
    assert shape.loc[3, "log_links"] > 0 and shape.loc[0, "log_links"] == 0
    assert shape.loc[4, "log_mentions"] == pytest.approx(np.log1p(2))
    assert shape.loc[4, "log_hashtags"] == pytest.approx(np.log1p(1))
    assert shape.loc[4, "log_exclamations"] == pytest.approx(np.log1p(2))
    assert shape.loc[5, "styled_share"] > 0 and shape.loc[6, "styled_share"] == 0
    assert shape.loc[6, "repeat_run_share"] > 0 and shape.loc[0, "repeat_run_share"] == 0
    assert shape.loc[3, "has_promo"] == 1 and shape.loc[0, "has_promo"] == 0
    assert (shape.loc[7] == 0).all()
    pd.testing.assert_series_equal(texts, original)


def test_hashing_is_positional_invariant_deterministic_and_in_range() -> None:
    normalised = pd.Series(["hello world", "xx hello world yy", "goodbye moon"], dtype="str")
    hashed = hash_comment_ngrams(normalised, N)
    again = hash_comment_ngrams(normalised, N)
    np.testing.assert_array_equal(hashed.cols, again.cols)
    assert hashed.cols.min() >= 0 and hashed.cols.max() < N
    cols = [set(hashed.cols[hashed.rows == row]) for row in range(3)]
    # Every n-gram of "hello world" also occurs inside the second text, wherever it sits.
    assert cols[0] <= cols[1]
    assert len(cols[2] & cols[0]) < len(cols[0]) // 4
    with pytest.raises(ValueError, match="power of two"):
        hash_comment_ngrams(normalised, 1000)


def test_csr_rows_have_unit_norm_per_family_when_ngrams_are_distinct() -> None:
    hashed = hash_comment_ngrams(pd.Series(["abc xyz"], dtype="str"), 2**20, char_ngrams=None)
    matrix = hashed_to_csr(hashed, 2**20)
    # words: "abc", "xyz", "abc xyz" -> three entries of 1/sqrt(3)
    assert matrix.nnz == 3
    assert float(matrix.multiply(matrix).sum()) == pytest.approx(1.0)


def test_featurizer_is_stateless_chunk_invariant_and_picklable() -> None:
    texts = pd.Series([f"Comment {i}: so good 🔥 @ann www.x{i % 3}.com!!" if i % 4 else None for i in range(50)],
                      dtype="str")
    featurizer = CommentTextFeaturizer(n_features=N)
    whole = featurizer.transform(texts)
    assert sp.isspmatrix_csr(whole) and whole.dtype == np.float32
    assert whole.shape == (50, N + len(SHAPE_FEATURES))
    chunked = CommentTextFeaturizer(n_features=N, chunk_size=7, n_jobs=2).fit(texts).transform(texts)
    assert abs(whole - chunked).max() == 0
    restored = pickle.loads(pickle.dumps(clone(featurizer)))
    assert abs(restored.transform(texts) - whole).max() == 0
    assert len(featurizer.get_feature_names_out()) == whole.shape[1]
