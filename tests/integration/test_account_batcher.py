"""The account batcher of the HTTP service: concurrent requests are scored together, each gets exactly its
own rows back, one bad request never fails its neighbours, and a model swap never mixes scorers in a batch.

A stub scorer that can be held mid-batch makes the batching deterministic; tests/integration/test_account_scoring_service.py
checks with the trained scorer that a batched row scores exactly as it would alone."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from authfit.scoring.scorer import AccountScores
from authfit.serve.batching import AccountBatcher


class GatedScorer:
    """Scores a row as len(username); the first call waits until released, so others queue meanwhile."""

    def __init__(self):
        self.calls: list[list[str]] = []
        self.entered, self.release = threading.Event(), threading.Event()

    def account_scores(self, frame: pd.DataFrame) -> AccountScores:
        self.calls.append(frame["follower_id"].tolist())
        self.entered.set()
        assert self.release.wait(10)
        if (frame["username"] == "boom").any():
            raise ValueError("cannot score a row named boom")
        p = frame["username"].str.len().to_numpy(dtype=float, na_value=np.nan) / 10.0
        return AccountScores(p, p >= 0.3, [[f"row {i}"] for i in frame["follower_id"]], "v1")


def _frame(prefix: str, names: list[str | None], followers: list[int | None] | None = None) -> pd.DataFrame:
    rows = [{"follower_id": f"{prefix}{i}", "username": name} for i, name in enumerate(names)]
    if followers is not None:
        for row, count in zip(rows, followers):
            row["follower_count"] = count
    return pd.DataFrame(rows)


def _hold_first_batch(batcher: AccountBatcher, scorer: GatedScorer):
    first = batcher.submit(scorer, _frame("first", ["a"]))
    assert scorer.entered.wait(10)  # the worker is now inside score_accounts; what follows must queue
    return first


def test_requests_waiting_behind_a_batch_are_scored_together_each_with_its_own_rows():
    scorer, batcher = GatedScorer(), AccountBatcher(max_rows=100)
    first = _hold_first_batch(batcher, scorer)
    frames = [_frame("x", ["ab", "abc"], [5, 7]), _frame("y", ["abcd"], [None]), _frame("z", ["a", None, "abcde"])]
    futures = [batcher.submit(scorer, f) for f in frames]
    scorer.release.set()
    results = [f.result(10) for f in futures]
    assert first.result(10).probability.tolist() == [0.1]
    assert scorer.calls == [["first0"], ["x0", "x1", "y0", "z0", "z1", "z2"]]  # one call for the three waiting
    for frame, result in zip(frames, results):  # each request gets exactly its own rows' scores
        assert result.reasons == [[f"row {i}"] for i in frame["follower_id"]]
        expected = frame["username"].str.len().to_numpy(dtype=float, na_value=np.nan) / 10.0
        np.testing.assert_array_equal(result.probability, expected)
        np.testing.assert_array_equal(result.flag, expected >= 0.3)


def test_a_bad_request_fails_alone_and_its_neighbours_are_still_scored():
    scorer, batcher = GatedScorer(), AccountBatcher(max_rows=100)
    first = _hold_first_batch(batcher, scorer)
    good, bad, other = (batcher.submit(scorer, _frame(p, names)) for p, names in
                        (("g", ["ok"]), ("b", ["boom"]), ("o", ["fine", "yes"])))
    scorer.release.set()
    first.result(10)
    assert good.result(10).probability.tolist() == [0.2]
    assert other.result(10).probability.tolist() == [0.4, 0.3]
    with pytest.raises(ValueError, match="boom"):
        bad.result(10)
    later = batcher.submit(scorer, _frame("later", ["abc"]))  # the batcher still works afterwards
    assert later.result(10).probability.tolist() == [0.3]


def test_batches_respect_the_row_cap_and_never_mix_scorers():
    scorer, swapped, batcher = GatedScorer(), GatedScorer(), AccountBatcher(max_rows=3)
    swapped.release.set()
    first = _hold_first_batch(batcher, scorer)
    futures = [batcher.submit(scorer, _frame("a", ["x", "y"])), batcher.submit(scorer, _frame("b", ["z"])),
               batcher.submit(scorer, _frame("c", ["w"])), batcher.submit(swapped, _frame("d", ["v"])),
               batcher.submit(scorer, _frame("e", ["u"]))]
    scorer.release.set()
    for future in [first, *futures]:
        future.result(10)
    assert scorer.calls == [["first0"], ["a0", "a1", "b0"], ["c0"], ["e0"]]
    assert swapped.calls == [["d0"]]


def test_a_cancelled_request_is_skipped_without_stalling_the_queue():
    scorer, batcher = GatedScorer(), AccountBatcher(max_rows=100)
    first = _hold_first_batch(batcher, scorer)
    gone = batcher.submit(scorer, _frame("gone", ["abc"]))
    assert gone.cancel()
    kept = batcher.submit(scorer, _frame("kept", ["ab"]))
    scorer.release.set()
    first.result(10)
    assert kept.result(10).probability.tolist() == [0.2]
    assert ["gone0"] not in scorer.calls and scorer.calls[-1] == ["kept0"]


def test_a_worker_that_dies_fails_its_requests_and_the_queue_keeps_working(monkeypatch):
    """Anything escaping the worker thread (not an error of the rows, which goes to its request) must not
    leave a request waiting forever or the batcher believing a worker still drains its queue."""
    import authfit.serve.batching as batching

    batcher = AccountBatcher(max_rows=100)
    real = batching.score_batch

    def broken(batch):
        raise SystemExit("worker died")

    monkeypatch.setattr(batching, "score_batch", broken)
    dead = batcher.submit(GatedScorer(), _frame("d", ["a"]))
    with pytest.raises(RuntimeError, match="worker died"):
        dead.result(10)
    monkeypatch.setattr(batching, "score_batch", real)
    scorer = GatedScorer()
    scorer.release.set()
    assert batcher.submit(scorer, _frame("e", ["abc"])).result(10).probability.tolist() == [0.3]


def test_a_blocking_call_scores_in_its_own_thread_and_hands_what_queued_to_a_worker():
    scorer, batcher = GatedScorer(), AccountBatcher(max_rows=100)
    threads: list[str] = []
    score = scorer.account_scores

    def recording(frame: pd.DataFrame) -> AccountScores:
        threads.append(threading.current_thread().name)
        return score(frame)

    scorer.account_scores = recording  # type: ignore[method-assign]
    results: dict[str, AccountScores] = {}
    caller = threading.Thread(target=lambda: results.update(own=batcher.score(scorer, _frame("own", ["ab"]))),
                              name="caller")
    caller.start()
    assert scorer.entered.wait(10)  # the caller is scoring its own batch; these queue behind it
    queued = [batcher.submit(scorer, _frame("q", ["abc"])), batcher.submit(scorer, _frame("r", ["a"]))]
    scorer.release.set()
    caller.join(10)
    assert results["own"].probability.tolist() == [0.2]
    assert [f.result(10).probability.tolist() for f in queued] == [[0.3], [0.1]]
    assert threads == ["caller", "authfit-account-batches"]  # one batch each: the caller's, then the worker's
    assert scorer.calls == [["own0"], ["q0", "r0"]]
    assert batcher.score(scorer, _frame("later", ["abcd"])).probability.tolist() == [0.4]  # not stuck
