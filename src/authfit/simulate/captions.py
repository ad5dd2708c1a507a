"""Texts written by influencers and brands: captions, profile handles and bios, campaign briefs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from authfit.simulate import vocabulary as vocab
from authfit.simulate.comment_rows import draw_topics, niche_word
from authfit.simulate.world_settings import SimulationSettings
from authfit.simulate.text_assembly import concat, emoji_tail, join_groups, pick, squeeze_spaces, where


def _flat_pool(pools: dict[str, tuple[str, ...]],
               niches: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    sizes = np.array([len(pools[n]) for n in niches])
    return [w for n in niches for w in pools[n]], np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes


def hashtag_pool(niche: str) -> tuple[str, ...]:
    """The niche's common hashtags plus one per vocabulary word."""
    words = tuple("#" + w.replace(" ", "").replace("-", "") for w in vocab.niche_words(niche))
    return tuple(dict.fromkeys(vocab.NICHE_HASHTAGS[niche] + words))


def hashtags(rng: np.random.Generator, niches: list[str], topic: np.ndarray) -> pa.Array:
    flat, offsets, sizes = _flat_pool({n: hashtag_pool(n) for n in niches}, niches)
    return pick(flat, offsets[topic] + (rng.random(topic.size) * sizes[topic]).astype(np.int64))


def topic_text(rng: np.random.Generator, niches: list[str], theta: np.ndarray, owner: np.ndarray,
               counts: np.ndarray, tags: bool = False, separator: str = " ") -> pa.Array:
    """For each row, `counts` words (or hashtags) drawn from its owner's topic mixture."""
    rows = np.repeat(owner, counts)
    topic = draw_topics(rng, theta, rows)
    pieces = hashtags(rng, niches, topic) if tags else niche_word(rng, niches, topic)
    return join_groups(pieces, counts, separator)


def hashtag_counts(settings: SimulationSettings, rng: np.random.Generator, n: int) -> np.ndarray:
    """Many captions carry none, most a few, some a wall of 20-30 (squaring skews to the low end)."""
    low, high = settings.posts.hashtags
    counts = low + np.floor((high - low + 1) * rng.random(n) ** 2).astype(np.int64)
    return np.where(rng.random(n) < settings.posts.hashtag_none_prob, 0, counts)


def captions(settings: SimulationSettings, rng: np.random.Generator, theta: np.ndarray, owner: np.ndarray,
             sponsored: np.ndarray, niche: np.ndarray) -> pa.Array:
    """Opener, topic words, emoji, closer, then hashtags; sponsored posts add an ad tag and a brand."""
    p, n = settings.posts, owner.size
    n_words = rng.integers(p.caption_words[0], p.caption_words[1] + 1, n)
    body = topic_text(rng, settings.niches, theta, owner, n_words)
    tags = topic_text(rng, settings.niches, theta, owner, hashtag_counts(settings, rng, n), tags=True)
    first = concat(pick(vocab.CAPTION_OPENERS, rng.integers(len(vocab.CAPTION_OPENERS), size=n)), " ", body,
                   emoji_tail(rng, n, vocab.EMOJIS, 0.3), " ",
                   pick(vocab.CAPTION_CLOSERS, rng.integers(len(vocab.CAPTION_CLOSERS), size=n)))
    ad = concat(" ", pick(vocab.SPONSORED_TAGS, rng.integers(len(vocab.SPONSORED_TAGS), size=n)), " @",
                brand_handles(rng, settings.niches, niche[owner]))
    tail = pc.utf8_trim_whitespace(concat(tags, where(sponsored, ad, "")))
    has_tail = pc.greater(pc.utf8_length(tail), 0).to_numpy(zero_copy_only=False)
    return where(has_tail, concat(squeeze_spaces(first), "\n", tail), squeeze_spaces(first))


def brand_names(rng: np.random.Generator, niches: list[str], niche: np.ndarray) -> pa.Array:
    prefix = pick(vocab.BRAND_PREFIXES, rng.integers(len(vocab.BRAND_PREFIXES), size=niche.size))
    flat, offsets, sizes = _flat_pool(vocab.BRAND_SUFFIXES, niches)
    suffix = pick(flat, offsets[niche] + rng.integers(0, 1 << 30, niche.size) % sizes[niche])
    return concat(prefix, " ", suffix)


def brand_handles(rng: np.random.Generator, niches: list[str], niche: np.ndarray) -> pa.Array:
    return pc.utf8_lower(pc.replace_substring(brand_names(rng, niches, niche), " ", ""))


def influencer_handles(rng: np.random.Generator, niches: list[str], niche: np.ndarray,
                       first: pa.Array) -> pa.Array:
    word = pc.replace_substring(niche_word(rng, niches, niche), " ", "")
    sep = pick(("", ".", "_", "."), rng.integers(4, size=niche.size))
    digits = pc.cast(pa.array(rng.integers(1, 99, niche.size)), pa.string())
    handle = concat(first, sep, word)
    return pc.utf8_lower(where(rng.random(niche.size) < 0.2, concat(handle, digits), handle))


def influencer_bios(rng: np.random.Generator, niches: list[str], niche: np.ndarray,
                    country: pa.Array) -> pa.Array:
    n = niche.size
    flat, offsets, sizes = _flat_pool(vocab.BIO_ROLES, niches)
    role = pick(flat, offsets[niche] + rng.integers(0, 1 << 30, n) % sizes[niche])
    words = concat(niche_word(rng, niches, niche), " & ", niche_word(rng, niches, niche))
    contact = pick(("", " | collabs via dm 📩", " | business: link below", " | 📍"), rng.integers(4, size=n))
    return concat(pick(vocab.EMOJIS, rng.integers(len(vocab.EMOJIS), size=n)), " ", role, " | ", words,
                  " | ", country, contact)


def briefs(rng: np.random.Generator, settings: SimulationSettings, theta: np.ndarray) -> pa.Array:
    """Campaign briefs written from the campaign's own topic mixture."""
    n = theta.shape[0]
    rows = np.arange(n)
    words = topic_text(rng, settings.niches, theta, rows, rng.integers(5, 11, n), separator=", ")
    return concat(pick(vocab.BRIEF_OPENERS, rng.integers(len(vocab.BRIEF_OPENERS), size=n)), " ",
                  words, ". ",
                  pick(vocab.BRIEF_CLOSERS, rng.integers(len(vocab.BRIEF_CLOSERS), size=n)))
