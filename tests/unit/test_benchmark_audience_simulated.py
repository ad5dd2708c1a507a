"""The simulated-world audience part's pieces: its seeds, its error measure and its docs page."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from authfit_bench.benchmarks.audience_simulated import (
    DATASET,
    SAME_PLATFORM_TASK,
    SELECTION_SEED,
    TASK,
    SimulatedAudienceBenchmark,
    interval_errors,
    simulated_markdown,
)
from authfit_bench.benchmarks.report import PARTS, BenchmarkPlan
from authfit.features.audience import AudienceSettings
from authfit.modeling.quantification import ErrorRates


def test_the_reported_world_is_never_the_one_the_estimator_was_chosen_on() -> None:
    with pytest.raises(ValidationError, match="chosen on"):
        SimulatedAudienceBenchmark(seed=SELECTION_SEED)
    quick = BenchmarkPlan.quick(PARTS)
    assert "audience-simulated" in PARTS and quick.audience_simulated.influencers < 1000
    assert quick.fingerprint("audience-simulated") != BenchmarkPlan().fingerprint("audience-simulated")


def test_interval_errors_score_the_audience_as_the_product_does() -> None:
    # a perfect scorer at 0.5: acc recovers each sample's share exactly, so MAE 0 and full coverage
    audience = pd.DataFrame({"influencer_id": ["a"] * 4 + ["b"] * 4, "following_count": 100.0,
                             "fake": [1, 0, 0, 0, 1, 1, 0, 0]})
    model = SimpleNamespace(predict_proba=lambda profiles: profiles["fake"].to_numpy(dtype=float))
    truth = pd.Series({"a": 0.25, "b": 0.5})
    out = interval_errors(audience, model, ErrorRates(), AudienceSettings(), truth)  # type: ignore[arg-type]
    assert out["mae"] == pytest.approx(0.0, abs=1e-3) and out["coverage_95"] == 1.0 and out["coverage_90"] == 1.0
    assert out["width_95"] > 0  # the sample's size still leaves room


def _rows(task: str, bias: float, coverage: float) -> list[dict[str, object]]:
    values = {"mae": 0.05, "bias": bias, "coverage_90": coverage, "coverage_95": coverage, "width_95": 0.3,
              "bias_all_followers": bias, "coverage_95_all_followers": coverage, "mean_true_share": 0.16}
    if task != TASK:
        values = {k: v for k, v in values.items() if "followers" not in k and k != "mean_true_share"}
    return [{"dataset": DATASET, "task": task, "metric": m, "value": v, "protocol": "world seed 1011"}
            for m, v in values.items()]


def test_page_marks_the_targets_and_names_the_compared_interval() -> None:
    page = simulated_markdown(_rows(TASK, 0.05, 0.97) + _rows(SAME_PLATFORM_TASK, 0.01, 0.85))
    assert "Protocol: world seed 1011." in page
    assert "| shipped | 0.050 | +0.050 **missed** | 0.97 | 0.97 met | 0.30 |" in page
    assert "| from the same-platform sources only (compared, not shipped) | 0.050 | +0.010 met | 0.85 | " \
           "0.85 **missed** |" in page
    assert not np.isnan(float(page.split("Mean true share of the samples: ")[1][:5]))
