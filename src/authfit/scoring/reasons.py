"""Reasons a person can read, from LightGBM's per-prediction contributions (TreeSHAP, `pred_contrib`).

For each row, the features that pushed its score most in the direction of its verdict are picked from
the contribution matrix, and each is turned into a sentence by a template that reads the feature values
of that row. Templates work on whole columns (one vectorised pass per feature), not per row: numpy arrays
of the rows that need the sentence, and sentences as object arrays of text, where a missing number makes
the sentence `MISSING`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

REASON_SEPARATOR = " | "  # between the reasons of one row when a file cell must hold text (CSV)


class _Missing(str):
    """A sentence part that is not known: text added to it, on either side, stays missing (as pandas'
    string dtype propagates its missing values), so templates concatenate plain object arrays."""

    def __add__(self, other: object) -> _Missing:
        return self

    def __radd__(self, other: object) -> _Missing:  # called before str.__add__: a subclass of str
        return self


MISSING = _Missing("")


class FeatureMatrix(NamedTuple):
    """Feature columns as one float array (rows x `names`, the model's columns in order), with helper
    columns (such as the Scorer's `_as_of`) beside it: what the Scorer hands over, without a DataFrame."""

    values: np.ndarray
    names: Sequence[str]
    extra: Mapping[str, np.ndarray] = {}

    @classmethod
    def of_frame(cls, frame: pd.DataFrame, n_model: int) -> FeatureMatrix:
        """The frame's first `n_model` columns as the array, the others as helper columns."""
        names = list(frame.columns)
        model = frame if len(names) == n_model else frame.iloc[:, :n_model]
        return cls(model.to_numpy(dtype=np.float64, na_value=np.nan), names[:n_model],
                   {name: frame[name].to_numpy() for name in names[n_model:]})


class FeatureColumns(Mapping[str, np.ndarray]):
    """Some rows of a feature frame (or a `FeatureMatrix`), column by column as numpy arrays, each read when
    a template first asks for it (a template reads one to three of the frame's columns)."""

    def __init__(self, frame: pd.DataFrame | FeatureMatrix, rows: np.ndarray | None = None,
                 cache: dict[str, np.ndarray] | None = None):
        self._frame, self._rows = frame, rows
        self._cache = {} if cache is None else cache
        if isinstance(frame, FeatureMatrix):
            self._names = [*frame.names, *frame.extra]
            self._position = {name: i for i, name in enumerate(frame.names)}
            self.n_rows = len(frame.values) if rows is None else len(rows)
        else:
            self._names, self._position = list(frame.columns), {}
            self.n_rows = len(frame) if rows is None else len(rows)

    def take(self, rows: np.ndarray) -> FeatureColumns:
        """These columns at `rows` (positions in the frame), sharing the columns already read."""
        return FeatureColumns(self._frame, rows, self._cache)

    def _read(self, name: str) -> np.ndarray:
        frame = self._frame
        if not isinstance(frame, FeatureMatrix):
            return frame[name].to_numpy()
        return frame.values[:, self._position[name]] if name in self._position else frame.extra[name]

    def __getitem__(self, name: str) -> np.ndarray:
        values = self._cache.get(name)
        if values is None:
            values = self._cache[name] = self._read(name)
        return values if self._rows is None else values[self._rows]

    def __contains__(self, name: object) -> bool:
        return name in self._position or name in (self._frame.extra if isinstance(self._frame, FeatureMatrix)
                                                  else self._frame.columns)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


Template = Callable[[FeatureColumns], "np.ndarray | str"]


def join_reasons(reasons: pd.Series) -> pd.Series:
    """Each row's list of reasons as one text cell; a missing list stays missing."""
    return reasons.map(lambda row: REASON_SEPARATOR.join(map(str, row)), na_action="ignore")


def _pct(x: np.ndarray) -> np.ndarray:
    return _formatted(np.round(np.asarray(x, dtype=float) * 100), lambda v: f"{int(v)}%")


def _num(x: np.ndarray, digits: int = 1) -> np.ndarray:
    return _formatted(np.round(np.asarray(x, dtype=float), digits), str)


def _col(frame: FeatureColumns, name: str) -> np.ndarray:
    return frame[name] if name in frame else np.full(frame.n_rows, np.nan)


def _count(x: np.ndarray) -> np.ndarray:
    return _formatted(np.round(np.asarray(x, dtype=float)), lambda v: f"{int(v):,}")


def _formatted(values: np.ndarray, form: Callable[[float], str]) -> np.ndarray:
    """Each value as text (`MISSING` where the value is): one Python call per value."""
    text = np.empty(len(values), dtype=object)
    text[:] = [MISSING if np.isnan(v) else form(v) for v in values.tolist()]
    return text


def _flag(name: str, yes: str, no: str) -> Template:
    return lambda f: np.where(_col(f, name) >= 0.5, yes, no)


def _follower_jump(f: FeatureColumns) -> np.ndarray:
    as_of = pd.to_datetime(pd.Series(_col(f, "_as_of")), utc=True)
    start = as_of - pd.to_timedelta(np.nan_to_num(np.asarray(_col(f, "follower_max_jump_days_ago"), dtype=float),
                                                  nan=0.0), unit="D")
    week = (start - pd.to_timedelta(start.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    week[pd.isna(week)] = MISSING
    text = "followers jumped " + _pct(_col(f, "follower_max_jump_share")) + " in the week of " + week
    drop = _col(f, "follower_post_spike_drop")
    return np.where(~(drop > 0.01), text, text + ", then fell " + _pct(drop))


TEMPLATES: dict[str, Template] = {
    "follower_max_jump_share": _follower_jump,
    "follower_max_jump_z": _follower_jump,
    "follower_step_z": _follower_jump,
    "follower_spike_count": lambda f: _num(_col(f, "follower_spike_count"), 0) + " sudden follower spikes",
    "follower_post_spike_drop": lambda f: "followers fell " + _pct(_col(f, "follower_post_spike_drop"))
    + " after their largest spike (a purge after a purchase?)",
    "follower_drop_count": lambda f: _num(_col(f, "follower_drop_count"), 0) + " sudden follower drops",
    "following_churn_30d": lambda f: "the following count churns (follow/unfollow): "
    + _pct(_col(f, "following_churn_30d")) + " of its level in 30 days",
    "following_reversals_30d": lambda f: _num(_col(f, "following_reversals_30d"), 0)
    + " follow/unfollow reversals in 30 days",
    "spike_like_gap": lambda f: "likes did not keep up when followers jumped",
    "follower_like_gap_90d": lambda f: "followers grew faster than likes over 90 days",
    # The value is stated: a low step statistic also explains a low score (no rise against earlier posts).
    "likes_step_t": lambda f: "rise in likes against its own earlier posts: t = "
    + _num(_col(f, "likes_step_t")),
    "likes_per_comment_step_t": lambda f: "rise in likes per comment against its own earlier posts: t = "
    + _num(_col(f, "likes_per_comment_step_t")),
    "comments_per_like_step_t": lambda f: "rise in comments per like against its own earlier posts: t = "
    + _num(_col(f, "comments_per_like_step_t")),
    "generic_comment_share": lambda f: _pct(_col(f, "generic_comment_share")) + " of comments are generic",
    "generic_comment_step_t": lambda f: "rise in the share of generic comments against its own earlier posts: t = "
    + _num(_col(f, "generic_comment_step_t")),
    "early_comment_step_t": lambda f: "rise in the share of comments within minutes against its own earlier posts: t = "
    + _num(_col(f, "early_comment_step_t")),
    "early_one_off_comment_share": lambda f: _pct(_col(f, "early_one_off_comment_share"))
    + " of comments arrive within minutes from accounts that comment only once",
    "emoji_only_share": lambda f: _pct(_col(f, "emoji_only_share")) + " of comments are emoji only",
    "short_comment_share": lambda f: _pct(_col(f, "short_comment_share")) + " of comments are one or two words",
    "exact_duplicate_share": lambda f: _pct(_col(f, "exact_duplicate_share")) + " of comments are exact duplicates",
    "near_duplicate_share": lambda f: _pct(_col(f, "near_duplicate_share"))
    + " of comments are generic or duplicated",
    "recurring_comment_share": lambda f: _pct(_col(f, "recurring_comment_share"))
    + " of comments come from the same group of commenters on every post (a pod)",
    "recurring_commenter_share": lambda f: _pct(_col(f, "recurring_commenter_share"))
    + " of commenters recur across posts",
    "recurring_early_comment_share": lambda f: _pct(_col(f, "recurring_early_comment_share"))
    + " of comments are recurring commenters arriving within minutes",
    "early_comment_share": lambda f: _pct(_col(f, "early_comment_share")) + " of comments arrive within minutes",
    "comment_burstiness": lambda f: "comments arrive in bursts (burstiness " + _num(_col(f, "comment_burstiness"), 2)
    + ")",
    "top_k_commenter_share": lambda f: _pct(_col(f, "top_k_commenter_share"))
    + " of comments come from a handful of accounts",
    "commenter_gini": lambda f: "comments are concentrated on few commenters (Gini "
    + _num(_col(f, "commenter_gini"), 2) + ")",
    "spam_share": lambda f: _pct(_col(f, "spam_share")) + " of comments look like spam or bots",
    "spam_prob_mean": lambda f: "comments look like spam on average (" + _pct(_col(f, "spam_prob_mean")) + ")",
    "caption_relevance_mean": lambda f: "comments relate to the captions "
    + _pct(_col(f, "caption_relevance_mean")) + " (topical relevance)",
    "audience_fake_share_corrected": lambda f: "an estimated " + _pct(_col(f, "audience_fake_share_corrected"))
    + " of followers are fake (" + _pct(_col(f, "audience_fake_share_corrected_lo")) + " to "
    + _pct(_col(f, "audience_fake_share_corrected_hi")) + ")",
    "audience_fake_share": lambda f: _pct(_col(f, "audience_fake_share")) + " of sampled followers look fake",
    "audience_fake_share_lo": lambda f: _pct(_col(f, "audience_fake_share")) + " of sampled followers look fake",
    "audience_fake_share_hi": lambda f: _pct(_col(f, "audience_fake_share")) + " of sampled followers look fake",
    "audience_fake_share_corrected_lo": lambda f: TEMPLATES["audience_fake_share_corrected"](f),
    "audience_fake_share_corrected_hi": lambda f: TEMPLATES["audience_fake_share_corrected"](f),
    "audience_mass_follow_share": lambda f: _pct(_col(f, "audience_mass_follow_share"))
    + " of followers follow more than 1,500 accounts",
    "engagement_vs_benchmark": lambda f: "engagement is " + _num(_col(f, "engagement_vs_benchmark"))
    + "x the usual rate for this follower count",
    "engagement_log_ratio": lambda f: "engagement is " + _num(np.exp(_col(f, "engagement_log_ratio").astype(float)))
    + "x the usual rate for this follower count",
    "likes_per_comment": lambda f: _num(_col(f, "likes_per_comment"), 0) + " likes per comment",
    "comment_like_ratio": lambda f: _num(_col(f, "comment_like_ratio") * 100, 1) + " comments per 100 likes",
    "likes_cv": lambda f: "likes vary across posts by " + _pct(_col(f, "likes_cv")),
    "log_followers": lambda f: _count(np.expm1(_col(f, "log_followers"))) + " followers",
    "log_following": lambda f: "follows " + _count(np.expm1(_col(f, "log_following"))) + " accounts",
    "log_media": lambda f: _count(np.expm1(_col(f, "log_media"))) + " posts published",
    "follow_ratio_log": lambda f: "follows " + _num(np.exp(_col(f, "follow_ratio_log").astype(float)))
    + "x as many accounts as follow it",
    "followers_per_post_log": lambda f: _num(np.exp(_col(f, "followers_per_post_log").astype(float)), 0)
    + " followers per post",
    "following_over_1500": _flag("following_over_1500", "follows more than 1,500 accounts",
                                 "follows at most 1,500 accounts"),
    "username_length": lambda f: "username is " + _count(_col(f, "username_length")) + " characters long",
    "username_digit_count": lambda f: _count(_col(f, "username_digit_count")) + " digits in the username",
    "username_digit_share": lambda f: _pct(_col(f, "username_digit_share")) + " of the username is digits",
    "username_trailing_digits": lambda f: "username ends in " + _count(_col(f, "username_trailing_digits"))
    + " digits",
    "username_nonalnum_share": lambda f: _pct(_col(f, "username_nonalnum_share"))
    + " of the username is punctuation",
    "full_name_length": lambda f: np.where(_col(f, "full_name_length") > 0, "display name has "
                                           + _count(_col(f, "full_name_length")) + " characters", "no display name"),
    "full_name_words": lambda f: _count(_col(f, "full_name_words")) + " words in the display name",
    "name_username_similarity": lambda f: "display name and username are " + _pct(
        _col(f, "name_username_similarity")) + " alike",
    "bio_length": lambda f: np.where(_col(f, "bio_length") > 0, "biography of "
                                     + _count(_col(f, "bio_length")) + " characters", "empty biography"),
    "bio_has_url": _flag("bio_has_url", "biography contains a link", "no link in the biography"),
    "has_profile_pic": _flag("has_profile_pic", "has a profile picture", "no profile picture"),
    "is_private": _flag("is_private", "private account", "public account"),
    "is_verified": _flag("is_verified", "verified account", "not verified"),
    "has_external_url": _flag("has_external_url", "links to an external website", "no external link"),
    "log10_followers_as_of": lambda f: _count(10 ** _col(f, "log10_followers_as_of").astype(float) - 1)
    + " followers",
    "engagement_rate": lambda f: "engagement rate " + _num(_col(f, "engagement_rate") * 100, 2) + "%",
    "engagement_rate_mean": lambda f: "mean engagement rate " + _num(_col(f, "engagement_rate_mean") * 100, 2) + "%",
    "top_topic_share": lambda f: _pct(_col(f, "top_topic_share")) + " of the content is in its main topic",
    "topic_entropy": lambda f: "content spread over topics (entropy " + _num(_col(f, "topic_entropy"), 2) + ")",
    "posts_per_week": lambda f: _num(_col(f, "posts_per_week")) + " posts a week",
    "sponsored_share": lambda f: _pct(_col(f, "sponsored_share")) + " of posts are sponsored",
    "hashtags_per_post": lambda f: _num(_col(f, "hashtags_per_post")) + " hashtags per post",
    "days_since_last_post": lambda f: "last post " + _count(_col(f, "days_since_last_post")) + " days ago",
}


def _fallback(name: str, definition: str) -> Template:
    return lambda f: definition + ": " + _num(_col(f, name), 3)


def top_reasons(contributions: np.ndarray, features: pd.DataFrame, positive: np.ndarray, k: int = 3,
                definitions: dict[str, str] | None = None, min_abs: float = 1e-6) -> pd.Series:
    """`reason_lists` of a feature frame (the model's columns in order, then any helper columns such as
    `_as_of`), indexed as the frame."""
    matrix = FeatureMatrix.of_frame(features, contributions.shape[1] - 1)
    return pd.Series(reason_lists(contributions, matrix, positive, k, definitions, min_abs), index=features.index,
                     dtype=object)


def reason_lists(contributions: np.ndarray, features: FeatureMatrix, positive: np.ndarray, k: int = 3,
                 definitions: dict[str, str] | None = None, min_abs: float = 1e-6) -> list[list[str]]:
    """A list of up to `k` sentences per row. `contributions` is (rows, features + 1) from pred_contrib;
    rows with `positive` True are explained by what raised their score, the others by what lowered it."""
    signed = np.where(positive[:, None], contributions[:, :-1], -contributions[:, :-1])
    # A missing feature has a contribution too but no sentence: rank the features that have a value, so
    # NaN columns (e.g. step statistics of an account with few posts) cannot crowd out every reason.
    signed[np.isnan(features.values)] = -np.inf
    order = np.argsort(-signed, axis=1, kind="stable")[:, :k]
    strength = np.take_along_axis(signed, order, axis=1)
    sentences = np.full(order.shape, None, dtype=object)
    # every (row, rank) slot with a reason, grouped by feature: one template call per feature
    slot_row, slot_rank = np.nonzero(strength > min_abs)
    slot_feature = order[slot_row, slot_rank]
    by_feature = np.argsort(slot_feature, kind="stable")
    slot_row, slot_rank, slot_feature = slot_row[by_feature], slot_rank[by_feature], slot_feature[by_feature]
    bounds = np.flatnonzero(np.diff(slot_feature)) + 1
    definitions = definitions or {}
    columns = FeatureColumns(features)
    for rows, ranks, j in zip(np.split(slot_row, bounds), np.split(slot_rank, bounds),
                              slot_feature[np.append(0, bounds)].tolist() if slot_feature.size else []):
        name = features.names[j]
        template = TEMPLATES.get(name) or _fallback(name, definitions.get(name, name.replace("_", " ")))
        text = np.empty(rows.size, dtype=object)
        text[:] = template(columns if rows.size == columns.n_rows else columns.take(rows))  # constants broadcast
        text[[s is MISSING for s in text]] = None  # a sentence with a number not known is dropped
        sentences[rows, ranks] = text
    return [list(dict.fromkeys(s for s in row if s is not None)) for row in sentences.tolist()]
