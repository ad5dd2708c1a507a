"""The audience part on the real labelled sets, at CI size: every held-out set gets its rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from authfit_bench.benchmarks.audience import MAIN_SOURCES, TASK, VERDICT_TASK, AudienceBenchmark, audience_rows
from authfit.config import load_settings
from authfit.datasets.labelled_accounts import SOURCE_FOLDERS
from authfit.training.train_settings import TrainSettings

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def test_quick_audience_part_reports_every_held_out_source(real_dataset, request) -> None:
    for source in MAIN_SOURCES:
        real_dataset(SOURCE_FOLDERS[source])
    settings = load_settings(Path(request.config.rootpath) / "configs" / "train.yaml", TrainSettings)
    plan = AudienceBenchmark(audiences=30, rows_per_source=400, cv_folds=2)
    rows = audience_rows(settings, plan)
    shipped = {(r["dataset"], r["metric"]): r["value"] for r in rows if r["task"] == TASK}
    for source in MAIN_SOURCES:
        assert {"mae", "bias", "coverage_90", "coverage_95", "width_95"} <= {m for d, m in shipped if d == source}
        assert 0.0 <= shipped[(source, "coverage_95")] <= 1.0 and shipped[(source, "mae")] < 0.7
        # a 95% interval is never narrower than the 90% one, so it covers at least as often
        assert shipped[(source, "coverage_95")] >= shipped[(source, "coverage_90")]
    verdicts = {r["dataset"] for r in rows if r["task"] == VERDICT_TASK}
    assert set(MAIN_SOURCES) <= verdicts and any(d.startswith("purba2020:") for d in verdicts)
