"""Grouped LightGBM prediction gives exactly booster.predict, on awkward values: NaN, zeros, values
LightGBM counts as zero, values equal to a threshold; categorical splits and linear leaves are not grouped."""

from __future__ import annotations

import pickle

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from authfit.features import comment_text as ct
from authfit.modeling.comment_spam import CommentSpamModel
from authfit.modeling.split_groups import (
    PathScoreCache,
    path_groups,
    path_keys,
    predict_raw_grouped,
    split_points,
)


def _booster(X: np.ndarray, y: np.ndarray, **params: object) -> lgb.Booster:
    base = {"objective": "binary", "num_leaves": 7, "min_data_in_leaf": 5, "verbose": -1, "seed": 0,
            "num_threads": 1}
    return lgb.train(base | params, lgb.Dataset(X, label=y), num_boost_round=30)


def _awkward(rng: np.random.Generator, n: int, booster: lgb.Booster | None = None) -> np.ndarray:
    """Coarse values (so many rows share paths) mixed with NaN, 0, -0, 1e-40 and the thresholds."""
    X = rng.integers(0, 6, size=(n, 4)).astype(np.float64) / 2.0
    X[:, 3] = rng.normal(size=n)
    specials = np.array([np.nan, 0.0, -0.0, 1e-40, -1e-36, 1e-35, 1e-34])
    mask = rng.random(X.shape) < 0.15
    X[mask] = rng.choice(specials, size=int(mask.sum()))
    if booster is not None:
        for column, thresholds in enumerate(split_points(booster) or ()):
            if len(thresholds):
                rows = rng.integers(0, n, size=len(thresholds))
                X[rows, column] = thresholds  # exactly on a threshold: goes left
    return X


@pytest.mark.parametrize("params", [{}, {"zero_as_missing": True}, {"use_missing": False}])
def test_grouped_prediction_equals_booster_predict(params: dict[str, object]) -> None:
    rng = np.random.default_rng(0)
    X = _awkward(rng, 600)
    y = ((np.nan_to_num(X[:, 0]) + X[:, 3] > 1.0) ^ (rng.random(600) < 0.1)).astype(float)
    booster = _booster(X, y, **params)
    points = split_points(booster)
    assert points is not None and sum(len(p) for p in points) > 0
    test = _awkward(np.random.default_rng(1), 3000, booster)
    test[:, 3] = np.round(test[:, 3], 1)
    first, group = path_groups(test, points)
    assert len(first) < 0.8 * len(test)  # the grouping does collapse rows
    np.testing.assert_array_equal(group[first], np.arange(len(first)))
    expected = booster.predict(test, raw_score=True)
    np.testing.assert_array_equal(predict_raw_grouped(booster, test, points), expected)


def test_rows_of_a_group_agree_on_every_threshold() -> None:
    rng = np.random.default_rng(2)
    X = _awkward(rng, 400)
    booster = _booster(X, (X[:, 3] > 0).astype(float))
    points = split_points(booster)
    _, group = path_groups(X, points)
    for column, thresholds in enumerate(points):
        side = pd.DataFrame(X[:, [column]] <= thresholds[np.newaxis, :]).assign(nan=np.isnan(X[:, column]))
        assert (side.groupby(group).nunique() <= 1).all().all()


def test_linear_leaves_are_not_grouped_but_predicted_alike() -> None:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(500, 3))
    booster = lgb.train({"objective": "regression", "linear_tree": True, "num_leaves": 4, "verbose": -1,
                         "num_threads": 1}, lgb.Dataset(X, label=2 * X[:, 0] + X[:, 1]), 5)
    assert split_points(booster) is None
    test = np.round(rng.normal(size=(2000, 3)), 1)  # rows sharing paths, with different values
    np.testing.assert_array_equal(predict_raw_grouped(booster, test, split_points(booster)),
                                  booster.predict(test, raw_score=True))


def test_categorical_splits_are_not_grouped_but_predicted_alike() -> None:
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.integers(0, 8, 500), rng.normal(size=500)]).astype(np.float64)
    y = (np.isin(X[:, 0], [1, 4, 6]) ^ (rng.random(500) < 0.1)).astype(float)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_threads": 1, "min_data_per_group": 5,
                         "cat_smooth": 1}, lgb.Dataset(X, label=y, categorical_feature=[0]), 20)
    assert split_points(booster) is None
    np.testing.assert_array_equal(predict_raw_grouped(booster, X, None), booster.predict(X, raw_score=True))


def test_stacked_comment_model_scores_as_the_ungrouped_booster() -> None:
    repeated = ["free btc dm me", "love it", "so cute!!", "check my page", "WOW 🔥🔥", "nice pic",
                "earn $500 a day", "omg queen"]
    texts = pd.Series(repeated * 8 + [f"text number {i}" for i in range(40)], dtype="str")
    labels = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0] * 8 + [0.0, 1.0] * 20)
    model = CommentSpamModel(kind="stacked", n_features=2**10, folds=2, lgbm_rounds=20, n_jobs=1).fit(
        texts, labels)
    arr = ct.as_text_array(texts)
    unique = arr.unique()
    expected = model.booster_.predict(model.stacked_inputs(unique), raw_score=True)
    scores = model.decision_texts(texts)
    position = pd.Index(unique.to_pylist()).get_indexer(arr.to_pylist())
    np.testing.assert_array_equal(scores, expected[position])


def test_cached_paths_give_the_same_scores_across_calls_even_when_hashes_collide(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    X = _awkward(rng, 600)
    booster = _booster(X, (np.nan_to_num(X[:, 1]) + X[:, 3] > 1.0).astype(float))
    points = split_points(booster)
    batches = [np.round(_awkward(np.random.default_rng(seed), 800, booster), 1) for seed in (5, 6, 5)]
    cache = PathScoreCache(max_entries=60)
    for batch in batches:
        np.testing.assert_array_equal(predict_raw_grouped(booster, batch, points, cache=cache),
                                      booster.predict(batch, raw_score=True))
    seen = np.concatenate(batches)
    first, _ = path_groups(seen, points)
    assert cache.lookup(path_keys(seen[first], points))[0].sum() == 60  # full, and nothing added beyond
    assert cache.lookup(path_keys(batches[0], points))[0].mean() > 0.5  # the repeated batch was served
    monkeypatch.setattr(PathScoreCache, "_hash", staticmethod(lambda keys: np.zeros(len(keys), np.uint64)))
    colliding = PathScoreCache()
    for batch in batches:  # every key hashes alike: only exact key matches may be served
        np.testing.assert_array_equal(predict_raw_grouped(booster, batch, points, cache=colliding),
                                      booster.predict(batch, raw_score=True))


def test_the_spam_model_pickles_without_its_path_cache() -> None:
    """The cache of scored paths is per process: scoring does not grow the pickle, and a copy made after
    scoring scores the same texts alike."""
    texts = pd.Series(["free btc dm me", "love it", "so cute", "check my page"] * 6, dtype="str")
    model = CommentSpamModel(kind="stacked", n_features=2**10, folds=2, lgbm_rounds=5, n_jobs=1).fit(
        texts, np.array([1.0, 0.0, 0.0, 1.0] * 6))
    fresh = pickle.dumps(model)
    before = model.decision_texts(texts)
    scored = pickle.dumps(model)
    assert len(scored) == len(fresh)
    np.testing.assert_array_equal(pickle.loads(scored).decision_texts(texts), before)


def test_grouped_prediction_is_exact_at_and_beside_every_threshold() -> None:
    """Grouping is exact only if split_points gives the thresholds LightGBM compares against to the last
    bit: held-out rows on, one step below and one step above each threshold, on features of very different
    scales, score as the whole booster's predict."""
    rng = np.random.default_rng(8)
    scale = np.array([1e-3, 1.0, 1e6, 1.0])
    X = rng.normal(size=(800, 4)) * scale
    booster = _booster(X, (X[:, 0] * 1e3 + X[:, 1] + X[:, 2] / 1e6 > 0.3).astype(float))
    points = split_points(booster)
    held_out = rng.normal(size=(3000, 4)) * scale
    for column, thresholds in enumerate(points):
        near = np.concatenate([np.nextafter(thresholds, -np.inf), thresholds, np.nextafter(thresholds, np.inf)])
        rows = rng.integers(0, len(held_out), size=(4, len(near)))
        for r in rows:
            held_out[r, column] = rng.permutation(near)
    np.testing.assert_allclose(predict_raw_grouped(booster, held_out, points),
                               booster.predict(held_out, raw_score=True), rtol=0, atol=1e-12)
