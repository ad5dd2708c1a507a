"""Promotion against a real embedded MLflow store (SQLite in tmp_path), through the public entry points
`log_training_run` and `promote_trained_set`: a good set becomes @champion, a set with one worse model
stays @challenger as a whole, a tampered bundle is refused, and the served pyfunc scores exactly like the
bundle.

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
from authfit.modeling.tracking import ModelSet, TrackingSettings, log_training_run
from authfit.training.promote import promote_trained_set

RULE = PromotionThresholds(primary_metric="roc_auc", tolerance=0.01, minimums={"roc_auc": 0.6})
RULES = {"toy": RULE, "toy2": RULE}
SETTINGS = TrackingSettings(experiment="promotion-test")


def _train_bundle(root, X, y, features, version, name="toy"):
    booster = lgb.train({"objective": "binary", "verbosity": -1, "num_threads": 1, "seed": 0},
                        lgb.Dataset(X[features], y), 15)
    raw = booster.predict(X[features])
    calibrator = Calibrator("platt").fit(raw, y)
    metrics = classification_metrics(y, calibrator.transform(raw))
    meta = BundleMetadata(name=name, version=version, task="binary", created_at="2026-01-01T00:00:00+00:00",
                          feature_set_version="fs-1", data_fingerprint="f" * 64, metrics=metrics,
                          threshold=0.5, calibrator=calibrator.to_dict())
    return save_bundle(root, meta, booster, features)


def _register_and_promote(project, bundles, version, X, params=None):
    """What `authfit train` does after training: log and register every bundle of the set, then decide."""
    model_set = ModelSet(version, tuple(bundles))
    runs = {name: log_training_run(path, project, SETTINGS, X.head(5), params=params, model_set=model_set)
            for name, path in bundles.items()}
    uri = next(iter(runs.values())).tracking_uri
    versions = {name: run.registered_version for name, run in runs.items()}
    return runs, promote_trained_set(bundles, versions, {}, None, RULES, uri, version, "exposure")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two sets in one store, trained on the same rows: a strong pair first, then a pair whose toy2 model
    sees only noise."""
    project = tmp_path_factory.mktemp("project")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"signal": rng.normal(size=400), "noise": rng.normal(size=400)})
    y = (X["signal"] + 0.7 * rng.normal(size=400) > 0).astype(float).to_numpy()
    first_set = {name: _train_bundle(project / "models", X, y, ["signal", "noise"], "20260101T000000Z", name)
                 for name in ("toy", "toy2")}
    second_set = {"toy": _train_bundle(project / "models", X, y, ["signal", "noise"], "20260102T000000Z"),
                  "toy2": _train_bundle(project / "models", X, y, ["noise"], "20260102T000000Z", "toy2")}
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.chdir(project)  # anything MLflow wrote to the working directory would show up here
        first = _register_and_promote(project, first_set, "20260101T000000Z", X, params={"rows": 400})
        second = _register_and_promote(project, second_set, "20260102T000000Z", X)
    return project, X, first_set["toy"], first, second


def test_strong_set_becomes_champion_and_a_set_with_one_worse_model_only_challenger(store):
    import mlflow

    project, _, _, (first_runs, first), (_, second) = store
    assert first.alias == CHAMPION and set(first.versions) == {"toy", "toy2"}
    assert second.alias == CHALLENGER and not second.decision.members["toy2"].promote
    assert second.decision.members["toy"].promote  # as good as the champion, yet it stays out with its set
    assert "toy2: roc_auc" in second.decision.reason and "worse than champion" in second.decision.reason
    assert "same training data" in second.decision.reason
    run = first_runs["toy"]
    client = mlflow.MlflowClient(tracking_uri=run.tracking_uri, registry_uri=run.tracking_uri)
    for name in ("toy", "toy2"):
        assert str(client.get_model_version_by_alias(f"authfit-{name}", CHAMPION).version) == first.versions[name]
        assert str(client.get_model_version_by_alias(f"authfit-{name}", CHALLENGER).version) == second.versions[name]
    tags = client.get_run(run.run_id).data
    assert tags.tags["authfit.data_fingerprint"] == "f" * 64
    assert tags.params["rows"] == "400" and tags.metrics["roc_auc"] > 0.8
    assert run.tracking_uri == f"sqlite:///{project.resolve() / 'mlruns.db'}"
    assert not (project / "mlflow.db").exists() and not (project / "mlruns").exists()


def test_served_champion_scores_like_the_bundle(store):
    import mlflow.pyfunc

    _, X, strong, (first_runs, _), _ = store
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", first_runs["toy"].tracking_uri)
        served = mlflow.pyfunc.load_model("models:/authfit-toy@champion")
    scores = served.predict(X.head(20))
    np.testing.assert_allclose(scores["score"].to_numpy(), load_bundle(strong).predict(X.head(20)))


def test_tampered_bundle_is_refused_before_anything_is_logged(store, tmp_path):
    import mlflow

    project, X, strong, (first_runs, first), _ = store
    copy = tmp_path / "models" / "toy" / "20260103T000000Z"
    shutil.copytree(strong, copy)
    meta = copy / "metadata.json"
    meta.write_text(meta.read_text().replace('"threshold": 0.5', '"threshold": 0.05'))
    uri = first_runs["toy"].tracking_uri
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    versions_before = len(client.search_model_versions("name='authfit-toy'"))
    with pytest.raises(BundleError, match="checksum mismatch.*metadata.json"):
        log_training_run(copy, project, SETTINGS, X.head(5), model_set=ModelSet("20260103T000000Z", ("toy",)))
    assert len(client.search_model_versions("name='authfit-toy'")) == versions_before
    assert str(client.get_model_version_by_alias("authfit-toy", CHAMPION).version) == first.versions["toy"]


def test_champion_set_is_re_scored_on_the_candidates_held_out_rows_through_its_own_features(trained, scorer):
    """The trained set, taken as the champion, re-scores the held-out rows its own training kept: through
    its own feature builder, exactly as the Scorer scores those influencers."""
    from authfit.modeling.heldout import HELDOUT_ROWS
    from authfit.modeling.model_set import CONVERSION_MODEL, FAKE_ENGAGEMENT_MODEL
    from authfit.training.pipeline import EXPOSURE_COLUMN
    from authfit.training.promote import champion_scores
    from authfit.contract.validate import load_contract_tables

    heldout = trained.summary.heldout
    assert 0 < len(heldout[FAKE_ENGAGEMENT_MODEL].rows) <= HELDOUT_ROWS
    tables = load_contract_tables(trained.settings.data).tables
    scores = champion_scores(scorer.bundles, tables, heldout, EXPOSURE_COLUMN)
    fake = heldout[FAKE_ENGAGEMENT_MODEL]
    expected = scorer.predict_features(scorer.features(tables).reindex(fake.key_index()))
    np.testing.assert_allclose(scores[FAKE_ENGAGEMENT_MODEL], expected)
    if CONVERSION_MODEL in heldout:
        assert np.isfinite(scores[CONVERSION_MODEL]).all()
        assert len(scores[CONVERSION_MODEL]) == len(heldout[CONVERSION_MODEL].rows)
