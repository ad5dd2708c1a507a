"""The comment-spam model: spam / scam probability of a comment from its text alone.

Its inputs are the text features of `authfit.features.comment_text` (hashed n-grams and shape features);
this module fits the model on them, cross-validates it and predicts with it. Its hyperparameters are the
`comment:` section of configs/train.yaml (`CommentSpamSettings`). It is saved only inside a model bundle
(`authfit.modeling.bundle`, as a transformer next to its booster), like every other model.
"""

from __future__ import annotations

from typing import Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field, field_validator
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from authfit.features.comment_text import (
    SHAPE_FEATURES,
    CommentTextFeaturizer,
    as_text_array,
    as_text_series,
    check_power_of_two,
    comment_shape_features,
    map_chunks,
    shape_and_ngram_margin,
)
from authfit.modeling.calibration import Calibrator
from authfit.modeling.split_groups import PathScoreCache, predict_raw_grouped, split_points

# The booster's input columns: the shape features, then the linear model's margin.
STACKED_INPUTS: tuple[str, ...] = (*SHAPE_FEATURES, "linear_margin")
# Shrunk shape columns let liblinear converge in far fewer iterations at the same accuracy; the stored
# weights are rescaled so they apply to the raw features.
_SHAPE_SCALE = 0.25
# Distinct texts scored by one booster call (the inputs take ~180 bytes a text): larger windows group
# more rows onto shared tree paths (see authfit.modeling.split_groups).
_GROUPING_WINDOW = 1 << 17


class CommentSpamModel(BaseEstimator):
    """Spam / scam probability of a comment from its text alone.

    `kind="linear"`: a linear SVM on the hashed n-grams and shape features. `kind="stacked"`: LightGBM on
    the shape features plus the linear model's out-of-fold margin (LightGBM straight on 2**18 sparse
    hashed columns would be slow to train and to score). Either way the output is Platt-calibrated on
    out-of-fold scores (`folds` of them), and scoring runs once per distinct text, in chunks on `n_jobs`
    threads, computing the linear margin straight from the hashed n-grams without building a matrix.
    """

    def __init__(self, kind: str = "linear", n_features: int = 2**18, C: float = 1.0, folds: int = 5,
                 seed: int = 0, n_jobs: int = 2, chunk_size: int = 20_000, lgbm_rounds: int = 200,
                 learning_rate: float = 0.05, num_leaves: int = 15, min_data_in_leaf: int = 10,
                 feature_fraction: float = 0.9, lambda_l2: float = 1.0):
        self.kind = kind
        self.n_features = n_features
        self.C = C
        self.folds = folds
        self.seed = seed
        self.n_jobs = n_jobs
        self.chunk_size = chunk_size
        self.lgbm_rounds = lgbm_rounds
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_data_in_leaf = min_data_in_leaf
        self.feature_fraction = feature_fraction
        self.lambda_l2 = lambda_l2

    def fit(self, texts, labels, groups=None) -> CommentSpamModel:
        """Fit on texts and 0/1 labels; `groups` (video or post ids) keep a group inside one fold."""
        if self.kind not in ("linear", "stacked"):
            raise ValueError(f"kind must be 'linear' or 'stacked', got {self.kind!r}")
        texts, y = as_text_series(texts).reset_index(drop=True), np.asarray(labels, dtype=np.float64)
        if len(texts) != len(y) or not np.isin(y, (0.0, 1.0)).all() or len(np.unique(y)) < 2:
            raise ValueError("need one 0/1 label per text, with both classes present")
        hashed_part, shape = self._featurize(texts)
        matrix = sp.hstack([hashed_part, sp.csr_matrix(shape * _SHAPE_SCALE)], format="csr")
        folds = _fold_ids(y, groups, self.folds, self.seed)
        oof_margin = _oof(lambda tr, te: _fit_linear(matrix[tr], y[tr], self.C, self.seed)
                          .decision_function(matrix[te]), folds, len(y))
        linear = _fit_linear(matrix, y, self.C, self.seed)
        coef = linear.coef_.ravel().copy()
        coef[self.n_features:] *= _SHAPE_SCALE
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = float(linear.intercept_[0])
        oof_score = oof_margin
        if self.kind == "stacked":
            stacked = np.column_stack([shape, oof_margin])
            oof_score = _oof(lambda tr, te: self._fit_booster(stacked[tr], y[tr]).predict(
                stacked[te], raw_score=True), folds, len(y))
            self.booster_ = self._fit_booster(stacked, y)
        self._prepare_for_workers()
        self.calibrator_ = Calibrator(method="platt").fit(expit(oof_score), y)
        return self

    def decision_texts(self, texts) -> np.ndarray:
        """Uncalibrated score per text (linear margin, or the booster's log-odds when stacked)."""
        check_is_fitted(self, "calibrator_")
        # Arrow's dictionary encode hashes the string buffers directly: no Python string per text is built.
        # Missing texts are scored as "", as `as_text_array` makes them.
        encoded = pc.dictionary_encode(as_text_array(texts))
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        unique_texts = encoded.dictionary
        window = max(self.chunk_size, _GROUPING_WINDOW)
        scores = [self._score_window(unique_texts.slice(start, window))
                  for start in range(0, len(unique_texts), window)]
        unique_scores = np.concatenate(scores) if scores else np.zeros(0)
        return unique_scores[codes]

    def predict_proba_texts(self, texts) -> np.ndarray:
        """Calibrated spam probability per text."""
        margin = self.decision_texts(texts)
        return self.calibrator_.transform(expit(margin)) if len(margin) else margin

    def predict_proba(self, texts) -> np.ndarray:
        """sklearn-style two columns: P(not spam), P(spam)."""
        spam = self.predict_proba_texts(texts)
        return np.column_stack([1.0 - spam, spam])

    def stacked_inputs(self, texts) -> np.ndarray:
        """Per text the booster's input columns, `STACKED_INPUTS`: shape features, then linear margin."""
        check_is_fitted(self, "coef_")
        shape, margin = shape_and_ngram_margin(as_text_array(texts), self.coef_, self.n_features)
        margin += shape @ self.coef_[self.n_features:].astype(np.float64) + self.intercept_
        return np.column_stack([shape, margin])

    def _featurize(self, texts: pd.Series) -> tuple[sp.csr_matrix, np.ndarray]:
        featurizer = CommentTextFeaturizer(self.n_features, shape=False, chunk_size=self.chunk_size,
                                           n_jobs=self.n_jobs)
        return featurizer.transform(texts), comment_shape_features(texts).to_numpy(np.float64)

    def _score_window(self, texts: pa.Array) -> np.ndarray:
        """Scores of distinct texts: the booster's inputs chunk by chunk on `n_jobs` threads, then one
        booster call over the whole window, where the more rows there are the more share tree paths."""
        step = self.chunk_size
        chunks = [texts.slice(start, step) for start in range(0, len(texts), step)]
        inputs = np.concatenate(map_chunks(self.stacked_inputs, chunks, self.n_jobs))
        if self.kind == "linear":
            return inputs[:, -1]
        # one thread: LightGBM's OpenMP pool is not fork-safe, and this often runs in forked workers
        points, cache = self._paths()
        return predict_raw_grouped(self.booster_, inputs, points, num_threads=1, cache=cache)

    def _paths(self) -> tuple[tuple[np.ndarray, ...] | None, PathScoreCache]:
        # The booster's split points (dumping it is slow) and the scores of paths seen so far. Made when the
        # booster is fitted, loaded or unpickled, so that forked chunk workers inherit them rather than each
        # dumping the booster again.
        memo = self.__dict__.get("_path_memo")
        if memo is None or memo[0] is not self.booster_:
            memo = self._path_memo = (self.booster_, split_points(self.booster_), PathScoreCache())
        return memo[1], memo[2]

    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())  # a copy: object.__getstate__ returns the live __dict__
        state.pop("_path_memo", None)  # per-process memo, rebuilt on unpickling
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if "calibrator_" in self.__dict__:
            self._prepare_for_workers()

    def _prepare_for_workers(self) -> None:
        """Read the booster's split points now, in the process that fits or unpickles the model, so that
        forked chunk workers inherit them instead of each dumping the booster again."""
        if self.kind == "stacked":
            self._paths()

    def _fit_booster(self, features: np.ndarray, y: np.ndarray) -> lgb.Booster:
        params = {"objective": "binary", "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
                  "min_data_in_leaf": self.min_data_in_leaf, "feature_fraction": self.feature_fraction,
                  "lambda_l2": self.lambda_l2, "verbose": -1, "seed": self.seed, "num_threads": self.n_jobs}
        return lgb.train(params, lgb.Dataset(features, label=y), num_boost_round=self.lgbm_rounds)


class CommentSpamSettings(BaseModel):
    """The `comment:` section of configs/train.yaml: the comment-spam model's hyperparameters (its CV
    folds and seed are those of `modeling.cv`)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["linear", "stacked"] = Field(
        "stacked", description="linear SVM alone, or LightGBM on shape features + the SVM's margin")
    n_features: int = Field(2**18, description="hashed n-gram columns (a power of two)")
    C: float = Field(1.0, gt=0, description="inverse l2 strength of the linear SVM")
    folds: int = Field(5, ge=2, description="inner folds: the out-of-fold margin the booster learns from, "
                                            "and the scores the Platt calibrator is fitted on")
    lgbm_rounds: int = Field(200, ge=1, description="boosting rounds of the stacked booster")
    learning_rate: float = Field(0.05, gt=0)
    num_leaves: int = Field(15, ge=2)
    min_data_in_leaf: int = Field(10, ge=1)
    feature_fraction: float = Field(0.9, gt=0, le=1)
    lambda_l2: float = Field(1.0, ge=0)
    chunk_size: int = Field(20_000, ge=1, description="texts per featurised chunk")
    n_jobs: int = Field(1, ge=1, description="threads over chunks, when fitting and scoring")

    @field_validator("n_features")
    @classmethod
    def _power_of_two(cls, n_features: int) -> int:
        check_power_of_two(n_features)
        return n_features

    def model(self, seed: int) -> CommentSpamModel:
        """An unfitted model with these hyperparameters."""
        return CommentSpamModel(**self.model_dump(), seed=seed)


def out_of_fold(texts: pd.Series, y: np.ndarray, groups: np.ndarray, settings: CommentSpamSettings,
                folds: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Calibrated spam probabilities from models that never saw the row (grouped by `groups`, e.g. the
    video or post; each model calibrates itself inside its training fold), and each row's fold."""
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    fold = np.full(len(y), -1)
    for k, (_, test) in enumerate(splitter.split(np.zeros(len(y)), y, groups)):
        fold[test] = k
    oof = _oof(lambda train, test: settings.model(seed).fit(texts.iloc[train], y[train], groups[train])
               .predict_proba_texts(texts.iloc[test]), fold, len(y))
    return oof, fold


def _fit_linear(matrix: sp.csr_matrix, y: np.ndarray, C: float, seed: int) -> LinearSVC:
    # liblinear's dual solver visits rows in a random order: unseeded, two fits differ in the last digits
    return LinearSVC(C=C, max_iter=5000, random_state=seed).fit(matrix, y)


def _fold_ids(y: np.ndarray, groups, folds: int, seed: int) -> np.ndarray:
    """Fold number per row: stratified, and grouped when groups are given (missing groups stand alone)."""
    fold = np.empty(len(y), dtype=np.int64)
    if groups is None:
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)
    else:
        group_codes = _group_codes(groups)
        splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed).split(
            np.zeros(len(y)), y, group_codes)
    for number, (_, test) in enumerate(splitter):
        fold[test] = number
    return fold


def _group_codes(groups) -> np.ndarray:
    codes, _ = pd.factorize(pd.Series(groups).reset_index(drop=True))
    missing = codes < 0
    codes[missing] = codes.max(initial=-1) + 1 + np.arange(missing.sum())
    return codes


def _oof(fit_predict, fold: np.ndarray, n: int) -> np.ndarray:
    """Out-of-fold predictions: `fit_predict(train_idx, test_idx)` per fold."""
    out = np.zeros(n, dtype=np.float64)
    for number in np.unique(fold):
        test = np.flatnonzero(fold == number)
        out[test] = fit_predict(np.flatnonzero(fold != number), test)
    return out
