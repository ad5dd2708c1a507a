"""Tracking settings resolution and failure handling (no MLflow store is created here)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from authfit.modeling.bundle import BundleError, BundleMetadata, load_bundle, save_bundle
from authfit.modeling.tracking import TrackingSettings, log_training_run, resolve_tracking_uri


def test_uri_precedence_environment_then_config_then_embedded_sqlite(tmp_path):
    configured = TrackingSettings(tracking_uri="http://mlflow.internal:5000")
    assert resolve_tracking_uri(tmp_path, configured, {"MLFLOW_TRACKING_URI": "sqlite:///x.db"}) == "sqlite:///x.db"
    assert resolve_tracking_uri(tmp_path, configured, {}) == "http://mlflow.internal:5000"
    assert resolve_tracking_uri(tmp_path, TrackingSettings(), {}) == f"sqlite:///{tmp_path.resolve()}/mlruns.db"


@pytest.fixture
def bundle_path(tmp_path):
    X = pd.DataFrame({"a": np.arange(60.0), "b": np.arange(60.0) % 7})
    booster = lgb.train({"objective": "binary", "verbosity": -1, "num_threads": 1, "min_data_in_leaf": 5},
                        lgb.Dataset(X, (X["a"] > 30).astype(float)), 5)
    meta = BundleMetadata(name="toy", version="20260101T000000Z", task="binary", created_at="2026-01-01",
                          feature_set_version="fs-1", data_fingerprint="0" * 64, metrics={"roc_auc": 0.9})
    return save_bundle(tmp_path / "models", meta, booster, ["a", "b"]), X


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_server_warns_quickly_and_keeps_the_bundle(bundle_path, tmp_path, monkeypatch):
    path, X = bundle_path
    uri = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    started = time.perf_counter()
    with pytest.warns(RuntimeWarning, match="tracking failed: .*the bundle is saved at"):
        result = log_training_run(path, tmp_path, TrackingSettings(connect_timeout_s=1.0), X.head(3))
    assert result is None
    assert time.perf_counter() - started < 10  # MLflow's own HTTP retries would take minutes
    assert load_bundle(path).features == ("a", "b")
    assert os.environ["MLFLOW_TRACKING_URI"] == uri  # the caller's setting is left as it was


def test_broken_store_warns_instead_of_failing(bundle_path, tmp_path, monkeypatch):
    path, X = bundle_path
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the database directory should be")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{blocker / 'sub' / 'mlruns.db'}")
    with pytest.warns(RuntimeWarning, match="tracking failed"):
        assert log_training_run(path, tmp_path, TrackingSettings(), X.head(3)) is None


def test_disabled_tracking_still_verifies_the_bundle(bundle_path, tmp_path):
    path, X = bundle_path
    assert log_training_run(path, tmp_path, TrackingSettings(enabled=False), X.head(3)) is None
    (path / "features.json").write_text('["a"]')
    with pytest.raises(BundleError, match="checksum mismatch"):
        log_training_run(path, tmp_path, TrackingSettings(enabled=False), X.head(3))
    assert not Path(tmp_path / "mlruns.db").exists()
