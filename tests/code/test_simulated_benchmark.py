"""The simulated benchmark's plan and rows: fresh evaluation seeds, mean and spread over several worlds."""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError

from authfit.benchmarks.simulated import (
    FAKE_TASK,
    VALIDATION_SEEDS,
    SimulatedBenchmark,
    SimulatedScores,
    simulated_rows,
)


def _world(probability: list[float], is_buyer: list[bool], shift: float) -> SimulatedScores:
    n = len(probability)
    influencers = pd.DataFrame({"account_id": [f"i{k}" for k in range(n)], "probability": probability,
                                "is_buyer": is_buyer})
    truth = [float(k) for k in range(6)]
    pairs = pd.DataFrame({"campaign_id": "c", "account_id": [f"i{k}" for k in range(6)],
                          "expected_conversions": truth, "predicted": [t + shift * (-1) ** k for k, t in
                                                                       enumerate(truth)]})
    return SimulatedScores(influencers, pairs)


def test_evaluation_seeds_must_differ_from_training_and_validation_seeds() -> None:
    with pytest.raises(ValidationError, match="fresh"):
        SimulatedBenchmark(train_seed=7, test_seeds=[7, 1008])
    with pytest.raises(ValidationError, match="fresh"):
        SimulatedBenchmark(test_seeds=[VALIDATION_SEEDS[0]])
    assert SimulatedBenchmark().test_seeds == [1007, 1008, 1009]


def test_rows_over_several_worlds_give_the_mean_and_spread_of_per_world_metrics() -> None:
    perfect = _world([0.1, 0.2, 0.8, 0.9], [False, False, True, True], 0.0)  # AUC 1.0
    half = _world([0.1, 0.8, 0.2, 0.9], [False, False, True, True], 3.0)  # AUC 0.75
    rows = {(r["task"], r["metric"]): r for r in simulated_rows([perfect, half], "p")}
    auc = rows[(FAKE_TASK, "roc_auc")]
    assert auc["value"] == pytest.approx(0.875)
    assert auc["spread"] == pytest.approx(pd.Series([1.0, 0.75]).std())
    assert "per world 1.000, 0.750" in auc["protocol"] and "8 influencers, 4 buyers" in auc["protocol"]
    single = {(r["task"], r["metric"]): r for r in simulated_rows(perfect, "p")}
    one = single[(FAKE_TASK, "roc_auc")]
    assert one["value"] == 1.0 and pd.isna(one["spread"])
