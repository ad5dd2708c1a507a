"""Comment rows for one block: organic fans, bots from farms, and engagement-pod members."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from authfit.simulate import vocabulary as vocab
from authfit.simulate.activity import Posts, window_days
from authfit.simulate.influencers import Influencers
from authfit.simulate.world_settings import SimulationSettings
from authfit.simulate.text_assembly import concat, emoji_tail, pick, where
from authfit.simulate.users import UserSpace, fan_numbers, usernames

KINDS: tuple[str, ...] = ("organic", "bot", "pod")
BOT_TYPES: tuple[str, ...] = ("generic", "emoji_only", "duplicate", "promotion")


@dataclass
class Comments:
    post: np.ndarray  # block-local post index
    commenter: np.ndarray  # user number
    t: np.ndarray  # days since start_date
    kind: np.ndarray  # index into KINDS
    text: pa.Array


def draw_topics(rng: np.random.Generator, theta: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One topic per row from the topic mixture of the row's influencer."""
    cum = np.cumsum(theta, axis=1)[rows]
    return np.minimum((rng.random(rows.size)[:, None] > cum).sum(axis=1), theta.shape[1] - 1)


def niche_word(rng: np.random.Generator, niches: list[str], topic: np.ndarray) -> pa.Array:
    """A random word of each row's topic vocabulary."""
    pools = [vocab.niche_words(n) for n in niches]
    sizes = np.array([len(p) for p in pools])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat = [w for pool in pools for w in pool]
    return pick(flat, offsets[topic] + (rng.random(topic.size) * sizes[topic]).astype(np.int64))


def stored_counts(settings: SimulationSettings, rng: np.random.Generator, posts: Posts) -> tuple:
    """How many organic and bot comments are kept per post: pods first, the rest up to the cap,
    like a scrape that returns a limited number of comments."""
    room = np.maximum(settings.comments.max_stored_per_post - posts.pod_comments, 0)
    total = posts.organic_comments + posts.bot_comments
    take = np.minimum(total, room)
    if not take.size:
        return take, take
    bots = rng.hypergeometric(posts.bot_comments, posts.organic_comments, take)
    return take - bots, bots


def _organic_text(settings: SimulationSettings, rng: np.random.Generator, inf: Influencers, owner: np.ndarray,
                  fans: np.ndarray, seed: int) -> pa.Array:
    c, n = settings.comments, owner.size
    word = niche_word(rng, settings.niches, draw_topics(rng, inf.theta, owner))
    on_topic = concat(pick(vocab.TOPIC_PREFIXES, rng.integers(len(vocab.TOPIC_PREFIXES), size=n)), word,
                      pick(vocab.TOPIC_SUFFIXES, rng.integers(len(vocab.TOPIC_SUFFIXES), size=n)))
    generic = pick(vocab.ORGANIC_GENERIC, rng.integers(len(vocab.ORGANIC_GENERIC), size=n))
    text = where(rng.random(n) < c.on_topic_share, on_topic, generic)
    joint = pick((". ", "!! ", ", "), rng.integers(3, size=n))
    # the second sentence is the previous row's (mostly the same post, so the same topics), not a repeat
    previous = pa.array(np.roll(np.arange(n), 1))
    second = concat(text, joint, where(rng.random(n) < 0.5, generic, on_topic).take(previous))
    text = where(rng.random(n) < c.long_comment_share, second, text)
    text = concat(text, emoji_tail(rng, n, vocab.EMOJIS, 0.4))
    text = where(rng.random(n) < 0.3, pc.utf8_capitalize(text), text)
    friend = usernames(np.roll(fans, 1), np.zeros(n, bool), seed, settings.profiles)
    text = where(rng.random(n) < c.mention_share, concat("@", friend, " ", text), text)
    emoji_only = pick(vocab.BOT_EMOJI_ONLY, rng.integers(len(vocab.BOT_EMOJI_ONLY), size=n))
    return where(rng.random(n) < c.organic_emoji_only_share, emoji_only, text)


def _bot_text(settings: SimulationSettings, rng: np.random.Generator, inf: Influencers, owner: np.ndarray,
              bots: np.ndarray, seed: int) -> pa.Array:
    n = owner.size
    cum = np.cumsum(inf.bot_type_probs, axis=1)[owner]
    kind = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), len(BOT_TYPES) - 1)
    generic = concat(pick(vocab.BOT_GENERIC, rng.integers(len(vocab.BOT_GENERIC), size=n)),
                     emoji_tail(rng, n, vocab.EMOJIS, 0.2))
    emoji = pick(vocab.BOT_EMOJI_ONLY, rng.integers(len(vocab.BOT_EMOJI_ONLY), size=n))
    # A farm pastes the same two sentences everywhere, which makes duplicates across posts.
    dup_index = (inf.bot_farm[owner] * 2 + rng.integers(2, size=n)) % len(vocab.BOT_DUPLICATES)
    duplicate = pick(vocab.BOT_DUPLICATES, dup_index)
    promo = pick(vocab.BOT_PROMO, rng.integers(len(vocab.BOT_PROMO), size=n))
    handle = usernames(bots + 1, np.ones(n, bool), seed, settings.profiles)
    promo = where(pc.ends_with(promo, "@").to_numpy(zero_copy_only=False), concat(promo, handle), promo)
    options = [generic, emoji, duplicate, promo]
    text = options[0]
    for k in range(1, len(options)):
        text = where(kind == k, options[k], text)
    return text


def _pod_text(rng: np.random.Generator, n: int) -> pa.Array:
    base = pick(vocab.POD_TEXTS, rng.integers(len(vocab.POD_TEXTS), size=n))
    return concat(base, emoji_tail(rng, n, vocab.EMOJIS, 0.1))


def _early_text(settings: SimulationSettings, rng: np.random.Generator, inf: Influencers, posts: Posts,
                commenters: np.ndarray, seed: int) -> pa.Array:
    """Pod members paste pod phrases; close friends and early fans write like any fan."""
    owner = posts.owner[posts.pod_post]
    in_pod = inf.pod_id[owner] >= 0
    return where(in_pod, _pod_text(rng, owner.size),
                 _organic_text(settings, rng, inf, owner, commenters, seed))


def _commenters(settings: SimulationSettings, rng: np.random.Generator, inf: Influencers, posts: Posts,
                space: UserSpace, org_owner: np.ndarray, bot_owner: np.ndarray) -> tuple[np.ndarray, ...]:
    """User numbers of the organic, bot and pod commenters."""
    c = settings.comments
    per_owner = np.bincount(org_owner, minlength=inf.index.size)
    pool = np.maximum(c.fan_pool_min, c.fan_pool_per_comment * per_owner)
    rank = (pool[org_owner] * rng.random(org_owner.size) ** 2).astype(np.int64)  # a few loyal fans dominate
    fans = fan_numbers(space, inf.index[org_owner], inf.niche[org_owner], rank)
    bots = space.bot(inf.bot_farm[bot_owner], rng.integers(space.farm_size, size=bot_owner.size))
    pod_owner = posts.owner[posts.pod_post]
    # close friends (a look-alike) are the account's most loyal fans rather than a pod
    friends = fan_numbers(space, inf.index[pod_owner], inf.niche[pod_owner], posts.pod_member)
    pods = np.where(inf.pod_id[pod_owner] >= 0, space.pod(inf.pod_id[pod_owner], posts.pod_member), friends)
    return fans, bots, pods


def draw_comments(settings: SimulationSettings, rng: np.random.Generator, inf: Influencers, posts: Posts,
                  space: UserSpace, seed: int) -> Comments:
    """Every stored comment of the block, sorted by post and time; none after end_date."""
    c, m = settings.comments, settings.mechanisms
    n_org, n_bot = stored_counts(settings, rng, posts)
    org_post, bot_post = np.repeat(np.arange(n_org.size), n_org), np.repeat(np.arange(n_bot.size), n_bot)
    org_owner, bot_owner = posts.owner[org_post], posts.owner[bot_post]
    fans, bots, pods = _commenters(settings, rng, inf, posts, space, org_owner, bot_owner)
    burst = rng.exponential(m.bot_burst_minutes, posts.owner.size) / 1440.0
    organic_delay_hours = np.exp(rng.normal(c.delay_log_hours_mean, c.delay_log_hours_sd, org_post.size))
    # fans with notifications on answer within minutes, more often on some accounts than on others
    fast = rng.random(org_post.size) < inf.fast_share[org_owner]
    organic_delay_hours = np.where(fast, rng.uniform(*c.fast_delay_minutes, org_post.size) / 60.0,
                                   organic_delay_hours)
    t = np.concatenate([
        posts.t[org_post] + organic_delay_hours / 24.0,
        posts.t[bot_post] + burst[bot_post] + rng.exponential(m.bot_delay_minutes, bot_post.size) / 1440.0,
        posts.t[posts.pod_post] + rng.uniform(0.5, m.pod_delay_minutes_max, posts.pod_post.size) / 1440.0,
    ])
    text = pa.concat_arrays([
        _organic_text(settings, rng, inf, org_owner, fans, seed),
        _bot_text(settings, rng, inf, bot_owner, bots, seed),
        _early_text(settings, rng, inf, posts, pods, seed),
    ])
    post = np.concatenate([org_post, bot_post, posts.pod_post])
    kind = np.repeat(np.arange(3), [org_post.size, bot_post.size, posts.pod_post.size])
    commenter = np.concatenate([fans, bots, pods])
    keep = np.flatnonzero(t <= window_days(settings))
    order = keep[np.lexsort((t[keep], post[keep]))]
    return Comments(post=post[order], commenter=commenter[order], t=t[order], kind=kind[order],
                    text=text.take(pa.array(order)))
