"""Comment authenticity: the text model fitted on real labelled comments, measured out of fold, bundled."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from authfit.datasets.labelled_comments import load_labelled_comments
from authfit.modeling.bundle import BundleMetadata, data_fingerprint, load_bundle, package_versions, save_bundle
from authfit.modeling.comment_spam import STACKED_INPUTS, out_of_fold
from authfit.modeling.evaluation import evaluate_binary_oof
from authfit.modeling.metrics import plot_calibration, plot_pr, plot_roc
from authfit.modeling.real_data_models import CommentModel
from authfit.training.pretrained import fall_back_to_pretrained
from authfit.training.train_settings import COMMENT_MODEL, TrainSettings
from authfit.training.sources import load_sources
from authfit.training.summary import TrainingSummary


COMMENT_FEATURE_SET = "comment-text-1"


def comment_groups(data: pd.DataFrame) -> np.ndarray:
    """CV groups of labelled comments: the video/post they sit under, else the comment itself."""
    return (data["source"] + ":" + data["group"].astype("str").fillna(data["comment_key"].astype("str"))).to_numpy(dtype=str)


def fit_comment_model(settings: TrainSettings, version: str, summary: TrainingSummary,
                      name: str) -> CommentModel | None:
    """Fit on every configured source; bundle the text model (LightGBM text + linear weights)."""
    data = load_sources(settings.real_data.comment_sources, load_labelled_comments, summary.notes)
    if data.empty:
        return fall_back_to_pretrained(settings, name, version, summary, CommentModel)
    texts = data["text"].astype("str").reset_index(drop=True)
    y = data["label"].to_numpy(dtype=float)
    groups = comment_groups(data)
    cv = settings.modeling.cv
    oof, fold = out_of_fold(texts, y, groups, settings.comment, cv.folds, cv.seed)
    # the shipped threshold sees every OOF row; the reported metrics use thresholds fitted on other folds
    evaluation = evaluate_binary_oof(y, oof, fold, None, settings.modeling.calibration.rule_for(name))
    threshold = evaluation.threshold
    metrics = evaluation.metrics | {"threshold": threshold}
    model = settings.comment.model(cv.seed).fit(texts, y, groups)
    meta = BundleMetadata(
        name=name, version=version, task="binary", created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        feature_set_version=COMMENT_FEATURE_SET, data_fingerprint=data_fingerprint({"labelled_comments": data}),
        metrics=metrics, threshold=threshold, package_versions=package_versions(),
        params=model.get_params(), extra={"sources": data["source"].value_counts().to_dict()})
    with tempfile.TemporaryDirectory() as tmp:
        reports = {"roc.png": plot_roc(y, oof, Path(tmp) / "roc.png", title=f"{name}: ROC (out of fold)"),
                   "pr.png": plot_pr(y, oof, Path(tmp) / "pr.png", title=f"{name}: PR (out of fold)"),
                   "calibration.png": plot_calibration(y, oof, Path(tmp) / "calibration.png")}
        path = save_bundle(settings.models_dir, meta, model.booster_, list(STACKED_INPUTS),
                           transformers={"comment_model": model}, reports=reports)
    summary.bundles[name] = path
    summary.metrics[name] = metrics
    return CommentModel(load_bundle(path))


def train_comment_model(settings: TrainSettings, version: str, summary: TrainingSummary) -> CommentModel | None:
    """Fit the comment-spam text model on every configured real source and write the bundle."""
    return fit_comment_model(settings, version, summary, COMMENT_MODEL)
