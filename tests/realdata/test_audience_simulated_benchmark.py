"""The simulated-world audience part at CI size, on the real labelled sets: the brief's rows and metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from authfit_bench.benchmarks.audience import MAIN_SOURCES
from authfit_bench.benchmarks.audience_simulated import (
    DATASET,
    SAME_PLATFORM_TASK,
    TASK,
    SimulatedAudienceBenchmark,
    simulated_audience_rows,
)
from authfit.config import load_settings
from authfit.datasets.labelled_accounts import SOURCE_FOLDERS
from authfit.features.audience import AudienceSettings
from authfit.simulate import SimulationSettings
from authfit.training.train_settings import TrainSettings

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def test_quick_simulated_audience_part_reports_share_errors(real_dataset, request, tmp_path) -> None:
    for source in MAIN_SOURCES:
        real_dataset(SOURCE_FOLDERS[source])
    configs = Path(request.config.rootpath) / "configs"
    plan = SimulatedAudienceBenchmark(influencers=120, rows_per_source=400, cv_folds=2)
    rows = simulated_audience_rows(plan, load_settings(configs / "simulate.yaml", SimulationSettings),
                                   load_settings(configs / "train.yaml", TrainSettings), AudienceSettings(),
                                   tmp_path)
    shipped = {r["metric"]: r["value"] for r in rows if r["task"] == TASK and r["dataset"] == DATASET}
    assert {"mae", "bias", "coverage_90", "coverage_95", "width_95"} <= set(shipped)
    assert shipped["coverage_95"] >= shipped["coverage_90"] and 0 < shipped["width_95"] <= 1
    assert abs(shipped["bias"]) < 0.2 and shipped["mae"] < 0.2
    # cresci2015 is the one Twitter source: the compared interval keeps the four Instagram ones
    compared = [r for r in rows if r["task"] == SAME_PLATFORM_TASK]
    assert compared and "cresci2015" not in str(compared[0]["protocol"]).split("instagram sources only")[1]
