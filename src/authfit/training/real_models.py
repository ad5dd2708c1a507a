"""The two models trained on real labelled data: account authenticity and comment authenticity."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from authfit.datasets.labelled_accounts import load_labelled_accounts
from authfit.datasets.paths import DatasetMissingError
from authfit.features.account_profile import account_profile_features
from authfit.modeling.bundle import data_fingerprint, load_bundle
from authfit.scoring.components import AccountModel, CommentModel
from authfit.training.fit import FittedModel, fit_binary, write_bundle
from authfit.training.settings import ACCOUNT_MODEL, COMMENT_MODEL, TrainSettings

if TYPE_CHECKING:
    from authfit.training.pipeline import TrainingSummary

log = logging.getLogger(__name__)
ACCOUNT_FEATURE_SET = "account-profile-1"


def load_sources(sources: list[str], loader, notes: list[str]) -> pd.DataFrame:
    """Concatenate the labelled sources that are present; a missing one is noted, not fatal."""
    frames = []
    for source in sources:
        try:
            frames.append(loader(source))
        except DatasetMissingError as exc:
            notes.append(f"skipped {source}: {exc}")
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def cap_per_source(data: pd.DataFrame, cap: int, seed: int) -> pd.DataFrame:
    """About `cap` rows of each larger source: every row kept with probability cap / source size, so each
    label keeps its share in expectation (purba2020 at 2,500 keeps about 2,540 of 42k)."""
    sizes = data.groupby("source")["source"].transform("size")
    keep_share = np.minimum(1.0, cap / sizes.to_numpy())
    draw = np.random.default_rng(seed).random(len(data))
    return data[draw < keep_share].reset_index(drop=True)


def error_rates(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    """Sensitivity and specificity at the threshold, out of fold: the audience share's correction."""
    flagged = p >= threshold
    return {"sensitivity": float(flagged[y == 1].mean()), "specificity": float((~flagged[y == 0]).mean())}


def _transfer_summary(fitted: FittedModel, y: np.ndarray, sources: pd.Series) -> dict[str, float]:
    """Out-of-fold ROC-AUC per source, so a weak source shows in the metadata."""
    from sklearn.metrics import roc_auc_score

    out = {}
    for source in sources.unique():
        mask = (sources == source).to_numpy()
        if len(np.unique(y[mask])) == 2:
            out[f"roc_auc_{source}"] = float(roc_auc_score(y[mask], fitted.oof[mask]))
    return out


def transfer_heatmap(directory: Path, seed: int, notes: list[str]) -> dict[str, Path]:
    """The cross-source transfer matrix as a heatmap PNG; a missing source is noted and skips it."""
    from authfit.benchmarks.accounts import transfer_matrix
    from authfit.report.training import plot_transfer_matrix

    try:
        matrix = transfer_matrix(seed=seed)
    except DatasetMissingError as exc:
        notes.append(f"transfer matrix skipped: {exc}")
        return {}
    return {"transfer_matrix.png": plot_transfer_matrix(matrix, directory / "transfer_matrix.png")}


def train_account_model(settings: TrainSettings, version: str, summary: TrainingSummary) -> AccountModel | None:
    """Fit on every configured real source at once, grouped by account, and write the bundle."""
    data = load_sources(settings.real_data.account_sources, load_labelled_accounts, summary.notes)
    if data.empty:
        from authfit.training.pretrained import fall_back_to_pretrained

        return fall_back_to_pretrained(settings, ACCOUNT_MODEL, version, summary, AccountModel)
    data = cap_per_source(data, settings.real_data.max_rows_per_source, settings.real_data.seed)
    X = account_profile_features(data)
    y = data["label"].to_numpy(dtype=float)
    groups = (data["source"] + ":" + data["account_key"].astype("str")).to_numpy()
    fitted = fit_binary(ACCOUNT_MODEL, X, y, groups, settings.modeling)
    per_source = _transfer_summary(fitted, y, data["source"])
    fitted.metrics.update(per_source)
    fitted.extra.update({"error_rates": error_rates(y, fitted.oof, fitted.threshold or 0.5),
                         "sources": data["source"].value_counts().to_dict()})
    fingerprint = data_fingerprint({"labelled_accounts": data})
    with tempfile.TemporaryDirectory() as tmp:
        extra = transfer_heatmap(Path(tmp), settings.real_data.seed, summary.notes) \
            if settings.real_data.transfer_matrix else {}
        path = write_bundle(fitted, y, settings.models_dir, version, fingerprint, ACCOUNT_FEATURE_SET,
                            extra_reports=extra)
    summary.bundles[ACCOUNT_MODEL] = path
    summary.metrics[ACCOUNT_MODEL] = fitted.metrics
    summary.examples[ACCOUNT_MODEL] = X.head(5)
    return AccountModel(load_bundle(path))


def train_comment_model(settings: TrainSettings, version: str, summary: TrainingSummary) -> CommentModel | None:
    """Fit the comment-spam text model on every configured real source and write the bundle."""
    from authfit.training.comment_model import fit_comment_model

    return fit_comment_model(settings, version, summary, COMMENT_MODEL)
