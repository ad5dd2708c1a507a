"""Content features: NMF topics of captions, niche focus, posting cadence, sponsored share, and brand fit.

`TopicModel` is the only stateful part (TF-IDF vocabulary and idf, NMF components). It can be flattened to
plain arrays (`to_arrays` / `from_arrays`) so it persists without pickle.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import NMF, non_negative_factorization
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.utils.validation import check_is_fitted

from authfit.features.asof import per_second, ticks
from authfit.features.registry import FeatureSpec
from authfit.features.text_normalise import Tokens, caption_tokens, dedupe_pairs, is_hashtag

FAMILY = "content"
BRAND_FAMILY = "brand_fit"
DEFAULT_N_TOPICS = 12
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


def topic_columns(n_topics: int) -> list[str]:
    return [f"topic_{i}" for i in range(n_topics)]


def content_feature_specs(n_topics: int = DEFAULT_N_TOPICS) -> tuple[FeatureSpec, ...]:
    """The content registry for a topic model with `n_topics` topics."""
    topics = tuple(FeatureSpec(c, FAMILY, f"mean share of NMF caption topic {i} over the account's posts")
                   for i, c in enumerate(topic_columns(n_topics)))
    return topics + (
        FeatureSpec("topic_entropy", FAMILY,
                    "entropy of the topic mixture / log(n_topics): 0 one niche, 1 spread evenly"),
        FeatureSpec("top_topic_share", FAMILY, "largest share in the topic mixture"),
        FeatureSpec("posts_per_week", FAMILY,
                    "(posts - 1) / weeks between first and last post in the window"),
        FeatureSpec("posting_gap_cv", FAMILY,
                    "coefficient of variation of the gaps between consecutive posts"),
        FeatureSpec("days_since_last_post", FAMILY, "days from the last post to as_of"),
        FeatureSpec("hashtags_per_post", FAMILY, "mean number of hashtags (of 2+ characters) per caption"),
        FeatureSpec("sponsored_share", FAMILY,
                    "share of posts marked is_sponsored, tagged #ad/#sponsored/#werbung/... "
                    "or saying 'paid partnership'"),
    )


FEATURES: tuple[FeatureSpec, ...] = content_feature_specs()
BRAND_FIT_FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("brand_topic_cosine", BRAND_FAMILY,
                "cosine between the brief's topic vector and the influencer's mean topic vector"),
    FeatureSpec("brand_top_topic_share", BRAND_FAMILY,
                "influencer's mixture share of the brief's main topic"),
    FeatureSpec("brand_tfidf_cosine", BRAND_FAMILY,
                "TF-IDF cosine between the brief and the influencer's captions taken as one document"),
    FeatureSpec("brand_category_match", BRAND_FAMILY,
                "1 if campaign category equals the account category, 0 if both known and different"),
)


class ContentFeatureSettings(BaseModel):
    """Parameters of the content features."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_days: float | None = Field(default=None, gt=0, description="only posts this recent; None = all")
    sponsored_tags: tuple[str, ...] = ("ad", "ads", "sponsored", "werbung", "anzeige", "partnership",
                                       "paidpartnership", "pub", "spon", "advertisement", "sponsoredpost")
    sponsored_phrases: tuple[str, ...] = ("paid partnership", "bezahlte partnerschaft", "sponsored by")
    min_gaps_for_regularity: int = Field(default=2, ge=2)


def _select_vocabulary(tokens: Tokens, min_df: int | float, max_df: int | float,
                       max_features: int) -> np.ndarray:
    """scikit-learn's CountVectorizer rules: drop English stop words and terms outside [min_df, max_df]
    (ints are document counts, floats shares of documents), keep the `max_features` most frequent terms."""
    n_docs, n_terms = tokens.n_texts, len(tokens.vocab)
    _, doc_codes = dedupe_pairs(tokens.rows, tokens.codes, n_terms)
    doc_freq = np.bincount(doc_codes, minlength=n_terms)
    term_freq = np.bincount(tokens.codes, minlength=n_terms)
    low = min_df if isinstance(min_df, int) else np.ceil(min_df * n_docs)
    high = max_df if isinstance(max_df, int) else max_df * n_docs
    stop = pd.Index(tokens.vocab).isin(list(ENGLISH_STOP_WORDS))
    candidates = np.flatnonzero(~stop & (doc_freq >= low) & (doc_freq <= high) & (doc_freq > 0))
    order = np.lexsort((tokens.vocab[candidates].astype(str), -term_freq[candidates]))
    return np.sort(tokens.vocab[candidates[order[:max_features]]].astype(str))


class TopicModel(TransformerMixin, BaseEstimator):
    """TF-IDF (words plus hashtags as extra tokens) followed by NMF; `transform` gives topic mixtures.

    Tokenising runs in Arrow kernels (see `text_normalise.caption_tokens`), several times faster than
    CountVectorizer's per-document regex. Fitting uses at most `max_docs` captions (a random sample).
    """

    def __init__(self, n_topics: int = DEFAULT_N_TOPICS, max_features: int = 20000, random_state: int = 0,
                 min_df: int | float = 2, max_df: int | float = 0.95, max_iter: int = 400,
                 max_docs: int = 50_000) -> None:
        self.n_topics = n_topics
        self.max_features = max_features
        self.random_state = random_state
        self.min_df = min_df
        self.max_df = max_df
        self.max_iter = max_iter
        self.max_docs = max_docs

    def fit(self, captions: pd.Series, y: object = None) -> TopicModel:
        if len(captions) > self.max_docs:
            captions = captions.sample(n=self.max_docs, random_state=self.random_state)
        tokens = caption_tokens(captions)
        self.vocabulary_ = _select_vocabulary(tokens, self.min_df, self.max_df, self.max_features)
        counts = self._count(tokens)
        doc_freq = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf_ = np.log((1.0 + counts.shape[0]) / (1.0 + doc_freq)) + 1.0  # scikit-learn's smooth idf
        tfidf = self._weigh(counts)
        k = self.n_topics
        if tfidf.nnz == 0:
            # No usable caption text: a model that maps everything to "no topic", so features become NaN.
            warnings.warn("no caption terms to fit topics on; topic features will be NaN", stacklevel=2)
            self.components_ = np.zeros((k, len(self.vocabulary_)))
            return self
        init = "nndsvda" if k <= min(tfidf.shape) else "random"
        nmf = NMF(n_components=k, init=init, random_state=self.random_state, max_iter=self.max_iter)
        nmf.fit(tfidf)
        self.components_ = nmf.components_
        return self

    def _count(self, tokens: Tokens) -> sp.csr_matrix:
        # Arrow's hash lookup on the string buffers: no pandas Index (and its hash table) built per call, no
        # fixed-width unicode copy of the chunk's vocabulary. Tokens never contain NUL, so the '<U' storage
        # of vocabulary_ (which drops trailing NULs) matches exactly as get_indexer did.
        found = pc.index_in(pa.array(tokens.vocab, type=pa.large_string()),
                            value_set=pa.array(self.vocabulary_.astype(str), type=pa.large_string()))
        column = pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)[tokens.codes]
        use = column >= 0
        shape = (tokens.n_texts, len(self.vocabulary_))
        ones = np.ones(int(use.sum()))
        return sp.coo_matrix((ones, (tokens.rows[use], column[use])), shape=shape).tocsr()  # sums repeats

    def _weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        weighted = sp.csr_matrix(sp.csr_matrix(counts) @ sp.diags(self.idf_))
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        return sp.csr_matrix(sp.diags(scale) @ weighted)  # rows of unit length, empty rows stay zero

    def counts(self, captions: pd.Series) -> sp.csr_matrix:
        """Term counts over the fitted vocabulary, one row per caption."""
        check_is_fitted(self, "components_")
        return self._count(caption_tokens(captions))

    def tfidf(self, captions: pd.Series) -> sp.csr_matrix:
        """L2-normalised TF-IDF rows over the fitted vocabulary."""
        return self._weigh(self.counts(captions))

    def weigh_counts(self, counts: sp.spmatrix) -> sp.csr_matrix:
        """TF-IDF of already summed counts (e.g. all of one account's captions as one document)."""
        check_is_fitted(self, "components_")
        return self._weigh(sp.csr_matrix(counts))

    def topics_of_tfidf(self, tfidf: sp.csr_matrix) -> np.ndarray:
        """Topic mixtures (rows sum to 1, or 0 when no fitted term occurs) of TF-IDF rows."""
        check_is_fitted(self, "components_")
        if tfidf.nnz == 0 or not self.components_.any():
            return np.zeros((tfidf.shape[0], self.components_.shape[0]))
        weights, _, _ = non_negative_factorization(
            tfidf, H=self.components_, n_components=self.components_.shape[0], update_H=False,
            max_iter=self.max_iter, random_state=self.random_state)
        totals = weights.sum(axis=1, keepdims=True)
        return np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)

    def transform(self, captions: pd.Series) -> np.ndarray:
        return self.transform_tokens(caption_tokens(captions))

    def transform_tokens(self, tokens: Tokens) -> np.ndarray:
        """`transform` of captions already tokenised by `caption_tokens`."""
        check_is_fitted(self, "components_")
        return self.topics_of_tfidf(self._weigh(self._count(tokens)))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted state as plain arrays (safe to store with np.savez, no pickle)."""
        check_is_fitted(self, "components_")
        params = np.array([self.n_topics, self.max_features, self.random_state, self.max_iter, self.max_docs],
                          dtype=np.int64)
        return {"vocabulary": self.vocabulary_.astype(str), "idf": self.idf_, "components": self.components_,
                "params": params}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> TopicModel:
        """Rebuild a fitted model from `to_arrays()` output."""
        n_topics, max_features, random_state, max_iter, max_docs = (int(v) for v in arrays["params"])
        model = cls(n_topics=n_topics, max_features=max_features, random_state=random_state,
                    max_iter=max_iter, max_docs=max_docs)
        model.vocabulary_ = np.asarray(arrays["vocabulary"], dtype=str)
        model.idf_ = np.asarray(arrays["idf"], dtype=np.float64)
        model.components_ = np.asarray(arrays["components"], dtype=np.float64)
        return model


def _phrase_pattern(settings: ContentFeatureSettings) -> str | None:
    phrases = "|".join(re.escape(p.lower()) for p in settings.sponsored_phrases)
    return phrases or None


def _caption_flags(posts: pd.DataFrame, captions: Tokens, settings: ContentFeatureSettings
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per post: sponsored (flag, ad hashtag or phrase) and the number of hashtags, the tags read off the
    caption tokens rather than by scanning the captions again."""
    tags = is_hashtag(captions.vocab)
    ad_tags = pd.Index(captions.vocab).isin([f"#{t.lower().lstrip('#')}" for t in settings.sponsored_tags])
    hashtags = np.bincount(captions.rows[tags[captions.codes]], minlength=captions.n_texts)
    tagged = np.bincount(captions.rows[ad_tags[captions.codes]], minlength=captions.n_texts) > 0
    pattern = _phrase_pattern(settings)
    if pattern is not None:
        lower = pc.utf8_lower(pa.array(posts["caption"], type=pa.large_string(), from_pandas=True))
        tagged |= pc.fill_null(pc.match_substring_regex(lower, pattern), False).to_numpy(zero_copy_only=False)
    flagged = posts["is_sponsored"].to_numpy(dtype=np.float64) == 1.0
    return flagged | tagged, hashtags.astype(np.float64)


def _post_times(posts: pd.DataFrame) -> tuple[np.ndarray, str, np.ndarray]:
    """posted_at as integers since the epoch, their unit, and where they are unknown."""
    posted = pd.to_datetime(posts["posted_at"], utc=True).array
    return posted.asi8, posted.unit, posted.isna()


def _in_window(posts: pd.DataFrame, as_of: pd.Timestamp, window_days: float | None) -> np.ndarray:
    """Per post, whether it lies at or before `as_of` and within the window."""
    times, unit, unknown = _post_times(posts)
    keep = ~unknown & (times <= ticks(as_of, unit))
    if window_days is not None:
        keep &= times > ticks(as_of - pd.Timedelta(days=window_days), unit)
    return keep


def _account_matrix(codes: np.ndarray, n_accounts: int, rows: np.ndarray | None = None) -> sp.csr_matrix:
    """Sparse (accounts x posts) indicator, optionally restricted to the posts where `rows` is True."""
    use = np.ones(len(codes), dtype=bool) if rows is None else rows
    shape = (n_accounts, len(codes))
    return sp.csr_matrix((use.astype(np.float64), (codes, np.arange(len(codes)))), shape=shape)


def _mean_mixture(codes: np.ndarray, n_accounts: int, mixtures: np.ndarray) -> np.ndarray:
    """Mean topic mixture per account over posts with any topic signal; NaN rows where there are none."""
    has_topic = mixtures.sum(axis=1) > 0
    indicator = _account_matrix(codes, n_accounts, has_topic)
    n_used = np.asarray(indicator.sum(axis=1)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(indicator @ mixtures) / n_used[:, np.newaxis]


def _focus(mixture: np.ndarray) -> dict[str, np.ndarray]:
    k = mixture.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        plogp = np.where(mixture > 0, mixture * np.log(np.where(mixture > 0, mixture, 1.0)), 0.0)
        entropy = 0.0 - plogp.sum(axis=1) / np.log(k) if k > 1 else np.zeros(len(mixture))
    missing = np.isnan(mixture).any(axis=1)
    return {"topic_entropy": np.where(missing, np.nan, entropy),
            "top_topic_share": np.where(missing, np.nan, np.nan_to_num(mixture).max(axis=1, initial=0.0))}


def _cadence(codes: np.ndarray, n_accounts: int, posted_s: np.ndarray, as_of_s: float,
             min_gaps: int) -> dict[str, np.ndarray]:
    order = np.lexsort((posted_s, codes))
    acc, t = codes[order], posted_s[order]
    same = acc[1:] == acc[:-1]
    gap_acc, gaps = acc[1:][same], np.diff(t)[same]
    n_gaps = np.bincount(gap_acc, minlength=n_accounts).astype(np.float64)
    span = np.bincount(gap_acc, weights=gaps, minlength=n_accounts)
    mean_sq = np.bincount(gap_acc, weights=gaps * gaps, minlength=n_accounts)
    last = np.full(n_accounts, np.nan)
    ends = np.r_[~same, True] if len(acc) else np.zeros(0, dtype=bool)  # each account's latest post
    last[acc[ends]] = t[ends]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = span / n_gaps
        cv = np.sqrt(np.clip(mean_sq / n_gaps - mean * mean, 0.0, None)) / mean
        per_week = n_gaps / (span / (7 * 86400.0))
    return {
        "posts_per_week": np.where((n_gaps >= 1) & (span > 0), per_week, np.nan),
        "posting_gap_cv": np.where((n_gaps >= min_gaps) & (mean > 0), cv, np.nan),
        "days_since_last_post": (as_of_s - last) / 86400.0,
    }


def _utc(when: pd.Timestamp | str) -> pd.Timestamp:
    when = pd.Timestamp(when)
    return when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")




def content_features(posts: pd.DataFrame, topic_model: TopicModel, as_of: pd.Timestamp,
                     settings: ContentFeatureSettings, captions: Tokens | None = None) -> pd.DataFrame:
    """Content features, one row per account with posts at or before `as_of` (index "account_id").
    `captions`: `caption_tokens(posts["caption"])` when the caller has it already."""
    as_of = _utc(as_of)
    keep = _in_window(posts, as_of, settings.window_days)
    times, unit, _ = _post_times(posts)
    captions = caption_tokens(posts["caption"]) if captions is None else captions
    posts, captions = posts.loc[keep], captions.take_texts(keep)
    codes, accounts = pd.factorize(posts["account_id"], sort=True)
    n = len(accounts)
    mixture = _mean_mixture(codes, n, topic_model.transform_tokens(captions))
    sponsored, hashtags = _caption_flags(posts, captions, settings)
    n_posts = np.bincount(codes, minlength=n).astype(np.float64)
    values = {name: mixture[:, i] for i, name in enumerate(topic_columns(mixture.shape[1]))}
    values |= _focus(mixture)
    as_of_s = (as_of - _EPOCH).total_seconds()
    posted_s = times[keep] / per_second(unit)  # as (posted_at - epoch).total_seconds()
    values |= _cadence(codes, n, posted_s, as_of_s, settings.min_gaps_for_regularity)
    with np.errstate(invalid="ignore", divide="ignore"):
        values["hashtags_per_post"] = np.bincount(codes, weights=hashtags, minlength=n) / n_posts
        values["sponsored_share"] = np.bincount(codes, weights=sponsored, minlength=n) / n_posts
    matrix = np.column_stack([np.asarray(v, dtype=np.float64) for v in values.values()]).reshape(n, len(values))
    matrix[np.isinf(matrix)] = np.nan
    return pd.DataFrame(matrix, index=pd.Index(accounts, name="account_id"), columns=list(values))


def _row_cosine(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """(len(left) x len(right)) cosine matrix; NaN where either row is all zero or missing."""
    left_n = np.linalg.norm(left, axis=1, keepdims=True)
    right_n = np.linalg.norm(right, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (left / left_n) @ (right / right_n).T
    return np.where((left_n > 0) & (right_n.T > 0), out, np.nan)


def _tfidf_cosine(campaigns: pd.DataFrame, posts: pd.DataFrame, codes: np.ndarray, n_accounts: int,
                  topic_model: TopicModel) -> np.ndarray:
    """Cosine of brief TF-IDF with each account's captions summed into one document."""
    account_counts = _account_matrix(codes, n_accounts) @ topic_model.counts(posts["caption"])
    accounts_tfidf = topic_model.weigh_counts(account_counts)
    briefs = topic_model.tfidf(campaigns["brief"])
    cosine = np.asarray((briefs @ accounts_tfidf.T).todense())
    empty = (np.asarray(briefs.sum(axis=1)) == 0) | (np.asarray(accounts_tfidf.sum(axis=1)).T == 0)
    return np.where(empty, np.nan, cosine)


def _category_match(campaigns: pd.DataFrame, account_ids: pd.Index,
                    accounts: pd.DataFrame | None) -> np.ndarray:
    shape = (len(campaigns), len(account_ids))
    if accounts is None or "category" not in accounts or "category" not in campaigns:
        return np.full(shape, np.nan)
    category = accounts.set_index("account_id")["category"].reindex(account_ids)
    left = campaigns["category"].astype("str").str.strip().str.lower().to_numpy(dtype=object, na_value=None)
    right = category.astype("str").str.strip().str.lower().to_numpy(dtype=object, na_value=None)
    known = pd.notna(left)[:, np.newaxis] & pd.notna(right)[np.newaxis, :]
    return np.where(known, (left[:, np.newaxis] == right[np.newaxis, :]).astype(np.float64), np.nan)


def brand_fit(campaigns: pd.DataFrame, posts: pd.DataFrame, topic_model: TopicModel,
              accounts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Brand fit for every campaign x account pair: columns campaign_id, account_id and BRAND_FIT_FEATURES.

    Accounts are those in `accounts` when given (which also enables the category match), else those with
    posts. Pass posts already restricted to before the campaign, or the campaign's own posts inflate fit.
    """
    ids = pd.Index(accounts["account_id"] if accounts is not None else posts["account_id"].unique())
    codes = ids.get_indexer(posts["account_id"])
    posts, codes = posts.loc[codes >= 0], codes[codes >= 0]
    n = len(ids)
    mixture = _mean_mixture(codes, n, topic_model.transform(posts["caption"]))
    brief_topics = topic_model.transform(campaigns["brief"])
    main_topic = brief_topics.argmax(axis=1)
    top_share = np.where(brief_topics.sum(axis=1, keepdims=True) > 0, mixture[:, main_topic].T, np.nan)
    values = {
        "brand_topic_cosine": _row_cosine(brief_topics, np.nan_to_num(mixture))
        * np.where(np.isnan(mixture).any(axis=1), np.nan, 1.0)[np.newaxis, :],
        "brand_top_topic_share": top_share,
        "brand_tfidf_cosine": _tfidf_cosine(campaigns, posts, codes, n, topic_model),
        "brand_category_match": _category_match(campaigns, ids, accounts),
    }
    out = pd.DataFrame({
        "campaign_id": np.repeat(campaigns["campaign_id"].to_numpy(dtype=object), n),
        "account_id": np.tile(ids.to_numpy(dtype=object), len(campaigns)),
    }).astype("str")
    for name, matrix in values.items():
        out[name] = np.asarray(matrix, dtype=np.float64).reshape(-1)
    return out
