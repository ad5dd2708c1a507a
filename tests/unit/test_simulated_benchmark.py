"""The simulated benchmark's plan and rows: fresh seeds, per-world and per-mechanism metrics, the worst world
as the headline, single-feature AUCs and the Markdown page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from authfit_bench.benchmarks.simulated import (
    EVALUATION_WORLDS,
    FAKE_TASK,
    HEADLINE,
    MECHANISMS,
    TRAINING_DATASET,
    VALIDATION_WORLDS,
    SimulatedBenchmark,
    SimulatedScores,
    best_single_features,
    headline_rows,
    mechanism_task,
    simulated_markdown,
    world_metrics,
    world_rows,
)


def _scores(probability: list[float], buyer: list[bool], mechanism: list[bool], lookalike: list[str],
            threshold: float = 0.5) -> SimulatedScores:
    n = len(probability)
    flags = {m: [False] * n for m in MECHANISMS}
    flags["mech_pod"] = mechanism
    influencers = pd.DataFrame({"account_id": [f"i{k}" for k in range(n)], "probability": probability,
                                "flag": np.asarray(probability) >= threshold, "is_buyer": buyer,
                                "lookalike": lookalike, **flags})
    truth = [float(k) for k in range(6)]
    pairs = pd.DataFrame({"campaign_id": "c", "account_id": [f"i{k}" for k in range(6)],
                          "expected_conversions": truth, "predicted": truth[::-1]})
    return SimulatedScores(influencers, pairs)


def test_seeds_are_fresh_and_worlds_are_apart() -> None:
    with pytest.raises(ValidationError, match="fresh"):
        SimulatedBenchmark(train_seed=EVALUATION_WORLDS[0].seed)
    with pytest.raises(ValidationError, match="fresh"):
        SimulatedBenchmark(train_seed=VALIDATION_WORLDS[0].seed)
    seeds = [w.seed for w in (*EVALUATION_WORLDS, *VALIDATION_WORLDS)]
    assert len(set(seeds)) == len(seeds) and len(EVALUATION_WORLDS) >= 3
    assert SimulatedBenchmark(worlds="validation").scored_worlds == VALIDATION_WORLDS
    assert SimulatedBenchmark().scored_worlds == EVALUATION_WORLDS


def test_world_metrics_per_mechanism_and_false_positive_rates() -> None:
    # 2 pod buyers (0.9, 0.4), 1 other buyer (0.8), 2 plain (0.1, 0.6), 1 look-alike (0.7)
    scores = _scores([0.9, 0.4, 0.8, 0.1, 0.6, 0.7], [True, True, True, False, False, False],
                     [True, True, False, False, False, False], ["none"] * 5 + ["party"])
    metrics = world_metrics(scores)
    assert metrics[(FAKE_TASK, "fpr_plain_authentic")] == pytest.approx(0.5)
    assert metrics[(FAKE_TASK, "fpr_lookalikes")] == pytest.approx(1.0)
    assert metrics[(FAKE_TASK, "recall_at_flag")] == pytest.approx(2 / 3)
    pod = mechanism_task("mech_pod")
    # pod buyers against the 3 authentic accounts only (the other buyer is left out): 0.9 beats all three,
    # 0.4 beats one of them -> 4 of 6 pairs
    assert metrics[(pod, "roc_auc")] == pytest.approx(4 / 6)
    assert metrics[(pod, "recall_at_flag")] == pytest.approx(0.5)
    assert metrics[(pod, "buyers")] == 2
    assert (mechanism_task("mech_follow_churn"), "roc_auc") not in metrics  # nobody churns here
    assert metrics[("campaign conversion (expected conversions)", "spearman")] == pytest.approx(-1.0)


def test_headline_is_the_worst_world_never_the_mean() -> None:
    good = _scores([0.9, 0.8, 0.1, 0.2], [True, True, False, False], [True, True, False, False],
                   ["none"] * 4)
    bad = _scores([0.9, 0.1, 0.6, 0.2], [True, True, False, False], [True, True, False, False],
                  ["none"] * 4)
    per_world = world_rows(good, "simulated world: a", "p") + world_rows(bad, "simulated world: b", "p")
    head = {(r["task"], r["metric"]): r for r in headline_rows(per_world, "p")}
    auc = head[(FAKE_TASK, "roc_auc")]
    assert auc["dataset"] == HEADLINE and auc["value"] == pytest.approx(0.5)  # b's, not the mean 0.75
    assert "worst: simulated world: b" in auc["protocol"] and "simulated world: a: 1.000" in auc["protocol"]
    assert not any(metric == "buyers" for _, metric in head)  # counts are per world only
    fpr = head[(FAKE_TASK, "fpr_plain_authentic")]
    assert fpr["value"] == pytest.approx(0.5)  # the maximum: b flags one of two authentic accounts


def test_best_single_feature_finds_the_separating_column_in_either_direction() -> None:
    rng = np.random.default_rng(0)
    n = 200
    buyer = rng.random(n) < 0.4
    pod = buyer & (rng.random(n) < 0.5)
    truth = pd.DataFrame({"is_buyer": buyer, **{m: np.zeros(n, bool) for m in MECHANISMS}},
                         index=[f"i{k}" for k in range(n)])
    truth["mech_pod"] = pod
    features = pd.DataFrame({"noise": rng.random(n),
                             "reversed": np.where(pod, -1.0, 1.0) + rng.random(n) * 0.1,
                             "gappy": np.where(rng.random(n) < 0.3, np.nan, rng.random(n))},
                            index=truth.index)
    best = best_single_features(features, truth)
    assert best["mech_pod"] == ("reversed", pytest.approx(1.0))
    assert set(best) == {"mech_pod"}  # mechanisms nobody uses are left out


def test_markdown_is_generated_from_the_rows() -> None:
    scores = _scores([0.9, 0.8, 0.1, 0.2], [True, True, False, False], [True, True, False, False],
                     ["none"] * 4)
    per_world = world_rows(scores, "simulated world: a", "seed 1")
    rows = [*headline_rows(per_world, "p"), *per_world,
            {"dataset": TRAINING_DATASET, "task": "best single feature: engagement pod buyers vs authentic",
             "metric": "roc_auc", "value": 0.9, "spread": None, "protocol": "feature x; p"},
            {"dataset": "srf2017", "task": "t", "metric": "roc_auc", "value": 0.5, "spread": None,
             "protocol": "p"}]
    text = simulated_markdown(rows, "cmd")
    assert f"## {HEADLINE}" in text and "## simulated world: a" in text and "srf2017" not in text
    assert "| fake engagement (influencer is a buyer) | 1.000 |" in text
    assert "feature x" in text and "`cmd`" in text
