"""Latent traits of each influencer: size, niche, topic mixture, and which cheating mechanisms it uses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from authfit.simulate.world_settings import MechanismSettings, SimulationSettings

LOOKALIKE_KINDS: tuple[str, ...] = (
    "none", "giveaway_jump", "following_churn", "like_ratio", "spam_comments", "close_friends",
)


@dataclass(frozen=True)
class Population:
    """The few per-influencer traits drawn for the whole world up front, so campaigns can pick
    influencers before any block is generated."""

    niche: np.ndarray
    country: np.ndarray


@dataclass
class Influencers:
    """Latent traits of one block of influencers; arrays share the first axis."""

    index: np.ndarray
    niche: np.ndarray
    country: np.ndarray
    followers_end: np.ndarray
    fake_share: np.ndarray
    bought_share: np.ndarray  # share of the end followers that were bought and are still there
    theta: np.ndarray
    scattered: np.ndarray
    is_buyer: np.ndarray
    mech_fake_followers: np.ndarray
    mech_churn: np.ndarray
    mech_like_inflation: np.ndarray
    mech_bot_comments: np.ndarray
    mech_pod: np.ndarray
    steps_in_window: np.ndarray
    step_time: np.ndarray  # (n, max_steps) days since start, NaN when absent
    step_remaining: np.ndarray  # (n, max_steps) followers each step still holds at the end
    purge_rate: np.ndarray
    purge_retained: np.ndarray
    churn_strength: np.ndarray
    following_level: np.ndarray
    like_factor: np.ndarray
    bot_share: np.ndarray  # share of comments from bots once cheating has started
    baseline_bot_share: np.ndarray  # background spam, before the start and for everyone else
    bot_type_probs: np.ndarray
    bot_farm: np.ndarray
    pod_id: np.ndarray  # -1 when not in a pod
    pod_size: np.ndarray  # pod members, or close friends for that look-alike
    pod_attend: np.ndarray
    cheat_start: np.ndarray  # days since start when bought likes, bot comments and pods begin
    cheat_end: np.ndarray  # days since start when they stop (after the window for most buyers)
    cleaned_up: np.ndarray  # follower buyers who removed most of their bought followers
    fast_share: np.ndarray  # share of organic comments made within minutes of the post
    lookalike: np.ndarray
    giveaway_time: np.ndarray
    giveaway_jump: np.ndarray
    growth: np.ndarray
    engagement_rate: np.ndarray  # organic engagements per real follower per post
    comment_ratio: np.ndarray
    sponsored_rate: np.ndarray
    age_days: np.ndarray

    @property
    def real_end(self) -> np.ndarray:
        return self.followers_end * (1.0 - self.fake_share)


def draw_population(settings: SimulationSettings, n: int, rng: np.random.Generator) -> Population:
    niche_p = np.asarray(settings.niche_weights) / np.sum(settings.niche_weights)
    country_p = np.asarray(settings.country_weights) / np.sum(settings.country_weights)
    return Population(niche=rng.choice(len(niche_p), size=n, p=niche_p),
                      country=rng.choice(len(country_p), size=n, p=country_p))


def engagement_curve(log10_followers: np.ndarray, settings: SimulationSettings) -> np.ndarray:
    """Expected engagement rate of an account with this many followers: a logistic step in log10
    followers from floor + amplitude (small accounts) down to floor (large ones)."""
    e = settings.engagement
    return e.floor + e.amplitude / (1.0 + np.exp(e.decay * (np.asarray(log10_followers) - e.x0)))


def _uniform(rng: np.random.Generator, bounds: tuple[float, float], n: int) -> np.ndarray:
    return rng.uniform(bounds[0], bounds[1], size=n)


def _log_uniform(rng: np.random.Generator, bounds: tuple[float, float], n: int) -> np.ndarray:
    """Uniform in log: as many draws in 3-6% as in 30-60%, so small purchases are common."""
    return np.exp(rng.uniform(np.log(bounds[0]), np.log(bounds[1]), size=n))


def _follower_counts(settings: SimulationSettings, rng: np.random.Generator, n: int) -> np.ndarray:
    f = settings.followers
    tier = rng.choice(len(f.tier_weights), size=n, p=np.asarray(f.tier_weights) / np.sum(f.tier_weights))
    log10 = rng.normal(np.asarray(f.tier_log10_means)[tier], np.asarray(f.tier_log10_sds)[tier])
    return np.round(10 ** np.clip(log10, f.min_log10, f.max_log10))


def _topics(settings: SimulationSettings, rng: np.random.Generator, niche: np.ndarray) -> tuple:
    t = settings.topics
    k = len(settings.niches)
    scattered = rng.random(niche.size) < t.scattered_share
    base = np.where(scattered, t.scattered_base_alpha, t.focused_base_alpha)[:, None]
    focus = np.where(scattered, t.scattered_focus_alpha, t.focused_focus_alpha)[:, None]
    alpha = base + focus * np.eye(k)[niche]
    gamma = rng.gamma(alpha)
    theta = gamma / gamma.sum(axis=1, keepdims=True)
    return np.maximum(theta, 1e-12) / np.maximum(theta, 1e-12).sum(axis=1, keepdims=True), scattered


def _mechanism_flags(m: MechanismSettings, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Buyer flags and an (n, 5) matrix of switched-on mechanisms; every buyer uses at least one."""
    is_buyer = rng.random(n) < m.buyer_share
    probs = np.array([m.fake_followers_prob, m.churn_prob, m.like_inflation_prob, m.bot_comments_prob,
                      m.pod_prob])
    flags = (rng.random((n, probs.size)) < probs) & is_buyer[:, None] & (not m.single_mechanism)
    forced = rng.choice(probs.size, size=n, p=probs / probs.sum())
    empty = is_buyer & ~flags.any(axis=1)
    flags[empty, forced[empty]] = True
    return is_buyer, flags


def _fake_shares(m: MechanismSettings, rng: np.random.Generator, bought: np.ndarray,
                 cleanup: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Everyone has an organic fake share (mostly low, a heavy tail for old accounts, giveaways and bots
    that follow everyone: SRF Data 2017's continuum below its clusters); a buyer adds its bought share on
    top, a cleaned-up buyer only what is left of it. Returns the end fake share and the retained share."""
    n = bought.size
    organic = rng.beta(*m.low_fake_share_beta, size=n)
    heavy = rng.random(n) < m.organic_high_fake_prob
    organic = np.where(heavy, np.maximum(organic, _uniform(rng, m.organic_high_fake_range, n)), organic)
    retained = np.where(cleanup, _uniform(rng, m.cleanup_retained_range, n), 1.0)
    return 1.0 - (1.0 - organic) * (1.0 - bought * retained), retained


def _purchase_steps(m: MechanismSettings, rng: np.random.Generator, fake_end: np.ndarray,
                    in_window: np.ndarray, days: float) -> tuple[np.ndarray, np.ndarray]:
    """Times of in-window purchases and how many of their followers remain at the end of the window."""
    n = fake_end.size
    n_steps = np.where(in_window, rng.integers(1, m.max_steps + 1, size=n), 0)
    present = np.arange(m.max_steps)[None, :] < n_steps[:, None]
    early, late = m.step_time_range
    times = np.where(present, rng.uniform(early * days, late * days, size=(n, m.max_steps)), np.nan)
    weights = rng.dirichlet(np.ones(m.max_steps), size=n) * present
    weights = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
    bought = _uniform(rng, m.step_fraction_range, n) * fake_end * in_window
    return times, weights * bought[:, None]


def _lookalikes(m: MechanismSettings, rng: np.random.Generator, is_buyer: np.ndarray) -> np.ndarray:
    """Index into LOOKALIKE_KINDS: some authentic accounts show one weak look-alike pattern."""
    chosen = rng.integers(1, len(LOOKALIKE_KINDS), size=is_buyer.size)
    return np.where(~is_buyer & (rng.random(is_buyer.size) < m.lookalike_prob), chosen, 0)


def _bots_and_pods(settings: SimulationSettings, rng: np.random.Generator, flags: np.ndarray,
                   lookalike: np.ndarray, niche: np.ndarray) -> dict[str, np.ndarray]:
    """Bot shares, and who comments within minutes on most posts: pod members for pod buyers, close
    friends for that look-alike, and for many other accounts a few loyal fans with notifications on."""
    m, c = settings.mechanisms, settings.comments
    n = niche.size
    baseline = rng.uniform(0.0, m.baseline_bot_share_max, size=n)
    spam = lookalike == LOOKALIKE_KINDS.index("spam_comments")
    share = np.where(spam, _uniform(rng, m.lookalike_bot_share_range, n), baseline)
    friends = lookalike == LOOKALIKE_KINDS.index("close_friends")
    pod_local = rng.integers(m.pods_per_niche, size=n)
    pod_size = rng.integers(m.pod_size_range[0], m.pod_size_range[1] + 1, n)
    n_friends = rng.integers(m.lookalike_friends_range[0], m.lookalike_friends_range[1] + 1, n)
    early = rng.random(n) < c.early_fans_prob
    n_early = np.where(early, rng.integers(c.early_fans_range[0], c.early_fans_range[1] + 1, n), 0)
    size = np.where(flags[:, 4], pod_size, np.where(friends, n_friends, n_early))
    attend = np.where(flags[:, 4] | friends, _uniform(rng, m.pod_attend_range, n),
                      _uniform(rng, c.early_fans_attend_range, n))
    bought_bots = np.minimum(_log_uniform(rng, m.bot_share_range, n) * m.strength_scale, 0.9)
    return {
        "bot_share": np.where(flags[:, 3], np.maximum(bought_bots, baseline), share),
        "baseline_bot_share": np.where(spam, share, baseline),
        "bot_type_probs": rng.dirichlet(m.bot_type_alpha, size=n),
        "bot_farm": rng.integers(m.bot_farms, size=n),
        "pod_id": np.where(flags[:, 4], niche * m.pods_per_niche + pod_local, -1),
        "pod_size": size,
        "pod_attend": np.where(flags[:, 4], np.minimum(attend * m.strength_scale, 0.98), attend),
    }


def _following(settings: SimulationSettings, rng: np.random.Generator, flags: np.ndarray,
               lookalike: np.ndarray) -> dict[str, np.ndarray]:
    m, fo = settings.mechanisms, settings.following
    n = lookalike.size
    normal_level = np.exp(rng.normal(fo.log_median, fo.log_sd, size=n))
    heavy = rng.random(n) < fo.heavy_share
    normal_level = np.where(heavy, _log_uniform(rng, fo.heavy_range, n), normal_level)
    churn_like = lookalike == LOOKALIKE_KINDS.index("following_churn")
    s = m.strength_scale
    strength = np.where(flags[:, 1], _uniform(rng, m.churn_strength_range, n) * s,
                        np.where(churn_like, _uniform(rng, m.lookalike_churn_strength_range, n), 0.0))
    # churners follow more than they would (how much more varies), not a level of their own
    multiplier = _log_uniform(rng, m.churn_level_multiplier_range, n) ** s
    level = np.where(flags[:, 1], normal_level * multiplier, normal_level)
    return {"following_level": np.clip(level, 10, fo.max_count), "churn_strength": strength}


def _engagement(settings: SimulationSettings, rng: np.random.Generator, real_end: np.ndarray,
                flags: np.ndarray, lookalike: np.ndarray) -> dict[str, np.ndarray]:
    e, m = settings.engagement, settings.mechanisms
    n = real_end.size
    noise = np.exp(rng.normal(-0.5 * e.account_noise_sd**2, e.account_noise_sd, size=n))
    ratio_like = lookalike == LOOKALIKE_KINDS.index("like_ratio")
    bought = 1.0 + (_log_uniform(rng, m.like_inflation_range, n) - 1.0) * m.strength_scale
    factor = np.where(flags[:, 2], bought,
                      np.where(ratio_like, _uniform(rng, m.lookalike_like_factor_range, n), 1.0))
    return {
        "engagement_rate": engagement_curve(np.log10(np.maximum(real_end, 1.0)), settings) * noise,
        "comment_ratio": e.comment_ratio_median * np.exp(rng.normal(0.0, e.comment_ratio_sd, size=n)),
        "like_factor": factor,
    }


def draw_influencers(settings: SimulationSettings, rng: np.random.Generator, index: np.ndarray,
                     population: Population) -> Influencers:
    """Draw every latent trait for the influencers numbered `index`."""
    m = settings.mechanisms
    n = index.size
    days = float((settings.end_date - settings.start_date).days)
    niche, country = population.niche[index], population.country[index]
    followers = _follower_counts(settings, rng, n)
    theta, scattered = _topics(settings, rng, niche)
    is_buyer, flags = _mechanism_flags(m, rng, n)
    bought = np.where(flags[:, 0], np.minimum(_log_uniform(rng, m.bought_share_range, n) * m.strength_scale,
                                              0.9), 0.0)
    cleanup = flags[:, 0] & (rng.random(n) < m.cleanup_prob)
    fake_share, retained = _fake_shares(m, rng, bought, cleanup)
    in_window = flags[:, 0] & (rng.random(n) < m.step_in_window_prob)
    step_time, step_remaining = _purchase_steps(m, rng, followers * bought * retained, in_window, days)
    stops = is_buyer & (rng.random(n) < m.stop_prob)
    start = np.where(is_buyer, _uniform(rng, m.engagement_start_range, n) * days, 0.0)
    lookalike = _lookalikes(m, rng, is_buyer)
    giveaway = lookalike == LOOKALIKE_KINDS.index("giveaway_jump")
    real_end = followers * (1.0 - fake_share)
    return Influencers(
        index=index, niche=niche, country=country, followers_end=followers, fake_share=fake_share,
        bought_share=bought * retained,
        theta=theta, scattered=scattered, is_buyer=is_buyer, mech_fake_followers=flags[:, 0],
        mech_churn=flags[:, 1], mech_like_inflation=flags[:, 2], mech_bot_comments=flags[:, 3],
        mech_pod=flags[:, 4], steps_in_window=in_window, step_time=step_time, step_remaining=step_remaining,
        purge_rate=_uniform(rng, m.purge_rate_per_week_range, n),
        purge_retained=np.where(cleanup, retained, _uniform(rng, m.purge_retained_range, n)),
        cleaned_up=cleanup,
        lookalike=lookalike,
        giveaway_time=np.where(giveaway, _uniform(rng, m.lookalike_giveaway_time_range, n) * days, np.nan),
        giveaway_jump=np.where(giveaway, _uniform(rng, m.lookalike_step_range, n), 0.0),
        growth=rng.normal(settings.followers.growth_mean, settings.followers.growth_sd, size=n),
        sponsored_rate=rng.beta(*settings.posts.sponsored_beta, size=n),
        age_days=_uniform(rng, settings.influencer_profile.account_age_days_range, n),
        cheat_start=start,
        cheat_end=np.where(stops, start + (days - start) * _uniform(rng, m.stop_time_range, n), np.inf),
        fast_share=rng.beta(*settings.comments.fast_share_beta, size=n),
        **_following(settings, rng, flags, lookalike),
        **_engagement(settings, rng, real_end, flags, lookalike),
        **_bots_and_pods(settings, rng, flags, lookalike, niche),
    )
