"""One small trained model set, shared by the behaviour tests (training takes tens of seconds).

Under pytest-xdist (`make test` runs two workers) the set is trained once per run, not once per worker: the
first worker to need it trains it into the run's shared temporary folder, under a lock, and the others load
what it wrote. The set is only ever read by the tests (a test that alters a bundle alters a copy)."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from filelock import FileLock

from authfit.config import load_settings
from authfit.features.build import FeatureBuilder, FeatureSettings
from authfit.simulate import SimulationSettings, write_world
from authfit.training.pipeline import train_all
from authfit.training.train_settings import TrainSettings, working_copy

TRAIN_SEED = 11


def small_train_settings(world: Path, root: Path) -> TrainSettings:
    return working_copy(load_settings(Path("configs/train.yaml"), TrainSettings), world, root, quick=True)


@contextmanager
def recording_campaign_features() -> Iterator[list]:
    """Keep what every `FeatureBuilder.campaign_features` call returns (the conversion training set)."""
    recorded = []
    original = FeatureBuilder.campaign_features

    def record(self, tables, all_pairs=False):
        recorded.append(original(self, tables, all_pairs))
        return recorded[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(FeatureBuilder, "campaign_features", record)
        yield recorded


def train_small_set(root: Path) -> SimpleNamespace:
    """The set, and its influencer x campaign feature rows: one transform per campaign start, about a
    third of the training time, which a test retraining the same models with another engine can reuse."""
    world = root / "world"
    write_world(load_settings(Path("configs/simulate.yaml"), SimulationSettings), 300, TRAIN_SEED, world)
    settings = small_train_settings(world, root)
    with recording_campaign_features() as recorded:
        summary = train_all(settings, load_settings(Path("configs/features.yaml"), FeatureSettings))
    (campaign_features,) = recorded  # the conversion set, built once
    return SimpleNamespace(root=root, world=world, models=root / "models", summary=summary, settings=settings,
                           campaign_features=campaign_features)


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> SimpleNamespace:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return train_small_set(tmp_path_factory.mktemp("trained"))
    # the workers' temporary folders share this run's parent folder (a new one every run)
    root = tmp_path_factory.getbasetemp().parent / "trained"
    saved = root / "trained.pickle"
    with FileLock(str(root) + ".lock"):
        if not saved.exists():
            root.mkdir()
            saved.write_bytes(pickle.dumps(train_small_set(root)))
    return pickle.loads(saved.read_bytes())


@pytest.fixture(scope="session")
def scorer(trained):
    from authfit import Scorer

    return Scorer.load(trained.models / "latest")


@pytest.fixture
def needs_account_model(scorer) -> None:
    """Skips tests of account scoring when the set has no account model: it is trained on the real
    labelled data sets, so without $AUTHFIT_DATASETS there is none."""
    if scorer.account is None:
        pytest.skip("the model set has no account model (it is trained on the real data sets in $AUTHFIT_DATASETS)")


def register_set(trained: SimpleNamespace, project: Path) -> SimpleNamespace:
    """The trained set logged and registered in an embedded MLflow store in `project`, as `authfit train`
    does with tracking on (the same `track_all`), without training it again."""
    import copy

    from authfit.training.pipeline import track_all

    tracking = trained.settings.modeling.tracking.model_copy(update={"enabled": True, "tracking_uri": None})
    settings = trained.settings.model_copy(update={
        "project_dir": project, "modeling": trained.settings.modeling.model_copy(update={"tracking": tracking})})
    summary = copy.copy(trained.summary)
    summary.tracking, summary.notes = {}, []
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.chdir(project)  # anything MLflow wrote to the working directory would show up here
        track_all(summary, settings)
    return SimpleNamespace(project=project, summary=summary, tracking_uri=f"sqlite:///{project.resolve()}/mlruns.db")


@pytest.fixture(scope="session")
def registered(trained, tmp_path_factory) -> SimpleNamespace:
    """A project directory whose mlruns.db registers the trained set (authfit-<model>@champion)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return register_set(trained, tmp_path_factory.mktemp("project"))
    root = tmp_path_factory.getbasetemp().parent / "registered"
    saved = root / "registered.pickle"
    with FileLock(str(root) + ".lock"):
        if not saved.exists():
            root.mkdir()
            saved.write_bytes(pickle.dumps(register_set(trained, root)))
    return pickle.loads(saved.read_bytes())
