"""Score the account rows of concurrent requests together.

Scoring account rows has a fixed cost per call (feature building, the booster calls, the reasons'
templates) whatever the number of rows, so a service answering many requests of a few rows each spends
much of its time on that overhead. Under load, small requests that arrive while a batch is being scored wait
for it and are then scored together in one call; a lone request is scored at once, with no waiting
window. Every account feature, prediction and reason depends on its own row only, so a batched row
scores exactly as it would alone (tests/integration/test_account_scoring_service.py checks it).
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from authfit.scoring.scorer import AccountScores


@dataclass
class _Job:
    scorer: Any
    frame: pd.DataFrame
    future: Future = field(default_factory=Future)
    start: bool = False  # this job's caller found no batch in flight and starts the draining


class AccountBatcher:
    """One worker thread at a time drains the queue, taking as many waiting requests as fit in
    `max_rows` that were made against the same scorer (a model swap never mixes versions in a batch)."""

    def __init__(self, max_rows: int):
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._pending: deque[_Job] = deque()
        self._draining = False

    def submit(self, scorer: Any, frame: pd.DataFrame) -> Future:
        """A future of `scorer.account_scores(frame)`, scored with whatever else is waiting."""
        job = self._queue(scorer, frame)
        if job.start:
            self._start_worker()
        return job.future

    def score(self, scorer: Any, frame: pd.DataFrame) -> AccountScores:
        """`scorer.account_scores(frame)`, scored with whatever else is waiting. With no batch in flight,
        the calling thread scores the first batch itself (starting a thread per call cost more CPU than
        scoring a row) and hands what queued meanwhile to a worker thread."""
        job = self._queue(scorer, frame)
        if job.start and self._drain_until(job):
            self._start_worker()
        return job.future.result()

    def _drain_until(self, job: _Job) -> bool:
        """Score batches in this thread until `job` is done; whether requests are left waiting (the
        queue then stays marked as being drained, for a worker to take over)."""
        batch: list[_Job] = []
        try:
            while batch := self._next_batch():  # empty: the queue is drained and marked so
                _score_live(batch)
                if job.future.done():
                    with self._lock:
                        self._draining = bool(self._pending)
                        return self._draining
        except BaseException as exc:
            self._fail(batch, exc)
            raise
        return False

    def _queue(self, scorer: Any, frame: pd.DataFrame) -> _Job:
        job = _Job(scorer, frame)
        with self._lock:
            self._pending.append(job)
            job.start, self._draining = not self._draining, True
        return job

    def _start_worker(self) -> None:
        """A short-lived thread per busy spell: nothing lingers once the queue is empty."""
        try:
            threading.Thread(target=self._drain, name="authfit-account-batches", daemon=True).start()
        except RuntimeError:  # no thread to be had: score here rather than leave the queue stranded
            self._drain()

    def _next_batch(self) -> list[_Job]:
        with self._lock:
            if not self._pending:
                self._draining = False
                return []
            batch = [self._pending.popleft()]
            rows = len(batch[0].frame)
            while (self._pending and self._pending[0].scorer is batch[0].scorer
                   and rows + len(self._pending[0].frame) <= self.max_rows):
                batch.append(self._pending.popleft())
                rows += len(batch[-1].frame)
            return batch

    def _drain(self) -> None:
        batch: list[_Job] = []
        try:
            while batch := self._next_batch():
                _score_live(batch)
        except BaseException as exc:  # never strand a waiting request, nor the queue behind a dead worker
            self._fail(batch, exc)
            raise

    def _fail(self, batch: list[_Job], exc: BaseException) -> None:
        """Give `exc` to the batch in hand and to every queued request, and let the next submit start a
        fresh worker thread."""
        with self._lock:
            stranded, self._draining = [*batch, *self._pending], False
            self._pending.clear()
        for job in stranded:
            if not job.future.done():
                if job.future.running() or job.future.set_running_or_notify_cancel():
                    job.future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))


def _score_live(batch: list[_Job]) -> None:
    """Score the batch's requests that are still wanted: a request whose client went away was cancelled
    (and a cancelled future is never set)."""
    live = [job for job in batch if job.future.set_running_or_notify_cancel()]
    if live:
        score_batch(live)


def score_batch(batch: list[_Job]) -> None:
    """Resolve every job's future, with its own rows scored or with the error its rows alone raise."""
    if len(batch) > 1:
        try:
            results = _split(batch)
        except Exception:  # noqa: BLE001 - one request's bad rows must not fail its neighbours: retry alone
            results = None
        if results is not None:
            for job, result in zip(batch, results):
                job.future.set_result(result)
            return
    for job in batch:
        try:
            job.future.set_result(job.scorer.account_scores(job.frame))
        except Exception as exc:  # noqa: BLE001 - handed to the request, which maps it to its status
            job.future.set_exception(exc)


def _split(batch: list[_Job]) -> list[AccountScores]:
    """Score the batch in one call and give each request its own rows' scores back."""
    combined = pd.concat([job.frame for job in batch], ignore_index=True)
    scored = batch[0].scorer.account_scores(combined)
    if len(scored.probability) != len(combined) or len(scored.reasons) != len(combined):
        raise ValueError(f"the scorer returned {len(scored.probability)} rows for {len(combined)}")
    ends = np.cumsum([len(job.frame) for job in batch]).tolist()
    return [AccountScores(scored.probability[start:end], scored.flag[start:end], scored.reasons[start:end],
                          scored.model_version) for start, end in zip([0, *ends[:-1]], ends)]
