"""Comment authenticity: the text model fitted on real labelled comments, measured out of fold, bundled."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from authfit.datasets.labelled_comments import load_labelled_comments
from authfit.features.comment_text import SHAPE_FEATURES, CommentSpamModel
from authfit.modeling.bundle import BundleMetadata, data_fingerprint, load_bundle, package_versions, save_bundle
from authfit.modeling.calibration import choose_threshold
from authfit.modeling.metrics import classification_metrics, plot_calibration, plot_pr, plot_roc
from authfit.scoring.components import CommentModel
from authfit.training.real_models import load_sources
from authfit.training.settings import TrainSettings

if TYPE_CHECKING:
    from authfit.training.pipeline import TrainingSummary

COMMENT_FEATURE_SET = "comment-text-1"


def out_of_fold(texts: pd.Series, y: np.ndarray, groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Calibrated spam probabilities from models that never saw the row (grouped by video/post)."""
    oof = np.full(len(y), np.nan)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(y)), y, groups):
        model = CommentSpamModel(kind="stacked", n_jobs=1, seed=seed).fit(
            texts.iloc[train], y[train], groups[train])
        oof[test] = model.predict_proba_texts(texts.iloc[test])
    return oof


def comment_groups(data: pd.DataFrame) -> np.ndarray:
    """CV groups of labelled comments: the video/post they sit under, else the comment itself."""
    return (data["source"] + ":" + data["group"].astype("str").fillna(data["comment_key"].astype("str"))).to_numpy(dtype=str)


def fit_comment_model(settings: TrainSettings, version: str, summary: TrainingSummary,
                      name: str) -> CommentModel | None:
    """Fit on every configured source; bundle the text model (LightGBM text + linear weights)."""
    data = load_sources(settings.real_data.comment_sources, load_labelled_comments, summary.notes)
    if data.empty:
        from authfit.training.pretrained import fall_back_to_pretrained

        return fall_back_to_pretrained(settings, name, version, summary, CommentModel)
    texts = data["text"].astype("str").reset_index(drop=True)
    y = data["label"].to_numpy(dtype=float)
    groups = comment_groups(data)
    oof = out_of_fold(texts, y, groups, settings.modeling.cv.folds, settings.modeling.cv.seed)
    threshold = choose_threshold(y, oof, settings.modeling.calibration.threshold_rule)
    metrics = classification_metrics(y, oof, threshold) | {"threshold": threshold}
    model = CommentSpamModel(kind="stacked", n_jobs=1, seed=settings.modeling.cv.seed).fit(texts, y, groups)
    meta = BundleMetadata(
        name=name, version=version, task="binary", created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        feature_set_version=COMMENT_FEATURE_SET, data_fingerprint=data_fingerprint({"labelled_comments": data}),
        metrics=metrics, threshold=threshold, package_versions=package_versions(),
        params=model.get_params(), extra={"sources": data["source"].value_counts().to_dict()})
    with tempfile.TemporaryDirectory() as tmp:
        reports = {"roc.png": plot_roc(y, oof, Path(tmp) / "roc.png", title=f"{name}: ROC (out of fold)"),
                   "pr.png": plot_pr(y, oof, Path(tmp) / "pr.png", title=f"{name}: PR (out of fold)"),
                   "calibration.png": plot_calibration(y, oof, Path(tmp) / "calibration.png")}
        path = save_bundle(settings.models_dir, meta, model.booster_, [*SHAPE_FEATURES, "linear_margin"],
                           transformers={"comment_model": model}, reports=reports)
    summary.bundles[name] = path
    summary.metrics[name] = metrics
    return CommentModel(load_bundle(path))
