"""Split a data directory into buckets of accounts on disk, reading every table in record batches, so that
validating and scoring one bucket at a time takes the memory of one bucket, not of the whole input.

Each row goes to the bucket of its account (a stable hash of the account id as the validator parses it);
comments go to the bucket of their post's account, taken from the first post row with that post id, the
row the validator keeps. Validating each bucket on its own then gives every row the verdict, reason and
row number that validating the whole input gives:

- keys tied to one account (accounts, follower history, audience, outcomes, labels, offers) stay in one
  bucket, so their duplicates, orphans and time-order checks are found within it;
- post and comment ids are not tied to an account: their duplicates are found across buckets by a narrow
  second partition by key (the key and the row number only) and handed to the validator;
- campaigns are shared: they are small, given whole to every bucket, and their rejects are reported once.

The work directory is resumable: a manifest marks a finished partition and a marker each validated bucket,
and every file is written under a temporary name first, so a killed run never leaves a partial file that
looks finished.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from authfit.features.asof import max_timestamp
from authfit.contract.io import (TableNotFoundError, atomic_path, check_separator, reading, table_path,
                                 write_text_atomic)
from authfit.contract.schema import TABLES, VALIDATION_ORDER
from authfit.contract.validate import parse_column, validate_tables

log = logging.getLogger(__name__)

ROW = "__authfit_row"  # the row's 1-based number in its input file, carried through the buckets
ROUTE: dict[str, str] = {  # the column naming each table's account
    "accounts": "account_id", "follower_history": "account_id", "posts": "account_id",
    "audience": "influencer_id", "outcomes": "account_id", "labels": "account_id", "offers": "account_id",
}
SHARED: tuple[str, ...] = ("campaigns",)
GLOBAL_KEYS: dict[str, str] = {"posts": "post_id", "comments": "comment_id"}
BATCH_ROWS = 100_000
PARQUET_READ_BUFFER = 1 << 20
# Work files are read once, soon, on the same disk: Arrow IPC files, uncompressed, are written and read
# back as the Arrow buffers they hold, without the encoding and decoding of Parquet.
WORK_SUFFIX = ".arrow"
# A key bucket: the key as the validator parses it, its hash (duplicates are looked for among the rows whose
# hash repeats) and its row number
KEY_SCHEMA = pa.schema([("key", pa.large_string()), ("hash", pa.uint64()), ("row", pa.int64())])


@dataclass(frozen=True)
class Partition:
    work: Path
    n_buckets: int
    tables: tuple[str, ...]
    now: pd.Timestamp
    fingerprint: str
    date_format: str | None = None  # how non-ISO dates are read (validate_tables)

    def bucket_dir(self, bucket: int) -> Path:
        return self.work / f"bucket-{bucket:05d}"

    def duplicates(self, name: str) -> np.ndarray:
        return np.load(self.work / f"duplicates-{name}.npy")


@dataclass(frozen=True)
class Bucket:
    """One bucket's valid typed tables and its rejected rows (numbered as in the input files)."""

    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame


# ------------------------------------------------------------------ reading in batches


def input_fingerprint(data: Path, chunk_size: int, date_format: str | None = None) -> str:
    """Changes when a table file, the bucket size, the date format or the work files' format does."""
    files = [(path.name, path.stat().st_size, path.stat().st_mtime_ns)
             for name in TABLES if (path := table_path(data, name)) is not None]
    settings = [files, chunk_size, WORK_SUFFIX] + ([] if date_format is None else [date_format])
    return hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:16]


def _read_csv_chunks(path: Path, rows: int, **options: object) -> Iterator[pd.DataFrame]:
    # the options of io.read_raw_table, so that every cell reads exactly as in the whole-table path
    with reading(path):
        yield from pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8",
                               chunksize=rows, **options)


def count_rows(path: Path) -> int:
    if path.name.lower().endswith(".parquet"):
        return pq.ParquetFile(path).metadata.num_rows
    return sum(len(chunk) for chunk in _read_csv_chunks(path, BATCH_ROWS, usecols=[0]))


def file_schema(path: Path) -> pa.Schema:
    """The Arrow schema the batches of `path` come in."""
    if path.name.lower().endswith(".parquet"):
        return pq.read_schema(path)
    with reading(path):
        header = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8", nrows=0)
    check_separator(path, header.columns)
    return pa.Schema.from_pandas(header, preserve_index=False).remove_metadata()


def iter_batches(path: Path, schema: pa.Schema, rows: int = BATCH_ROWS) -> Iterator[pa.Table]:
    """The file in batches of rows, each read as `io.read_raw_table` reads it: Parquet as stored, CSV as text."""
    if path.name.lower().endswith(".parquet"):
        # A buffered stream without pre-buffering reads a row group's column chunks page by page. Unbuffered,
        # each whole chunk is loaded first; pre-buffered (Arrow's default), the chunks of every row group read
        # so far stay cached until the file is closed: memory followed the file's size, not the batch.
        reader = pq.ParquetFile(path, buffer_size=PARQUET_READ_BUFFER, pre_buffer=False)
        for batch in reader.iter_batches(batch_size=rows):
            yield pa.Table.from_batches([batch]).replace_schema_metadata(schema.metadata)
        return
    for chunk in _read_csv_chunks(path, rows):
        yield pa.Table.from_pandas(chunk, preserve_index=False).cast(schema)


# ------------------------------------------------------------------ routing


def parsed_ids(batch: pa.Table, table: str, column: str) -> pd.Series:
    """An id column as the validator parses it (stripped text, null when blank or absent)."""
    if column not in batch.column_names:
        return pd.Series([None] * batch.num_rows, dtype="str")
    return parse_column(batch.column(column).to_pandas(), TABLES[table].column(column))


def id_hashes(ids: pd.Series, repeated: bool = True) -> np.ndarray:
    """A stable 64-bit hash per id (the same in every process and run); null hashes as the empty id.
    Routing ids repeat (an account's posts, a post's comments): hashing the distinct ones once is much
    faster. Keys are mostly distinct (`repeated=False`): finding the distinct ones first only adds work.
    The hashes are the same either way."""
    return pd.util.hash_pandas_object(ids.fillna(""), index=False, categorize=repeated).to_numpy()


def _bucket(hashes: np.ndarray, n_buckets: int) -> np.ndarray:
    return (hashes % np.uint64(n_buckets)).astype(np.int64)


def buckets_of(ids: pd.Series, n_buckets: int) -> np.ndarray:
    return _bucket(id_hashes(ids), n_buckets)


@dataclass(frozen=True)
class PostRoutes:
    """Post id hash -> bucket of the first post row with that id (sorted hashes, for a binary search).
    16 bytes per post rather than the ids themselves; two distinct post ids sharing a 64-bit hash (odds
    about n^2 / 2^65, 1e-8 for a million posts) would send one's comments to the other's bucket."""

    hashes: np.ndarray
    buckets: np.ndarray

    @classmethod
    def build(cls, parts: list[tuple[np.ndarray, np.ndarray]]) -> PostRoutes:
        hashes = np.concatenate([h for h, _ in parts]) if parts else np.empty(0, np.uint64)
        buckets = np.concatenate([b for _, b in parts]) if parts else np.empty(0, np.int64)
        unique, first = np.unique(hashes, return_index=True)  # first occurrence in input order
        return cls(unique, buckets[first])

    def route(self, post_ids: pd.Series, n_buckets: int) -> np.ndarray:
        """Comments of a known post go to its bucket; the others are orphans, rejected in any bucket."""
        hashes = id_hashes(post_ids)
        fallback = _bucket(hashes, n_buckets)
        if not len(self.hashes):
            return fallback
        at = np.minimum(np.searchsorted(self.hashes, hashes), len(self.hashes) - 1)
        known = (self.hashes[at] == hashes) & post_ids.notna().to_numpy()
        return np.where(known, self.buckets[at], fallback)


def write_work_file(frame: pd.DataFrame, path: Path) -> Path:
    """A work file (an Arrow IPC file), written through `atomic_path`."""
    with atomic_path(path) as tmp:
        frame.to_feather(tmp, compression="uncompressed")
    return path


class BucketWriters:
    """One Arrow IPC file per bucket, appended batch by batch."""

    def __init__(self, stack: ExitStack, paths: list[Path], schema: pa.Schema):
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.writers = [stack.enter_context(pa.ipc.new_file(stack.enter_context(pa.OSFile(str(path), "wb")), schema))
                        for path in paths]

    def write(self, batch: pa.Table, buckets: np.ndarray) -> None:
        order = np.argsort(buckets, kind="stable")  # stable: rows stay in input order within a bucket
        bounds = np.searchsorted(buckets[order], np.arange(len(self.writers) + 1))
        ordered = batch.take(order)  # one gather; each bucket's rows are then a zero-copy slice of it
        for bucket, writer in enumerate(self.writers):
            if bounds[bucket + 1] > bounds[bucket]:
                writer.write_table(ordered.slice(bounds[bucket], bounds[bucket + 1] - bounds[bucket]))


# ------------------------------------------------------------------ partitioning


def _partition_table(data: Path, work: Path, name: str, n_buckets: int, routes: PostRoutes | None,
                     batch_rows: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stream one table into its buckets (and its key into key buckets when its key is global). Returns,
    for posts, the (post id hash, bucket) of each row, from which comments are routed."""
    path = table_path(data, name)
    schema = file_schema(path)
    targets = ([work / "shared" / f"{name}{WORK_SUFFIX}"] if name in SHARED else
               [work / f"bucket-{b:05d}" / f"{name}{WORK_SUFFIX}" for b in range(n_buckets)])
    post_routes: list[tuple[np.ndarray, np.ndarray]] = []
    start = 0
    with ExitStack() as stack:
        writers = BucketWriters(stack, targets, schema.append(pa.field(ROW, pa.int64())))
        keys = (BucketWriters(stack, [work / "keys" / name / f"{b:05d}{WORK_SUFFIX}" for b in range(n_buckets)],
                              KEY_SCHEMA) if name in GLOBAL_KEYS else None)
        for batch in iter_batches(path, schema, batch_rows):
            rows = np.arange(start + 1, start + batch.num_rows + 1, dtype=np.int64)
            start += batch.num_rows
            batch = batch.append_column(ROW, pa.array(rows))
            if name in SHARED:
                buckets = np.zeros(batch.num_rows, dtype=np.int64)
            elif name == "comments" and routes is not None:
                buckets = routes.route(parsed_ids(batch, name, "post_id"), n_buckets)
            else:
                buckets = buckets_of(parsed_ids(batch, name, ROUTE.get(name, "post_id")), n_buckets)
            writers.write(batch, buckets)
            if keys is None:
                continue
            key = parsed_ids(batch, name, GLOBAL_KEYS[name])  # posts: the post id, hashed once for both uses
            present = key.notna().to_numpy()
            hashes = id_hashes(key[present], repeated=False)
            if name == "posts":
                post_routes.append((hashes, buckets[present]))
            keys.write(pa.table({"key": pa.array(key[present].array, pa.large_string()),
                                 "hash": pa.array(hashes), "row": pa.array(rows[present])}, schema=KEY_SCHEMA),
                       _bucket(hashes, n_buckets))
    log.info("partitioned %s: %d rows into %d buckets", name, start, len(targets))
    return post_routes


def duplicate_rows(key_files: list[Path]) -> np.ndarray:
    """Rows whose key an earlier row holds, over all key buckets: each key lives in one key bucket, in row
    order, so a bucket at a time suffices. Only the rows whose key hash repeats can hold a repeated key;
    their keys themselves are compared, so a shared hash never makes a duplicate."""
    found = []
    for path in key_files:
        with pa.OSFile(str(path)) as source:
            keys = pa.ipc.open_file(source).read_all()
        maybe = pd.Series(keys.column("hash").to_numpy()).duplicated(keep=False).to_numpy()
        if maybe.any():
            candidates = keys.filter(pa.array(maybe)).to_pandas()
            found.append(candidates.loc[candidates["key"].duplicated(keep="first"), "row"].to_numpy(dtype=np.int64))
    return np.sort(np.concatenate(found)) if found else np.empty(0, np.int64)


def partition_directory(data: Path, work: Path, chunk_size: int, now: pd.Timestamp | None = None,
                        batch_rows: int = BATCH_ROWS, date_format: str | None = None) -> Partition:
    """Partition `data` into buckets of about `chunk_size` accounts under `work`, or reuse a finished
    partition of the same input there. Nothing but one batch per table is held in memory."""
    if not data.is_dir():
        raise TableNotFoundError(f"data directory {data} does not exist")
    accounts = table_path(data, "accounts")
    if accounts is None:
        raise ValueError(f"{data} has no accounts table to score")
    fingerprint = input_fingerprint(data, chunk_size, date_format)
    manifest = work / "manifest.json"
    if manifest.exists():
        found = json.loads(manifest.read_text())
        if found["fingerprint"] == fingerprint:
            return Partition(work, found["n_buckets"], tuple(found["tables"]), pd.Timestamp(found["now"]),
                             fingerprint, date_format)
    shutil.rmtree(work, ignore_errors=True)  # an unfinished or stale partition is redone from the start
    work.mkdir(parents=True)
    n_buckets = max(1, -(-count_rows(accounts) // chunk_size))
    names = tuple(name for name in VALIDATION_ORDER if table_path(data, name) is not None)
    routes: PostRoutes | None = None
    for name in names:
        post_routes = _partition_table(data, work, name, n_buckets, routes, batch_rows)
        if name == "posts":
            routes = PostRoutes.build(post_routes)
        if name in GLOBAL_KEYS:
            key_dir = work / "keys" / name
            np.save(work / f"duplicates-{name}.npy", duplicate_rows(sorted(key_dir.glob(f"*{WORK_SUFFIX}"))))
            shutil.rmtree(key_dir)
        # Arrow's allocator keeps freed pages for reuse; a larger table's batches would otherwise stay
        # resident through the next tables and the validation after them
        pa.default_memory_pool().release_unused()
    now = now or pd.Timestamp.now(tz="UTC")
    write_text_atomic(manifest, json.dumps({"fingerprint": fingerprint, "n_buckets": n_buckets,
                                            "tables": list(names), "now": now.isoformat()}))
    return Partition(work, n_buckets, names, now, fingerprint, date_format)


# ------------------------------------------------------------------ validating buckets


def read_bucket(partition: Partition, bucket: int) -> tuple[dict[str, pd.DataFrame], dict[str, np.ndarray]]:
    """A bucket's raw tables (shared ones whole) and, per table, the input row number of each row."""
    raw: dict[str, pd.DataFrame] = {}
    rows: dict[str, np.ndarray] = {}
    for name in partition.tables:
        folder = partition.work / "shared" if name in SHARED else partition.bucket_dir(bucket)
        frame = pd.read_feather(folder / f"{name}{WORK_SUFFIX}")
        rows[name] = frame[ROW].to_numpy(dtype=np.int64)
        raw[name] = frame.drop(columns=ROW)
    return raw, rows


def validate_bucket(partition: Partition, bucket: int) -> Bucket:
    """Validate one bucket; rejects carry the row numbers of the input files. Shared tables' rejects are
    reported by bucket 0 only."""
    raw, rows = read_bucket(partition, bucket)
    known = {name: np.flatnonzero(np.isin(rows[name], partition.duplicates(name))) + 1
             for name in GLOBAL_KEYS if name in raw}
    checked = validate_tables(raw, now=partition.now, duplicates=known, date_format=partition.date_format)
    rejects = checked.rejects
    if bucket:
        rejects = rejects.loc[~rejects["table"].isin(SHARED)]
    local = rejects["row"].to_numpy(dtype=np.int64)
    numbers = np.zeros(len(rejects), dtype=np.int64)
    for name, at in rejects.groupby("table", sort=False).indices.items():
        numbers[at] = rows[name][local[at] - 1]
    text = {c: "str" for c in rejects.columns if c != "row"}  # also when empty, so that buckets concatenate
    return Bucket(checked.tables, rejects.assign(row=numbers).astype(text).reset_index(drop=True))


def _valid_dir(partition: Partition, bucket: int) -> Path:
    return partition.bucket_dir(bucket) / "valid"


def validate_buckets(partition: Partition) -> pd.Timestamp | None:
    """Validate every bucket not yet validated, keep its valid typed tables and rejects on disk, and return
    the latest activity time over all valid rows (what features are as of, as for the whole input)."""
    latest: list[pd.Timestamp] = []
    for bucket in range(partition.n_buckets):
        marker = partition.bucket_dir(bucket) / "validated.json"
        if not marker.exists():
            checked = validate_bucket(partition, bucket)
            for name, frame in checked.tables.items():
                write_work_file(frame, _valid_dir(partition, bucket) / f"{name}{WORK_SUFFIX}")
            write_work_file(checked.rejects, partition.bucket_dir(bucket) / f"rejects{WORK_SUFFIX}")
            when = max_timestamp(checked.tables)
            write_text_atomic(marker, json.dumps({"as_of": when.isoformat() if when is not None else None}))
            for name in partition.tables:  # the raw rows are no longer needed
                (partition.bucket_dir(bucket) / f"{name}{WORK_SUFFIX}").unlink(missing_ok=True)
            log.info("validated bucket %d/%d", bucket + 1, partition.n_buckets)
        when = json.loads(marker.read_text())["as_of"]
        if when is not None:
            latest.append(pd.Timestamp(when))
    return max(latest) if latest else None


def load_bucket(partition: Partition, bucket: int) -> Bucket:
    """A validated bucket, as `validate_buckets` left it."""
    folder = _valid_dir(partition, bucket)
    tables = {name: pd.read_feather(folder / f"{name}{WORK_SUFFIX}") for name in partition.tables}
    return Bucket(tables, pd.read_feather(partition.bucket_dir(bucket) / f"rejects{WORK_SUFFIX}"))


def in_input_order(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejects ordered as whole-input validation lists them: by table (parents first), then row."""
    rank = rejects["table"].map({name: i for i, name in enumerate(VALIDATION_ORDER)})
    order = np.lexsort((rejects["row"].to_numpy(dtype=np.int64), rank.to_numpy(dtype=np.int64)))
    return rejects.iloc[order].reset_index(drop=True)
