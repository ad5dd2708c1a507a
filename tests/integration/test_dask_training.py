"""Training with the dask engine (lightgbm.dask on a LocalCluster of worker processes) against the local
engine on the same data.

On ONE worker, lightgbm.dask trains LightGBM's serial learner on all the rows, so the dask engine must give
the local engine's boosters tree for tree: that pins the parameter hand-over, the init score (exposure
offset) and the early-stopping emulation. On TWO workers the results differ a little, by design: each
worker bins and histograms only its own rows (bin boundaries come from each worker's sample, split gains
from summed per-worker histograms), bagging draws per worker, and the monotone method falls back to
`basic` (LightGBM has no distributed `advanced`). So there the checks are on what the models do: the
bundle loads through the Scorer unchanged, scores every influencer, and ranks like the local model.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import spearmanr
from sklearn.datasets import make_classification
from sklearn.metrics import roc_auc_score

from authfit.config import load_settings
from authfit.features.build import FeatureBuilder
from authfit.modeling.bundle import load_bundle, new_version, resolve_model_set, write_latest
from authfit.modeling.dask_lgbm import DaskTrainer, open_trainer
from authfit.modeling.lgbm import LgbmParams, fit_binary_cv, fit_count_cv
from authfit.modeling.model_settings import EngineSettings
from authfit.simulate import SimulationSettings, write_world
from authfit.training.pipeline import TrainingSummary, train_influencer_models
from authfit.training.train_settings import ACCOUNT_MODEL, COMMENT_MODEL, CONVERSION_MODEL, FAKE_ENGAGEMENT_MODEL
from authfit.contract.validate import load_contract_tables
from conftest import small_train_settings

distributed = pytest.importorskip("dask.distributed")

FAST = LgbmParams(n_estimators=60, early_stopping_rounds=8, num_leaves=7, min_child_samples=10,
                  monotone_increasing=("f0",))


def _cluster(n_workers: int):
    return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                    dashboard_address=None)


@pytest.fixture(scope="module")
def two_workers():
    """One LocalCluster of two worker processes for the module's two-worker trainings (a start costs ~8 s
    on this machine); lightgbm.dask sets up its network afresh on every fit."""
    with _cluster(2) as cluster:
        yield cluster


def _trees(booster) -> str:
    """The model text from the first tree on: the header's parameters name the machines, the trees do not."""
    text = booster.model_to_string()
    return text[text.index("Tree=0"):text.index("end of trees")]


def test_one_worker_gives_the_local_engines_boosters_tree_for_tree():
    X, y = make_classification(500, 5, n_informative=3, n_redundant=0, weights=[0.8], random_state=2)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    rng = np.random.default_rng(2)
    exposure = rng.uniform(100, 5000, size=500)
    counts = rng.poisson(exposure * np.exp(0.5 * X[:, 1] - 6)).astype(float)
    with _cluster(1) as cluster, distributed.Client(cluster) as client:
        trainer = DaskTrainer(client)
        binary = [fit_binary_cv(frame, y, None, FAST, folds=3, seed=1, trainer=t) for t in (None, trainer)]
        count = [fit_count_cv(frame, counts, exposure, np.arange(500) // 50, FAST, folds=3, trainer=t)
                 for t in (None, trainer)]
        # a power off LightGBM's default 1.5, so a parameter lost on the way to the workers shows
        tweedie = FAST.model_copy(update={"count_objective": "tweedie", "tweedie_variance_power": 1.3})
        tweedies = [fit_count_cv(frame, counts, exposure, np.arange(500) // 50, tweedie, folds=2, trainer=t)
                    for t in (None, trainer)]
    for local, dask in (binary, count, tweedies):
        assert dask.best_iterations == local.best_iterations and dask.n_rounds == local.n_rounds
        np.testing.assert_allclose(dask.oof, local.oof, rtol=1e-12, equal_nan=True)
        assert _trees(dask.booster) == _trees(local.booster)


def _one_campaign(tables: dict[str, pd.DataFrame], campaign: str) -> dict[str, pd.DataFrame]:
    return {**tables, **{name: tables[name].loc[tables[name]["campaign_id"] == campaign]
                         for name in ("campaigns", "outcomes")}}


@pytest.fixture(scope="module")
def dask_trained(trained, two_workers, tmp_path_factory):
    """The conftest's influencer models retrained with engine dask on a LocalCluster of two processes, by
    the pipeline's own step, from the same fitted feature builder; the set is completed with the local
    account and comment bundles (those always train locally), so `Scorer.load` reads it like any other.
    The conversion set's feature rows do not depend on the engine: they are the ones the local training
    built (one feature transform per campaign start, ~25 s), once one campaign's rows are checked to be
    what this builder gives."""
    from authfit import Scorer

    root = tmp_path_factory.mktemp("dask-trained")
    settings = trained.settings.model_copy(update={"models_dir": root / "models", "project_dir": root})
    summary = TrainingSummary(version=new_version())
    builder = Scorer.load(trained.models / "latest").builder
    tables = load_contract_tables(trained.world).tables
    recorded = trained.campaign_features
    first = tables["outcomes"]["campaign_id"].iloc[0]
    pd.testing.assert_frame_equal(builder.campaign_features(_one_campaign(tables, first)),
                                  recorded.loc[[first]])
    original = FeatureBuilder.campaign_features

    def reuse(self, given, all_pairs=False):
        if self is builder and given is tables and not all_pairs:
            return recorded
        return original(self, given, all_pairs)

    with pytest.MonkeyPatch.context() as mp, open_trainer(
            EngineSettings(kind="dask", scheduler=two_workers.scheduler_address)) as trainer:
        mp.setattr(FeatureBuilder, "campaign_features", reuse)
        train_influencer_models(builder, tables, settings, summary, trainer)
    for name in (ACCOUNT_MODEL, COMMENT_MODEL):
        if name in trained.summary.bundles:
            local = trained.summary.bundles[name]
            summary.bundles[name] = shutil.copytree(local, settings.models_dir / name / local.name)
    write_latest(settings.models_dir, summary.bundles)
    return settings.models_dir, summary


@pytest.fixture(scope="module")
def held_out_world(tmp_path_factory) -> dict[str, pd.DataFrame]:
    world = tmp_path_factory.mktemp("held-out") / "world"
    write_world(load_settings(Path("configs/simulate.yaml"), SimulationSettings), 200, 23, world)
    return {p.stem: pd.read_parquet(p) for p in world.glob("*.parquet")}


def test_dask_bundles_are_ordinary_bundles_and_say_which_engine_fitted_them(trained, dask_trained):
    models, summary = dask_trained
    for name in (FAKE_ENGAGEMENT_MODEL, CONVERSION_MODEL):
        bundle = load_bundle(summary.bundles[name])
        local = load_bundle(trained.summary.bundles[name])
        assert bundle.metadata.params["engine"] == "dask" and local.metadata.params["engine"] == "local"
        assert bundle.features == local.features
        assert 1 <= bundle.boosters["model"].current_iteration() <= FAST.n_estimators * 10


def test_the_dask_model_set_scores_every_influencer_and_ranks_like_the_local_one(trained, dask_trained,
                                                                                  held_out_world):
    from authfit import Scorer

    models, summary = dask_trained
    scored = {engine: Scorer.load(path / "latest").score_influencers(held_out_world).set_index("account_id")
              for engine, path in (("local", trained.models), ("dask", models))}
    ids = held_out_world["accounts"]["account_id"]
    assert sorted(scored["dask"].index) == sorted(ids)
    p_local = scored["local"]["fake_engagement_probability"]
    p_dask = scored["dask"]["fake_engagement_probability"].reindex(p_local.index)
    assert p_dask.between(0, 1).all() and p_dask.notna().all()
    assert spearmanr(p_local, p_dask).statistic > 0.9
    labels = held_out_world["labels"].set_index("account_id")["fake_engagement"].reindex(p_local.index)
    auc_local, auc_dask = roc_auc_score(labels, p_local), roc_auc_score(labels, p_dask)
    # the floor follows the harder simulated world of issue 16 (overlapping signals; local reads ~0.80 here)
    assert auc_dask > 0.72 and abs(auc_dask - auc_local) < 0.04, (auc_local, auc_dask)
    oof = {engine: run.metrics[FAKE_ENGAGEMENT_MODEL]["roc_auc"]
           for engine, run in (("local", trained.summary), ("dask", summary))}
    assert abs(oof["dask"] - oof["local"]) < 0.04, oof


def test_the_dask_conversion_model_predicts_counts_like_the_local_one(trained, dask_trained, held_out_world):
    from authfit import Scorer

    models, _ = dask_trained
    campaign = held_out_world["campaigns"]["campaign_id"].iloc[0]
    expected = {engine: Scorer.load(path / "latest").score_campaign(held_out_world, campaign)
                .set_index("account_id")["expected_conversions"]
                for engine, path in (("local", trained.models), ("dask", models))}
    assert len(expected["dask"]) == len(held_out_world["accounts"]) and expected["dask"].gt(0).all()
    assert spearmanr(expected["local"], expected["dask"].reindex(expected["local"].index)).statistic > 0.9


def readme_dask_train_command() -> list[str]:
    """The README's `authfit train ... --engine dask --scheduler ...` command, as words."""
    lines = [line.strip() for line in Path("README.md").read_text(encoding="utf-8").splitlines()
             if line.strip().startswith(".venv/bin/authfit train") and "--engine dask" in line]
    assert len(lines) == 1, f"README should show one `authfit train --engine dask` command, found {lines}"
    return shlex.split(lines[0])


def test_the_readmes_dask_train_command_trains_on_a_cluster(two_workers, tmp_path):
    """As written in the README, with its config cut down (no real sources, 3 folds, 150 rounds, no MLflow)
    and its placeholder scheduler replaced by a LocalCluster's. The world has 12 campaigns, not 40: the
    conversion set is one feature transform per campaign start, most of the run's time, and the command's
    path is the same."""
    world = tmp_path / "world"
    simulation = load_settings(Path("configs/simulate.yaml"), SimulationSettings)
    campaigns = simulation.campaigns.model_copy(update={"n_campaigns": 12})
    simulation = simulation.model_copy(update={"campaigns": campaigns})
    write_world(simulation, 150, 5, world)
    base = small_train_settings(world, tmp_path)
    lgbm = base.modeling.lgbm.model_copy(update={"n_estimators": 150})
    modeling = base.modeling.model_copy(update={"lgbm": lgbm})
    small = base.model_copy(update={
        "modeling": modeling,
        "real_data": base.real_data.model_copy(update={"account_sources": [], "comment_sources": []})})
    config = tmp_path / "train.yaml"
    config.write_text(yaml.safe_dump(small.model_dump(mode="json")), encoding="utf-8")
    words = readme_dask_train_command()
    assert words[words.index("--config") + 1] == "configs/train.yaml"
    places = {"configs/train.yaml": str(config), "tcp://HOST:8786": two_workers.scheduler_address}
    args = [places.get(word, word) for word in words[1:]]
    result = subprocess.run([str(Path(sys.executable).parent / "authfit"), *args], capture_output=True,
                            text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fitted in" in result.stdout and "(engine dask)" in result.stdout, result.stdout
    assert "Finding random open ports" not in result.stdout + result.stderr  # lightgbm.dask's per-fit chatter
    fake = load_bundle(resolve_model_set(tmp_path / "models")[FAKE_ENGAGEMENT_MODEL])
    # 150 influencers of the overlapping simulated world, 3 folds, and the dask engine is not bit-reproducible:
    # its out-of-fold AUC read 0.69 in one run and above 0.7 in another, so the floor rules out only a model
    # that learned nothing
    assert fake.metadata.params["engine"] == "dask" and fake.metadata.metrics["roc_auc"] > 0.6
