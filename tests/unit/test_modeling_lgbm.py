"""Cross-validated LightGBM fitting on small synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.metrics import roc_auc_score

from authfit.modeling.lgbm import (
    FeatureFrameError,
    LgbmParams,
    LocalTrainer,
    feature_importance,
    fit_binary_cv,
    fit_count_cv,
    predict_count,
    time_blocks,
)

FAST = LgbmParams(n_estimators=80, early_stopping_rounds=10, num_leaves=7, min_child_samples=10)


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(600, 6, n_informative=3, n_redundant=0, weights=[0.85], random_state=1)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    frame.loc[frame.index[::17], "f5"] = np.nan  # LightGBM must take missing values as they are
    groups = np.repeat(np.arange(150), 4)
    return frame, y, groups


@pytest.fixture(scope="module")
def binary_result(binary_data):
    X, y, groups = binary_data
    return fit_binary_cv(X, y, groups, FAST, folds=4, seed=3)


def test_binary_cv_keeps_groups_in_one_fold(binary_data, binary_result):
    _, _, groups = binary_data
    folds_per_group = pd.Series(binary_result.fold).groupby(groups).nunique()
    assert (folds_per_group == 1).all()
    assert set(binary_result.fold) == {0, 1, 2, 3}


def test_binary_cv_oof_is_informative_and_final_uses_median_rounds(binary_data, binary_result):
    X, y, _ = binary_data
    assert not np.isnan(binary_result.oof).any()
    assert roc_auc_score(y, binary_result.oof) > 0.8
    assert binary_result.n_rounds == int(np.median(binary_result.best_iterations))
    assert binary_result.booster.current_iteration() == binary_result.n_rounds
    assert all(1 <= b <= FAST.n_estimators for b in binary_result.best_iterations)
    assert binary_result.feature_names == tuple(X.columns)


def test_binary_cv_is_reproducible_with_a_seed(binary_data, binary_result):
    X, y, groups = binary_data
    again = fit_binary_cv(X, y, groups, FAST, folds=4, seed=3)
    np.testing.assert_allclose(again.oof, binary_result.oof)


def test_scale_pos_weight_raises_scores_of_the_rare_class(binary_data):
    X, y, _ = binary_data
    weighted = fit_binary_cv(X, y, None, FAST, folds=3)
    plain = fit_binary_cv(X, y, None, FAST.model_copy(update={"class_imbalance": "none"}), folds=3)
    # unweighted log-loss keeps the mean score at the base rate; weighting pushes it above
    assert abs(plain.oof.mean() - y.mean()) < 0.03
    assert weighted.oof.mean() > y.mean() + 0.04


def test_binary_cv_refuses_too_few_groups_or_text_columns(binary_data):
    X, y, _ = binary_data
    with pytest.raises(ValueError, match="groups"):
        fit_binary_cv(X, y, np.arange(len(y)) % 3, FAST, folds=4)
    with pytest.raises(FeatureFrameError, match="handle"):
        fit_binary_cv(X.assign(handle=pd.Series(["a"] * len(X), dtype="str")), y, None, FAST, folds=3)
    with pytest.raises(ValueError, match="0/1"):
        fit_binary_cv(X, np.where(y == 1, 2, 0), None, FAST, folds=3)


def test_time_blocks_never_split_a_shared_time_and_grow_with_time():
    times = pd.to_datetime(["2024-01-05", "2024-01-01", "2024-01-01", "2024-02-01", "2024-03-01", "2024-01-05"],
                           utc=True)
    block = time_blocks(times, 2)
    assert block[1] == block[2] and block[0] == block[5]
    order = np.argsort(times.to_numpy())
    assert (np.diff(block[order]) >= 0).all()
    assert set(block) == {0, 1}


@pytest.fixture(scope="module")
def count_data():
    rng = np.random.default_rng(7)
    n = 1500
    X = pd.DataFrame({"fit": rng.uniform(0, 1, n), "noise": rng.normal(size=n)})
    exposure = rng.uniform(1_000, 50_000, n)
    rate = 1e-3 * np.exp(1.5 * X["fit"].to_numpy())
    y = rng.poisson(exposure * rate)
    time_order = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    return X, y, exposure, time_order


def test_count_cv_learns_the_rate_through_the_exposure_offset(count_data):
    X, y, exposure, time_order = count_data
    result = fit_count_cv(X, y, exposure, time_order, FAST, folds=3)
    seen = ~np.isnan(result.oof)
    # the first time block is never validated; everything after it is
    assert 0.6 < seen.mean() < 0.9
    first_validated = pd.Series(time_order)[seen].min()
    assert (pd.Series(time_order)[~seen] < first_validated).all()
    # expected counts track the truth: the ratio y / mu is near 1 on average and mu scales with exposure
    assert abs(y[seen].sum() / result.oof[seen].sum() - 1) < 0.1
    X0 = X.iloc[:5]
    doubled = predict_count(result.booster, X0, exposure[:5] * 2)
    np.testing.assert_allclose(doubled, 2 * predict_count(result.booster, X0, exposure[:5]))


def test_count_cv_refuses_non_positive_exposure(count_data):
    X, y, exposure, time_order = count_data
    with pytest.raises(ValueError, match="exposure"):
        fit_count_cv(X, y, np.where(np.arange(len(y)) == 3, 0.0, exposure), time_order, FAST, folds=3)


def test_feature_importance_ranks_the_informative_feature_first(count_data):
    X, y, exposure, time_order = count_data
    result = fit_count_cv(X, y, exposure, time_order, FAST.model_copy(update={"count_objective": "tweedie"}),
                          folds=2)
    importance = feature_importance(result.booster)
    assert importance.index[0] == "fit"


def test_labels_indexed_unlike_the_features_are_refused(binary_data):
    X, y, groups = binary_data
    shuffled = pd.Series(y, index=X.index).sample(frac=1.0, random_state=0)
    with pytest.raises(ValueError, match="different index"):
        fit_binary_cv(X, shuffled, groups, FAST, folds=4)
    with pytest.raises(ValueError, match="rows"):
        fit_binary_cv(X, y[:-1], None, FAST, folds=4)


def test_sample_weights_reach_every_fit_and_early_stopping_set(binary_data):
    X, y, groups = binary_data
    weight = np.where(np.arange(len(y)) % 2 == 0, 1.0, 3.0)
    seen: list[tuple[pd.Index, np.ndarray | None, pd.Index | None, np.ndarray | None, float]] = []

    def spy(params, X_fit, y_fit, n_rounds, init_score=None, valid=None, early_stopping_rounds=0,
            weight=None, valid_weight=None):
        seen.append((X_fit.index, weight, None if valid is None else valid[0].index, valid_weight,
                     float(params["scale_pos_weight"])))
        return LocalTrainer()(params, X_fit, y_fit, n_rounds, init_score, valid, early_stopping_rounds,
                              weight, valid_weight)

    fit_binary_cv(X, y, groups, FAST, folds=3, seed=1, trainer=spy, sample_weight=weight)
    assert len(seen) == 4
    for rows, w, stop_rows, w_stop, spw in seen:
        np.testing.assert_array_equal(w, weight[rows])  # each row keeps its own weight
        if stop_rows is not None:
            np.testing.assert_array_equal(w_stop, weight[stop_rows])
        # scale_pos_weight balances the classes' weights, not their row counts
        fitted = y[rows]
        assert spw == pytest.approx(weight[rows][fitted == 0].sum() / weight[rows][fitted == 1].sum())


def test_zero_weight_rows_do_not_shape_the_model(binary_data):
    X, y, _ = binary_data
    flipped = np.where(np.arange(len(y)) < 300, 1 - y, y)  # half the labels inverted ...
    weight = np.where(np.arange(len(y)) < 300, 0.0, 1.0)  # ... and weighted 0
    plain = fit_binary_cv(X, flipped, None, FAST, folds=3, seed=2)
    weighted = fit_binary_cv(X, flipped, None, FAST, folds=3, seed=2, sample_weight=weight)
    kept = slice(300, None)
    assert roc_auc_score(y[kept], weighted.oof[kept]) > roc_auc_score(y[kept], plain.oof[kept]) + 0.1


def test_bad_sample_weights_are_refused(binary_data):
    X, y, _ = binary_data
    for bad in (np.ones(len(y) - 1), np.full(len(y), -1.0), np.full(len(y), np.nan), np.zeros(len(y))):
        with pytest.raises(ValueError, match="sample weight|rows"):
            fit_binary_cv(X, y, None, FAST, folds=3, sample_weight=bad)


class _SpyTrainer:
    """A LocalTrainer that remembers, per call, the index of the rows it fitted on and stopped on."""

    name = "spy"

    def __init__(self) -> None:
        self.calls: list[tuple[pd.Index, pd.Index | None]] = []

    def __call__(self, params, X, y, n_rounds, init_score=None, valid=None, early_stopping_rounds=0):
        self.calls.append((X.index, None if valid is None else valid[0].index))
        return LocalTrainer()(params, X, y, n_rounds, init_score, valid, early_stopping_rounds)


def test_binary_early_stopping_never_sees_the_fold_it_predicts(binary_data):
    X, y, groups = binary_data
    spy = _SpyTrainer()
    result = fit_binary_cv(X, y, groups, FAST, folds=4, seed=3, trainer=spy)
    *fold_calls, (refit_rows, refit_valid) = spy.calls
    assert len(fold_calls) == 4 and refit_valid is None and len(refit_rows) == len(X)
    group_of = pd.Series(groups, index=X.index)
    for k, (fit_rows, stop_rows) in enumerate(fold_calls):
        predicted = X.index[result.fold == k]
        assert stop_rows is not None and len(stop_rows) > 0
        assert not set(stop_rows) & set(predicted) and not set(fit_rows) & set(predicted)
        assert not set(group_of[stop_rows]) & set(group_of[fit_rows])  # grouped like the outer split
        assert len(fit_rows) + len(stop_rows) + len(predicted) == len(X)


def test_count_early_stopping_uses_the_latest_training_times_not_the_next_block(count_data):
    X, y, exposure, time_order = count_data
    spy = _SpyTrainer()
    result = fit_count_cv(X, y, exposure, time_order, FAST, folds=3, trainer=spy)
    times = pd.Series(time_order, index=X.index)
    for k, (fit_rows, stop_rows) in enumerate(spy.calls[:3]):
        predicted = X.index[result.fold == k]
        assert stop_rows is not None and not set(stop_rows) & set(predicted)
        assert times[fit_rows].max() < times[stop_rows].min()
        assert times[stop_rows].max() < times[predicted].min()


def test_small_training_folds_still_hold_rows_out_for_early_stopping():
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"f": rng.normal(size=30)})
    y = np.r_[np.ones(6), np.zeros(24)]  # 4 or 5 positives per training fold of 5: fewer inner folds
    spy = _SpyTrainer()
    fit_binary_cv(X, y, None, FAST, folds=5, trainer=spy)
    assert all(stop is not None and len(stop) > 0 for _, stop in spy.calls[:5])
    # a first time block of a single time: the stop rows are a random share of it, never block 1
    counts = rng.poisson(5, 30)
    times = np.repeat([0.0, 1.0, 2.0], [12, 9, 9])
    spy = _SpyTrainer()
    result = fit_count_cv(X, counts, np.ones(30), times, FAST, folds=2, trainer=spy)
    fit_rows, stop_rows = spy.calls[0]
    assert len(stop_rows) > 0 and set(times[stop_rows]) == {0.0} and set(times[fit_rows]) == {0.0}
    assert not set(stop_rows) & set(X.index[result.fold == 0])


def test_excluded_features_never_reach_the_booster(binary_data):
    from authfit.modeling.model_settings import CvSettings, ModelingSettings
    from authfit.training.fit import fit_binary

    X, y, groups = binary_data
    modeling = ModelingSettings(lgbm=FAST, cv=CvSettings(folds=3),
                                lgbm_overrides={"fake-engagement": {"exclude_features": ["f5", "f[34]"]}})
    fitted = fit_binary("fake-engagement", X, y, groups, modeling)
    assert list(fitted.cv.feature_names) == ["f0", "f1", "f2"]
    assert fitted.cv.booster.feature_name() == ["f0", "f1", "f2"]
    other = fit_binary("account-authenticity", X, y, groups, modeling)  # the override is per model
    assert list(other.cv.feature_names) == list(X.columns)
