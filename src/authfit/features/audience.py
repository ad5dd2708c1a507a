"""Audience features: the estimated fake-follower share of each influencer from a scored follower sample."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy.stats import norm

from authfit.features.registry import FeatureSpec

FAMILY = "audience"


class AccountScorer(Protocol):
    """Anything that maps account profiles (contract profile columns) to fake probabilities in [0, 1]."""

    def __call__(self, profiles: pd.DataFrame) -> np.ndarray: ...


@dataclass(frozen=True)
class ErrorRates:
    """How well the account scorer, at the chosen threshold, finds fakes (sensitivity) and passes real
    accounts (specificity); measured on held-out labelled accounts."""

    sensitivity: float = 1.0
    specificity: float = 1.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.sensitivity <= 1.0 and 0.0 <= self.specificity <= 1.0):
            raise ValueError("sensitivity and specificity must lie in [0, 1]")
        if self.sensitivity + self.specificity <= 1.0:
            raise ValueError(
                "sensitivity + specificity must exceed 1, else the scorer carries no information"
            )


class AudienceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(
        0.5, ge=0, le=1, description="fake probability at or above which a follower is fake"
    )
    confidence: float = Field(0.95, gt=0, lt=1, description="coverage of the Wilson interval")
    mass_follow_threshold: int = Field(
        1500, ge=0, description="followers following more accounts than this hardly see any one post"
    )


FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("audience_sample_size", FAMILY, "number of sampled followers"),
    FeatureSpec("audience_fake_share", FAMILY, "share of sampled followers the account scorer flags as fake"),
    FeatureSpec(
        "audience_fake_share_lo", FAMILY, "lower bound of the Wilson interval of audience_fake_share"
    ),
    FeatureSpec(
        "audience_fake_share_hi", FAMILY, "upper bound of the Wilson interval of audience_fake_share"
    ),
    FeatureSpec(
        "audience_fake_share_corrected",
        FAMILY,
        "Rogan-Gladen estimate (p + specificity - 1) / (sensitivity + specificity - 1), clipped to [0, 1]",
    ),
    FeatureSpec("audience_fake_share_corrected_lo", FAMILY, "Wilson lower bound corrected the same way"),
    FeatureSpec("audience_fake_share_corrected_hi", FAMILY, "Wilson upper bound corrected the same way"),
    FeatureSpec(
        "audience_mass_follow_share",
        FAMILY,
        "share of sampled followers following more than mass_follow_threshold accounts "
        "(1 - HypeAuditor's audience reachability)",
    ),
)


def wilson_interval(
    successes: np.ndarray, trials: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion; NaN where trials is 0."""
    z = norm.ppf(0.5 + confidence / 2.0)
    n = np.asarray(trials, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.asarray(successes, dtype=np.float64) / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    valid = n > 0
    return np.where(valid, np.clip(centre - half, 0, 1), np.nan), np.where(
        valid, np.clip(centre + half, 0, 1), np.nan
    )


def rogan_gladen(share: np.ndarray, rates: ErrorRates) -> np.ndarray:
    """The true prevalence implied by an apparent share and the scorer's error rates, clipped to [0, 1]."""
    corrected = (np.asarray(share, dtype=np.float64) + rates.specificity - 1.0) / (
        rates.sensitivity + rates.specificity - 1.0
    )
    return np.clip(corrected, 0.0, 1.0)


def _fake_shares(
    influencer: pd.Series, flagged: np.ndarray, rates: ErrorRates, settings: AudienceSettings
) -> pd.DataFrame:
    counts = pd.DataFrame({"k": flagged, "n": 1.0}, index=influencer.to_numpy()).groupby(level=0).sum()
    k, n = counts["k"].to_numpy(), counts["n"].to_numpy()
    lo, hi = wilson_interval(k, n, settings.confidence)
    share = k / n
    return pd.DataFrame(
        {
            "audience_fake_share": share,
            "audience_fake_share_lo": lo,
            "audience_fake_share_hi": hi,
            "audience_fake_share_corrected": rogan_gladen(share, rates),
            "audience_fake_share_corrected_lo": rogan_gladen(lo, rates),
            "audience_fake_share_corrected_hi": rogan_gladen(hi, rates),
        },
        index=counts.index,
    )


def audience_features(
    audience: pd.DataFrame,
    account_scorer: AccountScorer | None,
    error_rates: ErrorRates | None = None,
    settings: AudienceSettings | None = None,
) -> pd.DataFrame:
    """Audience features per influencer with a follower sample (index account_id, float64). Without a
    scorer the fake-share columns are NaN."""
    settings = settings or AudienceSettings()
    rates = error_rates or ErrorRates()
    influencer = audience["influencer_id"]
    following = audience["following_count"].to_numpy(dtype=np.float64)
    mass = np.where(
        np.isnan(following), np.nan, (following > settings.mass_follow_threshold).astype(np.float64)
    )
    base = pd.DataFrame({"mass": mass, "n": 1.0}, index=influencer.to_numpy()).groupby(level=0)
    out = pd.DataFrame(
        {"audience_sample_size": base["n"].sum(), "audience_mass_follow_share": base["mass"].mean()}
    )
    if account_scorer is not None and len(audience):
        scores = np.asarray(account_scorer(audience), dtype=np.float64)
        if scores.shape != (len(audience),):
            raise ValueError(f"account scorer returned shape {scores.shape}, expected ({len(audience)},)")
        flagged = np.where(np.isnan(scores), np.nan, (scores >= settings.threshold).astype(np.float64))
        scored = ~np.isnan(flagged)
        out = out.join(_fake_shares(influencer[scored], flagged[scored], rates, settings))
    out = out.reindex(columns=[spec.name for spec in FEATURES]).astype(np.float64)
    out.index.name = "account_id"
    return out
