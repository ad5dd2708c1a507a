"""Fit one model honestly (out-of-fold), calibrate it, and write it as a bundle with its report plots."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from authfit.modeling.bundle import BundleMetadata, package_versions, save_bundle
from authfit.modeling.calibration import Calibrator
from authfit.modeling.evaluation import evaluate_binary_oof
from authfit.modeling.lgbm import (
    BoosterTrainer,
    CvResult,
    LgbmParams,
    LocalTrainer,
    feature_importance,
    fit_binary_cv,
    fit_count_cv,
    model_columns,
)
from authfit.modeling.metrics import (
    count_metrics,
    plot_calibration,
    plot_feature_importance,
    plot_pr,
    plot_roc,
)
from authfit.modeling.model_settings import ModelingSettings


@dataclass(frozen=True)
class FittedModel:
    """A trained model before it is written: the booster, how it did out of fold, and how to use it."""

    name: str
    task: str
    cv: CvResult
    metrics: dict[str, float]
    oof: np.ndarray  # cross-fitted calibrated probabilities or expected counts, per training row
    calibrator: Calibrator | None = None
    threshold: float | None = None
    exposure_column: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    fit_seconds: float = 0.0  # wall time of the CV fits and the refit, on whichever engine


def fit_binary(name: str, X: pd.DataFrame, y: pd.Series | np.ndarray, groups: np.ndarray | None,
               modeling: ModelingSettings, trainer: BoosterTrainer | None = None,
               sample_weight: np.ndarray | None = None) -> FittedModel:
    """Grouped CV with early stopping inside each training fold, isotonic/Platt calibration on the
    out-of-fold scores, and a decision threshold chosen by the configured rule on those calibrated scores.
    The metrics (and `oof`) are cross-fitted: each fold's rows scored by a calibrator and threshold that
    never saw them (`evaluate_binary_oof`). `trainer` fits each booster (this process by default, or a Dask
    cluster); everything else happens here either way. `sample_weight` weights the boosters only: the
    calibration maps their scores to the training rows' own (unweighted) frequencies."""
    params = modeling.params_for(name)
    X = X.loc[:, model_columns(params, X.columns)]
    trainer = trainer or LocalTrainer()
    labels = np.asarray(y, dtype=float)
    started = time.perf_counter()
    cv = fit_binary_cv(X, labels, groups, params, folds=modeling.cv.folds, seed=modeling.cv.seed,
                       trainer=trainer, sample_weight=sample_weight)
    seconds = time.perf_counter() - started
    evaluation = evaluate_binary_oof(labels, cv.oof, cv.fold, modeling.calibration.method,
                                     modeling.calibration.rule_for(name))
    metrics = evaluation.metrics | {"threshold": evaluation.threshold}
    return FittedModel(name, "binary", cv, metrics, evaluation.calibrated_oof, evaluation.calibrator,
                       evaluation.threshold, params=params.model_dump() | {"engine": trainer.name},
                       fit_seconds=seconds)


def fit_count(name: str, X: pd.DataFrame, y: pd.Series | np.ndarray, exposure: np.ndarray,
              time_order: np.ndarray, groups: np.ndarray, modeling: ModelingSettings, exposure_column: str,
              ndcg_k: int = 10, trainer: BoosterTrainer | None = None) -> FittedModel:
    """Poisson/Tweedie with log(exposure) offset and expanding-window time folds."""
    params: LgbmParams = modeling.params_for(name)
    X = X.loc[:, model_columns(params, X.columns)]
    trainer = trainer or LocalTrainer()
    started = time.perf_counter()
    cv = fit_count_cv(X, y, exposure, time_order, params, folds=modeling.cv.time_folds, seed=modeling.cv.seed,
                      trainer=trainer)
    seconds = time.perf_counter() - started
    metrics = count_metrics(np.asarray(y, dtype=float), cv.oof, groups=groups, k=ndcg_k)
    return FittedModel(name, "count", cv, metrics, cv.oof, exposure_column=exposure_column,
                       params=params.model_dump() | {"engine": trainer.name}, fit_seconds=seconds)


def report_plots(model: FittedModel, y: np.ndarray, directory: Path) -> dict[str, Path]:
    """ROC, PR and calibration plots (binary) and feature importance, as PNG files."""
    plots = {"feature_importance.png": plot_feature_importance(
        feature_importance(model.cv.booster), directory / "feature_importance.png",
        title=f"{model.name}: feature importance (gain)")}
    if model.task == "binary":
        plots["roc.png"] = plot_roc(y, model.oof, directory / "roc.png", title=f"{model.name}: ROC (out of fold)")
        plots["pr.png"] = plot_pr(y, model.oof, directory / "pr.png", title=f"{model.name}: PR (out of fold)")
        plots["calibration.png"] = plot_calibration(y, model.oof, directory / "calibration.png",
                                                    title=f"{model.name}: calibration (out of fold)")
    return plots


def write_bundle(model: FittedModel, y: np.ndarray, models_dir: Path, version: str, fingerprint: str,
                 feature_set_version: str, transformers: Mapping[str, Any] | None = None,
                 extra_reports: Mapping[str, Path] | None = None) -> Path:
    """Save the model as `models_dir/<name>/<version>/` with its plots (and any `extra_reports`, e.g. the
    transfer matrix heatmap) and model card."""
    meta = BundleMetadata(
        name=model.name, version=version, task=model.task,  # type: ignore[arg-type]
        created_at=datetime.now(UTC).isoformat(timespec="seconds"), feature_set_version=feature_set_version,
        data_fingerprint=fingerprint, metrics=model.metrics, threshold=model.threshold,
        calibrator=model.calibrator.to_dict() if model.calibrator is not None else None,
        exposure_column=model.exposure_column, package_versions=package_versions(),
        params=model.params | {"n_rounds": model.cv.n_rounds, "best_iterations": list(model.cv.best_iterations)},
        extra=model.extra,
    )
    with tempfile.TemporaryDirectory() as tmp:
        reports = report_plots(model, y, Path(tmp)) | dict(extra_reports or {})
        return save_bundle(models_dir, meta, model.cv.booster, list(model.cv.feature_names), transformers, reports)
