"""The feature assembler: contract tables in, one feature row per influencer (or influencer x campaign) out.

Every family is per account, so `transform` works through chunks of accounts (`chunk_size`) and
concatenates: memory for intermediate matrices is bounded by the chunk, not by the data set.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from authfit.features.account_profile import PASSTHROUGH_FEATURES, account_profile_features
from authfit.features.asof import as_utc, max_timestamp, restrict_to_as_of
from authfit.features.audience import AccountScorer, AudienceSettings, ErrorRates, audience_features
from authfit.features.comment_patterns import CommentFeatureSettings, CommentScorer, comment_pattern_features
from authfit.features.engagement import (
    EngagementBenchmark,
    EngagementSettings,
    account_engagement_rates,
    country_match,
    engagement_features,
)
from authfit.features.growth import GrowthSettings, growth_features
from authfit.contract.keys import positions_in
from authfit.features.local import local_influence
from authfit.features.text_normalise import caption_tokens
from authfit.features.topics import ContentFeatureSettings, TopicModel, brand_fit, content_features
from authfit.contract.schema import PROFILE_COLUMNS
from authfit.contract.validate import empty_table

# Bump when a feature's definition changes without its name or settings changing.
FEATURE_SET_VERSION = "1"
PAIR_KEYS = ["campaign_id", "account_id"]


class TopicSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_topics: int = Field(12, ge=1)
    max_features: int = Field(20_000, ge=1)
    random_state: int = 0


class FeatureSettings(BaseModel):
    """Every feature parameter; mirrored in configs/features.yaml."""

    model_config = ConfigDict(extra="forbid")

    as_of: datetime | None = Field(
        None, description="features use data at or before this time; None = latest"
    )
    chunk_size: int = Field(1000, ge=1, description="accounts transformed together")
    n_jobs: int = Field(1, description="chunks transformed at once in forked processes; -1 = one per core")
    growth: GrowthSettings = GrowthSettings()
    engagement: EngagementSettings = EngagementSettings()
    audience: AudienceSettings = AudienceSettings()
    comments: CommentFeatureSettings = CommentFeatureSettings()
    content: ContentFeatureSettings = ContentFeatureSettings()
    topics: TopicSettings = TopicSettings()


def feature_set_version(names: list[str], settings: FeatureSettings) -> str:
    """A short id of the feature definitions: the names and every setting that changes a value's meaning."""
    meaning = settings.model_dump(mode="json", exclude={"as_of", "chunk_size", "n_jobs"})
    digest = hashlib.sha256(json.dumps([names, meaning], sort_keys=True).encode("utf-8")).hexdigest()
    return f"{FEATURE_SET_VERSION}-{digest[:12]}"


_ACTIVITY_TABLES = ("accounts", "follower_history", "posts", "comments", "audience", "campaigns", "outcomes")


def complete_tables(tables: dict[str, pd.DataFrame],
                    names: tuple[str, ...] = _ACTIVITY_TABLES) -> dict[str, pd.DataFrame]:
    """`tables` with a typed empty table for every one of `names` (default: every activity table) that is
    absent."""
    return {name: tables[name] if name in tables else empty_table(name) for name in names} | {
        k: v for k, v in tables.items() if k not in names
    }


def _positions_by_chunk(codes: np.ndarray, n_chunks: int) -> list[np.ndarray]:
    """Row positions per chunk code (codes < 0 are dropped), from one stable sort."""
    # numpy sorts 16-bit keys stably by radix, linear in the rows: 5x faster than int64 on unsorted input
    narrow = codes.astype(np.int16) if n_chunks < np.iinfo(np.int16).max else codes
    order = np.argsort(narrow, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_chunks + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(n_chunks)]


ChunkPositions = dict[str, list[np.ndarray]]
# Fake probabilities of accounts from their `account_profile_features` (e.g. AccountModel.predict_profile_features)
ProfileFeatureScorer = Callable[[pd.DataFrame], np.ndarray]
_PROFILE_INPUTS = (*(c.name for c in PROFILE_COLUMNS), *PASSTHROUGH_FEATURES)
_SPLIT_TABLES = ("accounts", "follower_history", "posts", "comments", "audience")


def _chunked_arrow(column: pd.Series) -> pa.ChunkedArray | None:
    """The column's Arrow data when it is Arrow-backed and in more than one chunk, else None."""
    dtype = column.dtype
    if not (isinstance(dtype, pd.ArrowDtype) or getattr(dtype, "storage", None) == "pyarrow"):
        return None
    values = pa.array(column, from_pandas=True)  # zero-copy for Arrow-backed columns
    return values if isinstance(values, pa.ChunkedArray) and values.num_chunks > 1 else None


def _take_chunked(values: pa.ChunkedArray, positions: np.ndarray) -> pa.Array:
    """values[positions] for ascending positions, taken chunk by chunk: the cost is that of the output."""
    lengths = np.array([len(chunk) for chunk in values.chunks], dtype=np.int64)
    ends = np.cumsum(lengths)
    cut = np.searchsorted(positions, ends)
    low = np.r_[0, cut[:-1]]
    pieces = [values.chunk(i).take(pa.array(positions[low[i]:cut[i]] - (ends[i] - lengths[i])))
              for i in range(len(lengths)) if cut[i] > low[i]]
    return pa.concat_arrays(pieces) if pieces else pa.array([], type=values.type)


def take_rows(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """frame.iloc[positions]. Arrow's take on a string column in several chunks (concatenated or
    row-grouped input) concatenates all its chunks first, so every chunk's `iloc` would cost the size of
    the whole table and transform time grew ~quadratically; such columns are taken chunk by chunk."""
    ascending = len(positions) < 2 or bool(np.all(positions[1:] >= positions[:-1]))
    if len(positions) == len(frame) and (not len(frame) or (  # every row once, in order: one chunk, no copy
            positions[0] == 0 and positions[-1] == len(frame) - 1 and bool(np.all(np.diff(positions) == 1)))):
        return frame
    chunked = {name: values for name in frame.columns if (values := _chunked_arrow(frame[name])) is not None}
    if not chunked or not ascending:
        return frame.iloc[positions]
    out = frame.drop(columns=list(chunked)).iloc[positions]
    for name, values in chunked.items():
        out[name] = pd.array(_take_chunked(values, positions), dtype=frame[name].dtype)
    return out[list(frame.columns)]


def chunk_positions(tables: dict[str, pd.DataFrame], groups: pd.Series) -> ChunkPositions:
    """Row positions of every per-account table for each group (groups: account_id -> 0..k-1); comments
    follow their post's account, audience its influencer. Rows of other accounts are in no group."""
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    group_of = np.append(groups.to_numpy(dtype=np.int64), -1)  # position -1 (absent) -> group -1

    def codes(keys: pd.Series) -> np.ndarray:
        return group_of[positions_in(keys, groups.index)]

    post_group = np.append(codes(tables["posts"]["account_id"]), -1)
    by_table = {
        "accounts": codes(tables["accounts"]["account_id"]),
        "follower_history": codes(tables["follower_history"]["account_id"]),
        "posts": post_group[:-1],
        "comments": post_group[positions_in(tables["comments"]["post_id"], tables["posts"]["post_id"])],
        "audience": codes(tables["audience"]["influencer_id"]),
    }
    return {name: _positions_by_chunk(c, n_groups) for name, c in by_table.items()}


def take_chunk(
    tables: dict[str, pd.DataFrame], positions: ChunkPositions, group: int
) -> dict[str, pd.DataFrame]:
    """The tables restricted to one group's rows (other tables passed through)."""
    part = dict(tables)
    part.update({name: take_rows(tables[name], positions[name][group]) for name in _SPLIT_TABLES})
    return part


def split_by_accounts(
    tables: dict[str, pd.DataFrame], groups: pd.Series
) -> Iterator[dict[str, pd.DataFrame]]:
    """Yield per group the tables restricted to its accounts (see chunk_positions)."""
    positions = chunk_positions(tables, groups)
    for group in range(len(positions["accounts"])):
        yield take_chunk(tables, positions, group)


# Forked chunk workers find their job here: fork shares the parent's tables copy-on-write, so nothing
# but the chunk number goes to a worker and only the small feature frame comes back.
_FORK_JOB: dict[str, tuple] = {}


def _forked_chunk(group: int) -> pd.DataFrame:
    builder, tables, positions, as_of = _FORK_JOB["job"]
    return builder._transform_chunk(take_chunk(tables, positions, group), as_of)


def _n_workers(n_jobs: int, n_groups: int) -> int:
    cores = os.cpu_count() or 1
    wanted = cores if n_jobs < 0 else n_jobs
    usable = "fork" in mp.get_all_start_methods()
    return max(1, min(wanted, n_groups, cores)) if usable else 1


def _profile_features(accounts: pd.DataFrame, audience: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`account_profile_features` of the influencers (index account_id) and of their audience sample (its
    own index), from one call: every profile feature depends on its own row only, and the call's fixed
    cost (~30 pandas string operations) is most of it for a few hundred rows."""
    names = [n for n in _PROFILE_INPUTS if n in accounts.columns or n in audience.columns]
    both = pd.concat([accounts.reindex(columns=names), audience.reindex(columns=names)], ignore_index=True)
    features = account_profile_features(both)
    influencers = features.iloc[:len(accounts)].set_axis(pd.Index(accounts["account_id"], name="account_id"))
    return influencers, features.iloc[len(accounts):].set_axis(audience.index)


def side_by_side(frames: list[pd.DataFrame], ids: pd.Index) -> pd.DataFrame:
    """The frames' columns on the rows `ids` (NaN where a frame lacks an id) as one float64 matrix,
    infinities as NaN: one array instead of a reindexed frame per family and a frame-wide cast."""
    matrix = np.full((len(ids), sum(f.shape[1] for f in frames)), np.nan)
    start = 0
    for frame in frames:
        values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
        stop = start + values.shape[1]
        if frame.index.equals(ids):
            matrix[:, start:stop] = values
        else:
            at = frame.index.get_indexer(ids)
            matrix[at >= 0, start:stop] = values[at[at >= 0]]
        start = stop
    matrix[np.isinf(matrix)] = np.nan
    return pd.DataFrame(matrix, index=ids.rename("account_id"), columns=[c for f in frames for c in f.columns])


class FeatureBuilder(BaseEstimator):
    """Fits the stateful feature parts (engagement benchmark, topic model) and turns contract tables into
    influencer features (`transform`) or influencer x campaign features (`campaign_features`).

    `account_profile_scorer`, when given, scores the audience sample from profile features the builder
    computes together with the influencers' own (the same model as `account_scorer`, which it replaces
    then): one profile-features call per chunk instead of two."""

    account_profile_scorer: ProfileFeatureScorer | None = None  # builders pickled before it existed

    def __init__(
        self,
        settings: FeatureSettings | None = None,
        comment_scorer: CommentScorer | None = None,
        account_scorer: AccountScorer | None = None,
        error_rates: ErrorRates | None = None,
        account_profile_scorer: ProfileFeatureScorer | None = None,
    ) -> None:
        self.settings = settings
        self.comment_scorer = comment_scorer
        self.account_scorer = account_scorer
        self.error_rates = error_rates
        self.account_profile_scorer = account_profile_scorer

    @property
    def _settings(self) -> FeatureSettings:
        return self.settings or FeatureSettings()

    def resolve_as_of(self, tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
        """settings.as_of, else the latest time in the data, else now."""
        if self._settings.as_of is not None:
            return as_utc(pd.Timestamp(self._settings.as_of))
        return max_timestamp(tables) or pd.Timestamp.now(tz="UTC")

    def fit(self, tables: dict[str, pd.DataFrame], y: object = None) -> FeatureBuilder:
        settings = self._settings
        tables = complete_tables(tables)
        self.as_of_ = self.resolve_as_of(tables)
        known = restrict_to_as_of(tables, self.as_of_)
        rates = account_engagement_rates(
            known["accounts"], known["posts"], self.as_of_, settings.engagement, known["follower_history"]
        )
        usable = (rates["follower_count"] > 0) & (rates["engagement_rate"] > 0)
        # Without any usable account the benchmark columns are NaN rather than the fit failing.
        self.benchmark_ = (
            EngagementBenchmark(n_bins=settings.engagement.benchmark_bins).fit(rates)
            if usable.any()
            else None
        )
        topics = settings.topics
        self.topic_model_ = TopicModel(
            n_topics=topics.n_topics, max_features=topics.max_features, random_state=topics.random_state
        ).fit(known["posts"]["caption"])
        sample = known["accounts"]["account_id"].iloc[:1]
        probe = split_by_accounts(known, pd.Series(0, index=sample))
        self.feature_names_ = list(self._transform_chunk(next(probe, known), self.as_of_).columns)
        self.feature_set_version_ = feature_set_version(self.feature_names_, settings)
        return self

    def _profiles_and_audience_scorer(self, accounts: pd.DataFrame, audience: pd.DataFrame
                                      ) -> tuple[pd.DataFrame, AccountScorer | None]:
        """The influencers' profile features and the scorer of their audience sample."""
        if self.account_profile_scorer is None or not len(audience):
            return account_profile_features(accounts.set_index("account_id")), self.account_scorer
        profiles, followers = _profile_features(accounts, audience)
        scores = self.account_profile_scorer(followers)
        return profiles, lambda sample: scores if sample is audience else self.account_profile_scorer(
            account_profile_features(sample))

    def _transform_chunk(self, tables: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> pd.DataFrame:
        """All influencer families for the accounts in `tables` (already restricted to as_of)."""
        s = self._settings
        accounts, posts, history = tables["accounts"], tables["posts"], tables["follower_history"]
        ids = pd.Index(accounts["account_id"], name="account_id")
        captions = caption_tokens(posts["caption"])  # for the topic and the comment-relevance features
        profiles, audience_scorer = self._profiles_and_audience_scorer(accounts, tables["audience"])
        frames = [
            profiles,
            growth_features(history, posts, as_of, s.growth),
            engagement_features(accounts, posts, self.benchmark_, as_of, s.engagement, history=history),
            audience_features(tables["audience"], audience_scorer, self.error_rates, s.audience),
            comment_pattern_features(posts, tables["comments"], self.comment_scorer, s.comments, captions),
            content_features(posts, self.topic_model_, as_of, s.content, captions),
        ]
        return side_by_side(frames, ids)

    def transform(self, tables: dict[str, pd.DataFrame], as_of: pd.Timestamp | None = None) -> pd.DataFrame:
        """One row per account in tables["accounts"] (index account_id), columns feature_names_."""
        check_is_fitted(self, "feature_names_")
        tables = complete_tables(tables, _SPLIT_TABLES)  # the tables features are built from
        as_of = as_utc(as_of) if as_of is not None else self.resolve_as_of(tables)
        known = restrict_to_as_of(tables, as_of)
        ids = known["accounts"]["account_id"]
        # the ids as they are (Arrow strings): an object index made Arrow convert every id in each lookup
        chunks = pd.Series(np.arange(len(ids)) // self._settings.chunk_size, index=pd.Index(ids))
        parts = self._map_chunks(known, chunk_positions(known, chunks), as_of)
        if not parts:
            return pd.DataFrame(
                columns=self.feature_names_, index=pd.Index([], name="account_id"), dtype=np.float64
            )
        out = pd.concat(parts) if len(parts) > 1 else parts[0]
        return out if out.columns.equals(pd.Index(self.feature_names_)) else out.reindex(columns=self.feature_names_)

    def _map_chunks(
        self, tables: dict[str, pd.DataFrame], positions: ChunkPositions, as_of: pd.Timestamp
    ) -> list[pd.DataFrame]:
        n_groups = len(positions["accounts"])
        workers = _n_workers(self._settings.n_jobs, n_groups)
        if workers == 1:
            return [self._transform_chunk(take_chunk(tables, positions, g), as_of) for g in range(n_groups)]
        _FORK_JOB["job"] = (self, tables, positions, as_of)
        try:
            with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
                return list(pool.map(_forked_chunk, range(n_groups)))
        finally:
            _FORK_JOB.pop("job", None)

    def fit_transform(self, tables: dict[str, pd.DataFrame], y: object = None) -> pd.DataFrame:
        return self.fit(tables).transform(tables)

    def campaign_features(self, tables: dict[str, pd.DataFrame], all_pairs: bool = False) -> pd.DataFrame:
        """One row per (campaign_id, account_id) in outcomes, or per influencer x campaign with all_pairs:
        influencer features as of the campaign's start date (else as of the data), brand fit, country match,
        local influence (the audience share in the target country).
        Each distinct start date is one transform of its campaigns' accounts, so all_pairs over many dates
        costs one full transform per date."""
        check_is_fitted(self, "feature_names_")
        tables = complete_tables(tables)
        pairs = campaign_pairs(tables, all_pairs)
        starts = tables["campaigns"].set_index("campaign_id")["start_date"].reindex(pairs["campaign_id"])
        default = self.resolve_as_of(tables)
        pairs = pairs.assign(_as_of=starts.fillna(default).to_numpy())
        parts = [
            self._pairs_as_of(tables, group.drop(columns="_as_of"), pd.Timestamp(when))
            for when, group in pairs.groupby("_as_of", sort=True)
        ]
        if not parts:
            return pd.DataFrame(index=pd.MultiIndex.from_arrays([[], []], names=PAIR_KEYS))
        return pd.concat(parts).sort_index()

    def _pairs_as_of(
        self, tables: dict[str, pd.DataFrame], pairs: pd.DataFrame, as_of: pd.Timestamp
    ) -> pd.DataFrame:
        """Features for `pairs` whose campaigns share one as_of."""
        accounts = pd.Index(pairs["account_id"].unique())
        part = next(split_by_accounts(tables, pd.Series(0, index=accounts)))
        influencer = self.transform(part, as_of=as_of)
        known = restrict_to_as_of(part, as_of)
        campaigns = tables["campaigns"].loc[tables["campaigns"]["campaign_id"].isin(pairs["campaign_id"])]
        fit = brand_fit(campaigns, known["posts"], self.topic_model_, accounts=known["accounts"])
        country = country_match(tables["accounts"], campaigns, pairs)
        local = local_influence(known["audience"], campaigns, pairs)
        out = pairs.merge(fit, on=PAIR_KEYS, how="left").merge(country, on=PAIR_KEYS, how="left")
        out = out.merge(local, on=PAIR_KEYS, how="left")
        out = out.join(influencer, on="account_id")
        return out.set_index(PAIR_KEYS).astype(np.float64)


def campaign_pairs(tables: dict[str, pd.DataFrame], all_pairs: bool) -> pd.DataFrame:
    """The (campaign_id, account_id) pairs to describe: outcomes' pairs, or every campaign x account."""
    if all_pairs:
        return tables["campaigns"][["campaign_id"]].merge(tables["accounts"][["account_id"]], how="cross")
    return tables["outcomes"][PAIR_KEYS].drop_duplicates().reset_index(drop=True)
