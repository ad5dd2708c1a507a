"""Reasons in words a marketer reads. Scoring writes a sentence for most features (see
`authfit.scoring.reasons.TEMPLATES`); the others fall back to '<feature definition>: <value>', which reads
like a data dictionary ('mean share of NMF caption topic 1 over the account's posts: 0.015'). The report
recognises those by their definition (from the feature registry, so this cannot drift from the features)
and says them plainly: '2% of captions are about topic 1 (gym, workout, protein)'."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from authfit.features.registry import FeatureSpec

TIERS = ("nano", "micro", "mid-tier", "macro", "mega")
# kind, phrase (flags: phrase when 1, phrase when 0). {v} is the value, formatted by kind.
PLAIN_PHRASES: dict[str, tuple[str, ...]] = {
    "username_vowel_share": ("pct", "{v} of the username is vowels"),
    "username_max_consonant_run": ("count", "the username has {v} consonants in a row"),
    "username_distinct_char_share": ("pct", "{v} of the username's characters are different"),
    "username_entropy": ("num", "the username's characters carry {v} bits each (random strings score high)"),
    "full_name_digit_share": ("pct", "{v} of the display name is digits"),
    "name_equals_username": ("flag", "the display name is just the username", "the display name is not the username"),
    "bio_has_emoji": ("flag", "the biography has emoji", "no emoji in the biography"),
    "bio_has_hashtag": ("flag", "the biography has hashtags", "no hashtag in the biography"),
    "bio_has_mention": ("flag", "the biography mentions other accounts", "the biography mentions no account"),
    "follower_growth_7d": ("signed_pct", "followers changed by {v} in the last 7 days"),
    "follower_growth_30d": ("signed_pct", "followers changed by {v} in the last 30 days"),
    "follower_growth_90d": ("signed_pct", "followers changed by {v} in the last 90 days"),
    "follower_max_jump_days_ago": ("count", "the largest jump in followers was {v} days ago"),
    "follower_smoothness": ("pct", "follower growth is {v} smooth (100% is steady growth)"),
    "follower_tier": ("tier", "a {v} influencer"),
    "likes_gini": ("num", "likes are spread unevenly across posts ({v} on a 0-1 scale, 0 is even)"),
    "sponsored_engagement_ratio": ("num", "sponsored posts get {v}x the engagement of other posts"),
    "audience_sample_size": ("count", "{v} followers in the audience sample"),
    "n_comments_observed": ("count", "{v} comments seen"),
    "comments_per_post": ("num", "{v} comments per post"),
    "unique_commenter_ratio": ("pct", "{v} of comments come from different people"),
    "caption_overlap_share": ("pct", "{v} of comments pick up a word of the caption"),
    "posting_gap_cv": ("num", "posting rhythm varies by {v} (0 is like clockwork)"),
}
TOPIC_FEATURE = re.compile(r"topic_(\d+)$")


def _format(kind: str, value: float) -> str:
    if kind == "pct":
        return f"{value:.0%}"
    if kind == "signed_pct":
        return f"{value:+.0%}"
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "tier":
        return TIERS[int(np.clip(round(value), 0, len(TIERS) - 1))]
    return f"{value:.2g}"


def topic_words(components: np.ndarray, vocabulary: np.ndarray, n: int = 3) -> dict[int, str]:
    """The `n` heaviest words of each topic of a fitted NMF topic model, comma-separated."""
    if components.size == 0 or not np.any(components):
        return {}
    top = np.argsort(-components, axis=1)[:, :n]
    return {k: ", ".join(str(w) for w in vocabulary[row]) for k, row in enumerate(top)}


def plain_phrase(name: str, value: float, topics: Mapping[int, str] | None = None) -> str | None:
    """The plain sentence for feature `name` at `value`, or None when there is none."""
    topic = TOPIC_FEATURE.match(name)
    if topic:
        words = (topics or {}).get(int(topic.group(1)))
        about = f"topic {topic.group(1)} ({words})" if words else f"caption topic {topic.group(1)}"
        return f"{value:.0%} of captions are about {about}"
    spec = PLAIN_PHRASES.get(name)
    if spec is None:
        return None
    if spec[0] == "flag":
        return spec[1] if value >= 0.5 else spec[2]
    return spec[1].format(v=_format(spec[0], value))


# Scoring sentences that still carry a statistic: the step features' t statistic reads as 'no clear rise'
# below STEP_T_CLEAR and as a sharp rise above it (a t of 2 is about the 5% level of a one-sided test).
STEP_SENTENCE = re.compile(r"^rise in (.+) against its own earlier posts: t = (-?[\d.]+|nan)$")
STEP_T_CLEAR = 2.0


def _step(match: re.Match[str]) -> str:
    what, t = match.group(1), float(match.group(2))
    if not t >= STEP_T_CLEAR:
        return f"no sudden rise in {what} against its earlier posts"
    return f"{what} rose suddenly against its earlier posts (t = {t:.1f}; above {STEP_T_CLEAR:g} is unusual)"


def plain_reason(text: str, specs: list[FeatureSpec], topics: Mapping[int, str] | None = None) -> str:
    """A stored reason in plain words: one in the '<definition>: <value>' form is rewritten, and so is a
    step sentence with its t statistic; any other (already plain) is returned as it is."""
    step = STEP_SENTENCE.match(text)
    if step:
        return _step(step)
    for spec in specs:
        prefix = f"{spec.definition}: "
        if text.startswith(prefix):
            try:
                value = float(text[len(prefix):])
            except ValueError:
                return text
            return plain_phrase(spec.name, value, topics) or text
    return text
