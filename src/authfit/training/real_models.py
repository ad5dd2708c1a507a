"""The two models trained on real labelled data: account authenticity and comment authenticity."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from authfit.datasets.labelled_accounts import load_labelled_accounts
from authfit.features.account_profile import ACCOUNT_FEATURES, account_profile_features
from authfit.features.audience import AccountScorer
from authfit.modeling.bundle import data_fingerprint, load_bundle
from authfit.modeling.metrics import classification_metrics
from authfit.modeling.quantification import (
    ErrorRates,
    Method,
    SampleShape,
    Spread,
    measure_rates,
    worst_source_threshold,
)
from authfit.modeling.model_settings import ModelingSettings
from authfit.modeling.real_data_models import AccountModel
from authfit.training.fit import FittedModel, fit_binary, write_bundle
from authfit.training.pretrained import fall_back_to_pretrained
from authfit.training.train_settings import ACCOUNT_MODEL, AccountRecipe, TrainSettings
from authfit.training.sources import load_sources
from authfit.training.summary import TrainingSummary


log = logging.getLogger(__name__)
ACCOUNT_FEATURE_SET = "account-profile-1"
# Every fake-follower source gives the counts and the profile-picture flag.
CORE_FEATURES: tuple[str, ...] = ("log_followers", "log_following", "log_media", "follow_ratio_log",
                                  "followers_per_post_log", "following_over_1500", "has_profile_pic")
# ... and at least three of the five give these (bio length: not srf2017; private flag: not purba2020;
# external link: kaggle, purba2020, cresci2015; username numbers: not kaggle's length, not purba2020).
PORTABLE_FEATURES: tuple[str, ...] = (*CORE_FEATURES, "bio_length", "is_private", "has_external_url",
                                      "username_length", "username_digit_count", "username_digit_share")
FEATURE_SETS: dict[str, tuple[str, ...]] = {"all": ACCOUNT_FEATURES, "portable": PORTABLE_FEATURES,
                                            "core": CORE_FEATURES}


def cap_per_source(data: pd.DataFrame, cap: int, seed: int) -> pd.DataFrame:
    """About `cap` rows of each larger source: every row kept with probability cap / source size, so each
    label keeps its share in expectation (purba2020 at 2,500 keeps about 2,540 of 42k)."""
    sizes = data.groupby("source")["source"].transform("size")
    keep_share = np.minimum(1.0, cap / sizes.to_numpy())
    draw = np.random.default_rng(seed).random(len(data))
    return data[draw < keep_share].reset_index(drop=True)


AccountFit = Callable[[pd.DataFrame], AccountScorer]


def source_class_weights(data: pd.DataFrame) -> np.ndarray:
    """Row weights giving every (source, label) pair the same total weight, mean 1: no source and no
    source's majority class sets the model alone, and which source a row comes from says nothing about
    its label (so a source's missing columns cannot stand in for its fake share)."""
    cell = data["source"].astype("str") + ":" + data["label"].astype("str")
    sizes = cell.map(cell.value_counts()).to_numpy(dtype=float)
    return len(data) / (cell.nunique() * sizes)


def fit_account(data: pd.DataFrame, modeling: ModelingSettings,
                recipe: AccountRecipe | None = None) -> FittedModel:
    """The product's account model on labelled accounts (profile features, grouped by source and account),
    fitted the way `recipe` says (the default: the shipped recipe)."""
    recipe = recipe or AccountRecipe()
    X = account_profile_features(data)[list(FEATURE_SETS[recipe.features])]
    y = data["label"].to_numpy(dtype=float)
    groups = (data["source"] + ":" + data["account_key"].astype("str")).to_numpy()
    weight = source_class_weights(data) if recipe.weighting == "source_class" else None
    if recipe.monotone_increasing:
        own = modeling.lgbm_overrides.get(ACCOUNT_MODEL, {}) | {
            "monotone_increasing": list(recipe.monotone_increasing)}
        overrides = modeling.lgbm_overrides | {ACCOUNT_MODEL: own}
        modeling = modeling.model_copy(update={"lgbm_overrides": overrides})
    fitted = fit_binary(ACCOUNT_MODEL, X, y, groups, modeling, sample_weight=weight)
    return replace(fitted, params=fitted.params | {"recipe": recipe.model_dump(mode="json")})


def fitted_scorer(fitted: FittedModel) -> AccountScorer:
    """Calibrated fake probabilities of profiles from a fitted (not yet written) account model, the way the
    written bundle's `AccountModel.predict_proba` computes them."""
    names = list(fitted.cv.feature_names)

    def score(profiles: pd.DataFrame) -> np.ndarray:
        if len(profiles) == 0:
            return np.zeros(0)
        raw = fitted.cv.booster.predict(account_profile_features(profiles).reindex(columns=names))
        return raw if fitted.calibrator is None else fitted.calibrator.transform(raw)
    return score


def out_of_source(data: pd.DataFrame, fit: AccountFit) -> np.ndarray:
    """Every row's fake probability from a model fitted (by `fit`) on the other sources only."""
    p = np.full(len(data), np.nan)
    for source in data["source"].unique():
        held = (data["source"] == source).to_numpy()
        p[held] = fit(data[~held])(data[held])
    return p


def share_estimator(data: pd.DataFrame, p_out: np.ndarray, method: Method, spread: Spread) -> ErrorRates:
    """The verdict threshold with the best worst-source balanced accuracy of the out-of-source
    probabilities, and the per-source error rates at that threshold (the audience share's correction)."""
    y, sources = data["label"].to_numpy(dtype=float), data["source"].to_numpy()
    threshold = worst_source_threshold(y, p_out, sources)
    return measure_rates(y, p_out, sources, threshold, method, spread, SampleShape())


def out_of_source_metrics(data: pd.DataFrame, p_out: np.ndarray, threshold: float) -> dict[str, float]:
    """Per source, from a model that never saw it: ROC-AUC, and sensitivity, specificity and balanced
    accuracy at the verdict threshold."""
    from sklearn.metrics import roc_auc_score

    out = {}
    for source in data["source"].unique():
        mask = (data["source"] == source).to_numpy()
        y, p = data["label"].to_numpy(dtype=float)[mask], p_out[mask]
        sensitivity = float((p[y == 1] >= threshold).mean())
        specificity = float((p[y == 0] < threshold).mean())
        out |= {f"out_of_source_roc_auc_{source}": float(roc_auc_score(y, p)),
                f"out_of_source_sensitivity_{source}": sensitivity,
                f"out_of_source_specificity_{source}": specificity,
                f"out_of_source_balanced_accuracy_{source}": (sensitivity + specificity) / 2}
    return out


def _transfer_summary(fitted: FittedModel, y: np.ndarray, sources: pd.Series) -> dict[str, float]:
    """Out-of-fold (in-source) ROC-AUC per source."""
    from sklearn.metrics import roc_auc_score

    out = {}
    for source in sources.unique():
        mask = (sources == source).to_numpy()
        if len(np.unique(y[mask])) == 2:
            out[f"roc_auc_{source}"] = float(roc_auc_score(y[mask], fitted.oof[mask]))
    return out


def with_test_sources(rates: ErrorRates, data: pd.DataFrame, p_held: np.ndarray, tests: pd.DataFrame,
                      p_tests: np.ndarray) -> ErrorRates:
    """The share's error rates of the training sources (`p_held`, as `share_estimator` measured them) and of
    the test-only sources `tests` (`p_tests`: scored by the final model, which never saw them), at the
    threshold chosen on the training sources; the training sources are named first."""
    y = np.r_[data["label"].to_numpy(dtype=float), tests["label"].to_numpy(dtype=float)]
    sources = np.r_[data["source"].to_numpy(dtype=str), tests["source"].to_numpy(dtype=str)]
    both = measure_rates(y, np.r_[p_held, p_tests], sources, rates.threshold, rates.method, rates.spread,
                         SampleShape())
    return both.model_copy(update={"train_prior": rates.train_prior})  # emq: the prior it was calibrated at


def train_account_model(settings: TrainSettings, version: str, summary: TrainingSummary,
                        test_sources: tuple[str, ...] = (), rates_left_out: tuple[str, ...] = ()
                        ) -> AccountModel | None:
    """Fit on every configured real source at once, grouped by account; choose the verdict threshold and
    measure the audience share's error rates on leave-one-source-out predictions; write the bundle.
    `test_sources` (the pretrained build: sources whose licence forbids training on them) are scored by the
    final model and only add their error rates and out-of-source metrics; nothing is fitted or chosen on
    them. `rates_left_out`: test sources that add their metrics but not their error rates."""
    data = load_sources(settings.real_data.account_sources, load_labelled_accounts, summary.notes)
    if data.empty:
        return fall_back_to_pretrained(settings, ACCOUNT_MODEL, version, summary, AccountModel)
    data = cap_per_source(data, settings.real_data.max_rows_per_source, settings.real_data.seed)
    y = data["label"].to_numpy(dtype=float)
    recipe = settings.real_data.account
    fitted = fit_account(data, settings.modeling, recipe)
    several = data["source"].nunique() > 1
    if several:
        p_held = out_of_source(data, lambda part: fitted_scorer(fit_account(part, settings.modeling, recipe)))
    else:  # one source (the licensed pretrained set): nothing to hold out, so out of fold, and said so
        p_held = fitted.oof
    if not several and not test_sources:
        summary.notes.append(f"{ACCOUNT_MODEL}: one labelled source, so its threshold and error rates are "
                             "measured out of fold within it; the fake-follower share's interval cannot "
                             "carry how other populations differ")
    rates = share_estimator(data, p_held, settings.real_data.share_method, settings.real_data.share_spread)
    metrics = classification_metrics(y, fitted.oof, rates.threshold) | {"threshold": rates.threshold}
    metrics |= _transfer_summary(fitted, y, data["source"])
    if several:
        metrics |= out_of_source_metrics(data, p_held, rates.threshold)
    rule = "leave-one-source-out" if several else "out of fold within the one source"
    tests = load_sources(list(test_sources), load_labelled_accounts, summary.notes) if test_sources else None
    if tests is not None and not tests.empty:
        p_tests = fitted_scorer(fitted)(tests)
        rates = with_test_sources(rates, data, p_held, tests, p_tests)
        rates = rates.only([s for s in rates.sources if s not in rates_left_out])
        metrics |= out_of_source_metrics(tests, p_tests, rates.threshold)
        rated = [s for s in tests["source"].unique() if s not in rates_left_out]
        fitted.extra["error_rates_rule"] = (
            f"{', '.join(data['source'].unique())} {rule}; {', '.join(rated)} scored by this model, which was "
            "never trained on them (test only, at the threshold chosen on the training sources)"
            + (f"; {', '.join(rates_left_out)} tested but left out of the rates" if rates_left_out else ""))
    fitted = replace(fitted, threshold=rates.threshold, metrics=metrics)
    fitted.extra.update({"error_rates": rates.model_dump(mode="json"),
                         "sources": data["source"].value_counts().to_dict(),
                         "recipe": recipe.model_dump(mode="json"),
                         "threshold_rule": f"best worst-source balanced accuracy, {rule}"})
    fingerprint = data_fingerprint({"labelled_accounts": data})
    path = write_bundle(fitted, y, settings.models_dir, version, fingerprint, ACCOUNT_FEATURE_SET)
    summary.bundles[ACCOUNT_MODEL] = path
    summary.metrics[ACCOUNT_MODEL] = fitted.metrics
    summary.examples[ACCOUNT_MODEL] = account_profile_features(data)[list(fitted.cv.feature_names)].head(5)
    return AccountModel(load_bundle(path))
