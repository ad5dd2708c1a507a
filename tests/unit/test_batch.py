"""Chunked batch runs: every key processed once, resumable, atomic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from authfit.scoring.chunks import BatchError, parts_dir, pending_chunks, plan_for, rejects_path, run_batch


def _score(keys: np.ndarray):
    frame = pd.DataFrame({"account_id": keys, "score": [len(k) for k in keys]})
    bad = frame["account_id"].str.endswith("7")
    rejected = frame[bad].assign(reason="ends in 7")[["account_id", "reason"]]
    return frame[~bad], rejected


KEYS = np.array([f"acct{i}" for i in range(53)])


def test_every_key_is_scored_or_rejected_exactly_once(tmp_path):
    out = tmp_path / "scores.parquet"
    summary = run_batch(KEYS[::-1], _score, out, chunk_size=10)
    scored = pd.read_parquet(out)
    rejected = pd.read_csv(rejects_path(out))
    assert summary.chunks == 6 and summary.rows + summary.rejected == len(KEYS)
    assert sorted([*scored["account_id"], *rejected["account_id"]]) == sorted(KEYS)
    assert scored["account_id"].is_unique and not parts_dir(out).exists()


def test_resume_skips_finished_chunks_and_gives_the_same_output(tmp_path):
    full = tmp_path / "full.parquet"
    run_batch(KEYS, _score, full, chunk_size=10)
    out = tmp_path / "resumed.parquet"
    calls = []

    def crash_on_third(keys):
        calls.append(keys[0])
        if len(calls) == 3:
            raise KeyboardInterrupt  # a run killed mid-way
        return _score(keys)

    with pytest.raises(KeyboardInterrupt):
        run_batch(KEYS, crash_on_third, out, chunk_size=10)
    assert not out.exists()  # nothing that looks complete
    done_before = 6 - len(pending_chunks(plan_for(np.sort(KEYS), 10), parts_dir(out)))
    assert done_before == 2
    summary = run_batch(KEYS, _score, out, chunk_size=10)
    assert summary.resumed_chunks == 2
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(full))


def test_refuses_to_mix_an_unfinished_run_with_different_input(tmp_path):
    out = tmp_path / "s.parquet"

    def boom(keys):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(KEYS, boom, out, chunk_size=10)
    with pytest.raises(BatchError, match="different input"):
        run_batch(KEYS[:20], _score, out, chunk_size=10)


def test_csv_output(tmp_path):
    out = tmp_path / "s.csv"
    run_batch(KEYS, _score, out, chunk_size=100)
    assert len(pd.read_csv(out)) == len(KEYS) - 5
