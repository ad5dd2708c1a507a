"""`authfit train`: the four models, trained in dependency order and written as one set of bundles.

1. account authenticity, on the real labelled account sets (it scores audience samples);
2. comment authenticity, on the real labelled comments (it scores comments);
3. the feature builder, fitted on the contract tables with both scorers plugged in;
4. fake engagement, on the influencer features and the `labels` table;
5. campaign conversion, on influencer x campaign features and `outcomes`.
Steps 4 and 5 fit their boosters with the configured engine (`engine.kind`: local, or dask for
lightgbm.dask on a cluster); 1 and 2 are small real sets and always train locally.
Each is saved as a bundle under models/<name>/<version>/, `models/latest.json` points at the new set,
and each run is logged to MLflow (a failure there is reported, never fatal).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from authfit.features.build import FeatureBuilder, FeatureSettings
from authfit.modeling.bundle import data_fingerprint, new_version, write_latest
from authfit.modeling.dask_lgbm import open_trainer
from authfit.modeling.heldout import HeldOut, heldout_sample
from authfit.modeling.lgbm import BoosterTrainer
from authfit.modeling.tracking import ModelSet, config_as_dict, log_training_run
from authfit.progress import Stages
from authfit.training.fit import FittedModel, fit_binary, fit_count, write_bundle
from authfit.modeling.real_data_models import plugged_scorers
from authfit.contract.schema import DEFAULT_CURRENCY
from authfit.training.comment_model import train_comment_model
from authfit.training.real_models import train_account_model
from authfit.training.train_settings import CONVERSION_MODEL, FAKE_ENGAGEMENT_MODEL, TrainSettings
from authfit.training.summary import TrainingSummary
from authfit.contract.validate import load_contract_tables

log = logging.getLogger(__name__)
EXPOSURE_COLUMN = "exposure_followers"
TRAIN_STAGES = ("account model", "comment model", "feature builder", "fake-engagement and conversion models",
                "MLflow tracking")


class TrainingError(ValueError):
    """The training data cannot train a model, for a reason the user can act on."""


class ModelSkipped(TrainingError):
    """An optional model (campaign conversion) cannot be trained on this data; the set goes on without it."""


def influencer_training_set(features: pd.DataFrame, labels: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Feature rows of the labelled influencers, and their 0/1 labels."""
    y = labels.drop_duplicates("account_id").set_index("account_id")["fake_engagement"]
    ids = features.index.intersection(y.index)
    if len(ids) < 20 or y.loc[ids].nunique() < 2:
        counts = y.loc[ids].value_counts()
        raise TrainingError(
            "fake engagement needs >= 20 labelled influencers with both classes; got "
            f"{int(counts.get(1, 0))} labelled fake (fake_engagement=1) and {int(counts.get(0, 0))} labelled "
            f"authentic (fake_engagement=0) among the {len(features)} influencers with features"
            + (f"; {len(y) - len(ids)} labels name no known influencer" if len(y) > len(ids) else ""))
    return features.loc[ids], y.loc[ids].to_numpy(dtype=float)


def conversion_training_set(builder: FeatureBuilder, tables: dict[str, pd.DataFrame]
                            ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Influencer x campaign features with the exposure column, conversions, campaign start (time order)
    and campaign id (ranking groups)."""
    pairs = builder.campaign_features(tables)
    outcomes = tables["outcomes"].set_index(["campaign_id", "account_id"])["conversions"]
    pairs = pairs.loc[pairs.index.intersection(outcomes.index)]
    followers = tables["accounts"].set_index("account_id")["follower_count"]
    exposure = followers.reindex(pairs.index.get_level_values("account_id")).to_numpy(dtype=float)
    keep = np.isfinite(exposure) & (exposure > 0)
    pairs = pairs.loc[keep]
    start = tables["campaigns"].set_index("campaign_id")["start_date"]
    campaign = pairs.index.get_level_values("campaign_id")
    time_order = start.reindex(campaign).fillna(start.min()).to_numpy()
    return pairs, outcomes.loc[pairs.index].to_numpy(dtype=float), exposure[keep], time_order, campaign.to_numpy()


def cost_curve(tables: dict[str, pd.DataFrame], bins: int = 12) -> dict[str, list[float] | str]:
    """Median fee by log10(followers), from past outcomes, and its currency: the cost estimate when a
    candidate has no offer (the scorer extrapolates it in log-log space beyond the fitted range)."""
    outcomes = tables["outcomes"].dropna(subset=["cost"])
    followers = tables["accounts"].set_index("account_id")["follower_count"]
    x = np.log10(followers.reindex(outcomes["account_id"]).to_numpy(dtype=float).clip(min=1))
    frame = pd.DataFrame({"x": x, "cost": outcomes["cost"].to_numpy(dtype=float)}).dropna()
    if len(frame) < bins:
        return {}
    frame["bin"] = pd.qcut(frame["x"], bins, labels=False, duplicates="drop")
    curve = frame.groupby("bin").agg(x=("x", "median"), cost=("cost", "median"))
    return {"log10_followers": curve["x"].tolist(), "cost": curve["cost"].cummax().tolist(),
            "currency": _outcome_currency(tables, outcomes)}


def _outcome_currency(tables: dict[str, pd.DataFrame], outcomes: pd.DataFrame) -> str:
    """The currency of the fees behind the cost curve; mixed currencies cannot make one curve."""
    campaigns = tables.get("campaigns")
    if campaigns is None or "currency" not in campaigns:
        return DEFAULT_CURRENCY
    used = campaigns.set_index("campaign_id")["currency"].reindex(outcomes["campaign_id"]).fillna(DEFAULT_CURRENCY)
    if used.nunique() > 1:
        raise TrainingError(f"outcome costs are in several currencies ({sorted(used.unique())}); convert them "
                            f"to one before training")
    return str(used.iloc[0]) if len(used) else DEFAULT_CURRENCY


def train_fake_engagement(features: pd.DataFrame, tables: dict[str, pd.DataFrame],
                          settings: TrainSettings, trainer: BoosterTrainer | None = None
                          ) -> tuple[FittedModel, np.ndarray, pd.DataFrame]:
    X, y = influencer_training_set(features, tables["labels"])
    return fit_binary(FAKE_ENGAGEMENT_MODEL, X, y, X.index.to_numpy(), settings.modeling, trainer), y, X


def train_conversion(builder: FeatureBuilder, tables: dict[str, pd.DataFrame], settings: TrainSettings,
                     trainer: BoosterTrainer | None = None) -> tuple[FittedModel, np.ndarray, pd.DataFrame]:
    X, y, exposure, time_order, campaign = conversion_training_set(builder, tables)
    if len(X) < 50 or y.sum() == 0:
        raise ModelSkipped(f"campaign conversion not trained: it needs >= 50 outcome rows with conversions; "
                           f"got {len(X)} rows, {int(y.sum())} conversions")
    blocks, starts = settings.modeling.cv.time_folds + 1, pd.Series(time_order).nunique()
    if starts < blocks:
        raise ModelSkipped(f"campaign conversion not trained: its {settings.modeling.cv.time_folds} time folds "
                           f"need outcomes of campaigns with >= {blocks} distinct start dates; got {starts}")
    model = fit_count(CONVERSION_MODEL, X, y, exposure, time_order, campaign, settings.modeling, EXPOSURE_COLUMN,
                      trainer=trainer)
    model.extra["cost_curve"] = cost_curve(tables)
    return model, y, X.assign(**{EXPOSURE_COLUMN: exposure})


def without_scorers(builder: FeatureBuilder) -> FeatureBuilder:
    """A copy of the fitted builder with the model scorers unplugged: those models travel in their own
    bundles and are plugged back in when a scorer loads the set."""
    return copy.copy(builder).set_params(**plugged_scorers(None, None))


def train_all(settings: TrainSettings, feature_settings: FeatureSettings) -> TrainingSummary:
    """Train every model and write the set of bundles; see the module docstring for the order."""
    summary = TrainingSummary(version=new_version())
    loaded = load_contract_tables(settings.data)
    summary.rejected_rows = int(loaded.rejects.shape[0])
    tables = loaded.tables
    if "labels" not in tables or "accounts" not in tables:
        raise TrainingError(f"{settings.data} needs at least the accounts and labels tables to train")
    progress = Stages("train", TRAIN_STAGES)
    try:
        progress.advance()
        account = train_account_model(settings, summary.version, summary)
        progress.advance()
        comment = train_comment_model(settings, summary.version, summary)
        progress.advance()
        builder = FeatureBuilder(feature_settings, **plugged_scorers(account, comment)).fit(tables)
        progress.advance()
        with open_trainer(settings.engine) as trainer:
            train_influencer_models(builder, tables, settings, summary, trainer)
    except BaseException:
        remove_bundles(summary.bundles.values())
        raise
    write_latest(settings.models_dir, summary.bundles)  # the set is published only once all of it is written
    progress.advance()
    track_all(summary, settings, tables)
    progress.finish()
    return summary


def remove_bundles(bundles: Iterable[Path]) -> None:
    """Delete the bundles a failed run wrote (each is built aside and moved into place whole), and model
    folders left empty, so that no part of an unfinished set stays behind."""
    import shutil

    for bundle in bundles:
        shutil.rmtree(bundle, ignore_errors=True)
        if bundle.parent.is_dir() and not any(bundle.parent.iterdir()):
            bundle.parent.rmdir()


def train_influencer_models(builder: FeatureBuilder, tables: dict[str, pd.DataFrame], settings: TrainSettings,
                            summary: TrainingSummary, trainer: BoosterTrainer) -> None:
    """Fake engagement and campaign conversion, each booster fitted by `trainer` (the configured engine),
    written as bundles of `summary.version` with the fitted feature builder."""
    features = builder.transform(tables)
    portable = without_scorers(builder)
    fingerprint = data_fingerprint({k: v for k, v in tables.items()})

    def record(name: str, fitted: FittedModel, y: np.ndarray, examples: pd.DataFrame, heldout: HeldOut) -> None:
        summary.fit_seconds[name] = fitted.fit_seconds
        summary.bundles[name] = write_bundle(fitted, y, settings.models_dir, summary.version, fingerprint,
                                             builder.feature_set_version_, transformers={"features": portable})
        summary.metrics[name] = fitted.metrics
        summary.examples[name] = examples
        summary.heldout[name] = heldout

    fake, y_fake, X_fake = train_fake_engagement(features, tables, settings, trainer)
    record(FAKE_ENGAGEMENT_MODEL, fake, y_fake, features.head(5),
           heldout_sample("binary", X_fake.index, y_fake, fake.oof, seed=settings.modeling.cv.seed))
    if "outcomes" in tables and "campaigns" in tables:
        try:
            conversion, y_conv, X_conv = train_conversion(builder, tables, settings, trainer)
        except ModelSkipped as skipped:
            summary.notes.append(str(skipped))
            return
        campaigns = X_conv.index.get_level_values("campaign_id").to_numpy()
        record(CONVERSION_MODEL, conversion, y_conv, X_conv.head(5), heldout_sample(
            "count", X_conv.index, y_conv, conversion.oof, campaigns, seed=settings.modeling.cv.seed))
    else:
        summary.notes.append("no campaigns/outcomes tables: campaign conversion model not trained")


def track_all(summary: TrainingSummary, settings: TrainSettings,
              tables: dict[str, pd.DataFrame] | None = None) -> None:
    """Log each bundle to MLflow and register it with its set, then promote the set as a whole
    (`promote_trained_set`; `tables` are what the champion set is re-scored on). Failures are warnings
    recorded in the summary; a set registered only in part is never promoted."""
    from authfit.modeling.bundle import load_bundle

    model_set = ModelSet(summary.version, tuple(summary.bundles))
    for name, path in summary.bundles.items():
        bundle = load_bundle(path)
        example = summary.examples.get(name)
        if example is None:
            example = pd.DataFrame([np.zeros(len(bundle.features))], columns=list(bundle.features))
        summary.tracking[name] = log_training_run(
            path, settings.project_dir, settings.modeling.tracking, example,
            params=bundle.metadata.params, config=config_as_dict(settings), model_set=model_set,
            heldout=summary.heldout.get(name))
        if summary.tracking[name] is None and settings.modeling.tracking.enabled:
            summary.notes.append(f"{name}: MLflow tracking failed; the bundle is at {path}")
    versions = {name: t.registered_version for name, t in summary.tracking.items() if t and t.registered_version}
    if summary.bundles and len(versions) == len(summary.bundles):
        promote(summary, settings, versions, tables)


def promote(summary: TrainingSummary, settings: TrainSettings, versions: dict[str, str],
            tables: dict[str, pd.DataFrame] | None) -> None:
    from authfit.training.promote import promote_trained_set

    uri = next(iter(summary.tracking.values())).tracking_uri
    try:
        summary.promotion = promote_trained_set(
            summary.bundles, versions, summary.heldout, tables, settings.modeling.promotion, uri, summary.version,
            EXPOSURE_COLUMN)
    except Exception as exc:  # noqa: BLE001 - the bundles stay the source of truth, as with tracking
        log.warning("promotion failed: %s: %s", type(exc).__name__, exc)
        summary.notes.append(f"promotion failed ({type(exc).__name__}: {exc}); the set is registered "
                             f"without an alias")
        return
    summary.notes.append(f"model set {summary.version} is @{summary.promotion.alias}: "
                         f"{summary.promotion.decision.reason}")
