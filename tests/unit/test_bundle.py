"""Bundles: round trip, refusal of anything altered, fingerprints and the latest pointer."""

from __future__ import annotations

import json
import shutil

import joblib
import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import StandardScaler

from authfit.modeling.bundle import (
    FORMAT_VERSION,
    BundleError,
    BundleMetadata,
    data_fingerprint,
    load_bundle,
    new_version,
    package_versions,
    resolve_model_path,
    resolve_model_set,
    save_bundle,
    write_latest,
)
from authfit.modeling.calibration import Calibrator

UNPICKLED: list[str] = []


class Tripwire:
    """Records being unpickled; a bundle must never unpickle a file whose checksum is wrong."""

    def __setstate__(self, state):
        UNPICKLED.append("tripwire")


@pytest.fixture(scope="module")
def trained():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300), "c": rng.uniform(size=300)})
    y = (X["a"] + 0.5 * rng.normal(size=300) > 0).astype(float)
    booster = lgb.train({"objective": "binary", "verbosity": -1, "num_threads": 1}, lgb.Dataset(X, y), 20)
    calibrator = Calibrator("isotonic").fit(booster.predict(X), y)
    return X, y, booster, calibrator


def _meta(name: str, calibrator=None, **extra) -> BundleMetadata:
    return BundleMetadata(
        name=name, version=new_version(), task="binary", created_at="2026-01-01T00:00:00+00:00",
        feature_set_version="fs-1", data_fingerprint="abc", metrics={"roc_auc": 0.9, "spearman": float("nan")},
        threshold=0.4, calibrator=None if calibrator is None else calibrator.to_dict(),
        package_versions=package_versions(), **extra,
    )


@pytest.fixture
def bundle_dir(tmp_path, trained):
    X, _, booster, calibrator = trained
    scaler = StandardScaler().fit(X)
    return save_bundle(tmp_path / "models", _meta("acct", calibrator), booster, ["c", "a", "b"],
                       transformers={"scaler": scaler})


def test_round_trip_predicts_exactly_what_was_trained(bundle_dir, trained):
    X, _, booster, calibrator = trained
    bundle = load_bundle(bundle_dir)
    shuffled = X[["b", "c", "a"]].assign(extra=1.0)  # order and extra columns must not matter
    expected = calibrator.transform(booster.predict(X[["c", "a", "b"]]))
    np.testing.assert_allclose(bundle.predict(shuffled), expected)
    assert bundle.features == ("c", "a", "b")
    assert bundle.metadata.threshold == 0.4 and np.isnan(bundle.metadata.metrics["spearman"])
    np.testing.assert_allclose(bundle.transformers["scaler"].mean_, X.mean().to_numpy())
    assert "acct" in (bundle_dir / "model_card.md").read_text()
    with pytest.raises(BundleError, match="lacks"):
        bundle.predict(X[["a", "b"]])


def test_feature_values_are_the_models_columns_in_order_whatever_else_the_frame_holds(bundle_dir, trained):
    X = trained[0].head(4)
    bundle = load_bundle(bundle_dir)
    expected = X[["c", "a", "b"]].to_numpy()
    mixed = X[["b", "c", "a"]].assign(note="text")  # a column the model does not read, not even a number
    np.testing.assert_array_equal(bundle.feature_values(mixed), expected)
    np.testing.assert_array_equal(bundle.predict(bundle.feature_values(mixed)), bundle.predict(X))
    np.testing.assert_array_equal(bundle.contributions(bundle.feature_values(mixed)),
                                  bundle.contributions(X[["c", "a", "b"]]))
    with pytest.raises(BundleError, match="lacks"):
        bundle.feature_values(X[["a", "b"]])


def test_bundles_are_immutable(tmp_path, trained):
    meta = _meta("acct")
    save_bundle(tmp_path, meta, trained[2], ["a", "b", "c"])
    with pytest.raises(BundleError, match="already exists"):
        save_bundle(tmp_path, meta, trained[2], ["a", "b", "c"])


def test_changed_byte_is_refused(bundle_dir):
    model = bundle_dir / "boosters" / "model.txt"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0x01
    model.write_bytes(bytes(data))
    with pytest.raises(BundleError, match="checksum mismatch.*boosters/model.txt"):
        load_bundle(bundle_dir)


def test_missing_and_extra_files_are_refused(bundle_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(bundle_dir, copy)
    (copy / "features.json").unlink()
    with pytest.raises(BundleError, match="missing files.*features.json"):
        load_bundle(copy)
    (bundle_dir / "boosters" / "sneaky.txt").write_text("tree\n")
    with pytest.raises(BundleError, match="does not list.*sneaky.txt"):
        load_bundle(bundle_dir)


def test_edited_or_absent_manifest_and_other_format_versions_are_refused(bundle_dir):
    manifest_path = bundle_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="format version"):
        load_bundle(bundle_dir)
    manifest["format_version"] = FORMAT_VERSION
    manifest["files"]["metadata.json"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="checksum mismatch.*metadata.json"):
        load_bundle(bundle_dir)
    manifest_path.write_text("{not json")
    with pytest.raises(BundleError, match="not a valid manifest"):
        load_bundle(bundle_dir)
    manifest_path.unlink()
    with pytest.raises(BundleError, match="no manifest.json"):
        load_bundle(bundle_dir)


def test_tampered_joblib_is_never_unpickled(bundle_dir):
    joblib.dump(Tripwire(), bundle_dir / "transformers" / "scaler.joblib")
    UNPICKLED.clear()
    with pytest.raises(BundleError, match="scaler.joblib"):
        load_bundle(bundle_dir)
    assert UNPICKLED == []


def test_count_bundle_reads_exposure_column(tmp_path):
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"x": rng.uniform(size=400)})
    exposure = rng.uniform(100, 1000, 400)
    y = rng.poisson(exposure * 0.01 * np.exp(X["x"].to_numpy()))
    booster = lgb.train({"objective": "poisson", "verbosity": -1, "num_threads": 1},
                        lgb.Dataset(X, y, init_score=np.log(exposure)), 10)
    meta = _meta("conv").model_copy(update={"task": "count", "exposure_column": "impressions"})
    bundle = load_bundle(save_bundle(tmp_path, meta, booster, ["x"]))
    frame = X.assign(impressions=exposure)
    np.testing.assert_allclose(bundle.predict(frame),
                               np.exp(booster.predict(X, raw_score=True) + np.log(exposure)))
    with pytest.raises(BundleError, match="impressions"):
        bundle.predict(X)


def test_fingerprint_ignores_order_but_sees_every_change():
    frame = pd.DataFrame({"id": pd.Series(["a", "b", "c"], dtype="str"), "n": [1.0, 2.0, np.nan]})
    base = data_fingerprint({"accounts": frame})
    assert data_fingerprint({"accounts": frame.iloc[::-1]}) == base
    assert data_fingerprint({"accounts": frame[["n", "id"]]}) == base
    assert data_fingerprint({"accounts": frame.assign(n=[1.0, 2.0, 3.0])}) != base
    assert data_fingerprint({"accounts": frame.assign(n=frame["n"].astype("float32"))}) != base
    assert data_fingerprint({"accounts": frame.rename(columns={"n": "m"})}) != base
    assert data_fingerprint({"posts": frame}) != base
    assert frame.columns.tolist() == ["id", "n"]  # the caller's frame is untouched


def test_latest_pointer_resolves_every_accepted_form(tmp_path, trained):
    root = tmp_path / "models"
    old = save_bundle(root, _meta("acct").model_copy(update={"version": "20250101T000000Z"}), trained[2], ["a"])
    acct = save_bundle(root, _meta("acct").model_copy(update={"version": "20260101T000000Z"}), trained[2], ["a"])
    conv = save_bundle(root, _meta("conv"), trained[2], ["a"])
    write_latest(root, {"acct": old, "conv": conv})
    assert resolve_model_set(root / "latest") == {"acct": old, "conv": conv}
    assert resolve_model_path(root / "latest", name="conv") == conv
    assert resolve_model_path(root / "latest" / "acct") == old
    assert resolve_model_path(root / "acct" / "latest") == acct  # newest version on disk
    assert resolve_model_path(conv) == conv
    with pytest.raises(BundleError, match="name one of them"):
        resolve_model_path(root / "latest")
    write_latest(root, {"acct": acct})
    assert load_bundle(root / "latest").path == acct
    with pytest.raises(BundleError, match="does not exist"):
        resolve_model_set(tmp_path / "nowhere" / "latest")
