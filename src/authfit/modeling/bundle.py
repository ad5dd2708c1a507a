"""Self-contained, tamper-evident model bundles: `models/<name>/<version>/`.

A bundle holds LightGBM text models (`boosters/<key>.txt`), fitted feature transformers
(`transformers/<key>.joblib`, the only pickled content), `features.json`, `metadata.json`,
`model_card.md`, optional report files, and `manifest.json` with the SHA-256 of every other file.
Loading reads each file once, checks its hash against the manifest and only then parses those same
bytes, so a joblib file is never unpickled unless it is exactly what training wrote.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import joblib
import lightgbm as lgb
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from authfit.contract.io import write_text_atomic
from authfit.modeling.calibration import Calibrator
from authfit.modeling.lgbm import predict_count
from authfit.modeling.model_card import card_sections

# Bump when the saved state changes shape (2: growth settings gained step_min_posts), so an older bundle is
# refused with "retrain" instead of failing inside the unpickled feature builder.
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
LATEST_FILE = "latest.json"
PRIMARY = "model"
_TRACKED_PACKAGES = ("authfit", "lightgbm", "numpy", "pandas", "scikit-learn", "scipy", "pyarrow", "mlflow")


class BundleError(RuntimeError):
    """A bundle is missing, incomplete, altered or from an incompatible format."""


class BundleMetadata(BaseModel):
    """What a bundle says about itself; stored as metadata.json."""

    # NaN metrics (e.g. an undefined Spearman) must survive the round trip instead of becoming null
    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="constants")

    format_version: int = FORMAT_VERSION
    name: str
    version: str
    task: Literal["binary", "count"]
    created_at: str
    feature_set_version: str
    data_fingerprint: str
    metrics: dict[str, float] = {}
    threshold: float | None = None
    calibrator: dict[str, Any] | None = None
    exposure_column: str | None = None
    package_versions: dict[str, str] = {}
    params: dict[str, Any] = {}
    extra: dict[str, Any] = {}


@dataclass(frozen=True)
class Bundle:
    """A verified bundle in memory. `predict` is the one scoring path shared by the CLI, evaluation
    and the MLflow pyfunc."""

    path: Path
    metadata: BundleMetadata
    features: tuple[str, ...]
    boosters: dict[str, lgb.Booster]
    transformers: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def calibrator(self) -> Calibrator | None:
        return None if self.metadata.calibrator is None else Calibrator.from_dict(self.metadata.calibrator)

    def feature_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """The model's features in training order; extra columns are ignored, missing ones refused."""
        if tuple(X.columns) == tuple(self.features):
            return X
        missing = [name for name in self.features if name not in X.columns]
        if missing:
            raise BundleError(f"input lacks {len(missing)} feature(s) the model needs: {missing[:10]}")
        return X.loc[:, list(self.features)]

    def feature_values(self, X: pd.DataFrame) -> np.ndarray:
        """The model's features of `X` as one float array in training order (extra columns ignored,
        missing ones refused), read without selecting columns in pandas, which cost more than predicting
        a few rows."""
        if not X.columns.is_unique:  # no position per name: pandas selects (or refuses) as before
            return self.feature_frame(X).to_numpy(dtype=np.float64, na_value=np.nan)
        positions = X.columns.get_indexer(self.features) if tuple(X.columns) != tuple(self.features) else None
        if positions is not None and (positions < 0).any():
            return self.feature_frame(X).to_numpy(dtype=np.float64)  # refuses the missing features
        try:
            values = X.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):  # a column outside the model's that is not numeric
            return self.feature_frame(X).to_numpy(dtype=np.float64, na_value=np.nan)
        return values if positions is None else values[:, positions]

    def booster_input(self, frame: pd.DataFrame | np.ndarray, booster: str = PRIMARY) -> pd.DataFrame | np.ndarray:
        """What the booster is given for `frame` (the model's features in order, as a frame or as
        `feature_values`): one float array unless the model has categorical features, since LightGBM's
        pandas checks cost more than predicting a few rows and convert to the same floats."""
        if self.boosters[booster].pandas_categorical:
            return frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame, columns=list(self.features))
        return frame if isinstance(frame, np.ndarray) else frame.to_numpy(dtype=np.float64)

    def contributions(self, frame: pd.DataFrame | np.ndarray, booster: str = PRIMARY) -> np.ndarray:
        """TreeSHAP contributions (one column per feature, then the bias) of `frame`'s rows (at least one),
        `frame` holding the model's features in order (a frame, or `feature_values`)."""
        return self.boosters[booster].predict(self.booster_input(frame, booster), pred_contrib=True,
                                              num_threads=predict_threads(len(frame)))

    def predict(self, X: pd.DataFrame | np.ndarray, booster: str = PRIMARY) -> np.ndarray:
        """Calibrated probabilities (binary) or expected counts (count; exposure read from
        `metadata.exposure_column`). `X` is a frame, or for a binary model also `feature_values`."""
        model = self.boosters[booster]
        if isinstance(X, np.ndarray):
            values: pd.DataFrame | np.ndarray = X
        else:
            values = self.feature_frame(X) if model.pandas_categorical or self.metadata.task == "count" \
                else self.feature_values(X)
        if len(values) == 0:  # LightGBM refuses empty input; no rows in, no predictions out
            return np.zeros(0)
        if self.metadata.task == "count":
            exposure_col = self.metadata.exposure_column
            if exposure_col is None or exposure_col not in X.columns:
                raise BundleError(f"count model needs the exposure column {exposure_col!r} in its input")
            return predict_count(model, values, X[exposure_col].to_numpy(dtype=float))
        raw = model.predict(self.booster_input(values, booster), num_threads=predict_threads(len(values)))
        calibrator = self.calibrator
        return raw if calibrator is None else calibrator.transform(raw)


# Below this many rows LightGBM predicts on one thread: starting and joining OpenMP threads dominated small
# batches (one row: 8 ms on the default threads vs 0.05 ms on one, measured on a shared 2-core machine).
SINGLE_THREAD_ROWS = 10_000


def predict_threads(n_rows: int) -> int:
    """LightGBM's num_threads for a batch: 1 for small batches, else 0 (OpenMP's default)."""
    return 1 if n_rows < SINGLE_THREAD_ROWS else 0


def package_versions() -> dict[str, str]:
    """Versions of the packages whose behaviour a bundle depends on."""
    versions = {"python": platform.python_version()}
    for name in _TRACKED_PACKAGES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return versions


def data_fingerprint(frames: Mapping[str, pd.DataFrame]) -> str:
    """SHA-256 over table names, column names, dtypes and cell contents. Independent of row and column
    order, which the data contract leaves arbitrary; any change of a value, a dtype or a name shows."""
    digest = hashlib.sha256()
    for name in sorted(frames):
        frame = frames[name]
        columns = sorted(map(str, frame.columns))
        ordered = frame.set_axis(list(map(str, frame.columns)), axis=1)[columns]
        digest.update(json.dumps([name, columns, [str(t) for t in ordered.dtypes]]).encode())
        rows = pd.util.hash_pandas_object(ordered, index=False).to_numpy() if len(columns) else np.array([])
        digest.update(np.sort(rows.astype(np.uint64)).tobytes())
    return digest.hexdigest()


def new_version(now: datetime | None = None) -> str:
    """A version id that sorts by creation time, e.g. 20261122T020643Z."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_payload(staging: Path, boosters: Mapping[str, lgb.Booster], transformers: Mapping[str, Any],
                   features: list[str], meta: BundleMetadata, reports: Mapping[str, Path]) -> None:
    for key, booster in boosters.items():
        target = staging / "boosters" / f"{key}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(booster.model_to_string(), encoding="utf-8")
    for key, transformer in transformers.items():
        target = staging / "transformers" / f"{key}.joblib"
        target.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(transformer, target)
    for rel, source in reports.items():
        target = staging / "reports" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    (staging / "features.json").write_text(json.dumps(features, indent=1), encoding="utf-8")
    (staging / "metadata.json").write_text(meta.model_dump_json(indent=2), encoding="utf-8")
    (staging / "model_card.md").write_text(render_model_card(meta, features, sorted(reports)), encoding="utf-8")


def _write_manifest(staging: Path) -> None:
    files = {
        path.relative_to(staging).as_posix(): _sha256(path.read_bytes())
        for path in sorted(staging.rglob("*")) if path.is_file()
    }
    manifest = {"format_version": FORMAT_VERSION, "algorithm": "sha256", "files": files}
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")


def save_bundle(
    root: Path,
    metadata: BundleMetadata,
    boosters: lgb.Booster | Mapping[str, lgb.Booster],
    features: list[str] | tuple[str, ...],
    transformers: Mapping[str, Any] | None = None,
    reports: Mapping[str, Path] | None = None,
) -> Path:
    """Write `root/<metadata.name>/<metadata.version>/` and return it. The bundle is built in a
    temporary sibling directory and renamed into place, so a crash never leaves a half bundle.
    A single booster is stored under the key "model", which `Bundle.predict` uses by default."""
    named = {PRIMARY: boosters} if isinstance(boosters, lgb.Booster) else dict(boosters)
    if PRIMARY not in named:
        raise BundleError(f"a bundle needs a booster named {PRIMARY!r}; got {sorted(named)}")
    target = Path(root) / metadata.name / metadata.version
    if target.exists():
        raise BundleError(f"bundle {target} already exists; bundles are immutable, use a new version")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{metadata.version}.", dir=target.parent))
    try:
        _write_payload(staging, named, transformers or {}, list(features), metadata, reports or {})
        _write_manifest(staging)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _read_manifest(path: Path) -> dict[str, str]:
    if not (path / MANIFEST).is_file():
        raise BundleError(f"{path} is not a bundle: {MANIFEST} is missing")
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        version, files = manifest["format_version"], manifest["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"{path / MANIFEST} is not a valid manifest: {exc}") from exc
    if version != FORMAT_VERSION:
        raise BundleError(
            f"bundle {path} has format version {version}; this authfit reads version {FORMAT_VERSION} "
            "(retrain the model, or use the authfit release that wrote it)"
        )
    if manifest.get("algorithm") != "sha256" or not isinstance(files, dict):
        raise BundleError(f"{path / MANIFEST} must list files with sha256 digests")
    return files


def _verified_contents(path: Path) -> dict[str, bytes]:
    """Every file's bytes, after checking the set of files and each digest against the manifest."""
    expected = _read_manifest(path)
    links = [p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_symlink()]
    if links:
        raise BundleError(f"bundle {path} contains symbolic links, which are not allowed: {links}")
    present = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()} - {MANIFEST}
    missing, extra = sorted(set(expected) - present), sorted(present - set(expected))
    if missing:
        raise BundleError(f"bundle {path} is incomplete; missing files: {missing}")
    if extra:
        raise BundleError(f"bundle {path} holds files its manifest does not list: {extra}")
    contents = {rel: (path / PurePosixPath(rel)).read_bytes() for rel in sorted(expected)}
    changed = [rel for rel, data in contents.items() if _sha256(data) != expected[rel]]
    if changed:
        raise BundleError(f"bundle {path} was modified after it was written; checksum mismatch in {changed}")
    return contents


def _parse_metadata(path: Path, raw: bytes) -> BundleMetadata:
    try:
        meta = BundleMetadata.model_validate_json(raw)
    except ValidationError as exc:
        raise BundleError(f"{path / 'metadata.json'} does not match the bundle format: {exc}") from exc
    if meta.format_version != FORMAT_VERSION:
        raise BundleError(f"bundle {path} metadata has format version {meta.format_version}, "
                          f"expected {FORMAT_VERSION}")
    return meta


def load_bundle(path: Path | str) -> Bundle:
    """Verify and load a bundle directory (or a pointer that `resolve_model_path` understands)."""
    bundle_dir = resolve_model_path(path)
    contents = _verified_contents(bundle_dir)
    for required in ("metadata.json", "features.json", f"boosters/{PRIMARY}.txt"):
        if required not in contents:
            raise BundleError(f"bundle {bundle_dir} lacks {required}")
    meta = _parse_metadata(bundle_dir, contents["metadata.json"])
    boosters = {
        PurePosixPath(rel).stem: lgb.Booster(model_str=data.decode("utf-8"))
        for rel, data in contents.items() if rel.startswith("boosters/") and rel.endswith(".txt")
    }
    transformers = {
        PurePosixPath(rel).stem: joblib.load(io.BytesIO(data))
        for rel, data in contents.items() if rel.startswith("transformers/") and rel.endswith(".joblib")
    }
    features = tuple(json.loads(contents["features.json"]))
    return Bundle(bundle_dir, meta, features, boosters, transformers)


def render_model_card(meta: BundleMetadata, features: list[str] | tuple[str, ...],
                      plots: list[str] | tuple[str, ...] = ()) -> str:
    """A short Markdown model card built from the metadata; `plots` are PNG names under reports/, linked
    relatively so they show both in the bundle and among the MLflow run's artifacts (reports/...)."""
    metric_rows = "\n".join(f"| {k} | {v:.4g} |" for k, v in sorted(meta.metrics.items()))
    calibration = meta.calibrator["method"] if meta.calibrator else "none"
    lines = [
        f"# {meta.name} {meta.version}", "",
        f"- task: {meta.task}", f"- created: {meta.created_at}",
        f"- feature set: {meta.feature_set_version} ({len(features)} features)",
        f"- training data fingerprint: `{meta.data_fingerprint}`",
        f"- calibration: {calibration}", f"- decision threshold: {meta.threshold}",
        f"- packages: {', '.join(f'{k} {v}' for k, v in sorted(meta.package_versions.items()))}", "",
        "## Out-of-fold metrics", "", "| metric | value |", "|---|---|", metric_rows, "",
    ]

    lines += [*card_sections(meta), "## Features", "", ", ".join(f"`{f}`" for f in features), ""]
    images = [p for p in plots if p.endswith(".png")]
    if images:
        lines += ["## Plots", "", *(f"![{Path(p).stem.replace('_', ' ')}](reports/{p})" for p in images), ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- the "latest" pointer


def write_latest(root: Path, bundles: Mapping[str, Path]) -> Path:
    """Point `root/latest.json` at a newly trained set of bundles (name -> bundle directory)."""
    root = Path(root)
    entries = {name: Path(p).resolve().relative_to(root.resolve()).as_posix() for name, p in bundles.items()}
    payload = {"created_at": datetime.now(UTC).isoformat(timespec="seconds"), "bundles": entries}
    return write_text_atomic(root / LATEST_FILE, json.dumps(payload, indent=1, sort_keys=True))


def resolve_model_set(root: Path | str) -> dict[str, Path]:
    """The bundles named by `root/latest.json` (name -> directory). `root` may also be `<root>/latest`."""
    root = Path(root)
    if root.name == "latest" and not (root / LATEST_FILE).is_file():
        root = root.parent
    pointer = root / LATEST_FILE
    if not pointer.is_file():
        raise BundleError(f"no trained models at {root}: {pointer} does not exist (run training first)")
    try:
        entries = json.loads(pointer.read_text(encoding="utf-8"))["bundles"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"{pointer} is not a valid pointer file: {exc}") from exc
    return {name: root / PurePosixPath(rel) for name, rel in entries.items()}


def _newest_version(model_dir: Path) -> Path:
    versions = sorted(p for p in model_dir.iterdir() if p.is_dir() and (p / MANIFEST).is_file())
    if not versions:
        raise BundleError(f"no bundle versions under {model_dir}")
    return versions[-1]


def resolve_model_path(path: Path | str, name: str | None = None) -> Path:
    """Turn what a user types into one bundle directory. Accepted forms: a bundle directory;
    `models/latest` (with `name`, or when the latest set holds one bundle); `models/latest/<name>`;
    `models/<name>/latest` (newest version of that model)."""
    path = Path(path)
    if (path / MANIFEST).is_file():
        return path
    if path.name == "latest" and path.parent.is_dir() and not (path.parent / LATEST_FILE).is_file() \
            and any((p / MANIFEST).is_file() for p in path.parent.iterdir() if p.is_dir()):
        return _newest_version(path.parent)
    if path.parent.name == "latest" and (path.parent.parent / LATEST_FILE).is_file():
        name, path = path.name, path.parent.parent
    if path.name == "latest" or (path / LATEST_FILE).is_file():
        bundles = resolve_model_set(path)
        if name is None and len(bundles) == 1:
            return next(iter(bundles.values()))
        if name not in bundles:
            raise BundleError(f"the latest model set has {sorted(bundles)}; name one of them (got {name!r})")
        return bundles[name]
    raise BundleError(f"{path} is not a bundle directory (no {MANIFEST}) nor a 'latest' pointer")
