"""The pieces of the Dask training engine that run without a cluster: the early-stopping rule and the
validation metric it is applied to must be LightGBM's own, or the dask engine would stop elsewhere."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from authfit.modeling.dask_lgbm import LABEL, INIT, early_stopping_iteration, leaf_values, partition_loss_sums
from authfit.modeling.lgbm import LgbmParams, train_local

PARAMS = LgbmParams(n_estimators=150, num_leaves=7, min_child_samples=10, learning_rate=0.2)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(900, 5)), columns=[f"f{i}" for i in range(5)])
    y = (X["f0"] - X["f1"] + rng.normal(size=900) > 0.8).astype(float).to_numpy()
    offset = np.log(rng.uniform(1, 20, size=900))
    counts = rng.poisson(np.exp(offset + 0.6 * X["f2"].to_numpy() - 1.0)).astype(float)
    return X, y, counts, offset


def _recorded(params: dict, X: pd.DataFrame, label: np.ndarray, init: np.ndarray | None, n_rounds: int):
    """A full-length fit on rows 0-599 and LightGBM's metric curve on rows 600-899."""
    curve: dict = {}
    train = lgb.Dataset(X.iloc[:600], label[:600], init_score=None if init is None else init[:600])
    valid = lgb.Dataset(X.iloc[600:], label[600:], init_score=None if init is None else init[600:], reference=train)
    booster = lgb.train(params, train, n_rounds, valid_sets=[valid], callbacks=[lgb.record_evaluation(curve)])
    return booster, np.asarray(next(iter(curve["valid_0"].values())))


def test_the_rule_stops_where_lightgbms_early_stopping_callback_stops(data):
    X, y, _, _ = data
    params = PARAMS.booster_params("binary", 0) | {"metric": "binary_logloss"}
    _, curve = _recorded(params, X, y, None, PARAMS.n_estimators)
    for rounds in (3, 10, 40):
        stopped = train_local(params, X.iloc[:600], y[:600], PARAMS.n_estimators,
                              valid=(X.iloc[600:], y[600:], None), early_stopping_rounds=rounds)
        assert early_stopping_iteration(curve, rounds) == stopped.best_iteration


def test_the_rule_needs_a_strict_improvement_and_keeps_the_first_minimum():
    assert early_stopping_iteration(np.array([3.0, 2.0, 2.0, 2.0, 1.0]), 2) == 2  # ties do not reset the wait
    assert early_stopping_iteration(np.array([3.0, 2.0, 2.5, 2.0, 1.0]), 5) == 5
    assert early_stopping_iteration(np.array([1.0, 1.0, 1.0]), 10) == 1
    with pytest.raises(ValueError):
        early_stopping_iteration(np.array([]), 3)


@pytest.mark.parametrize("objective", ["binary", "poisson", "tweedie"])
def test_partition_sums_give_lightgbms_validation_metric_at_every_iteration(data, objective):
    X, y, counts, offset = data
    label, init = (y, None) if objective == "binary" else (counts, offset - 1.0)
    params = PARAMS.booster_params(objective, 0)
    booster, curve = _recorded(params, X, label, init, 60)
    valid = X.iloc[600:].assign(**{LABEL: label[600:]})
    if init is not None:
        valid[INIT] = init[600:]
    halves = (valid.iloc[:100], valid.iloc[100:], valid.iloc[:0])  # partitions of any size, even empty
    model, leaves = booster.model_to_string(), leaf_values(booster)
    sums = sum(partition_loss_sums(part, model, leaves, objective, PARAMS.tweedie_variance_power) for part in halves)
    np.testing.assert_allclose(sums / len(valid), curve, rtol=1e-9, atol=1e-12)


def test_the_command_line_engine_overrides_the_config_and_is_validated_like_it():
    import typer
    from pydantic import ValidationError

    from authfit.cli import with_engine
    from authfit.modeling.model_settings import EngineSettings
    from authfit.training.train_settings import TrainSettings

    config = TrainSettings(engine=EngineSettings(n_workers=3))
    chosen = with_engine(config, "dask", "tcp://10.0.0.5:8786").engine
    assert (chosen.kind, chosen.scheduler, chosen.n_workers) == ("dask", "tcp://10.0.0.5:8786", 3)
    assert with_engine(config, None, None).engine == config.engine
    with pytest.raises(typer.BadParameter, match="--engine dask"):
        with_engine(config, None, "tcp://10.0.0.5:8786")
    with pytest.raises(ValidationError):
        with_engine(config, "spark", None)
