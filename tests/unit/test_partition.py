"""Partitioned validation (authfit.scoring.partition) gives every input row the verdict, reason and row number of
whole-table validation, with bad rows spread across buckets, and resumes a finished partition."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from authfit.contract.io import read_raw_tables, write_tables
from authfit.scoring.partition import (
    KEY_SCHEMA,
    WORK_SUFFIX,
    duplicate_rows,
    id_hashes,
    in_input_order,
    iter_batches,
    load_bucket,
    partition_directory,
    validate_bucket,
    validate_buckets,
)
from authfit.contract.validate import validate_tables
from spoiled_world import write_spoiled

NOW = pd.Timestamp("2030-01-01", tz="UTC")
N_INFLUENCERS = 24


@pytest.fixture(scope="module")
def spoiled(tmp_path_factory) -> Path:
    return write_spoiled(tmp_path_factory.mktemp("partition"), N_INFLUENCERS, 3)


@pytest.fixture(scope="module")
def whole(spoiled):
    return validate_tables(read_raw_tables(spoiled), now=NOW)


@pytest.fixture(scope="module")
def stored(spoiled, tmp_path_factory):
    """The fixture partitioned in small batches, each bucket validated, stored and read back."""
    partition = partition_directory(spoiled, tmp_path_factory.mktemp("work"), 9, now=NOW, batch_rows=500)
    as_of = validate_buckets(partition)
    return partition, as_of, [load_bucket(partition, b) for b in range(partition.n_buckets)]


def test_every_row_is_valid_in_one_bucket_or_rejected_once(spoiled, stored):
    raw = read_raw_tables(spoiled)
    partition, _, buckets = stored
    assert partition.n_buckets == 3
    rejects = pd.concat([b.rejects for b in buckets], ignore_index=True)
    assert not rejects.duplicated(["table", "row"]).any()
    for name, frame in raw.items():
        valid = sum(len(b.tables[name]) for b in buckets) if name != "campaigns" else len(buckets[0].tables[name])
        assert valid + (rejects["table"] == name).sum() == len(frame), name
    # the bad rows really are spread: more than one bucket rejects something
    assert sum(len(b.rejects) > 0 for b in buckets) >= 3


def test_rejects_and_valid_rows_equal_whole_table_validation(whole, stored):
    _, _, buckets = stored
    rejects = in_input_order(pd.concat([b.rejects for b in buckets], ignore_index=True))
    expected = whole.rejects.reset_index(drop=True)
    assert len(expected) >= 15  # the fixture's bad rows, and their cascade
    reasons = " | ".join(expected["reason"])
    for reason in ("duplicate key (post_id); first row kept", "duplicate key (comment_id); first row kept",
                   "post_id not found in posts (orphan foreign key)", "comment dated before its post",
                   "account_id not found in accounts (orphan foreign key)", "campaign ends before it starts"):
        assert reason in reasons
    pd.testing.assert_frame_equal(rejects, expected.astype({"row": "int64"}))
    for name, frame in whole.tables.items():
        parts = [b.tables[name] for b in (buckets if name != "campaigns" else buckets[:1])]
        got = pd.concat(parts, ignore_index=True)
        key = [c for c in frame.columns if c.endswith("_id")] + [c for c in ("date",) if c in frame]
        pd.testing.assert_frame_equal(got.sort_values(key).reset_index(drop=True),
                                      frame.sort_values(key).reset_index(drop=True), check_dtype=True, obj=name)


def test_parquet_input_partitions_like_csv(spoiled, whole, tmp_path):
    parquet = tmp_path / "parquet"
    write_tables(read_raw_tables(spoiled), parquet, fmt="parquet")
    partition = partition_directory(parquet, tmp_path / "work", 13, now=NOW, batch_rows=97)
    buckets = [validate_bucket(partition, b) for b in range(partition.n_buckets)]
    rejects = in_input_order(pd.concat([b.rejects for b in buckets], ignore_index=True))
    pd.testing.assert_frame_equal(rejects, whole.rejects.reset_index(drop=True).astype({"row": "int64"}))


def test_a_finished_partition_is_reused_and_a_changed_input_redone(spoiled, tmp_path):
    work = tmp_path / "work"
    first = partition_directory(spoiled, work, 6, now=NOW)
    marker = work / "bucket-00000" / f"accounts{WORK_SUFFIX}"
    stamp = marker.stat().st_mtime_ns
    again = partition_directory(spoiled, work, 6, now=pd.Timestamp("2031-01-01", tz="UTC"))
    assert again == first and marker.stat().st_mtime_ns == stamp  # same input: reused, and its `now` kept
    other = partition_directory(spoiled, work, 12, now=NOW)
    assert other.n_buckets == -(-(N_INFLUENCERS + 1) // 12) and other.fingerprint != first.fingerprint


def test_validated_buckets_keep_the_latest_time_of_the_valid_rows(whole, stored):
    partition, as_of, buckets = stored
    valid = whole.tables
    assert as_of == max(valid["posts"]["posted_at"].max(), valid["comments"]["created_at"].max(),
                        valid["follower_history"]["date"].max())
    assert validate_buckets(partition) == as_of  # a second call reads the markers, validates nothing again
    assert not any((partition.bucket_dir(b) / f"posts{WORK_SUFFIX}").exists() for b in range(partition.n_buckets))


def test_parquet_batches_hold_one_batch_not_every_row_group_read(tmp_path):
    """Arrow's default pre-buffering keeps the column chunks of every row group read so far until the file
    is closed, so the reader's memory grew with the file (16 row groups of 8 MB here), not with the batch."""
    path = tmp_path / "comments.parquet"
    rng = np.random.default_rng(0)
    text = pa.array([f"{i:08d}" + "x" * int(n) for i, n in enumerate(rng.integers(40, 80, 100_000))])
    pq.write_table(pa.table({"text": pa.concat_arrays([text] * 16)}), path, row_group_size=100_000,
                   compression="none", use_dictionary=False)
    peaks, rows = [], 0
    for batch in iter_batches(path, pq.read_schema(path), rows=20_000):
        rows += batch.num_rows
        peaks.append(pa.total_allocated_bytes())
        del batch
    assert rows == 1_600_000
    assert max(peaks) < 40 << 20, f"{max(peaks) >> 20} MB held while reading 20,000-row batches"


def test_duplicate_keys_are_told_by_the_key_not_by_its_hash(tmp_path):
    """Rows are only compared when their key hashes repeat: two distinct keys sharing a hash are both kept,
    and a repeated key is a duplicate from its second row on, in each key bucket."""
    first = tmp_path / f"00000{WORK_SUFFIX}"
    with pa.OSFile(str(first), "wb") as sink, pa.ipc.new_file(sink, KEY_SCHEMA) as writer:
        writer.write_table(pa.table({"key": ["a", "b", "a", "c", "a"], "hash": pa.array([7, 7, 7, 9, 7], pa.uint64()),
                                     "row": [2, 3, 5, 8, 13]}, schema=KEY_SCHEMA))
    second = tmp_path / f"00001{WORK_SUFFIX}"
    with pa.OSFile(str(second), "wb") as sink, pa.ipc.new_file(sink, KEY_SCHEMA) as writer:
        writer.write_table(pa.table({"key": ["d", "d"], "hash": pa.array([1, 1], pa.uint64()), "row": [4, 6]},
                                    schema=KEY_SCHEMA))
    assert duplicate_rows([first, second]).tolist() == [5, 6, 13]


def test_key_hashes_do_not_depend_on_finding_the_distinct_ids_first():
    ids = pd.Series(["p1", None, "p2", "p1", "x" * 40, None], dtype="str")
    np.testing.assert_array_equal(id_hashes(ids, repeated=False), id_hashes(ids))
    assert len(set(id_hashes(ids).tolist())) == 4  # null hashes as the empty id, the same for both
