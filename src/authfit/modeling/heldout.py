"""A candidate model's held-out rows, kept so that a champion can be re-scored on exactly those rows.

A `HeldOut` is a bounded sample (at most `HELDOUT_ROWS`) of the training rows the candidate scored out of
fold: their keys (e.g. account_id), label, the candidate's out-of-fold score and, for ranking metrics,
their group. It travels with the training run (an MLflow artifact), so the promotion comparison names the
rows it was made on. Features are not kept: a champion is re-scored through its own feature builder on
the tables the keys point into.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from authfit.modeling.metrics import classification_metrics, count_metrics
from authfit.modeling.promotion import SameRows

HELDOUT_ROWS = 2000
LABEL, SCORE, GROUP = "label", "candidate_score", "group"


@dataclass(frozen=True)
class HeldOut:
    task: Literal["binary", "count"]
    rows: pd.DataFrame  # key columns, LABEL, SCORE and (count models) GROUP
    keys: tuple[str, ...]

    def key_index(self) -> pd.Index | pd.MultiIndex:
        """The keys as an index, to `reindex` a champion's predictions onto these rows."""
        if len(self.keys) == 1:
            return pd.Index(self.rows[self.keys[0]], name=self.keys[0])
        return pd.MultiIndex.from_frame(self.rows[list(self.keys)])


def heldout_sample(task: Literal["binary", "count"], keys: pd.Index | pd.MultiIndex, y: np.ndarray,
                   scores: np.ndarray, groups: np.ndarray | None = None, max_rows: int = HELDOUT_ROWS,
                   seed: int = 0) -> HeldOut:
    """Up to `max_rows` rows (a seeded draw, in training order) that have an out-of-fold score; rows never
    in a validation fold (the first block of time folds) are not held out and are left out."""
    frame = keys.to_frame(index=False).assign(**{LABEL: np.asarray(y, dtype=float),
                                                 SCORE: np.asarray(scores, dtype=float)})
    if groups is not None:
        frame[GROUP] = np.asarray(groups)
    scored = np.flatnonzero(np.isfinite(frame[SCORE].to_numpy()) & np.isfinite(frame[LABEL].to_numpy()))
    if len(scored) > max_rows:
        scored = np.sort(np.random.default_rng(seed).choice(scored, size=max_rows, replace=False))
    return HeldOut(task, frame.iloc[scored].reset_index(drop=True), tuple(map(str, keys.names)))


def heldout_metrics(heldout: HeldOut, scores: np.ndarray) -> dict[str, float]:
    """The metrics of `scores` (one per held-out row) against the held-out labels."""
    y = heldout.rows[LABEL].to_numpy()
    if heldout.task == "binary":
        return classification_metrics(y, scores)
    groups = heldout.rows[GROUP].to_numpy() if GROUP in heldout.rows else None
    return count_metrics(y, scores, groups=groups)


def compare_on_heldout(heldout: HeldOut, champion_scores: np.ndarray) -> SameRows:
    """Candidate (its out-of-fold scores) and champion (re-scored) on the same held-out rows. A row the
    champion cannot score (NaN) is dropped for both, so the two metrics always share their rows."""
    champion = np.asarray(champion_scores, dtype=float)
    keep = np.isfinite(champion)
    shared = HeldOut(heldout.task, heldout.rows[keep].reset_index(drop=True), heldout.keys)
    how = f"champion re-scored on {int(keep.sum())} of the candidate's {len(heldout.rows)} held-out rows"
    return SameRows(heldout_metrics(shared, shared.rows[SCORE].to_numpy()), heldout_metrics(shared, champion[keep]),
                    int(keep.sum()), how)
