"""Posts with their engagement, and the follower history, for one block of influencers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from authfit.simulate.influencers import Influencers
from authfit.simulate.world_settings import SimulationSettings


@dataclass
class Posts:
    """One entry per post, sorted by (owner, t). `owner` indexes the block's influencers."""

    owner: np.ndarray
    t: np.ndarray  # days since start_date
    sponsored: np.ndarray
    viral: np.ndarray
    likes: np.ndarray
    organic_comments: np.ndarray
    bot_comments: np.ndarray
    pod_post: np.ndarray  # (pod comments,) post index of each pod comment
    pod_member: np.ndarray  # (pod comments,) member number within the pod
    organic_engagement: np.ndarray  # expected organic likes + comments

    @property
    def pod_comments(self) -> np.ndarray:
        return np.bincount(self.pod_post, minlength=self.owner.size)

    @property
    def comment_count(self) -> np.ndarray:
        return self.organic_comments + self.bot_comments + self.pod_comments


@dataclass
class Jumps:
    time: np.ndarray  # (n, k) days since start, NaN when absent
    size: np.ndarray  # (n, k) jump in log real followers


def window_days(settings: SimulationSettings) -> float:
    return float((settings.end_date - settings.start_date).days)


def rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal values of a sorted array."""
    idx = np.arange(groups.size)
    starts = np.r_[True, groups[1:] != groups[:-1]] if groups.size else np.zeros(0, bool)
    return idx - np.maximum.accumulate(np.where(starts, idx, 0))


def post_skeleton(settings: SimulationSettings, rng: np.random.Generator, inf: Influencers) -> tuple:
    """Owner, time, sponsored and viral flags of every post, sorted by owner then time."""
    p, days = settings.posts, window_days(settings)
    n = inf.index.size
    mean = p.mean_per_influencer
    counts = np.maximum(rng.negative_binomial(p.dispersion, p.dispersion / (p.dispersion + mean), n),
                        p.min_per_influencer)
    owner = np.repeat(np.arange(n), counts)
    hour = np.mod(rng.normal(p.peak_hour_utc, p.hour_sd, owner.size), 24.0)
    t = np.minimum(rng.integers(0, int(days), owner.size) + hour / 24.0, days - 1e-3)
    order = np.lexsort((t, owner))
    owner, t = owner[order], t[order]
    sponsored = rng.random(owner.size) < inf.sponsored_rate[owner]
    viral_p = np.minimum(0.5, settings.followers.viral_rate_per_year * days / 365.0 / counts)
    viral = rng.random(owner.size) < viral_p[owner]
    candidates = np.flatnonzero(viral)
    viral[candidates[rank_within(owner[candidates]) >= settings.followers.viral_max_jumps]] = False
    return owner, t, sponsored, viral


def viral_jumps(settings: SimulationSettings, rng: np.random.Generator, n: int, owner: np.ndarray,
                t: np.ndarray, viral: np.ndarray) -> Jumps:
    k = settings.followers.viral_max_jumps
    time = np.full((n, k), np.nan)
    slot = rank_within(owner[viral])
    time[owner[viral], slot] = t[viral]
    size = np.where(np.isnan(time), 0.0, rng.uniform(*settings.followers.viral_jump_log_range, (n, k)))
    return Jumps(time=time, size=size)


def log_engaged_real(inf: Influencers, jumps: Jumps, rows: np.ndarray, t: np.ndarray,
                     days: float) -> np.ndarray:
    """Log of the engaged real followers at time t: growth and viral jumps, no noise, no giveaway."""
    later = np.nan_to_num(jumps.time[rows]) > t[:, None]
    missing = np.sum(jumps.size[rows] * later, axis=1)
    return np.log(np.maximum(inf.real_end[rows], 1.0)) - inf.growth[rows] * (days - t) / 365.0 - missing


def _pod_attendance(settings: SimulationSettings, rng: np.random.Generator, inf: Influencers,
                    owner: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(post, member) pairs: pod members comment on most posts while the buyer is in the pod; close friends
    and early fans on their share of the posts throughout."""
    m = settings.mechanisms
    active = (t >= inf.cheat_start[owner]) & (t < inf.cheat_end[owner])
    pod_posts = np.flatnonzero((inf.pod_size[owner] > 0) & active)
    width = max(m.pod_size_range[1], m.lookalike_friends_range[1], settings.comments.early_fans_range[1])
    present = np.arange(width)[None, :] < inf.pod_size[owner[pod_posts]][:, None]
    attends = present & (rng.random((pod_posts.size, width)) < inf.pod_attend[owner[pod_posts]][:, None])
    rows, members = np.nonzero(attends)
    return pod_posts[rows], members


def draw_posts(settings: SimulationSettings, rng: np.random.Generator,
               inf: Influencers) -> tuple[Posts, Jumps]:
    e, days = settings.engagement, window_days(settings)
    owner, t, sponsored, viral = post_skeleton(settings, rng, inf)
    jumps = viral_jumps(settings, rng, inf.index.size, owner, t, viral)
    noise = np.exp(rng.normal(-0.5 * e.post_noise_sd**2, e.post_noise_sd, owner.size))
    boost = np.where(viral, rng.uniform(*settings.followers.viral_like_multiplier_range, owner.size), 1.0)
    base = np.exp(log_engaged_real(inf, jumps, owner, t, days)) * inf.engagement_rate[owner]
    expected = base * noise * boost * np.where(sponsored, e.sponsored_multiplier, 1.0)
    share = inf.comment_ratio[owner] / (1.0 + inf.comment_ratio[owner])
    organic_comments = rng.poisson(expected * share)
    organic_likes = rng.poisson(expected * (1.0 - share))
    cheating = (t >= inf.cheat_start[owner]) & (t < inf.cheat_end[owner])
    jitter = rng.uniform(*settings.mechanisms.like_inflation_post_jitter, owner.size)
    inflation = np.where(cheating & (inf.like_factor[owner] > 1.0), inf.like_factor[owner] * jitter, 1.0)
    bot_share = np.where(cheating, inf.bot_share[owner], inf.baseline_bot_share[owner])
    bots = rng.poisson(np.maximum(expected * share, 0.5) * bot_share / (1.0 - bot_share))
    pod_post, pod_member = _pod_attendance(settings, rng, inf, owner, t)
    posts = Posts(owner=owner, t=t, sponsored=sponsored, viral=viral,
                  likes=np.round(organic_likes * inflation).astype(np.int64),
                  organic_comments=organic_comments, bot_comments=bots, pod_post=pod_post,
                  pod_member=pod_member, organic_engagement=expected)
    return posts, jumps


def _snapshot_days(settings: SimulationSettings, rng: np.random.Generator, n: int) -> tuple:
    h, days = settings.history, window_days(settings)
    nominal = np.append(np.arange(0.0, days, h.snapshot_every_days), days)
    jitter = rng.integers(-h.jitter_days, h.jitter_days + 1, (n, nominal.size))
    t = np.clip(nominal[None, :] + jitter, 0.0, days - 1.0)
    t[:, -1] = days  # the last snapshot is the account's observed state
    keep = rng.random(t.shape) >= h.drop_prob
    keep[:, -1] = True
    return t, keep


def _random_walk(rng: np.random.Generator, t: np.ndarray, sd: float | np.ndarray,
                 step_days: float) -> np.ndarray:
    """A random walk in time that is zero at the last snapshot, so that it ends at the observed value."""
    gaps = np.diff(t, axis=1, prepend=t[:, :1])
    walk = np.cumsum(rng.normal(0.0, 1.0, t.shape) * sd * np.sqrt(np.maximum(gaps, 0) / step_days), axis=1)
    return walk - walk[:, -1:]


def _fake_followers(inf: Influencers, real: np.ndarray, t: np.ndarray, days: float) -> np.ndarray:
    """Background fake followers track real growth; purchased steps decay by purging towards a floor."""
    fake_end = inf.followers_end * inf.fake_share
    background = (fake_end - inf.step_remaining.sum(axis=1))[:, None] * real / inf.real_end[:, None].clip(1)
    r, lam = inf.purge_retained[:, None], inf.purge_rate[:, None]
    end_kept = r + (1 - r) * np.exp(-lam * (days - np.nan_to_num(inf.step_time)) / 7.0)
    size = inf.step_remaining / end_kept  # (n, steps) bought at the step
    since = t[:, :, None] - inf.step_time[:, None, :]  # (n, slots, steps)
    kept = r[:, :, None] + (1 - r[:, :, None]) * np.exp(-lam[:, :, None] * np.maximum(since, 0) / 7.0)
    steps = np.where(since >= 0, size[:, None, :] * kept, 0.0).sum(axis=2)
    return background + steps


def draw_history(settings: SimulationSettings, rng: np.random.Generator, inf: Influencers,
                 jumps: Jumps) -> dict[str, np.ndarray]:
    """Irregular weekly-ish snapshots (owner, day, follower_count, following_count); last one at end_date."""
    days, n = window_days(settings), inf.index.size
    t, keep = _snapshot_days(settings, rng, n)
    rows = np.repeat(np.arange(n), t.shape[1])
    log_real = log_engaged_real(inf, jumps, rows, t.ravel(), days).reshape(t.shape)
    giveaway = np.nan_to_num(inf.giveaway_time, nan=-1.0)[:, None] > t
    log_real = log_real - inf.giveaway_jump[:, None] * giveaway
    f = settings.followers
    size = np.minimum(1.0, (inf.followers_end / f.weekly_noise_reference) ** -f.weekly_noise_size_exponent)
    noise_sd = f.weekly_noise_sd * size[:, None] * np.exp(rng.normal(0.0, f.weekly_noise_spread, (n, 1)))
    log_real += _random_walk(rng, t, noise_sd, settings.history.snapshot_every_days)
    real = np.exp(log_real)
    followers = np.round(real + _fake_followers(inf, real, t, days))
    fo = settings.following
    following_sd = fo.weekly_noise_sd * np.exp(rng.normal(0.0, fo.weekly_noise_spread, (n, 1)))
    walk = _random_walk(rng, t, following_sd, settings.history.snapshot_every_days)
    churn = inf.churn_strength[:, None] * rng.normal(0.0, 1.0, t.shape)
    following = np.round(np.clip(inf.following_level[:, None] * np.exp(walk + churn), 0,
                                 settings.following.max_count))
    return {"owner": rows[keep.ravel()], "day": t[keep], "follower_count": followers[keep],
            "following_count": following[keep]}
