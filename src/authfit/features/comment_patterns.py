"""Comment-pattern features per influencer: volume, generic and duplicated text, commenter concentration
(pods), timing, relevance to the caption and comment-spam probability.

The comment path is built for throughput: each distinct text is tokenised once, commenters, texts and
token sets become integer codes, and every aggregate is a `np.bincount` over account codes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from authfit.features.asof import per_second
from authfit.features.growth import padded_series, step_t
from authfit.features.registry import FeatureSpec
from authfit.features.text_normalise import (
    Tokens,
    caption_tokens,
    collapse_repeats,
    dedupe_pairs,
    is_hashtag,
    recode,
    stack_tokens,
    tokenise,
)

FAMILY = "comments"

FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("n_comments_observed", FAMILY, "comment rows available for the account's posts"),
    FeatureSpec("comments_per_post", FAMILY,
                "mean comments per post (posts.comment_count, else the rows in the comments table)"),
    FeatureSpec("comment_like_ratio", FAMILY, "sum of comments / sum of likes over posts with both known"),
    FeatureSpec("generic_comment_share", FAMILY,
                "share of comments with at most `generic_max_words` words, all from the generic lexicon or "
                "stop words (emoji-only and punctuation-only comments included)"),
    FeatureSpec("emoji_only_share", FAMILY, "share of comments with emoji/symbols but no word"),
    FeatureSpec("short_comment_share", FAMILY,
                "share of comments with at most `short_max_words` distinct words"),
    FeatureSpec("exact_duplicate_share", FAMILY,
                "share of comments whose exact text occurs more than once on the account's posts"),
    FeatureSpec("near_duplicate_share", FAMILY,
                "share of comments whose normalised token set (case, punctuation, emoji variants, repeated "
                "letters and word order ignored) occurs more than once on the account's posts"),
    FeatureSpec("unique_commenter_ratio", FAMILY, "distinct commenters / comments with a known commenter"),
    FeatureSpec("top_k_commenter_share", FAMILY,
                "share of comments written by the `top_k` most active commenters"),
    FeatureSpec("commenter_gini", FAMILY, "Gini coefficient of comments per commenter (0 = even)"),
    FeatureSpec("recurring_commenter_share", FAMILY,
                "share of commenters who comment on at least `pod_min_posts` of the account's posts"),
    FeatureSpec("recurring_comment_share", FAMILY, "share of comments written by recurring commenters"),
    FeatureSpec("recurring_early_comment_share", FAMILY,
                "share of timed comments written by recurring commenters within `early_minutes` of the post "
                "(engagement pods)"),
    FeatureSpec("early_comment_share", FAMILY,
                "share of timed comments made within `early_minutes` of the post"),
    FeatureSpec("comment_burstiness", FAMILY,
                "mean over posts of (sd - mean)/(sd + mean) of gaps between consecutive comments; "
                "-1 regular, 0 random, ->1 bursty"),
    FeatureSpec("caption_relevance_mean", FAMILY,
                "mean cosine between a comment's content-word set and its post caption's content-word set "
                "(caption words of 2+ characters, hashtags as words)"),
    FeatureSpec("caption_overlap_share", FAMILY,
                "share of comments (with content words) sharing at least one content word with the caption"),
    FeatureSpec("early_one_off_comment_share", FAMILY,
                "share of timed comments made within `early_minutes` of the post by commenters who comment "
                "only once on the account (fans who answer fast tend to come back; bought comments do not)"),
    FeatureSpec("generic_comment_step_t", FAMILY,
                "largest rise of the per-post generic comment share across any split of the account's posts "
                "in time order, as a pooled t statistic (posts with >= `step_min_comments` comments, >= "
                "`step_min_posts` on each side): bought comments start at some date, an account's own "
                "style does not"),
    FeatureSpec("early_comment_step_t", FAMILY,
                "the same step statistic for the per-post share of comments within `early_minutes`"),
    FeatureSpec("spam_prob_mean", FAMILY, "mean comment-spam probability from the comment scorer"),
    FeatureSpec("spam_share", FAMILY, "share of comments with spam probability >= `spam_threshold`"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)

# Words that carry no content on their own ("so cute", "stunning as always", "love this vibe").
_GENERIC_WORDS = (
    "a", "always", "amazing", "as", "awesome", "beautiful", "beauty", "best", "bro", "congrats", "cool",
    "cute", "cutie", "dear", "fantastic", "fire", "gorgeous", "goals", "good", "great", "haha", "incredible",
    "insane", "it", "keep", "king", "like", "lit", "lol", "look", "looking", "looks", "love", "loved",
    "lovely", "need", "nice", "obsessed", "ok", "omg", "one", "perfect", "perfection", "photo", "pic",
    "pics", "picture", "post", "queen", "really", "shot", "slay", "so", "stunning", "such", "super",
    "thanks", "the", "this", "too", "up", "very", "vibe", "vibes", "what", "wonderful", "work", "wow",
    "yay", "yes",
)
_STOPWORDS = (
    "a", "an", "the", "and", "or", "but", "is", "are", "was", "be", "to", "of", "in", "on", "at", "for",
    "with", "my", "your", "you", "i", "me", "it", "its", "this", "that", "so", "very", "just", "s", "im",
    "we", "our", "they", "he", "she", "her", "his", "all", "what", "how", "do", "can", "will", "from", "by",
    "not", "no", "have", "has", "as", "up", "out", "too", "here", "there", "now", "get", "got",
)


class CommentFeatureSettings(BaseModel):
    """Parameters of the comment-pattern features."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    generic_words: tuple[str, ...] = Field(default=_GENERIC_WORDS,
                                           description="words that alone make a comment generic")
    generic_max_words: int = Field(default=4, ge=1, description="generic comments have at most this many")
    short_max_words: int = Field(default=2, ge=0)
    stopwords: tuple[str, ...] = Field(default=_STOPWORDS, description="ignored when matching captions")
    top_k: int = Field(default=5, ge=1)
    pod_min_posts: int = Field(default=3, ge=2, description="posts a commenter must hit to be recurring")
    early_minutes: float = Field(default=60.0, gt=0)
    min_comments_for_burstiness: int = Field(default=3, ge=3)
    spam_threshold: float = Field(default=0.5, ge=0, le=1)
    step_min_comments: int = Field(default=3, ge=1, description="comments a post needs to enter a step series")
    step_min_posts: int = Field(default=5, ge=2, description="posts each side of a step needs")


class CommentScorer(Protocol):
    """Anything that maps comment texts to spam probabilities, one per text."""

    def __call__(self, texts: pd.Series) -> np.ndarray: ...


@dataclass(frozen=True)
class _Frame:
    """Comments joined to posts as integer codes; accounts are the distinct account_ids of `posts`."""

    accounts: pd.Index
    post_account: np.ndarray
    post: np.ndarray
    account: np.ndarray
    delay_s: np.ndarray
    created_s: np.ndarray
    posted_s: np.ndarray  # per post

    @property
    def n_accounts(self) -> int:
        return len(self.accounts)


def _seconds(values: pd.Series) -> np.ndarray:
    """Seconds since the epoch (NaN where missing), as `(t - epoch).dt.total_seconds()` gives them: the
    integer count in the column's own unit over that unit's periods per second."""
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        values = pd.to_datetime(values, utc=True)
    stamps = values.array
    ticks = stamps.asi8
    out = ticks / per_second(stamps.unit)
    out[stamps.isna()] = np.nan
    return out


def _build_frame(posts: pd.DataFrame, comments: pd.DataFrame) -> tuple[_Frame, pd.DataFrame]:
    post_account, accounts = _sorted_codes(posts["account_id"])
    # Arrow's hash lookup is about 5x faster than pandas' Index.get_indexer on string keys.
    found = pc.index_in(pa.array(comments["post_id"], type=pa.large_string(), from_pandas=True),
                        value_set=pa.array(posts["post_id"], type=pa.large_string(), from_pandas=True))
    post = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
    known = post >= 0  # foreign keys resolve after validation; this guards raw callers
    if not known.all():
        comments, post = comments.loc[known], post[known]
    created = _seconds(comments["created_at"])
    posted = _seconds(posts["posted_at"])
    frame = _Frame(
        accounts=pd.Index(accounts, name="account_id"), post_account=post_account.astype(np.int64),
        post=post.astype(np.int64), account=post_account[post].astype(np.int64),
        delay_s=created - posted[post], created_s=created, posted_s=posted,
    )
    return frame, comments


def _sorted_codes(values: pd.Series) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
    """`pd.factorize(values, sort=True)` for strings, by Arrow kernels (UTF-8 byte order is code point
    order, as Python sorts); -1 for missing."""
    arr = pa.array(values, type=pa.large_string(), from_pandas=True)
    uniques = pc.drop_null(pc.unique(arr))
    uniques = uniques.take(pc.sort_indices(uniques))
    codes = pc.fill_null(pc.index_in(arr, value_set=uniques, skip_nulls=True), -1)
    return codes.to_numpy(zero_copy_only=False).astype(np.int64), pd.array(uniques, dtype="str")


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out[~np.isfinite(out)] = np.nan
    return out


def _share(group: np.ndarray, flag: np.ndarray, n: int, valid: np.ndarray | None = None) -> np.ndarray:
    """Per group: mean of `flag` over the rows where `valid`; NaN for groups without valid rows."""
    if valid is not None:
        group, flag = group[valid], flag[valid]
    num = np.bincount(group, weights=flag.astype(np.float64), minlength=n)
    return _ratio(num, np.bincount(group, minlength=n).astype(np.float64))


def _repeated(group: np.ndarray, key: np.ndarray) -> np.ndarray:
    """True where the (group, key) pair occurs more than once."""
    codes, uniques = pd.factorize(group * np.int64(key.max() + 1 if key.size else 1) + key)
    return np.bincount(codes, minlength=len(uniques))[codes] > 1


def _post_share_step(frame: _Frame, flag: np.ndarray, valid: np.ndarray,
                     settings: CommentFeatureSettings) -> np.ndarray:
    """Per account: `step_t` of the share of `flag` among each post's `valid` comments, posts in time order
    (posts with fewer than `step_min_comments` valid comments are left out)."""
    n_posts = len(frame.posted_s)
    post = frame.post[valid]
    den = np.bincount(post, minlength=n_posts).astype(np.float64)
    num = np.bincount(post, weights=flag[valid].astype(np.float64), minlength=n_posts)
    share = np.where(den >= settings.step_min_comments, _ratio(num, den), np.nan)
    order = np.lexsort((frame.posted_s, frame.post_account))
    series = padded_series(frame.post_account[order], share[order], frame.n_accounts)
    return step_t(series, settings.step_min_posts)


def _volume_features(posts: pd.DataFrame, frame: _Frame) -> dict[str, np.ndarray]:
    n = frame.n_accounts
    rows_per_post = np.bincount(frame.post, minlength=len(posts)).astype(np.float64)
    declared = posts["comment_count"].to_numpy(dtype=np.float64)
    per_post = np.where(np.isnan(declared), rows_per_post, declared)
    likes = posts["like_count"].to_numpy(dtype=np.float64)
    both = ~np.isnan(likes)
    acc = frame.post_account
    return {
        "n_comments_observed": np.bincount(frame.account, minlength=n).astype(np.float64),
        "comments_per_post": _ratio(np.bincount(acc, weights=per_post, minlength=n),
                                    np.bincount(acc, minlength=n).astype(np.float64)),
        "comment_like_ratio": _ratio(np.bincount(acc[both], weights=per_post[both], minlength=n),
                                     np.bincount(acc[both], weights=likes[both], minlength=n)),
    }


def factorize_strings(texts: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes (-1 for missing) and distinct values of `texts`, in order of first appearance, as
    `pd.factorize` gives them; Arrow's dictionary encode hashes the string buffers without building a
    Python string per row."""
    codes, uniques = _string_codes(texts)
    return codes, _as_series(uniques)


def _string_codes(texts: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """`factorize_strings` with the distinct values left as an Arrow array."""
    values = pa.array(texts, type=pa.large_string(), from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values)
    return pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary


def _as_series(texts: pa.Array) -> pd.Series:
    return pd.Series(pd.array(texts, dtype="str"))


def _expand_pairs(rows: np.ndarray, codes: np.ndarray, n_distinct: int,
                  text_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, token) pairs of distinct texts (rows sorted) -> the pairs of every comment, comment i taking
    the pairs of distinct text text_codes[i] (none when -1), in the same order."""
    per_distinct = np.append(np.bincount(rows, minlength=n_distinct), 0)  # code -1 -> the appended 0
    first = np.cumsum(per_distinct) - per_distinct
    n_pairs = per_distinct[text_codes]
    out_rows = np.repeat(np.arange(len(text_codes), dtype=np.int64), n_pairs)
    within = np.arange(len(out_rows), dtype=np.int64) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
    return out_rows, codes[np.repeat(first[text_codes], n_pairs) + within]


def _per_comment(per_distinct: np.ndarray, text_codes: np.ndarray) -> np.ndarray:
    """A per-distinct-text value for each comment; comments without text get 0."""
    return np.append(per_distinct, 0)[text_codes]


def _token_sets(texts: pd.Series | pa.Array, captions: Tokens) -> Tokens:
    """Token sets of the texts (rows 0..n-1) then of the captions' words (rows n..), on one shared
    vocabulary. Captions come as `caption_tokens` makes them, shared with the topic model so each caption
    is tokenised once; their hashtags count as words only ("#gym" as "gym"), as in comments."""
    words = captions.without(is_hashtag(captions.vocab))
    tokens = stack_tokens(tokenise(texts), words)
    codes, vocab = recode(tokens.codes, tokens.vocab, collapse_repeats(tokens.vocab))
    rows, codes = dedupe_pairs(tokens.rows, codes, len(vocab))
    return Tokens(rows=rows, codes=codes, vocab=vocab, n_texts=tokens.n_texts)


def _in_vocab(vocab: np.ndarray, words: tuple[str, ...]) -> np.ndarray:
    found = pc.is_in(pa.array(vocab, type=pa.large_string()), value_set=_collapsed(words))
    return found.to_numpy(zero_copy_only=False).astype(bool)


@functools.cache
def _collapsed(words: tuple[str, ...]) -> pa.Array:
    """The word list as the vocabulary spells it (repeated letters collapsed), once per list."""
    return pa.array(collapse_repeats(np.asarray(words, dtype=object)), type=pa.large_string())


def _set_hash(rows: np.ndarray, codes: np.ndarray, n_rows: int, n_codes: int) -> np.ndarray:
    """Order-free hash of each row's token set: a sum of fixed random weights, one per token.

    Pairs arrive sorted by (row, code), so equal sets are summed in the same order and hash bit-identically.
    """
    weights = np.random.default_rng(20240601).uniform(1.0, 2.0, size=max(n_codes, 1))
    return np.bincount(rows, weights=weights[codes], minlength=n_rows)


def _shape_features(frame: _Frame, sets: Tokens, is_word: np.ndarray, text_codes: np.ndarray,
                    n_distinct: int, settings: CommentFeatureSettings) -> dict[str, np.ndarray]:
    """`sets` rows 0..n_distinct-1 are the distinct texts: counts and set hashes are taken once per
    distinct text and given to each comment through `text_codes`."""
    n = frame.n_accounts
    text_known = text_codes >= 0
    mine = sets.rows < n_distinct
    rows, codes = sets.rows[mine], sets.codes[mine]
    # Function words ("i", "is", "your") do not make "i love this" or "your feed is so good" specific.
    other_word = is_word & ~_in_vocab(sets.vocab, settings.generic_words + settings.stopwords)
    n_tokens = _per_comment(np.bincount(rows, minlength=n_distinct), text_codes)
    n_words = _per_comment(np.bincount(rows, weights=is_word[codes], minlength=n_distinct), text_codes)
    n_other = _per_comment(np.bincount(rows, weights=other_word[codes], minlength=n_distinct), text_codes)
    has_tokens = n_tokens > 0
    generic = (n_other == 0) & (n_words <= settings.generic_max_words)
    emoji_only = has_tokens & (n_words == 0)
    short = has_tokens & (n_words <= settings.short_max_words)
    set_hash = _per_comment(_set_hash(rows, codes, n_distinct, len(sets.vocab)), text_codes)
    digest = pd.factorize(set_hash[has_tokens])[0]
    n_c = len(text_codes)
    near = np.zeros(n_c, dtype=bool)
    near[has_tokens] = _repeated(frame.account[has_tokens], digest)
    acc = frame.account
    return {
        "generic_comment_step_t": _post_share_step(frame, generic, text_known, settings),
        "generic_comment_share": _share(acc, generic, n, text_known),
        "emoji_only_share": _share(acc, emoji_only, n, text_known),
        "short_comment_share": _share(acc, short, n, text_known),
        "near_duplicate_share": _share(acc, near, n, text_known),
    }


def _relevance_features(frame: _Frame, sets: Tokens, is_word: np.ndarray, text_codes: np.ndarray,
                        n_distinct: int, n_posts: int, settings: CommentFeatureSettings
                        ) -> dict[str, np.ndarray]:
    content = is_word & ~_in_vocab(sets.vocab, settings.stopwords)
    keep = content[sets.codes]
    rows, codes = sets.rows[keep], sets.codes[keep]
    mine = rows < n_distinct
    n_comments = len(text_codes)
    width = np.int64(max(len(sets.vocab), 1))
    caption_post = rows[~mine] - n_distinct
    caption_keys = caption_post * width + codes[~mine]
    comment_rows, comment_codes = _expand_pairs(rows[mine], codes[mine], n_distinct, text_codes)
    comment_keys = frame.post[comment_rows] * width + comment_codes
    hit = pd.Series(comment_keys).isin(caption_keys).to_numpy()  # a hash table: np.isin is far slower here
    overlap = np.bincount(comment_rows, weights=hit, minlength=n_comments)
    n_mine = np.bincount(comment_rows, minlength=n_comments).astype(np.float64)
    n_caption = np.bincount(caption_post, minlength=n_posts).astype(np.float64)[frame.post]
    valid = (n_mine > 0) & (n_caption > 0)
    cosine = _ratio(overlap, np.sqrt(n_mine * n_caption))
    acc, n = frame.account, frame.n_accounts
    return {
        "caption_relevance_mean": _share(acc, np.nan_to_num(cosine), n, valid),
        "caption_overlap_share": _share(acc, overlap > 0, n, valid),
    }


def _text_features(frame: _Frame, text_codes: np.ndarray, uniques: pa.Array, captions: Tokens,
                   settings: CommentFeatureSettings) -> dict[str, np.ndarray]:
    """Bots and generic comments repeat, so only the distinct texts (`uniques`; `text_codes` per comment,
    -1 when missing) are tokenised."""
    text_known = text_codes >= 0
    sets = _token_sets(uniques, captions)
    is_word = sets.is_word
    exact = np.zeros(len(text_codes), dtype=bool)
    exact[text_known] = _repeated(frame.account[text_known], text_codes[text_known])
    out = {"exact_duplicate_share": _share(frame.account, exact, frame.n_accounts, text_known)}
    out |= _shape_features(frame, sets, is_word, text_codes, len(uniques), settings)
    out |= _relevance_features(frame, sets, is_word, text_codes, len(uniques), captions.n_texts, settings)
    return out


def _rank_within(group: np.ndarray, order_value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort rows by group then descending `order_value`; return that order and each row's 0-based rank."""
    order = np.lexsort((-order_value, group))
    sorted_group = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
    run_lengths = np.diff(np.r_[starts, len(order)])
    rank = np.arange(len(order)) - np.repeat(starts, run_lengths)
    return order, rank


def _concentration(pair_account: np.ndarray, counts: np.ndarray, n: int, top_k: int) -> dict[str, np.ndarray]:
    """Top-k share and Gini of comments per commenter, from one row per (account, commenter) pair."""
    order, rank = _rank_within(pair_account, counts)
    acc, x = pair_account[order], counts[order].astype(np.float64)
    total = np.bincount(acc, weights=x, minlength=n)
    n_pairs = np.bincount(acc, minlength=n).astype(np.float64)
    top = rank < top_k
    ascending_rank = n_pairs[acc] - rank  # 1-based rank in ascending order, as the Gini formula wants
    weighted = np.bincount(acc, weights=ascending_rank * x, minlength=n)
    gini = _ratio(2.0 * weighted, n_pairs * total) - _ratio(n_pairs + 1.0, n_pairs)
    return {
        "top_k_commenter_share": _ratio(np.bincount(acc[top], weights=x[top], minlength=n), total),
        "commenter_gini": gini,
    }


def _commenter_features(frame: _Frame, commenters: pd.Series,
                        settings: CommentFeatureSettings) -> dict[str, np.ndarray]:
    n = frame.n_accounts
    code = _string_codes(commenters)[0]
    known = code >= 0
    acc, post, who = frame.account[known], frame.post[known], code[known]
    width = np.int64(who.max() + 1 if who.size else 1)
    pair, pair_values = pd.factorize(acc * width + who)
    pair_account = np.asarray(pair_values, dtype=np.int64) // width
    counts = np.bincount(pair, minlength=len(pair_values))
    _, distinct_post_pair = dedupe_pairs(post, pair.astype(np.int64), len(pair_values))
    posts_per_pair = np.bincount(distinct_post_pair, minlength=len(pair_values))
    recurring = posts_per_pair >= settings.pod_min_posts
    early = frame.delay_s[known] <= settings.early_minutes * 60.0
    timed = ~np.isnan(frame.delay_s[known])
    out = _concentration(pair_account, counts, n, settings.top_k)
    n_known = np.bincount(acc, minlength=n).astype(np.float64)
    out["unique_commenter_ratio"] = _ratio(np.bincount(pair_account, minlength=n).astype(np.float64), n_known)
    out["recurring_commenter_share"] = _share(pair_account, recurring, n)
    out["recurring_comment_share"] = _share(acc, recurring[pair], n)
    out["recurring_early_comment_share"] = _share(acc, recurring[pair] & early, n, timed)
    out["early_one_off_comment_share"] = _share(acc, (counts[pair] == 1) & early, n, timed)
    return out


def _burstiness(frame: _Frame, n_posts: int, min_comments: int) -> np.ndarray:
    """Per account: mean over posts with enough timed comments of (sd - mean)/(sd + mean) of the gaps."""
    timed = ~np.isnan(frame.created_s)
    post, t = frame.post[timed], frame.created_s[timed]
    order = np.lexsort((t, post))
    post, t = post[order], t[order]
    same = post[1:] == post[:-1]
    gap_post, gaps = post[1:][same], np.diff(t)[same]
    n_gaps = np.bincount(gap_post, minlength=n_posts).astype(np.float64)
    mean = _ratio(np.bincount(gap_post, weights=gaps, minlength=n_posts), n_gaps)
    mean_sq = _ratio(np.bincount(gap_post, weights=gaps * gaps, minlength=n_posts), n_gaps)
    sd = np.sqrt(np.clip(mean_sq - mean * mean, 0.0, None))
    burst = _ratio(sd - mean, sd + mean)
    valid = (n_gaps >= min_comments - 1) & ~np.isnan(burst)
    return _share(frame.post_account, np.nan_to_num(burst), frame.n_accounts, valid)


def _timing_features(frame: _Frame, n_posts: int, settings: CommentFeatureSettings) -> dict[str, np.ndarray]:
    timed = ~np.isnan(frame.delay_s)
    early = frame.delay_s <= settings.early_minutes * 60.0
    return {
        "early_comment_step_t": _post_share_step(frame, early, timed, settings),
        "early_comment_share": _share(frame.account, early, frame.n_accounts, timed),
        "comment_burstiness": _burstiness(frame, n_posts, settings.min_comments_for_burstiness),
    }


def _spam_features(frame: _Frame, codes: np.ndarray, uniques: pa.Array, scorer: CommentScorer | None,
                   settings: CommentFeatureSettings) -> dict[str, np.ndarray]:
    """Spam probability per comment; `codes`/`uniques` factorize the texts (bots repeat themselves, so
    scoring each distinct text once is much cheaper than scoring every row)."""
    n = frame.n_accounts
    if scorer is None:
        return {"spam_prob_mean": np.full(n, np.nan), "spam_share": np.full(n, np.nan)}
    known = codes >= 0
    probs = np.full(len(codes), np.nan)
    if len(uniques):
        unique_probs = np.asarray(scorer(_as_series(uniques)), dtype=np.float64).reshape(-1)
        if unique_probs.shape[0] != len(uniques):
            raise ValueError(
                f"comment scorer returned {unique_probs.shape[0]} scores for {len(uniques)} texts")
        probs[known] = unique_probs[codes[known]]
    valid = ~np.isnan(probs)
    return {
        "spam_prob_mean": _share(frame.account, np.nan_to_num(probs), n, valid),
        "spam_share": _share(frame.account, probs >= settings.spam_threshold, n, valid),
    }


def comment_pattern_features(posts: pd.DataFrame, comments: pd.DataFrame,
                             comment_scorer: CommentScorer | None, settings: CommentFeatureSettings,
                             captions: Tokens | None = None) -> pd.DataFrame:
    """Comment-pattern features, one row per account that has posts (index "account_id").

    Inputs are typed `posts` and `comments` tables (see authfit.contract.schema), already restricted to the as-of
    date. Shares are NaN where the account has no comment they could be computed on; never inf.
    `captions`: `caption_tokens(posts["caption"])` when the caller has it already.
    """
    frame, comments = _build_frame(posts, comments)
    if captions is None:
        captions = caption_tokens(posts["caption"])
    text_codes, text_uniques = _string_codes(comments["text"])
    values = _volume_features(posts, frame)
    values |= _text_features(frame, text_codes, text_uniques, captions, settings)
    values |= _commenter_features(frame, comments["commenter_id"].reset_index(drop=True), settings)
    values |= _timing_features(frame, len(posts), settings)
    values |= _spam_features(frame, text_codes, text_uniques, comment_scorer, settings)
    matrix = np.column_stack([np.asarray(values[name], dtype=np.float64) for name in FEATURE_NAMES])
    matrix[np.isinf(matrix)] = np.nan
    return pd.DataFrame(matrix, index=frame.accounts, columns=list(FEATURE_NAMES))
