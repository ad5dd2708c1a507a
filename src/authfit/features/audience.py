"""Audience features: the estimated fake-follower share of each influencer from a scored follower sample."""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy.stats import norm

from authfit.features.registry import FeatureSpec
from authfit.modeling.quantification import ErrorRates

FAMILY = "audience"


class AccountScorer(Protocol):
    """Anything that maps account profiles (contract profile columns) to fake probabilities in [0, 1]."""

    def __call__(self, profiles: pd.DataFrame) -> np.ndarray: ...


class AudienceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confidence: float = Field(
        0.95, gt=0, lt=1, description="coverage of the Wilson interval and of the fake-share interval"
    )
    mass_follow_threshold: int = Field(
        1500, ge=0, description="followers following more accounts than this hardly see any one post"
    )


FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("audience_sample_size", FAMILY, "number of sampled followers"),
    FeatureSpec(
        "audience_fake_share",
        FAMILY,
        "share of sampled followers the account scorer flags as fake (at the threshold its error rates "
        "were measured at)",
    ),
    FeatureSpec(
        "audience_fake_share_lo", FAMILY, "lower bound of the Wilson interval of audience_fake_share"
    ),
    FeatureSpec(
        "audience_fake_share_hi", FAMILY, "upper bound of the Wilson interval of audience_fake_share"
    ),
    FeatureSpec(
        "audience_fake_share_corrected",
        FAMILY,
        "estimated fake-follower share from the account scorer's probabilities, by the estimator stored "
        "with it (EMQ, adjusted classify-and-count or its probabilistic form) and corrected with its errors "
        "measured out of source on the labelled sets",
    ),
    FeatureSpec(
        "audience_fake_share_corrected_lo",
        FAMILY,
        "lower bound of the estimate's interval, which allows for the sample's size and for the scorer "
        "erring like any of its out-of-source tests",
    ),
    FeatureSpec("audience_fake_share_corrected_hi", FAMILY, "upper bound of that interval"),
    FeatureSpec(
        "audience_mass_follow_share",
        FAMILY,
        "share of sampled followers following more than mass_follow_threshold accounts "
        "(1 - HypeAuditor's audience reachability)",
    ),
)


SHARE_MEANING = (
    "The range allows for the size of the follower sample and for the account model erring on this audience "
    "as it did, source by source, on labelled accounts it was not trained on, so a wide range means the data "
    "cannot say more, not that the audience is unusual.")
# With one labelled source the error rates are measured within it, so the range cannot allow for an audience
# unlike that source, and saying otherwise would oversell a narrow interval.
SHARE_MEANING_ONE_SOURCE = (
    "The range allows for the size of the follower sample and for the account model's errors on the one "
    "labelled source it was trained on, not for audiences unlike that source: on other populations the true "
    "share can lie outside it.")


def _percent(values: np.ndarray) -> np.ndarray:
    """Whole percent, rounded half to even as pandas rounds, as text ("12%"); an object array."""
    return np.round(100 * values).astype(np.int64).astype(str).astype(object) + "%"


def share_sentences(share: pd.Series, lo: pd.Series, hi: pd.Series, confidence: float = 0.95,
                    out_of_source: bool = True) -> pd.Series:
    """Per influencer, the estimated fake-follower share with its interval and what the interval means (whose
    errors it allows for: `out_of_source` when the error rates were measured on sources held out), in
    plain words (pandas' string dtype, as a scores file reads back; missing where there is no estimate)."""
    index = pd.Series(share).index
    share, lo, hi = (pd.to_numeric(pd.Series(v), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
                     for v in (share, lo, hi))
    known = ~(np.isnan(share) | np.isnan(lo) | np.isnan(hi))
    share, lo, hi = (np.where(known, v, 0.0) for v in (share, lo, hi))
    text = ("An estimated " + _percent(share) + " of followers are fake; with " + f"{confidence:.0%}"
            + " confidence the true share is between " + _percent(lo) + " and " + _percent(hi) + ". "
            + (SHARE_MEANING if out_of_source else SHARE_MEANING_ONE_SOURCE))
    return pd.Series(np.where(known, text, None), index=index, dtype="str")


@lru_cache(maxsize=8)
def _z(confidence: float) -> float:
    """The two-sided standard normal quantile of `confidence` (scipy's ppf costs more than the interval)."""
    return float(norm.ppf(0.5 + confidence / 2.0))


def wilson_interval(
    successes: np.ndarray, trials: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion; NaN where trials is 0."""
    z = _z(confidence)
    n = np.asarray(trials, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.asarray(successes, dtype=np.float64) / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    valid = n > 0
    return np.where(valid, np.clip(centre - half, 0, 1), np.nan), np.where(
        valid, np.clip(centre + half, 0, 1), np.nan
    )


_SHARE_COLUMNS = tuple(spec.name for spec in FEATURES if "fake_share" in spec.name)


def _fake_shares(
    codes: np.ndarray, scores: np.ndarray, n_groups: int, rates: ErrorRates, settings: AudienceSettings
) -> dict[str, np.ndarray]:
    """The fake-share columns per group code 0..n_groups-1 from the followers' scores (no NaN); NaN for
    groups without a scored follower."""
    present = np.bincount(codes, minlength=n_groups) > 0
    dense = (np.cumsum(present) - 1)[codes]  # the estimators want codes 0..g-1, every code present
    n = np.bincount(dense).astype(np.float64)
    k = np.bincount(dense, weights=(scores >= rates.threshold).astype(np.float64), minlength=len(n))
    lo, hi = wilson_interval(k, n, settings.confidence)
    out = np.full((n_groups, len(_SHARE_COLUMNS)), np.nan)
    out[present] = np.column_stack([k / n, lo, hi, *rates.estimate(dense, scores, settings.confidence)])
    return dict(zip(_SHARE_COLUMNS, out.T))


def audience_features(
    audience: pd.DataFrame,
    account_scorer: AccountScorer | None,
    error_rates: ErrorRates | None = None,
    settings: AudienceSettings | None = None,
) -> pd.DataFrame:
    """Audience features per influencer with a follower sample (index account_id in sorted order, float64).
    Followers are flagged at `error_rates.threshold`, the threshold the rates were measured at. Without a
    scorer the fake-share columns are NaN; without rates the scorer is taken as perfect at 0.5."""
    settings = settings or AudienceSettings()
    rates = error_rates or ErrorRates()
    codes, ids = pd.factorize(audience["influencer_id"], sort=True)
    known, n_groups = codes >= 0, len(ids)
    following = audience["following_count"].to_numpy(dtype=np.float64, na_value=np.nan)
    counted = known & ~np.isnan(following)
    mass = np.bincount(codes[counted], weights=following[counted] > settings.mass_follow_threshold,
                       minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        mass_share = mass / np.bincount(codes[counted], minlength=n_groups)
    columns = {"audience_sample_size": np.bincount(codes[known], minlength=n_groups).astype(np.float64),
               "audience_mass_follow_share": mass_share}
    if account_scorer is not None and len(audience):
        scores = np.asarray(account_scorer(audience), dtype=np.float64)
        if scores.shape != (len(audience),):
            raise ValueError(f"account scorer returned shape {scores.shape}, expected ({len(audience)},)")
        scored = known & ~np.isnan(scores)
        columns.update(_fake_shares(codes[scored], scores[scored], n_groups, rates, settings))
    names = [spec.name for spec in FEATURES]
    values = np.column_stack([columns.get(name, np.full(n_groups, np.nan)) for name in names])
    return pd.DataFrame(values, index=pd.Index(ids, name="account_id"), columns=names)
