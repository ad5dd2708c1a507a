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

from authfit.modeling.bundle import Bundle, load_bundle
from authfit.modeling.promotion import PromotionResult, PromotionThresholds, register_and_promote

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
class TrackingResult:
    run_id: str
    model_uri: str
    tracking_uri: str
    seconds: float
    promotion: PromotionResult | None = None


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
    promotion: PromotionThresholds | None = None,
) -> TrackingResult | None:
    """Log one trained bundle as an MLflow run (params, config, git commit, data fingerprint, metrics,
    reports, model card, pyfunc model with signature and input example) and, given `promotion`, register
    it as authfit-<name> and set @champion or @challenger. Returns None, with a warning, when tracking
    is disabled or fails. Raises BundleError when the bundle does not verify."""
    bundle = load_bundle(bundle_path)
    if not settings.enabled:
        return None
    uri = resolve_tracking_uri(project_dir, settings)
    started = time.perf_counter()
    try:
        return _log(bundle, uri, project_dir, settings, input_example, params or {}, config, artifacts,
                    promotion, started)
    except Exception as exc:  # noqa: BLE001 - any MLflow/DB/network failure must not lose the bundle
        message = f"tracking failed: {type(exc).__name__}: {exc}; the bundle is saved at {bundle.path}"
        log.warning(message)
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        return None


def _log(bundle: Bundle, uri: str, project_dir: Path, settings: TrackingSettings, input_example: pd.DataFrame,
         params: Mapping[str, Any], config: Mapping[str, Any] | None, artifacts: Sequence[Path],
         promotion: PromotionThresholds | None, started: float) -> TrackingResult:
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
            model_uri = _log_pyfunc(bundle, input_example)
        result = None
        if promotion is not None:
            result = register_and_promote(client, bundle.metadata.name, model_uri, run.info.run_id,
                                          bundle.metadata.metrics, promotion)
    return TrackingResult(run.info.run_id, model_uri, uri, time.perf_counter() - started, result)


def config_as_dict(settings: BaseModel) -> dict[str, Any]:
    """A settings model as JSON-safe data for `log_training_run(config=...)`."""
    return json.loads(settings.model_dump_json())
