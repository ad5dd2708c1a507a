"""Scoring from the MLflow registry (models:/authfit-<model>@<alias>): the project's store is used without
$MLFLOW_TRACKING_URI, the bundle is found where MLflow keeps it, and companion models come from the same
training run as the named one, never from their own aliases."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from authfit import Scorer
from authfit.modeling.bundle import BundleError
from authfit.modeling.promotion import MODEL_SET_TAG
from authfit.contract.validate import load_contract_tables

URI = "models:/authfit-fake-engagement@champion"


@pytest.fixture
def store_copy(registered, tmp_path):
    """A copy of the registered store to change (its artifacts stay where they are, by absolute path).
    MLflow resolves a new version's models:/m-<id> source through the fluent tracking URI, so it points
    there too for the test."""
    import mlflow

    shutil.copy(registered.project / "mlruns.db", tmp_path / "mlruns.db")
    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mlflow.set_tracking_uri(uri)
        try:
            yield uri
        finally:
            mlflow.set_tracking_uri(None)


def test_registry_uri_loads_the_whole_set_and_scores_like_the_local_set(registered, trained, scorer, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(registered.project)
    served = Scorer.load(URI)
    assert sorted(served.bundles) == sorted(scorer.bundles)
    assert {n: b.metadata.version for n, b in served.bundles.items()} == {
        n: b.metadata.version for n, b in scorer.bundles.items()}
    tables = {k: v.head(200) for k, v in load_contract_tables(trained.world).tables.items()}
    pd.testing.assert_frame_equal(served.score_influencers(tables).drop(columns="scored_at"),
                                  scorer.score_influencers(tables).drop(columns="scored_at"))
    assert not (registered.project / "mlflow.db").exists()


def test_registry_uri_without_a_store_is_a_clear_error_and_creates_none(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BundleError, match="no MLflow store at .*mlruns.db"):
        Scorer.load(URI)
    assert list(tmp_path.iterdir()) == []


def test_companions_come_from_the_named_versions_set_not_their_alias(registered, store_copy):
    import mlflow

    from authfit.modeling.tracking import model_set_versions

    client = mlflow.MlflowClient(tracking_uri=store_copy, registry_uri=store_copy)
    conversion = "authfit-campaign-conversion"
    trained_with = client.search_model_versions(f"name='{conversion}'")[0]
    # a later version of the companion, registered by another run, takes its champion alias
    other = client.create_model_version(conversion, trained_with.source, tags={MODEL_SET_TAG: "another-run"})
    client.set_registered_model_alias(conversion, "champion", other.version)
    _, versions = model_set_versions(client, "authfit-fake-engagement", "champion", None)
    assert versions["campaign-conversion"].version == trained_with.version
    assert Scorer.load(URI, tracking_uri=store_copy).conversion is not None


def test_a_version_registered_without_its_set_is_refused(registered, store_copy):
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=store_copy, registry_uri=store_copy)
    name = "authfit-fake-engagement"
    source = client.get_model_version_by_alias(name, "champion").source
    untagged = client.create_model_version(name, source)
    client.set_registered_model_alias(name, "untagged", untagged.version)
    with pytest.raises(BundleError, match="registered without its model set"):
        Scorer.load(f"models:/{name}@untagged", tracking_uri=store_copy)
    client.set_model_version_tag(name, untagged.version, MODEL_SET_TAG, "gone")
    client.set_model_version_tag(name, untagged.version, "authfit.model_set_members", "fake-engagement,campaign-conversion")
    with pytest.raises(BundleError, match="incomplete in the registry.*refusing to mix"):
        Scorer.load(f"models:/{name}@untagged", tracking_uri=store_copy)


def test_the_service_serves_a_registry_uri(registered, trained, monkeypatch):
    from fastapi.testclient import TestClient

    from authfit.serve.api import ScorerHolder, create_app
    from authfit.serve.run import load_service_settings

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(registered.project)
    settings = load_service_settings(None, model=URI)
    client = TestClient(create_app(ScorerHolder(lambda: Scorer.load(settings.model)), settings))
    models = client.get("/v1/model").json()["models"]
    assert "campaign-conversion" in models and models["fake-engagement"]["version"] == trained.summary.version
