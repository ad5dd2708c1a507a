"""LightGBM fitting with honest out-of-fold predictions.

Binary models: grouped stratified K-fold, so that rows of one group (an account, a campaign) never sit on
both sides of a split. Count models: Poisson/Tweedie with log(exposure) as offset and time-ordered,
expanding-window splits, so that no fold is validated on the past of its training data.
Early stopping never sees the fold it predicts: each training fold is split once more, like the outer split
(grouped and stratified, or by time), the booster is fitted on one part and stopped on the other, and that
booster predicts the held-out fold. OOF figures thus come from boosters fitted on less data than the final
one (binary, 5 folds: about 64% of the rows instead of 80%), so they lean pessimistic, not optimistic.
Boosters are trained with `lightgbm.train` so they save as plain text. Fitting one booster is the only
step an engine swaps (`BoosterTrainer`): `train_local` here, or `authfit.modeling.dask_lgbm.DaskTrainer`,
which fits the same booster with lightgbm.dask on a Dask cluster; splits, OOF and refits stay here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal, Protocol

import lightgbm as lgb
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold


class LgbmParams(BaseModel):
    """LightGBM settings shared by every model; names follow LightGBM where they exist."""

    model_config = ConfigDict(extra="forbid")

    num_leaves: int = Field(15, ge=2)
    max_depth: int = -1
    learning_rate: float = Field(0.05, gt=0, le=1)
    n_estimators: int = Field(500, ge=1, description="upper bound on boosting rounds")
    min_child_samples: int = Field(20, ge=1)
    feature_fraction: float = Field(0.8, gt=0, le=1)
    bagging_fraction: float = Field(0.8, gt=0, le=1)
    bagging_freq: int = Field(1, ge=0)
    lambda_l1: float = Field(0.0, ge=0)
    lambda_l2: float = Field(1.0, ge=0)
    early_stopping_rounds: int = Field(50, ge=1)
    n_jobs: int = Field(1, ge=1, description="threads; 1 is fastest on small data and busy machines")
    class_imbalance: Literal["scale_pos_weight", "is_unbalance", "none"] = "scale_pos_weight"
    monotone_increasing: tuple[str, ...] = Field(
        (), description="features whose rise may only raise the score (domain knowledge, e.g. fraud signals)")
    exclude_features: tuple[str, ...] = Field(
        (), description="feature names or fnmatch patterns (`topic_*`) the model is not given (domain knowledge: "
                        "columns that carry no signal for its target)")
    count_objective: Literal["poisson", "tweedie"] = "poisson"
    tweedie_variance_power: float = Field(1.5, gt=1, lt=2)

    def booster_params(self, objective: str, seed: int) -> dict[str, object]:
        """The parameter dict handed to `lightgbm.train` (without class-imbalance terms)."""
        params: dict[str, object] = {
            "objective": objective,
            "num_leaves": self.num_leaves,
            "max_depth": self.max_depth,
            "learning_rate": self.learning_rate,
            "min_data_in_leaf": self.min_child_samples,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": self.bagging_freq,
            "lambda_l1": self.lambda_l1,
            "lambda_l2": self.lambda_l2,
            "num_threads": self.n_jobs,
            "seed": seed,
            "deterministic": True,
            "force_col_wise": True,
            "verbosity": -1,
        }
        if objective == "tweedie":
            params["tweedie_variance_power"] = self.tweedie_variance_power
        return params


@dataclass(frozen=True)
class CvResult:
    """Out-of-fold predictions and the final booster refitted on all rows.

    `oof` holds probabilities (binary) or expected counts (count models); rows that were never in a
    validation fold (the first time block of a count model) are NaN. `fold` is the validation fold of
    each row, -1 when it had none.
    """

    oof: np.ndarray
    fold: np.ndarray
    best_iterations: tuple[int, ...]
    n_rounds: int
    booster: lgb.Booster
    feature_names: tuple[str, ...]


class FeatureFrameError(ValueError):
    """A feature matrix LightGBM cannot take as it is."""


def check_feature_frame(X: pd.DataFrame) -> None:
    """Refuse text and datetime columns: LightGBM needs numbers, bools or pandas categoricals."""
    bad = [
        f"{name} ({dtype})"
        for name, dtype in X.dtypes.items()
        if not (
            pd.api.types.is_numeric_dtype(dtype)
            or pd.api.types.is_bool_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)
        )
    ]
    if bad:
        raise FeatureFrameError(
            "feature columns must be numeric, bool or category; encode these first: " + ", ".join(bad)
        )
    if X.columns.duplicated().any():
        raise FeatureFrameError(f"duplicate feature names: {sorted(set(X.columns[X.columns.duplicated()]))}")


def check_aligned(X: pd.DataFrame, **columns: pd.Series | pd.Index | np.ndarray | None) -> None:
    """Refuse label/group/exposure columns of the wrong length, or Series indexed unlike X: rows are
    matched by position, so a reordered Series would silently pair rows with the wrong labels."""
    for name, values in columns.items():
        if values is None:
            continue
        if len(values) != len(X):
            raise ValueError(f"{name} has {len(values)} rows, X has {len(X)}")
        if isinstance(values, pd.Series) and not values.index.equals(X.index):
            raise ValueError(f"{name} has a different index from X; align it (or pass .to_numpy())")


def model_columns(params: LgbmParams, columns: Iterable[object]) -> list[str]:
    """`columns` without those `exclude_features` names or matches, in their order."""
    return [str(c) for c in columns if not any(fnmatchcase(str(c), p) for p in params.exclude_features)]


def monotone_params(params: LgbmParams, columns: pd.Index) -> dict[str, object]:
    """LightGBM's per-feature monotone constraints for the configured features present in `columns`."""
    wanted = set(params.monotone_increasing)
    if not wanted & set(map(str, columns)):
        return {}
    return {"monotone_constraints": [1 if str(c) in wanted else 0 for c in columns],
            "monotone_constraints_method": "advanced"}


def _imbalance_params(y: np.ndarray, how: str, weight: np.ndarray | None = None) -> dict[str, object]:
    """Class-imbalance terms; with sample weights, scale_pos_weight balances the classes' total weights."""
    if how == "is_unbalance":
        return {"is_unbalance": True}
    if how == "scale_pos_weight":
        w = np.ones(len(y)) if weight is None else weight
        negatives, positives = float(w[y == 0].sum()), float(w[y == 1].sum())
        return {"scale_pos_weight": negatives / positives if positives > 0 else negatives}
    return {}


def _check_weights(weight: np.ndarray | pd.Series | None, n: int) -> np.ndarray | None:
    if weight is None:
        return None
    values = np.asarray(weight, dtype=float)
    if values.shape != (n,) or not np.isfinite(values).all() or (values < 0).any() or values.sum() <= 0:
        raise ValueError(f"sample weights must be {n} finite values >= 0 with a positive sum")
    return values


def _rows_of(weight: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    return None if weight is None else weight[rows]


def _weight_args(weight: np.ndarray | None, valid_weight: np.ndarray | None) -> dict[str, np.ndarray]:
    """Weight keywords for a trainer, none when unweighted (so engines without weights still serve)."""
    args = {"weight": weight, "valid_weight": valid_weight}
    return {k: v for k, v in args.items() if v is not None}


Valid = tuple[pd.DataFrame, np.ndarray, np.ndarray | None]  # validation rows, labels, init scores


class BoosterTrainer(Protocol):
    """Fits one booster for `n_rounds` (fewer with early stopping on `valid`, whose best iteration the
    booster's `best_iteration` then holds); the engine seam between this module and a cluster. Weights
    are passed only to weighted fits (the account model, always local): an engine without them still
    serves every unweighted one."""

    name: str

    def __call__(self, params: dict[str, object], X: pd.DataFrame, y: np.ndarray, n_rounds: int,
                 init_score: np.ndarray | None = None, valid: Valid | None = None,
                 early_stopping_rounds: int = 0, weight: np.ndarray | None = None,
                 valid_weight: np.ndarray | None = None) -> lgb.Booster: ...


class LocalTrainer:
    """`lightgbm.train` in this process."""

    name = "local"

    def __call__(self, params: dict[str, object], X: pd.DataFrame, y: np.ndarray, n_rounds: int,
                 init_score: np.ndarray | None = None, valid: Valid | None = None,
                 early_stopping_rounds: int = 0, weight: np.ndarray | None = None,
                 valid_weight: np.ndarray | None = None) -> lgb.Booster:
        return train_local(params, X, y, n_rounds, init_score, valid, early_stopping_rounds, weight,
                           valid_weight)


def train_local(
    params: dict[str, object],
    X: pd.DataFrame,
    y: np.ndarray,
    n_rounds: int,
    init_score: np.ndarray | None = None,
    valid: Valid | None = None,
    early_stopping_rounds: int = 0,
    weight: np.ndarray | None = None,
    valid_weight: np.ndarray | None = None,
) -> lgb.Booster:
    train_set = lgb.Dataset(X, label=y, weight=weight, init_score=init_score, free_raw_data=True)
    valid_sets, callbacks = [], []
    if valid is not None:
        X_val, y_val, init_val = valid
        valid_sets = [lgb.Dataset(X_val, label=y_val, weight=valid_weight, init_score=init_val,
                                  reference=train_set)]
        callbacks = [lgb.early_stopping(early_stopping_rounds, first_metric_only=True, verbose=False)]
    return lgb.train(params, train_set, num_boost_round=n_rounds, valid_sets=valid_sets, callbacks=callbacks)


def _binary_splits(
    y: np.ndarray, groups: np.ndarray | None, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    n_pos = int(np.sum(y == 1))
    smallest_class = min(n_pos, len(y) - n_pos)
    if smallest_class < folds:
        raise ValueError(f"{folds} folds need at least {folds} rows of each class; the smaller has {smallest_class}")
    if groups is None:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(len(y)), y))
    n_groups = pd.unique(groups).size
    if n_groups < folds:
        raise ValueError(f"{folds} folds need at least {folds} groups; there are {n_groups}")
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y, groups))


def _inner_binary_split(y: np.ndarray, groups: np.ndarray | None, folds: int, seed: int
                        ) -> tuple[np.ndarray, np.ndarray]:
    """(fit, stop) positions inside a training fold: the first split of a grouped stratified K-fold, so the
    early-stopping rows are about 1/folds of the training fold and share no group with the fit rows. A
    training fold too small for `folds` inner folds gets as many as it can hold (at least 2)."""
    n_pos = int(np.sum(y == 1))
    n_groups = len(y) if groups is None else pd.unique(groups).size
    inner = min(folds, n_pos, len(y) - n_pos, n_groups)
    if inner < 2:
        raise ValueError("a training fold needs 2 groups of each class to hold some out for early stopping")
    return _binary_splits(y, groups, inner, seed)[0]


def _as_binary_labels(y: pd.Series | np.ndarray) -> np.ndarray:
    labels = np.asarray(y, dtype=float)
    if np.isnan(labels).any() or not np.isin(labels, (0.0, 1.0)).all():
        raise ValueError("binary labels must be 0/1 with no missing values")
    return labels


def fit_binary_cv(
    X: pd.DataFrame,
    y: pd.Series | np.ndarray,
    groups: pd.Series | np.ndarray | None,
    params: LgbmParams,
    folds: int = 5,
    seed: int = 0,
    trainer: BoosterTrainer | None = None,
    sample_weight: pd.Series | np.ndarray | None = None,
) -> CvResult:
    """Grouped stratified K-fold. In each training fold an inner grouped split (the same `folds`) holds
    rows out for early stopping (binary log-loss, defined even when those rows hold one class); the
    early-stopped booster predicts the outer fold, which it never saw. Then a refit on all rows with the
    median best iteration. OOF probabilities are raw model output: class weighting skews them, so
    calibrate. `sample_weight` weights every fit and the early-stopping loss alike (the splits ignore it);
    with it, scale_pos_weight balances the classes' total weights instead of their row counts."""
    train = trainer or LocalTrainer()
    check_feature_frame(X)
    check_aligned(X, y=y, groups=groups, sample_weight=sample_weight)
    labels = _as_binary_labels(y)
    weight = _check_weights(sample_weight, len(labels))

    group_values = None if groups is None else np.asarray(groups)
    base = params.booster_params("binary", seed) | {"metric": "binary_logloss"} | monotone_params(params, X.columns)
    oof, fold_of = np.full(len(labels), np.nan), np.full(len(labels), -1)
    best: list[int] = []
    for k, (tr, va) in enumerate(_binary_splits(labels, group_values, folds, seed)):
        fit_at, stop_at = _inner_binary_split(labels[tr], None if group_values is None else group_values[tr],
                                              folds, seed + 1 + k)
        fit, stop = tr[fit_at], tr[stop_at]
        fit_weight = _rows_of(weight, fit)
        fold_params = base | _imbalance_params(labels[fit], params.class_imbalance, fit_weight)
        booster = train(
            fold_params, X.iloc[fit], labels[fit], params.n_estimators,
            valid=(X.iloc[stop], labels[stop], None), early_stopping_rounds=params.early_stopping_rounds,
            **_weight_args(fit_weight, _rows_of(weight, stop)),
        )
        best.append(int(booster.best_iteration or booster.current_iteration()))
        oof[va] = booster.predict(X.iloc[va], num_iteration=best[-1])
        fold_of[va] = k
    n_rounds = max(int(np.median(best)), 1)
    final = train(base | _imbalance_params(labels, params.class_imbalance, weight), X, labels, n_rounds,
                  **_weight_args(weight, None))
    return CvResult(oof, fold_of, tuple(best), n_rounds, final, tuple(map(str, X.columns)))


def time_blocks(time_order: pd.Series | np.ndarray, n_blocks: int) -> np.ndarray:
    """Block index 0..n_blocks-1 per row, cut on distinct times so that rows sharing a time share a block."""
    times = pd.Series(time_order)
    if times.isna().any():
        raise ValueError("time_order has missing values")
    rank, distinct = pd.factorize(times, sort=True)  # dense rank of each row's time, any dtype
    if len(distinct) < n_blocks:
        raise ValueError(f"{n_blocks} time blocks need at least {n_blocks} distinct times; got {len(distinct)}")
    return (rank * n_blocks) // len(distinct)


def _latest_times(time_order: pd.Series, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(earlier, latest) positions: the latest `share` of the distinct times (at least one) held out, so
    an early-stopping set is always the future of the rows it stops. A window of one time has no future:
    a random `share` of its rows, all contemporaneous, is held out instead."""
    rank, distinct = pd.factorize(time_order, sort=True)
    if len(distinct) < 2:
        held = np.random.default_rng(seed).random(len(rank)) < share
        if held.all() or not held.any():
            raise ValueError("the first time block has too few rows to hold some out for early stopping")
        return np.flatnonzero(~held), np.flatnonzero(held)
    cut = min(max(round(len(distinct) * (1 - share)), 1), len(distinct) - 1)
    return np.flatnonzero(rank < cut), np.flatnonzero(rank >= cut)


def _log_exposure(exposure: pd.Series | np.ndarray) -> np.ndarray:
    values = np.asarray(exposure, dtype=float)
    if not (np.isfinite(values).all() and (values > 0).all()):
        raise ValueError("exposure must be finite and > 0 for every row (it enters as log(exposure))")
    return np.log(values)


def _base_log_rate(counts: np.ndarray, log_exposure: np.ndarray) -> float:
    """log(total count / total exposure): where boosting starts. Without it the trees must climb from
    rate 1 to rates like 1e-3 through Poisson's capped steps, which takes far more rounds than we give."""
    return float(np.log(counts.sum()) - np.log(np.exp(log_exposure).sum()))


def _fold_constant_into_booster(booster: lgb.Booster, constant: float) -> lgb.Booster:
    """Add `constant` to every leaf of the first tree. Each row lands in exactly one leaf of it, so every
    raw score shifts by `constant`, and the saved text model needs no side information."""
    n_leaves = booster.dump_model(num_iteration=1)["tree_info"][0]["num_leaves"]
    for leaf in range(n_leaves):
        booster.set_leaf_output(0, leaf, booster.get_leaf_output(0, leaf) + constant)
    return booster


def _train_count(train: BoosterTrainer, params: dict[str, object], X: pd.DataFrame, counts: np.ndarray,
                 offset: np.ndarray, n_rounds: int, valid: tuple[pd.DataFrame, np.ndarray, np.ndarray] | None = None,
                 early_stopping_rounds: int = 0) -> lgb.Booster:
    base = _base_log_rate(counts, offset)
    shifted_valid = None if valid is None else (valid[0], valid[1], valid[2] + base)
    booster = train(params, X, counts, n_rounds, init_score=offset + base, valid=shifted_valid,
                     early_stopping_rounds=early_stopping_rounds)
    return _fold_constant_into_booster(booster, base)


def predict_count(booster: lgb.Booster, X: pd.DataFrame, exposure: pd.Series | np.ndarray,
                  num_iteration: int | None = None) -> np.ndarray:
    """Expected counts: exp(raw score + log(exposure)). LightGBM's predict ignores the training offset."""
    raw = booster.predict(X, raw_score=True, num_iteration=num_iteration)
    return np.exp(raw + _log_exposure(exposure))


def fit_count_cv(
    X: pd.DataFrame,
    y: pd.Series | np.ndarray,
    exposure: pd.Series | np.ndarray,
    time_order: pd.Series | np.ndarray,
    params: LgbmParams,
    folds: int = 4,
    seed: int = 0,
    trainer: BoosterTrainer | None = None,
) -> CvResult:
    """Expanding-window CV over `folds + 1` time blocks: fold k trains on blocks 0..k and predicts block
    k+1. Early stopping (on the count objective's own metric) uses the latest 1/(folds + 1) of the training
    window's distinct times, never block k+1. OOF is NaN for block 0."""
    train = trainer or LocalTrainer()
    check_feature_frame(X)
    check_aligned(X, y=y, exposure=exposure, time_order=time_order)
    counts = np.asarray(y, dtype=float)
    if np.isnan(counts).any() or (counts < 0).any() or counts.sum() == 0:
        raise ValueError("count labels must be >= 0 with no missing values, and not all zero")
    offset = _log_exposure(exposure)
    block = time_blocks(time_order, folds + 1)
    base = params.booster_params(params.count_objective, seed)
    oof, fold_of = np.full(len(counts), np.nan), np.full(len(counts), -1)
    best: list[int] = []
    times = pd.Series(time_order).reset_index(drop=True)
    for k in range(folds):
        tr, va = np.flatnonzero(block <= k), np.flatnonzero(block == k + 1)
        fit_at, stop_at = _latest_times(times.iloc[tr], 1 / (folds + 1), seed + 1 + k)
        fit, stop = tr[fit_at], tr[stop_at]
        booster = _train_count(
            train, base, X.iloc[fit], counts[fit], offset[fit], params.n_estimators,
            valid=(X.iloc[stop], counts[stop], offset[stop]),
            early_stopping_rounds=params.early_stopping_rounds,
        )
        best.append(int(booster.best_iteration or booster.current_iteration()))
        oof[va] = predict_count(booster, X.iloc[va], exposure=np.exp(offset[va]), num_iteration=best[-1])
        fold_of[va] = k
    n_rounds = max(int(np.median(best)), 1)
    final = _train_count(train, base, X, counts, offset, n_rounds)
    return CvResult(oof, fold_of, tuple(best), n_rounds, final, tuple(map(str, X.columns)))


def feature_importance(booster: lgb.Booster, kind: Literal["gain", "split"] = "gain") -> pd.Series:
    """Importance per feature, largest first."""
    values = booster.feature_importance(importance_type=kind)
    return pd.Series(values, index=booster.feature_name(), name=kind).sort_values(ascending=False)
