"""Batch scoring of a data directory: validate, then score chunks of influencers, resumably, locally or
on a Dask cluster, and write one output file plus a rejects file."""

from __future__ import annotations

import copy
import dataclasses
import logging
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from authfit.scoring.chunks import BatchSummary, rejects_path, run_batch
from authfit.features.build import FeatureSettings, complete_tables, split_by_accounts
from authfit.contract.io import read_raw_table, read_scores, write_atomic
from authfit.scoring.partition import Partition, in_input_order, load_bucket, partition_directory, validate_buckets
from authfit.scoring.reasons import join_reasons
from authfit.scoring.scorer import INFLUENCER_OUTPUT_COLUMNS, REJECT_COLUMNS, Scorer
from authfit.contract.schema import PROFILE_COLUMNS, Table
from authfit.contract.validate import coerce_frame

log = logging.getLogger(__name__)


def tables_for(tables: dict[str, pd.DataFrame], account_ids: np.ndarray) -> dict[str, pd.DataFrame]:
    """The tables restricted to some influencers (their history, posts, comments, audience)."""
    part = next(split_by_accounts(complete_tables(tables), pd.Series(0, index=pd.Index(account_ids))))
    return part


def chunk_scorer(scorer: Scorer, tables: dict[str, pd.DataFrame], campaign: str | None
                 ) -> Callable[[np.ndarray], tuple[pd.DataFrame, pd.DataFrame]]:
    """A function scoring one chunk of account ids: influencer scores, joined to campaign scores."""

    def score_chunk(account_ids: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        part = tables_for(tables, account_ids)
        scored = scorer.score_influencers(part)
        if campaign is not None:
            campaign_rows = scorer.score_campaign(part, campaign).drop(columns=["rank"])
            scored = scored.merge(campaign_rows, on="account_id", how="left")
        return scored, pd.DataFrame(columns=REJECT_COLUMNS)

    return score_chunk


def dask_mapper(scheduler: str | None) -> Callable[[Callable[[int], int], list[int]], Iterable[int]]:
    """Run chunk indices on a Dask cluster: the given scheduler, or a local cluster of this machine."""
    from dask.distributed import Client, LocalCluster, as_completed

    def mapper(one: Callable[[int], int], todo: list[int]) -> Iterable[int]:
        cluster = None if scheduler else LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                                      dashboard_address=None)
        with Client(scheduler or cluster) as client:
            futures = client.map(one, todo, pure=False)
            for future in as_completed(futures):
                yield future.result()
        if cluster is not None:
            cluster.close()

    return mapper


def partition_dir(out: Path) -> Path:
    return out.with_name(out.name + ".partition")


def at_as_of(scorer: Scorer, as_of: pd.Timestamp | None, latest: pd.Timestamp | None) -> Scorer:
    """The scorer with features as of `as_of` when given. Otherwise, unless its settings fix a time already,
    as of `latest`, the latest time in the whole input: each bucket then describes its influencers as
    scoring the input whole would, rather than as of the latest time in that bucket."""
    if as_of is not None:
        return scorer.at(as_of)
    settings = scorer.builder.settings or FeatureSettings()
    return scorer if latest is None or settings.as_of is not None else scorer.at(latest)


def transform_piece(own: int, chunk_size: int) -> int:
    """Accounts per feature transform when scoring buckets of about `chunk_size` accounts: at most half of
    it, and never more than the builder's `own` chunk size. Buckets are filled by hash, from about half to
    1.15x `chunk_size` accounts; the largest transform sets the peak memory, and in pieces of a fixed size
    it is the same whatever the fill, so the peak follows the chunk size, not the input size."""
    return max(1, min(own, chunk_size // 2))


def in_pieces(scorer: Scorer, chunk_size: int) -> Scorer:
    """The scorer transforming features in pieces of `transform_piece` accounts."""
    settings = scorer.builder.settings or FeatureSettings()
    piece = transform_piece(settings.chunk_size, chunk_size)
    if piece == settings.chunk_size:
        return scorer
    pieced = copy.copy(scorer)
    pieced.builder = copy.copy(scorer.builder).set_params(settings=settings.model_copy(update={"chunk_size": piece}))
    return pieced


def bucket_scorer(scorer: Scorer, partition: Partition, campaign: str | None
                  ) -> Callable[[np.ndarray], tuple[pd.DataFrame, pd.DataFrame]]:
    """A function scoring one validated bucket (its id is the only key of its chunk) and returning its
    rejects."""

    def score_bucket(keys: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        bucket = load_bucket(partition, int(keys[0]))
        ids = bucket.tables["accounts"]["account_id"].to_numpy(dtype=str)
        if not len(ids):  # a bucket can be empty, or all its accounts rejected
            return pd.DataFrame(columns=INFLUENCER_OUTPUT_COLUMNS), bucket.rejects
        scored, _ = chunk_scorer(scorer, bucket.tables, campaign)(ids)
        return scored, bucket.rejects

    return score_bucket


def _arrange(scored: pd.DataFrame, rejected: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores by account id, rejects in input order, whatever bucket each came from."""
    if "account_id" in scored:
        scored = scored.sort_values("account_id", kind="stable").reset_index(drop=True)
    return scored, in_input_order(rejected) if len(rejected) else rejected


def score_directory(data: Path, out: Path, model: str, campaign: str | None = None, chunk_size: int = 2000,
                    engine: str = "local", scheduler: str | None = None, as_of: pd.Timestamp | None = None,
                    date_format: str | None = None) -> BatchSummary:
    """Score every valid influencer in `data`; rows that fail validation go to the rejects file.

    Features are as of `as_of`; without it, as of the latest time in the whole input, so a score can move
    when the input gains newer rows of other influencers (pass `as_of` for scores independent of the rest
    of the input). `date_format` reads non-ISO dates (see `validate_tables`).

    The tables are never read whole: they are partitioned on disk into buckets of about `chunk_size`
    accounts (authfit.scoring.partition), and each bucket is validated and scored on its own, so peak memory
    follows the chunk size, not the input size. Every stage resumes after a kill."""
    if engine not in ("local", "dask"):
        raise ValueError(f"engine must be local or dask, got {engine!r}")
    clock = [time.perf_counter()]

    def lap() -> float:
        clock.append(time.perf_counter())
        return clock[-1] - clock[-2]

    scorer = Scorer.load(model)
    stages = {"load model": lap()}
    partition = partition_directory(data, partition_dir(out), chunk_size, date_format=date_format)
    stages["partition"] = lap()
    latest = validate_buckets(partition)
    stages["validate"] = lap()
    keys = np.array([f"{b:05d}" for b in range(partition.n_buckets)])
    scorer = in_pieces(at_as_of(scorer, as_of, latest), chunk_size)
    summary = run_batch(keys, bucket_scorer(scorer, partition, campaign), out, 1,
                        salt=f"{partition.fingerprint}-{scorer.model_version}-{campaign}-{as_of}",
                        mapper=dask_mapper(scheduler) if engine == "dask" else None, arrange=_arrange)
    stages["score (features, predictions, output)"] = lap()
    shutil.rmtree(partition.work, ignore_errors=True)
    return dataclasses.replace(summary, stage_seconds=stages)


def print_ranked(path: Path, top: int) -> str:
    """A short ranked table: by expected conversions when present, else by authenticity."""
    scores = read_scores(path)
    by = "expected_conversions" if "expected_conversions" in scores else "authenticity_score"
    columns = [c for c in ("account_id", "tier", "authenticity_score", "fake_engagement_flag",
                           "fake_follower_share", "expected_conversions", "expected_cost_per_conversion")
               if c in scores]
    ranked = scores.sort_values(by, ascending=False).head(top)[columns]
    return ranked.to_string(index=False, float_format=lambda v: f"{v:.3g}")


PROFILE_TABLE = Table("accounts", "account rows to score", PROFILE_COLUMNS, key=())


def score_accounts_file(in_path: Path, out: Path, model: str) -> tuple[int, int]:
    """Score account rows from a file; rows with unparseable or impossible values go to the rejects file."""
    scorer = Scorer.load(model)
    raw = read_raw_table(in_path)
    typed, problems = coerce_frame(raw, PROFILE_TABLE)
    bad = np.isin(typed.index.to_numpy(), problems["row"].unique())
    scored = scorer.score_accounts(typed[~bad].reset_index(drop=True))
    extra = raw.reset_index(drop=True).loc[~bad, [c for c in raw.columns if c not in typed.columns]]
    scored = pd.concat([extra.reset_index(drop=True), scored], axis=1)
    if out.name.endswith(".csv"):
        scored = scored.assign(reasons=join_reasons(scored["reasons"]))
    write_atomic(scored, out)
    if bad.any():
        write_atomic(problems, rejects_path(out))
    return int((~bad).sum()), int(bad.sum())


def run_shortlist(scores_path: Path, campaign: str, budget: float, max_per_niche: int | None,
                  min_authenticity: float | None, out: Path, include_flagged: bool = False) -> str:
    from authfit.scoring.shortlist import shortlist

    scores = read_scores(scores_path)
    if "campaign_id" in scores:
        scores = scores[scores["campaign_id"] == campaign]
    if scores.empty:
        raise ValueError(f"{scores_path} holds no scores for campaign {campaign!r}; run authfit score --campaign")
    result = shortlist(scores, budget, max_per_niche=max_per_niche, min_authenticity=min_authenticity,
                       include_flagged=include_flagged)
    chosen = result.chosen
    if out.name.endswith(".csv") and "reasons" in chosen:  # a CSV cell holds text, not an array's repr
        chosen = chosen.assign(reasons=join_reasons(chosen["reasons"]))
    write_atomic(chosen, out)
    totals = ", ".join(f"{k}={v:.4g}" for k, v in result.totals().items())
    columns = [c for c in ("account_id", "tier", "niche", "authenticity_score", "cost", "expected_conversions")
               if c in result.chosen]
    excluded = result.excluded["excluded_because"].value_counts()
    left_out = ("\nexcluded: " + ", ".join(f"{n} {reason}" for reason, n in excluded.items())) if len(excluded) else ""
    return f"{result.chosen[columns].to_string(index=False)}\n\ntotals: {totals}{left_out}\nwritten to {out}"
