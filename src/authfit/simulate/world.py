"""Assemble the contract tables and the ground truth, block by block.

Each block of `settings.block_size` influencers has its own random stream (seed, block number), and
ids are numbered in block order, so the world depends only on (settings, n_influencers, seed): never on
how many blocks a writer holds in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from authfit.contract.schema import TABLES
from authfit.simulate import vocabulary as vocab
from authfit.simulate.activity import Jumps, Posts, draw_history, draw_posts, window_days
from authfit.simulate.campaigns import CampaignPlan, PairTraits, draw_campaigns, draw_outcomes
from authfit.simulate.captions import captions, influencer_bios, influencer_handles
from authfit.simulate.comment_rows import Comments, draw_comments
from authfit.simulate.influencers import (
    LOOKALIKE_KINDS, Influencers, Population, draw_influencers, draw_population,
)
from authfit.simulate.hashed_ids import counter_ids, user_ids
from authfit.simulate.world_settings import SimulationSettings
from authfit.simulate.text_assembly import as_series, concat, pick
from authfit.simulate.users import UserSpace, user_profiles

CONTRACT_TABLES: tuple[str, ...] = (
    "accounts", "follower_history", "posts", "comments", "audience", "campaigns", "outcomes", "labels",
)
TRUTH_TABLES: tuple[str, ...] = ("truth_influencers", "truth_outcomes")
ID_WIDTH = {"inf_": 6, "post_": 8, "cmt_": 10}


@dataclass(frozen=True)
class WorldPlan:
    """What is drawn once for the whole world before any block."""

    settings: SimulationSettings
    n_influencers: int
    seed: int
    population: Population
    campaigns: CampaignPlan
    users: UserSpace


def plan_world(settings: SimulationSettings, n_influencers: int, seed: int) -> WorldPlan:
    rng = np.random.default_rng([seed, 0])
    population = draw_population(settings, n_influencers, rng)
    return WorldPlan(settings, n_influencers, seed, population, draw_campaigns(settings, rng, population),
                     UserSpace.for_world(settings, n_influencers))


def block_settings(settings: SimulationSettings, seed: int, block: int) -> SimulationSettings:
    """The settings one block is drawn with: with domain randomisation on, its buyer share, mechanism
    probabilities, strength scale and look-alike share come from their prior ranges (a stream of their
    own, so the block's other draws keep their stream)."""
    r = settings.randomisation
    if not r.enabled:
        return settings
    rng = np.random.default_rng([seed, 2, block])
    probs = rng.uniform(*r.mechanism_prob_range, size=5)
    mechanisms = settings.mechanisms.model_copy(update={
        "buyer_share": rng.uniform(*r.buyer_share_range),
        "fake_followers_prob": probs[0], "churn_prob": probs[1], "like_inflation_prob": probs[2],
        "bot_comments_prob": probs[3], "pod_prob": probs[4],
        "strength_scale": rng.uniform(*r.strength_scale_range),
        "lookalike_prob": rng.uniform(*r.lookalike_prob_range),
    })
    return settings.model_copy(update={"mechanisms": mechanisms})


def timestamps(settings: SimulationSettings, days: np.ndarray) -> pd.Series:
    """Days since start_date as UTC timestamps, to the second (NaN gives NaT)."""
    seconds = np.round(np.asarray(days, dtype=np.float64) * 86400.0)
    start = pd.Timestamp(settings.start_date, tz="UTC")
    return pd.Series(start + pd.to_timedelta(seconds, unit="s")).astype("datetime64[ns, UTC]")


def _topic_entropy(theta: np.ndarray) -> np.ndarray:
    return -np.sum(theta * np.log(theta), axis=1)


def _accounts(plan: WorldPlan, rng: np.random.Generator, inf: Influencers, ids: pa.Array,
              history: dict[str, np.ndarray], n_posts: np.ndarray) -> pd.DataFrame:
    s, n = plan.settings, inf.index.size
    last = np.flatnonzero(np.r_[history["owner"][1:] != history["owner"][:-1], True])
    first = pick(vocab.FIRST_NAMES, rng.integers(len(vocab.FIRST_NAMES), size=n))
    last_name = pick(vocab.LAST_NAMES, rng.integers(len(vocab.LAST_NAMES), size=n))
    country = pick(s.countries, inf.country)
    ip = s.influencer_profile
    size = np.log10(inf.followers_end) - ip.verified_midpoint_log10
    verified_p = 1.0 / (1.0 + np.exp(-ip.verified_slope * size))
    prior_posts = inf.age_days / 365.0 * n_posts * rng.uniform(*ip.prior_posting_range, n)
    return pd.DataFrame({
        "account_id": as_series(ids),
        "username": as_series(influencer_handles(rng, s.niches, inf.niche, first)),
        "full_name": as_series(pa.compute.utf8_title(concat(first, " ", last_name))),
        "platform": pd.Series([s.platform] * n, dtype="str"),
        "follower_count": history["follower_count"][last].astype(np.int64),
        "following_count": history["following_count"][last].astype(np.int64),
        "media_count": (n_posts + np.round(prior_posts)).astype(np.int64),
        "biography": as_series(influencer_bios(rng, s.niches, inf.niche, country)),
        "has_profile_pic": (rng.random(n) < ip.profile_pic_prob).astype(np.int8),
        "is_private": np.zeros(n, np.int8),
        "is_verified": (rng.random(n) < verified_p).astype(np.int8),
        "has_external_url": (rng.random(n) < ip.external_url_prob).astype(np.int8),
        "observed_at": timestamps(s, np.full(n, window_days(s))),
        "category": as_series(pick(s.niches, inf.niche)),
        "country": as_series(country),
        "created_at": timestamps(s, -inf.age_days),
    })


def _history(plan: WorldPlan, ids: pa.Array, history: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame({
        "account_id": as_series(ids.take(pa.array(history["owner"]))),
        "date": timestamps(plan.settings, history["day"]),
        "follower_count": history["follower_count"].astype(np.int64),
        "following_count": history["following_count"].astype(np.int64),
    })


def _posts(plan: WorldPlan, rng: np.random.Generator, inf: Influencers, ids: pa.Array, posts: Posts,
           post_ids: pa.Array) -> pd.DataFrame:
    return pd.DataFrame({
        "post_id": as_series(post_ids),
        "account_id": as_series(ids.take(pa.array(posts.owner))),
        "posted_at": timestamps(plan.settings, posts.t),
        "caption": as_series(captions(plan.settings, rng, inf.theta, posts.owner, posts.sponsored,
                                      inf.niche)),
        "like_count": posts.likes,
        "comment_count": posts.comment_count,
        "is_sponsored": posts.sponsored.astype(np.int8),
    })


def _comments(plan: WorldPlan, comments: Comments, post_ids: pa.Array, first_comment: int) -> pd.DataFrame:
    n = comments.post.size
    return pd.DataFrame({
        "comment_id": as_series(counter_ids("cmt_", first_comment + np.arange(n), ID_WIDTH["cmt_"])),
        "post_id": as_series(post_ids.take(pa.array(comments.post))),
        "commenter_id": as_series(user_ids(comments.commenter, plan.seed)),
        "created_at": timestamps(plan.settings, comments.t),
        "text": as_series(comments.text),
    })


def _audience(plan: WorldPlan, rng: np.random.Generator, inf: Influencers, ids: pa.Array) -> tuple:
    """A sample of each influencer's followers: fakes come from bot farms (the buyer's own farm for
    bought followers), real ones from the niche community. Returns the table and the sampled fake share."""
    s, users, n = plan.settings, plan.users, inf.index.size
    size = np.minimum(rng.integers(s.audience.sample_range[0], s.audience.sample_range[1] + 1, n),
                      inf.followers_end).astype(np.int64)
    owner = np.repeat(np.arange(n), size)
    share = np.clip(inf.fake_share + rng.normal(0, s.audience.fake_share_noise, n), 0, 1)
    fake = rng.random(owner.size) < share[owner]
    real = users.community(inf.niche[owner], rng.integers(users.community_size, size=owner.size))
    farm = np.where(inf.mech_fake_followers[owner], inf.bot_farm[owner],
                    rng.integers(s.mechanisms.bot_farms, size=owner.size))
    numbers = np.where(fake, users.bot(farm, rng.integers(users.farm_size, size=owner.size)), real)
    unique = ~pd.DataFrame({"o": owner, "u": numbers}).duplicated().to_numpy()
    owner, numbers, fake = owner[unique], numbers[unique], fake[unique]
    table = user_profiles(numbers, users, plan.seed, s)
    table.insert(0, "influencer_id", as_series(ids.take(pa.array(owner))))
    table["observed_at"] = timestamps(s, np.full(owner.size, window_days(s)))
    # Followers are not given a niche, a country or an age in this story (nothing here depends on them, and
    # drawing them would shift the random stream of every table after this one); the contract's columns are
    # written, empty, as an export without them would arrive.
    table["category"] = pd.Series(None, index=table.index, dtype="object")
    table["country"] = pd.Series(None, index=table.index, dtype="object")
    table["created_at"] = pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns, UTC]")
    sampled_share = _mean_by(owner, n, fake.astype(np.float64))
    return table, sampled_share


def _outcomes(plan: WorldPlan, rng: np.random.Generator, inf: Influencers, ids: pa.Array, start: int,
              sponsored_share: np.ndarray) -> pd.DataFrame:
    """Outcomes of the world's campaign pairs whose influencer is in this block, with their truth."""
    cp = plan.campaigns
    in_block = (cp.pair_influencer >= start) & (cp.pair_influencer < start + inf.index.size)
    campaign, local = cp.pair_campaign[in_block], cp.pair_influencer[in_block] - start
    traits = PairTraits(theta=inf.theta[local], country=inf.country[local],
                        real_followers=inf.real_end[local],
                        followers=inf.followers_end[local], engagement_rate=inf.engagement_rate[local],
                        sponsored_share=sponsored_share[local])
    drawn = draw_outcomes(plan.settings, rng, cp, campaign, traits)
    frame = pd.DataFrame({"campaign_id": cp.table["campaign_id"].to_numpy()[campaign],
                          "account_id": as_series(ids.take(pa.array(local))).to_numpy(), **drawn})
    frame[["campaign_id", "account_id"]] = frame[["campaign_id", "account_id"]].astype("str")
    return frame


def _mean_by(owner: np.ndarray, n: int, values: np.ndarray) -> np.ndarray:
    return np.bincount(owner, weights=values, minlength=n) / np.maximum(np.bincount(owner, minlength=n), 1)


def _first_time(times: np.ndarray) -> np.ndarray:
    """Row-wise earliest time, NaN for rows without any."""
    first = np.where(np.isnan(times), np.inf, times).min(axis=1, initial=np.inf)
    return np.where(np.isinf(first), np.nan, first)


def _truth(plan: WorldPlan, inf: Influencers, ids: pa.Array, posts: Posts, jumps: Jumps,
           audience_share: np.ndarray) -> pd.DataFrame:
    n = inf.index.size
    per_post = (posts.likes + posts.comment_count) / inf.followers_end[posts.owner]
    observed = _mean_by(posts.owner, n, per_post)
    truth = pd.DataFrame({
        "account_id": as_series(ids), "niche": as_series(pick(plan.settings.niches, inf.niche)),
        "country": as_series(pick(plan.settings.countries, inf.country)), "is_buyer": inf.is_buyer,
        "mech_fake_followers": inf.mech_fake_followers, "purchase_steps_in_window": inf.steps_in_window,
        "n_purchase_steps": np.sum(~np.isnan(inf.step_time), axis=1),
        "first_purchase_at": timestamps(plan.settings, _first_time(inf.step_time)),
        "purge_rate_per_week": np.where(inf.steps_in_window, inf.purge_rate, np.nan),
        "purge_retained": np.where(inf.steps_in_window, inf.purge_retained, np.nan),
        "mech_follow_churn": inf.mech_churn,
        "churn_strength": inf.churn_strength, "mech_like_inflation": inf.mech_like_inflation,
        "like_inflation_factor": inf.like_factor, "mech_bot_comments": inf.mech_bot_comments,
        "bot_comment_share": inf.bot_share, "mech_pod": inf.mech_pod, "pod_id": inf.pod_id,
        "pod_size": inf.pod_size, "pod_attend_prob": np.where(inf.pod_size > 0, inf.pod_attend, np.nan),
        "cheat_start_at": timestamps(plan.settings, np.where(inf.is_buyer, inf.cheat_start, np.nan)),
        "cheat_end_at": timestamps(plan.settings,
                                   np.where(np.isfinite(inf.cheat_end), inf.cheat_end, np.nan)),
        "followers_cleaned_up": inf.cleaned_up, "fast_comment_share": inf.fast_share,
        "lookalike": as_series(pick(LOOKALIKE_KINDS, inf.lookalike)),
        "giveaway_at": timestamps(plan.settings, inf.giveaway_time),
        "fake_follower_share": inf.fake_share, "bought_follower_share": inf.bought_share,
        "audience_sample_fake_share": audience_share,
        "followers": inf.followers_end, "real_followers": inf.real_end,
        "organic_engagement_rate": inf.engagement_rate,
        "true_engagement_rate": _mean_by(posts.owner, n,
                                         posts.organic_engagement / inf.followers_end[posts.owner]),
        "observed_engagement_rate": observed, "comment_ratio": inf.comment_ratio,
        "n_viral_jumps": np.sum(~np.isnan(jumps.time), axis=1), "sponsored_rate": inf.sponsored_rate,
        "topic_scattered": inf.scattered, "topic_entropy": _topic_entropy(inf.theta),
    })
    for k, niche in enumerate(plan.settings.niches):
        truth[f"theta_{niche}"] = inf.theta[:, k]
    return truth


@dataclass(frozen=True)
class Offsets:
    """How many posts and comments earlier blocks numbered, so ids stay unique and sequential."""

    posts: int = 0
    comments: int = 0


def generate_block(plan: WorldPlan, block: int, offsets: Offsets) -> tuple[dict[str, pd.DataFrame], Offsets]:
    """Every table's rows for block number `block`, and the offsets for the next block."""
    s = plan.settings
    start = block * s.block_size
    index = np.arange(start, min(start + s.block_size, plan.n_influencers))
    rng = np.random.default_rng([plan.seed, 1, block])
    drawn = block_settings(s, plan.seed, block)
    inf = draw_influencers(drawn, rng, index, plan.population)
    posts, jumps = draw_posts(drawn, rng, inf)
    history = draw_history(drawn, rng, inf, jumps)
    comments = draw_comments(drawn, rng, inf, posts, plan.users, plan.seed)
    ids = counter_ids("inf_", index, ID_WIDTH["inf_"])
    post_ids = counter_ids("post_", offsets.posts + np.arange(posts.owner.size), ID_WIDTH["post_"])
    n_posts = np.bincount(posts.owner, minlength=index.size)
    audience, audience_share = _audience(plan, rng, inf, ids)
    tables = {
        "accounts": _accounts(plan, rng, inf, ids, history, n_posts),
        "follower_history": _history(plan, ids, history),
        "posts": _posts(plan, rng, inf, ids, posts, post_ids),
        "comments": _comments(plan, comments, post_ids, offsets.comments),
        "audience": audience,
        "labels": pd.DataFrame({"account_id": as_series(ids), "fake_engagement": inf.is_buyer.astype(np.int8),
                                "source": pd.Series(["simulation"] * index.size, dtype="str")}),
        "truth_influencers": _truth(plan, inf, ids, posts, jumps, audience_share),
    }
    outcomes = _outcomes(plan, rng, inf, ids, start, _mean_by(posts.owner, index.size, posts.sponsored))
    tables["outcomes"] = outcomes[list(TABLES["outcomes"].column_names)]
    tables["truth_outcomes"] = outcomes[["campaign_id", "account_id", "expected_conversions",
                                         "expected_conversion_rate", "fit"]]
    return tables, Offsets(offsets.posts + posts.owner.size, offsets.comments + comments.post.size)


def iter_blocks(plan: WorldPlan) -> Iterator[dict[str, pd.DataFrame]]:
    """The world's blocks in order (campaigns are not included: they are global)."""
    offsets = Offsets()
    n_blocks = -(-plan.n_influencers // plan.settings.block_size)
    for block in range(n_blocks):
        tables, offsets = generate_block(plan, block, offsets)
        yield tables


def generate_world(settings: SimulationSettings, n_influencers: int, seed: int) -> dict[str, pd.DataFrame]:
    """All contract tables plus `truth_influencers` and `truth_outcomes`, in memory."""
    if n_influencers < 1:
        raise ValueError("n_influencers must be at least 1")
    plan = plan_world(settings, n_influencers, seed)
    parts: dict[str, list[pd.DataFrame]] = {}
    for tables in iter_blocks(plan):
        for name, frame in tables.items():
            parts.setdefault(name, []).append(frame)
    world = {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}
    world["campaigns"] = plan.campaigns.table.copy()
    return {name: world[name] for name in (*CONTRACT_TABLES, *TRUTH_TABLES)}
