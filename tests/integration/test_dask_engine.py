"""Batch scoring on a Dask cluster gives exactly the local engine's rows and scores."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from authfit.config import load_settings
from authfit.scoring.batch_files import score_directory
from authfit.simulate import SimulationSettings, write_world

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def small_world(tmp_path_factory) -> Path:
    world = tmp_path_factory.mktemp("dask") / "world"
    write_world(load_settings(Path("configs/simulate.yaml"), SimulationSettings), 40, 5, world)
    return world


def _comparable(path: Path) -> pd.DataFrame:
    # scored_at is a wall-clock stamp; everything else must match exactly
    frame = pd.read_parquet(path).drop(columns=["scored_at"])
    frame["reasons"] = frame["reasons"].map(list)
    return frame.sort_values(["account_id"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def local_scores(trained, small_world, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("local") / "scores.parquet"
    campaign = pd.read_parquet(small_world / "campaigns.parquet")["campaign_id"].iloc[0]
    summary = score_directory(small_world, out, str(trained.models / "latest"), campaign=campaign, chunk_size=10)
    assert summary.chunks == 4 and summary.rows == 40
    return out, campaign


def test_a_local_cluster_of_worker_processes_gives_the_local_engines_results(trained, small_world, local_scores,
                                                                             tmp_path):
    """Worker processes, as on a real cluster: the chunk function travels to them pickled."""
    local, campaign = local_scores
    out = tmp_path / "dask.parquet"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        summary = score_directory(small_world, out, str(trained.models / "latest"), campaign=campaign,
                                  chunk_size=10, engine="dask", scheduler=cluster.scheduler_address)
    assert summary.rows == 40 and summary.chunks == 4
    pd.testing.assert_frame_equal(_comparable(out), _comparable(local))


def test_the_default_in_process_cluster_gives_the_local_engines_results(trained, small_world, local_scores,
                                                                       tmp_path):
    local, campaign = local_scores
    out = tmp_path / "dask-default.parquet"
    score_directory(small_world, out, str(trained.models / "latest"), campaign=campaign, chunk_size=10,
                    engine="dask")
    pd.testing.assert_frame_equal(_comparable(out), _comparable(local))
