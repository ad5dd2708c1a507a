"""Promotion against a real embedded MLflow store (SQLite in tmp_path), through the public entry point
`log_training_run`: a good model becomes @champion, a worse one only @challenger, a tampered bundle is
refused, and the served pyfunc scores exactly like the bundle.

Each logged run costs a few seconds (the first also creates the database), so the runs are shared."""

from __future__ import annotations

import shutil

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from authfit.modeling.bundle import BundleError, BundleMetadata, load_bundle, save_bundle
from authfit.modeling.calibration import Calibrator
from authfit.modeling.metrics import classification_metrics
from authfit.modeling.promotion import CHALLENGER, CHAMPION, PromotionThresholds
from authfit.modeling.tracking import TrackingSettings, log_training_run

RULES = PromotionThresholds(primary_metric="roc_auc", tolerance=0.01, minimums={"roc_auc": 0.6})
SETTINGS = TrackingSettings(experiment="promotion-test")


def _train_bundle(root, X, y, features, version):
    booster = lgb.train({"objective": "binary", "verbosity": -1, "num_threads": 1, "seed": 0},
                        lgb.Dataset(X[features], y), 15)
    raw = booster.predict(X[features])
    calibrator = Calibrator("platt").fit(raw, y)
    metrics = classification_metrics(y, calibrator.transform(raw))
    meta = BundleMetadata(name="toy", version=version, task="binary", created_at="2026-01-01T00:00:00+00:00",
                          feature_set_version="fs-1", data_fingerprint="f" * 64, metrics=metrics,
                          threshold=0.5, calibrator=calibrator.to_dict())
    return save_bundle(root, meta, booster, features)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two runs in one store: a strong model first, then a weaker one trained on noise only."""
    project = tmp_path_factory.mktemp("project")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"signal": rng.normal(size=400), "noise": rng.normal(size=400)})
    y = (X["signal"] + 0.7 * rng.normal(size=400) > 0).astype(float).to_numpy()
    strong = _train_bundle(project / "models", X, y, ["signal", "noise"], "20260101T000000Z")
    weak = _train_bundle(project / "models", X, y, ["noise"], "20260102T000000Z")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.chdir(project)  # anything MLflow wrote to the working directory would show up here
        first = log_training_run(strong, project, SETTINGS, X.head(5), params={"rows": 400}, promotion=RULES)
        second = log_training_run(weak, project, SETTINGS, X.head(5), promotion=RULES)
    return project, X, strong, weak, first, second


def test_strong_model_becomes_champion_and_weaker_one_only_challenger(store):
    import mlflow

    project, _, _, _, first, second = store
    assert first is not None and second is not None
    assert first.promotion.alias == CHAMPION and first.promotion.registered_name == "authfit-toy"
    assert second.promotion.alias == CHALLENGER and "worse than champion" in second.promotion.decision.reason
    client = mlflow.MlflowClient(tracking_uri=first.tracking_uri, registry_uri=first.tracking_uri)
    assert str(client.get_model_version_by_alias("authfit-toy", CHAMPION).version) == first.promotion.version
    assert str(client.get_model_version_by_alias("authfit-toy", CHALLENGER).version) == second.promotion.version
    run = client.get_run(first.run_id)
    assert run.data.tags["authfit.data_fingerprint"] == "f" * 64
    assert run.data.params["rows"] == "400" and run.data.metrics["roc_auc"] > 0.8
    assert first.tracking_uri == f"sqlite:///{project.resolve() / 'mlruns.db'}"
    assert not (project / "mlflow.db").exists() and not (project / "mlruns").exists()


def test_served_champion_scores_like_the_bundle(store):
    import mlflow.pyfunc

    _, X, strong, _, first, _ = store
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", first.tracking_uri)
        served = mlflow.pyfunc.load_model("models:/authfit-toy@champion")
    scores = served.predict(X.head(20))
    np.testing.assert_allclose(scores["score"].to_numpy(), load_bundle(strong).predict(X.head(20)))


def test_tampered_bundle_is_refused_before_anything_is_logged(store, tmp_path):
    import mlflow

    project, X, strong, _, first, _ = store
    copy = tmp_path / "models" / "toy" / "20260103T000000Z"
    shutil.copytree(strong, copy)
    meta = copy / "metadata.json"
    meta.write_text(meta.read_text().replace('"threshold": 0.5', '"threshold": 0.05'))
    client = mlflow.MlflowClient(tracking_uri=first.tracking_uri, registry_uri=first.tracking_uri)
    versions_before = len(client.search_model_versions("name='authfit-toy'"))
    with pytest.raises(BundleError, match="checksum mismatch.*metadata.json"):
        log_training_run(copy, project, SETTINGS, X.head(5), promotion=RULES)
    assert len(client.search_model_versions("name='authfit-toy'")) == versions_before
    assert str(client.get_model_version_by_alias("authfit-toy", CHAMPION).version) == first.promotion.version
