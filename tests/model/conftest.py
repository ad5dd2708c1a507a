"""One small trained model set, shared by the behaviour tests (training takes tens of seconds)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from authfit.config import load_settings
from authfit.features.build import FeatureSettings
from authfit.simulate import SimulationSettings, write_world
from authfit.training.pipeline import train_all
from authfit.training.settings import RealDataSettings, TrainSettings

TRAIN_SEED = 11


def small_train_settings(world: Path, root: Path) -> TrainSettings:
    base = load_settings(Path("configs/train.yaml"), TrainSettings)
    modeling = base.modeling.model_copy(update={
        "tracking": base.modeling.tracking.model_copy(update={"enabled": False}),
        "cv": base.modeling.cv.model_copy(update={"folds": 3, "time_folds": 3}),
    })
    real = RealDataSettings(account_sources=base.real_data.account_sources,
                            comment_sources=base.real_data.comment_sources, max_rows_per_source=600)
    return base.model_copy(update={"data": world, "models_dir": root / "models", "results_dir": root / "results",
                                   "project_dir": root, "real_data": real, "modeling": modeling})


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("trained")
    world = root / "world"
    write_world(load_settings(Path("configs/simulate.yaml"), SimulationSettings), 300, TRAIN_SEED, world)
    settings = small_train_settings(world, root)
    summary = train_all(settings, load_settings(Path("configs/features.yaml"), FeatureSettings))
    return SimpleNamespace(root=root, world=world, models=root / "models", summary=summary, settings=settings)


@pytest.fixture(scope="session")
def scorer(trained):
    from authfit import Scorer

    return Scorer.load(trained.models / "latest")
