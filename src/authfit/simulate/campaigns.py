"""Brand campaigns (drawn once for the world) and their per-influencer outcomes (drawn per block)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from authfit.contract.schema import DEFAULT_CURRENCY
from authfit.simulate.captions import brand_names, briefs
from authfit.simulate.influencers import Population
from authfit.simulate.hashed_ids import counter_ids
from authfit.simulate.world_settings import SimulationSettings
from authfit.simulate.text_assembly import as_series, pick


@dataclass(frozen=True)
class CampaignPlan:
    table: pd.DataFrame  # the contract's campaigns table
    theta: np.ndarray  # (campaigns, niches) topic mixture of each brief
    target_country: np.ndarray
    effect: np.ndarray  # campaign-level multiplier on conversions (product, offer, season)
    pair_campaign: np.ndarray  # (pairs,) sorted by pair_influencer
    pair_influencer: np.ndarray


def _pick_influencers(settings: SimulationSettings, rng: np.random.Generator, niche: int,
                      population: Population) -> np.ndarray:
    """Mostly in-niche influencers plus some from anywhere: brands look beyond their own niche."""
    c, n = settings.campaigns, population.niche.size
    k = min(int(rng.integers(c.influencers_range[0], c.influencers_range[1] + 1)), n)
    in_niche = np.flatnonzero(population.niche == niche)
    first = rng.choice(in_niche, size=min(round(k * c.in_niche_share), in_niche.size), replace=False)
    rest = rng.choice(np.setdiff1d(np.arange(n), first), size=k - first.size, replace=False)
    return np.sort(np.concatenate([first, rest]))


def draw_campaigns(settings: SimulationSettings, rng: np.random.Generator,
                   population: Population) -> CampaignPlan:
    c, k = settings.campaigns, len(settings.niches)
    n = c.n_campaigns
    niche = rng.choice(k, size=n, p=np.asarray(settings.niche_weights) / np.sum(settings.niche_weights))
    theta = rng.dirichlet(np.full(k, c.topic_base_alpha), size=n) + c.topic_focus_alpha * np.eye(k)[niche]
    theta /= theta.sum(axis=1, keepdims=True)
    country_p = np.asarray(settings.country_weights) / np.sum(settings.country_weights)
    target = rng.choice(len(country_p), size=n, p=country_p)
    days = (settings.end_date - settings.start_date).days
    duration = rng.integers(c.duration_days[0], c.duration_days[1] + 1, size=n)
    start = pd.Timestamp(settings.start_date, tz="UTC") + pd.to_timedelta(
        rng.integers(0, max(days - duration.max(), 1), size=n), unit="D")
    table = pd.DataFrame({
        "campaign_id": as_series(counter_ids("cmp_", np.arange(n), 4)),
        "brand": as_series(brand_names(rng, settings.niches, niche)),
        "category": as_series(pick(settings.niches, niche)),
        "brief": as_series(briefs(rng, settings, theta)),
        "target_country": as_series(pick(settings.countries, target)),
        "start_date": start,
        "end_date": start + pd.to_timedelta(duration, unit="D"),
        "currency": DEFAULT_CURRENCY,
    })
    chosen = [_pick_influencers(settings, rng, niche[i], population) for i in range(n)]
    pair_c = np.repeat(np.arange(n), [ch.size for ch in chosen])
    pair_i = np.concatenate(chosen) if chosen else np.zeros(0, np.int64)
    order = np.lexsort((pair_c, pair_i))
    effect = np.exp(rng.normal(0.0, settings.outcomes.campaign_effect_sd, size=n))
    return CampaignPlan(table, theta, target, effect, pair_c[order], pair_i[order])


def topic_fit(campaign_theta: np.ndarray, influencer_theta: np.ndarray) -> np.ndarray:
    """Cosine similarity of the two topic mixtures, row by row (0 = unrelated, 1 = same content)."""
    dot = np.sum(campaign_theta * influencer_theta, axis=1)
    norms = np.linalg.norm(campaign_theta, axis=1) * np.linalg.norm(influencer_theta, axis=1)
    return dot / np.maximum(norms, 1e-12)


@dataclass(frozen=True)
class PairTraits:
    """What the outcome model needs to know about each (campaign, influencer) pair's influencer."""

    theta: np.ndarray
    country: np.ndarray
    real_followers: np.ndarray
    followers: np.ndarray
    engagement_rate: np.ndarray
    sponsored_share: np.ndarray


def expected_conversions(settings: SimulationSettings, plan: CampaignPlan, campaign: np.ndarray,
                         traits: PairTraits) -> tuple[np.ndarray, np.ndarray]:
    """The mean of the conversion count, and the fit it used."""
    o = settings.outcomes
    fit = topic_fit(plan.theta[campaign], traits.theta)
    log_mu = (np.log(o.base_rate) + o.size_exponent * np.log(np.maximum(traits.real_followers, 1.0))
              + o.engagement_coef * np.log(traits.engagement_rate / o.engagement_reference)
              + o.fit_coef * (fit - 0.5)
              + o.country_match_coef * (traits.country == plan.target_country[campaign])
              - o.sponsored_coef * traits.sponsored_share)
    return np.exp(log_mu) * plan.effect[campaign], fit


def draw_outcomes(settings: SimulationSettings, rng: np.random.Generator, plan: CampaignPlan,
                  campaign: np.ndarray, traits: PairTraits) -> dict[str, np.ndarray]:
    """Conversions ~ NegBin(mu); impressions from real reach; clicks between conversions and impressions;
    cost priced on the displayed follower count, fakes included."""
    o = settings.outcomes
    mu, fit = expected_conversions(settings, plan, campaign, traits)
    conversions = rng.poisson(rng.gamma(o.dispersion, mu / o.dispersion))
    reach = rng.uniform(*o.reach_rate_range, size=mu.size)
    fakes = traits.followers - traits.real_followers
    expected_impressions = traits.real_followers * reach + fakes * o.fake_reach_rate
    per_click = rng.uniform(*o.conversion_per_click_range, size=mu.size)
    clicks = conversions + rng.poisson(mu * (1.0 / per_click - 1.0))
    impressions = np.maximum(rng.poisson(expected_impressions), clicks)
    cost = o.cost_per_10k * (traits.followers / 1e4) ** o.cost_exponent * np.exp(
        rng.normal(0.0, o.cost_noise_sd, size=mu.size))
    return {"cost": np.round(cost, 2), "impressions": impressions, "clicks": clicks,
            "conversions": conversions, "expected_conversions": mu,
            "expected_conversion_rate": mu / np.maximum(expected_impressions, 1.0),
            "fit": fit}
