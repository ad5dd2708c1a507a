"""Chunked, resumable batch runs: work on chunks of accounts, checkpoint each chunk, assemble at the end.

A run writes each finished chunk atomically as `<out>.parts/part-NNNNN.parquet` (and its rejects). When a
run is killed and started again with the same input, it skips the chunks already on disk, so the final
output has no duplicate and no missing rows. The final file is written atomically too, and the parts are
removed only after it is in place.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from authfit.contract.io import write_atomic, write_text_atomic

log = logging.getLogger(__name__)

ChunkResult = tuple[pd.DataFrame, pd.DataFrame]  # (scored rows, rejected rows with a `reason` column)
ChunkFn = Callable[[np.ndarray], ChunkResult]
Arrange = Callable[[pd.DataFrame, pd.DataFrame], ChunkResult]  # orders the assembled (scored, rejected)


class BatchError(RuntimeError):
    """A batch run cannot continue, for a reason the user can act on."""


@dataclass(frozen=True)
class BatchPlan:
    fingerprint: str
    n_keys: int
    chunk_size: int

    @property
    def n_chunks(self) -> int:
        return max(1, -(-self.n_keys // self.chunk_size))

    def chunk(self, keys: np.ndarray, index: int) -> np.ndarray:
        return keys[index * self.chunk_size:(index + 1) * self.chunk_size]


@dataclass(frozen=True)
class BatchSummary:
    output: Path
    rejects: Path | None
    rows: int
    rejected: int
    chunks: int
    resumed_chunks: int
    stage_seconds: dict[str, float] = field(default_factory=dict)  # wall time per stage, where a caller timed it


def plan_for(keys: np.ndarray, chunk_size: int, salt: str = "") -> BatchPlan:
    """A plan whose fingerprint changes when the keys, the chunk size or the salt (e.g. model version) do."""
    digest = pd.util.hash_pandas_object(pd.Series(keys, dtype="str"), index=False).sum()
    return BatchPlan(f"{int(digest) & 0xFFFFFFFFFFFF:012x}-{salt}", len(keys), chunk_size)


def parts_dir(out: Path) -> Path:
    return out.with_name(out.name + ".parts")


def rejects_path(out: Path) -> Path:
    return out.with_name(out.stem + ".rejects.csv")


def _part(work: Path, kind: str, index: int) -> Path:
    return work / f"{kind}-{index:05d}.parquet"


def _open_work_dir(out: Path, plan: BatchPlan) -> Path:
    work = parts_dir(out)
    plan_file = work / "plan.json"
    wanted = {"fingerprint": plan.fingerprint, "n_keys": plan.n_keys, "chunk_size": plan.chunk_size}
    if plan_file.exists():
        found = json.loads(plan_file.read_text())
        if found != wanted:
            raise BatchError(f"{work} holds an unfinished run over different input or settings; "
                             f"delete it to start afresh (found {found}, wanted {wanted})")
        return work
    write_text_atomic(plan_file, json.dumps(wanted))
    return work


def run_chunk(fn: ChunkFn, keys: np.ndarray, work: Path, index: int) -> int:
    """Process one chunk and checkpoint it; the rejects part is written first so that the presence of
    the scored part alone marks the chunk done."""
    scored, rejected = fn(keys)
    write_atomic(rejected.reset_index(drop=True), _part(work, "rejects", index))
    write_atomic(scored.reset_index(drop=True), _part(work, "part", index))
    return index


def pending_chunks(plan: BatchPlan, work: Path) -> list[int]:
    return [i for i in range(plan.n_chunks) if not _part(work, "part", i).exists()]


def _progress(indices: Iterable[int], total: int, done: int) -> Iterator[int]:
    if sys.stderr.isatty():
        from tqdm import tqdm

        yield from tqdm(indices, total=total, initial=done, unit="chunk", file=sys.stderr)
        return
    for count, index in enumerate(indices, start=done + 1):
        log.info("chunk %d/%d done", count, total)
        yield index


def _concat_parts(work: Path, kind: str, n_chunks: int) -> pd.DataFrame:
    parts = [pd.read_parquet(_part(work, kind, i)) for i in range(n_chunks)]
    # an empty chunk's columns have no values to set their dtype: left in, they would turn e.g. bools to objects
    return pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)


def assemble(out: Path, plan: BatchPlan, work: Path, arrange: Arrange | None = None) -> BatchSummary:
    """Concatenate the parts in chunk order (or as `arrange` orders them) into the final files, then remove
    the parts."""
    scored = _concat_parts(work, "part", plan.n_chunks)
    rejected = _concat_parts(work, "rejects", plan.n_chunks)
    if arrange is not None:
        scored, rejected = arrange(scored, rejected)
    write_atomic(scored, out)
    reject_file = write_atomic(rejected, rejects_path(out)) if len(rejected) else None
    for path in work.iterdir():
        path.unlink()
    work.rmdir()
    return BatchSummary(out, reject_file, len(scored), len(rejected), plan.n_chunks, 0)


def run_batch(keys: np.ndarray, fn: ChunkFn, out: Path, chunk_size: int, salt: str = "",
              mapper: Callable[[Callable[[int], int], list[int]], Iterable[int]] | None = None,
              arrange: Arrange | None = None) -> BatchSummary:
    """Run `fn` over chunks of `keys`, resuming an interrupted run. `mapper` distributes chunk indices
    (e.g. over a Dask cluster); by default chunks run one after another in this process. `arrange` orders
    the assembled rows."""
    ordered = np.sort(np.asarray(keys, dtype=object).astype(str))
    plan = plan_for(ordered, chunk_size, salt)
    work = _open_work_dir(out, plan)
    todo = pending_chunks(plan, work)
    resumed = plan.n_chunks - len(todo)
    if resumed:
        log.info("resuming: %d of %d chunks already done", resumed, plan.n_chunks)

    def one(index: int) -> int:
        return run_chunk(fn, plan.chunk(ordered, index), work, index)

    results = mapper(one, todo) if mapper else map(one, todo)
    for _ in _progress(results, plan.n_chunks, resumed):
        pass
    summary = assemble(out, plan, work, arrange)
    return BatchSummary(summary.output, summary.rejects, summary.rows, summary.rejected, summary.chunks, resumed)
