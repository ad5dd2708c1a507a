"""MLflow tracking, embedded by default.

Default store: `sqlite:///<project>/mlruns.db` (a DB-backed store, which the model registry and aliases
need without a server; it is also MLflow 3's own default backend), artifacts under `<project>/mlartifacts`.
`MLFLOW_TRACKING_URI` overrides both. Nothing is configured at import time; the tracking URI is set only
for the duration of `log_training_run` and restored afterwards.

Tracking is a record, not a gate: when MLflow is unreachable or fails, `log_training_run` warns
("tracking failed: ...") and returns None, and the local bundle already written stays the source of truth.
A bundle that fails verification, however, is an error, never logged.

mlflow is imported inside the functions that use it: the import takes seconds, and the CLI imports this
module (through the settings) for commands that never track anything.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pandas as pd
from pydantic import BaseModel, ConfigDict

from authfit.modeling.bundle import Bundle, BundleError, load_bundle
from authfit.modeling.heldout import HeldOut
from authfit.modeling.promotion import (
    CHAMPION,
    MODEL_SET_MEMBERS_TAG,
    MODEL_SET_TAG,
    SetDecision,
    move_set_alias,
    register_version,
    registered_model_name,
)

log = logging.getLogger(__name__)
ENV_URI = "MLFLOW_TRACKING_URI"


class TrackingSettings(BaseModel):
    """Where runs go. `tracking_uri` None means: $MLFLOW_TRACKING_URI, else the embedded SQLite store."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    experiment: str = "authfit"
    tracking_uri: str | None = None
    connect_timeout_s: float = 3.0


@dataclass(frozen=True)
class ModelSet:
    """The set a bundle was trained in: its version (one per `authfit train` run) and the models in it."""

    version: str
    members: tuple[str, ...]

    def tags(self) -> dict[str, str]:
        return {MODEL_SET_TAG: self.version, MODEL_SET_MEMBERS_TAG: ",".join(self.members)}


@dataclass(frozen=True)
class TrackingResult:
    run_id: str
    model_uri: str
    tracking_uri: str
    seconds: float
    registered_version: str | None = None  # its version of authfit-<model>, when registered with its set


def resolve_tracking_uri(project_dir: Path, settings: TrackingSettings,
                         environ: Mapping[str, str] | None = None) -> str:
    """Environment first, then the config, then the embedded SQLite file in the project directory."""
    env = os.environ if environ is None else environ
    if env.get(ENV_URI):
        return env[ENV_URI]
    if settings.tracking_uri:
        return settings.tracking_uri
    return f"sqlite:///{Path(project_dir).resolve() / 'mlruns.db'}"


def check_reachable(uri: str, timeout_s: float) -> None:
    """Fail fast on a tracking server that does not answer: MLflow's own HTTP retries take minutes."""
    parsed = urlparse(uri)
    if parsed.scheme not in ("http", "https"):
        return
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    with socket.create_connection((parsed.hostname or "localhost", port), timeout=timeout_s):
        pass


def git_commit(project_dir: Path) -> str | None:
    """HEAD of the project's git checkout, or None outside git / before the first commit."""
    try:
        out = subprocess.run(["git", "-C", str(project_dir), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


@contextmanager
def _tracking_uri(uri: str) -> Iterator[None]:
    """Point MLflow's fluent API at `uri` for one block. set_tracking_uri also writes the environment
    variable, so both are put back afterwards."""
    import mlflow

    previous_env = os.environ.get(ENV_URI)
    previous = mlflow.get_tracking_uri() if mlflow.tracking.is_tracking_uri_set() else None
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous)
        if previous_env is not None:
            os.environ[ENV_URI] = previous_env


def _experiment_id(client, name: str, artifact_root: Path | None) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = None if artifact_root is None else artifact_root.resolve().as_uri()
    return client.create_experiment(name, artifact_location=location)


def _flat(prefix: str, value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        out: dict[str, str] = {}
        for key, inner in value.items():
            out |= _flat(f"{prefix}.{key}" if prefix else str(key), inner)
        return out
    return {prefix: str(value)[:6000]}


def _log_run_contents(bundle: Bundle, params: Mapping[str, Any], config: Mapping[str, Any] | None,
                      artifacts: Sequence[Path], project_dir: Path) -> None:
    import mlflow

    meta = bundle.metadata
    mlflow.log_params(_flat("", {**meta.params, **params}))
    finite = {k: v for k, v in meta.metrics.items() if v == v and abs(v) != float("inf")}
    mlflow.log_metrics(finite)
    mlflow.set_tags({
        "authfit.model": meta.name, "authfit.bundle_version": meta.version, "authfit.task": meta.task,
        "authfit.data_fingerprint": meta.data_fingerprint, "authfit.feature_set_version": meta.feature_set_version,
        "authfit.threshold": str(meta.threshold), "git.commit": git_commit(project_dir) or "unknown",
    })
    if config is not None:
        mlflow.log_dict(dict(config), "config.json")
    mlflow.log_artifact(str(bundle.path / "model_card.md"))
    if (bundle.path / "reports").is_dir():  # the card links its plots as reports/<name>.png
        mlflow.log_artifacts(str(bundle.path / "reports"), artifact_path="reports")
    for path in artifacts:
        mlflow.log_artifact(str(path), artifact_path="reports")


def _log_pyfunc(bundle: Bundle, input_example: pd.DataFrame) -> str:
    import mlflow
    from mlflow.models import infer_signature

    from authfit.modeling.pyfunc import BUNDLE_ARTIFACT, model_script

    example = bundle.feature_frame(input_example)
    if bundle.metadata.exposure_column:
        example = example.assign(**{bundle.metadata.exposure_column: input_example[bundle.metadata.exposure_column]})
    signature = infer_signature(example, pd.DataFrame({"score": bundle.predict(example)}))
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "authfit_model.py"
        script.write_text(model_script(), encoding="utf-8")
        info = mlflow.pyfunc.log_model(
            name="model", python_model=str(script), artifacts={BUNDLE_ARTIFACT: str(bundle.path)},
            signature=signature, input_example=example, pip_requirements=_requirements(bundle),
        )
    return info.model_uri


def _requirements(bundle: Bundle) -> list[str]:
    versions = bundle.metadata.package_versions
    return [f"{pkg}=={versions[pkg]}" for pkg in ("lightgbm", "numpy", "pandas", "scikit-learn", "scipy", "mlflow")
            if pkg in versions]


def log_training_run(
    bundle_path: Path,
    project_dir: Path,
    settings: TrackingSettings,
    input_example: pd.DataFrame,
    params: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    artifacts: Sequence[Path] = (),
    model_set: ModelSet | None = None,
    heldout: HeldOut | None = None,
) -> TrackingResult | None:
    """Log one trained bundle as an MLflow run (params, config, git commit, data fingerprint, metrics,
    reports, model card, pyfunc model with signature and input example, and the `heldout` rows a champion
    is re-scored on) and, given `model_set`, register it as a new version of authfit-<name> tagged with the
    set's version and members, with no alias: `promote_model_set` moves the alias for the whole set.
    Returns None, with a warning, when tracking is disabled or fails. Raises BundleError when the bundle
    does not verify."""
    bundle = load_bundle(bundle_path)
    if not settings.enabled:
        return None
    uri = resolve_tracking_uri(project_dir, settings)
    started = time.perf_counter()
    try:
        return _log(bundle, uri, project_dir, settings, input_example, params or {}, config, artifacts,
                    started, model_set, heldout)
    except Exception as exc:  # noqa: BLE001 - any MLflow/DB/network failure must not lose the bundle
        _warn(f"tracking failed: {type(exc).__name__}: {exc}; the bundle is saved at {bundle.path}")
        return None


def _warn(message: str) -> None:
    log.warning(message)
    warnings.warn(message, RuntimeWarning, stacklevel=3)


def _log_heldout(heldout: HeldOut) -> None:
    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.parquet"
        heldout.rows.to_parquet(path, index=False)
        mlflow.log_artifact(str(path), artifact_path="heldout")
    mlflow.set_tags({"authfit.heldout_rows": str(len(heldout.rows)), "authfit.heldout_keys": ",".join(heldout.keys)})


def _log(bundle: Bundle, uri: str, project_dir: Path, settings: TrackingSettings, input_example: pd.DataFrame,
         params: Mapping[str, Any], config: Mapping[str, Any] | None, artifacts: Sequence[Path],
         started: float, model_set: ModelSet | None, heldout: HeldOut | None) -> TrackingResult:
    import mlflow

    check_reachable(uri, settings.connect_timeout_s)
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    default_root = Path(project_dir) / "mlartifacts" if uri.startswith("sqlite:") else None
    experiment_id = _experiment_id(client, settings.experiment, default_root)
    # registration resolves the logged model through the fluent tracking URI, so it stays inside the block
    with _tracking_uri(uri):
        with mlflow.start_run(experiment_id=experiment_id,
                              run_name=f"{bundle.metadata.name}-{bundle.metadata.version}") as run:
            _log_run_contents(bundle, params, config, artifacts, Path(project_dir))
            if heldout is not None:
                _log_heldout(heldout)
            model_uri = _log_pyfunc(bundle, input_example)
        version = None
        if model_set is not None:
            version = register_version(client, bundle.metadata.name, model_uri, run.info.run_id, model_set.tags())
    return TrackingResult(run.info.run_id, model_uri, uri, time.perf_counter() - started, version)


def champion_model_set(tracking_uri: str, models: Sequence[str]) -> dict[str, Path]:
    """Local bundle directories of the set behind `@champion` (the first of `models` that has one), or {}
    when no model has a champion yet."""
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    for model in models:
        try:
            client.get_model_version_by_alias(registered_model_name(model), CHAMPION)
        except MlflowException:
            continue
        return download_model_set(f"models:/{registered_model_name(model)}@{CHAMPION}", tracking_uri)
    return {}


def promote_model_set(tracking_uri: str, versions: Mapping[str, str], decision: SetDecision) -> str:
    """Move `@champion` (or `@challenger`) to every registered version of one set; returns the alias."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    return move_set_alias(client, versions, decision)


def config_as_dict(settings: BaseModel) -> dict[str, Any]:
    """A settings model as JSON-safe data for `log_training_run(config=...)`."""
    return json.loads(settings.model_dump_json())


# ---------------------------------------------------------------- loading a registered model set


def project_tracking_uri(project_dir: Path | None = None) -> str:
    """The store a registry URI is read from: $MLFLOW_TRACKING_URI, else the project's embedded store that
    `authfit train` writes (`<project_dir>/mlruns.db`, the working directory by default). A missing
    embedded store is an error, never created: MLflow would otherwise answer from an empty new one."""
    uri = resolve_tracking_uri(Path.cwd() if project_dir is None else Path(project_dir), TrackingSettings())
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
        raise BundleError(f"no MLflow store at {uri.removeprefix('sqlite:///')}: run `authfit train` in this "
                          f"directory first, or set {ENV_URI} to the store the models were registered in")
    return uri


def parse_registry_uri(uri: str) -> tuple[str, str | None, str | None]:
    """(registered name, alias, version) of models:/<name>@<alias> or models:/<name>/<version>."""
    body = uri.removeprefix("models:/").strip("/")
    if "@" in body:
        name, alias = body.split("@", 1)
        return name, alias, None
    name, _, version = body.partition("/")
    if not name or not version:
        raise BundleError(f"{uri} is not a registry URI of the form models:/<name>@<alias> or models:/<name>/<version>")
    return name, None, version


def _bundle_dir(model_dir: Path) -> Path:
    """Where, inside a downloaded pyfunc model, the bundle artifact is: its MLmodel file says so (MLflow 3
    keeps it under artifacts/<bundle directory name>, not artifacts/bundle)."""
    import yaml

    from authfit.modeling.pyfunc import BUNDLE_ARTIFACT

    mlmodel = yaml.safe_load((model_dir / "MLmodel").read_text(encoding="utf-8"))
    try:
        relative = mlmodel["flavors"]["python_function"]["artifacts"][BUNDLE_ARTIFACT]["path"]
    except (KeyError, TypeError) as exc:
        raise BundleError(f"the model at {model_dir} holds no authfit bundle artifact") from exc
    return model_dir / relative


def model_set_versions(client, name: str, alias: str | None, version: str | None) -> tuple[str, dict[str, Any]]:
    """The model set of one registered version, and the registered version of each of its members."""
    chosen = (client.get_model_version_by_alias(name, alias) if alias is not None
              else client.get_model_version(name, version))
    set_version = chosen.tags.get(MODEL_SET_TAG)
    members = [m for m in chosen.tags.get(MODEL_SET_MEMBERS_TAG, "").split(",") if m]
    if not set_version or not members:
        raise BundleError(f"{name} version {chosen.version} was registered without its model set (tag "
                          f"{MODEL_SET_TAG}); its companion models cannot be matched to it. Retrain to register "
                          f"a complete set, or load a local set (models/latest)")
    found: dict[str, Any] = {}
    for member in members:
        wanted = registered_model_name(member)
        versions = [v for v in client.search_model_versions(f"name='{wanted}'")
                    if v.tags.get(MODEL_SET_TAG) == set_version]
        if not versions:
            raise BundleError(f"model set {set_version} is incomplete in the registry: no version of {wanted} "
                              f"carries {MODEL_SET_TAG}={set_version}; refusing to mix in another set's model")
        found[member] = max(versions, key=lambda v: int(v.version))
    return set_version, found


def download_model_set(uri: str, tracking_uri: str) -> dict[str, Path]:
    """Local bundle directories (model name -> directory) of the whole set behind a registry URI such as
    models:/authfit-fake-engagement@champion: the named version and the companions trained in the same
    run, matched by the set tag recorded at registration, never by their own aliases."""
    import mlflow

    name, alias, version = parse_registry_uri(uri)
    client = mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    _, versions = model_set_versions(client, name, alias, version)
    # models:/m-<id> sources resolve through the fluent tracking URI, whatever tracking_uri= says
    with _tracking_uri(tracking_uri):
        return {member: _bundle_dir(Path(mlflow.artifacts.download_artifacts(artifact_uri=v.source)))
                for member, v in versions.items()}
