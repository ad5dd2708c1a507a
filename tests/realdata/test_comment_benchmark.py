"""Comment-spam model on the real labelled comment sets: a quick variant of the benchmark for CI."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from authfit_bench.benchmarks.comments import cross_source_rows, cv_rows
from authfit.datasets.labelled_comments import SCAMSPOT, UCI_YOUTUBE, load_labelled_comments
from authfit.datasets.paths import DatasetMissingError, dataset_dir
from authfit.modeling.comment_spam import CommentSpamModel

pytestmark = pytest.mark.realdata
_KEYS = {"dataset", "task", "metric", "value", "spread", "protocol", "anchor", "anchor_protocol"}


@pytest.fixture(scope="module")
def root() -> Path:
    try:
        return dataset_dir(UCI_YOUTUBE).parent if dataset_dir(SCAMSPOT) else None
    except DatasetMissingError as exc:
        pytest.skip(str(exc))


def _by_metric(rows: list[dict]) -> dict[str, float]:
    assert all(set(row) == _KEYS for row in rows)
    return {row["metric"]: row["value"] for row in rows}


def test_adapters_match_the_documented_counts(root: Path) -> None:
    uci = load_labelled_comments(UCI_YOUTUBE, root, dedupe=False)
    scam = load_labelled_comments(SCAMSPOT, root, dedupe=False)
    assert (len(uci), int(uci["label"].sum()), uci["group"].nunique()) == (1956, 1005, 5)
    assert (len(scam), int(scam["label"].sum())) == (3586, 1288)
    assert len(load_labelled_comments(UCI_YOUTUBE, root)) < len(uci)


def test_quick_benchmark_clears_floors_in_under_a_minute(root: Path) -> None:
    start = time.perf_counter()
    factory = partial(CommentSpamModel, folds=3, n_jobs=1)
    uci = load_labelled_comments(UCI_YOUTUBE, root)
    scam = load_labelled_comments(SCAMSPOT, root)
    uci_cv = _by_metric(cv_rows(uci, factory, 1, 5, 0, "quick", {}, ""))
    scam_cv = _by_metric(cv_rows(scam, factory, 1, 5, 0, "quick", {}, ""))
    across = _by_metric(cross_source_rows(uci, scam, factory))
    elapsed = time.perf_counter() - start
    # Full protocol (10-fold x5) reaches ~0.96 on UCI and ~0.93 on ScamSpot; these floors leave room for
    # the smaller quick protocol but fail if features, labels or calibration break.
    assert uci_cv["accuracy"] >= 0.94 and uci_cv["f1"] >= 0.93
    assert scam_cv["accuracy"] >= 0.90 and scam_cv["roc_auc"] >= 0.95
    assert uci_cv["brier"] <= 0.06
    # full protocol: 0.81 from UCI YouTube to ScamSpot Instagram; a broken text path falls to about 0.5
    assert np.isfinite(list(across.values())).all() and across["roc_auc"] >= 0.75, across
    assert elapsed < 60, f"quick comment benchmark took {elapsed:.0f} s"
