"""Comment text normalisation, shape features, n-gram hashing, the featurizer and the spam model."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from authfit.features.comment_text import (
    SHAPE_FEATURES,
    CommentSpamModel,
    CommentTextFeaturizer,
    comment_shape_features,
    hash_comment_ngrams,
    hashed_to_csr,
    normalise_comment_text,
)

N = 2**12


def _spam_ham(n: int, seed: int) -> tuple[pd.Series, np.ndarray]:
    """Synthetic comments: promotional spam with handles and links vs. ordinary reactions."""
    rng = np.random.default_rng(seed)
    spam = np.array(["check out my channel {h}", "DM @{h} to earn $500 weekly",
                     "free followers at www.{h}.com", "subscribe to {h} please!!", "invest in bitcoin with @{h} 💰"], dtype=object)
    ham = np.array(["love this song {h}", "this video is amazing", "so cute 😍", "best part is at 2:10",
                    "who is still watching in 2015", "the beat is {h} fire"], dtype=object)
    label = rng.random(n) < 0.5
    template = np.where(label, rng.choice(spam, n), rng.choice(ham, n))
    handles = rng.choice(np.array(["kaylo", "mirat", "sunev", "tolan", "vikra"], dtype=object), n)
    texts = pd.Series([t.replace("{h}", h) for t, h in zip(template, handles)], dtype="str")
    return texts, label.astype(float)


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
    texts, _ = _spam_ham(50, seed=1)
    featurizer = CommentTextFeaturizer(n_features=N)
    whole = featurizer.transform(texts)
    assert sp.isspmatrix_csr(whole) and whole.dtype == np.float32
    assert whole.shape == (50, N + len(SHAPE_FEATURES))
    chunked = CommentTextFeaturizer(n_features=N, chunk_size=7, n_jobs=2).fit(texts).transform(texts)
    assert abs(whole - chunked).max() == 0
    restored = pickle.loads(pickle.dumps(clone(featurizer)))
    assert abs(restored.transform(texts) - whole).max() == 0
    assert len(featurizer.get_feature_names_out()) == whole.shape[1]


@pytest.fixture(scope="module")
def trained() -> tuple[CommentSpamModel, pd.Series, np.ndarray]:
    texts, labels = _spam_ham(400, seed=0)
    return CommentSpamModel(n_features=N, folds=3).fit(texts, labels), texts, labels


def test_model_separates_held_out_spam_and_is_calibrated_to_probabilities(trained) -> None:
    model, _, _ = trained
    test_texts, test_labels = _spam_ham(200, seed=7)
    proba = model.predict_proba_texts(test_texts)
    assert proba.shape == (200,) and ((proba >= 0) & (proba <= 1)).all()
    assert ((proba >= 0.5) == test_labels.astype(bool)).mean() > 0.95
    assert model.predict_proba(test_texts).sum(axis=1) == pytest.approx(np.ones(200))


def test_fast_margin_equals_the_sparse_matrix_product(trained) -> None:
    model, texts, _ = trained
    matrix = CommentTextFeaturizer(n_features=N).transform(texts)
    expected = matrix @ model.coef_.astype(np.float64) + model.intercept_
    np.testing.assert_allclose(model.decision_texts(texts), expected, atol=1e-4)


def test_repeated_texts_score_like_their_first_copy(trained) -> None:
    model, texts, _ = trained
    repeated = pd.concat([texts, texts.iloc[::-1]], ignore_index=True)
    proba = model.predict_proba_texts(repeated)
    np.testing.assert_allclose(proba[len(texts):], proba[: len(texts)][::-1])


def test_save_load_round_trip_without_pickle(trained, tmp_path: Path) -> None:
    model, texts, _ = trained
    model.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["comment_spam.json", "linear.npz"]
    restored = CommentSpamModel.load(tmp_path)
    np.testing.assert_array_equal(restored.predict_proba_texts(texts), model.predict_proba_texts(texts))
    meta = json.loads((tmp_path / "comment_spam.json").read_text())
    meta["shape_features"] = meta["shape_features"][:-1]
    (tmp_path / "comment_spam.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="feature set"):
        CommentSpamModel.load(tmp_path)


def test_stacked_model_trains_saves_and_ranks(tmp_path: Path) -> None:
    texts, labels = _spam_ham(300, seed=3)
    groups = pd.Series(np.arange(300) % 30).astype("str")
    model = CommentSpamModel(kind="stacked", n_features=N, folds=3, lgbm_rounds=30).fit(texts, labels, groups)
    test_texts, test_labels = _spam_ham(100, seed=4)
    proba = model.predict_proba_texts(test_texts)
    assert proba[test_labels == 1].mean() > proba[test_labels == 0].mean() + 0.5
    model.save(tmp_path)
    assert (tmp_path / "booster.txt").read_text().startswith("tree")
    np.testing.assert_allclose(CommentSpamModel.load(tmp_path).predict_proba_texts(test_texts), proba)


def test_two_fits_are_identical_whatever_the_global_random_state() -> None:
    """Retraining on the same data must give the same model (liblinear shuffles rows unless seeded)."""
    texts, labels = _spam_ham(400, seed=5)
    fits = []
    for global_seed in (1, 2):
        np.random.seed(global_seed)
        fits.append(CommentSpamModel(kind="linear", n_features=N, folds=2, seed=7).fit(texts, labels))
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)


def test_unpickled_and_loaded_models_build_their_tables_before_any_fork(trained, tmp_path: Path) -> None:
    """Forked feature workers inherit what the parent built; a table first built inside a worker is
    built again in every worker of every transform (~0.2 s each)."""
    from authfit.features import comment_text as ct

    model, _, _ = trained
    ct._nfkd_inert_table.cache_clear()
    pickle.loads(pickle.dumps(model))
    assert ct._nfkd_inert_table.cache_info().currsize == 1
    ct._nfkd_inert_table.cache_clear()
    model.save(tmp_path)
    CommentSpamModel.load(tmp_path)
    assert ct._nfkd_inert_table.cache_info().currsize == 1


def test_model_rejects_bad_labels_and_kinds() -> None:
    texts = pd.Series(["a", "b", "c"], dtype="str")
    with pytest.raises(ValueError, match="0/1"):
        CommentSpamModel(n_features=N).fit(texts, [0, 1, 2])
    with pytest.raises(ValueError, match="kind"):
        CommentSpamModel(kind="forest", n_features=N).fit(texts, [0, 1, 0])
