"""Start the HTTP service: read settings and the API key at the edge, load the model once, run uvicorn."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

from authfit.config import load_settings
from authfit.serve.schemas import ServiceSettings

log = logging.getLogger(__name__)


def load_service_settings(config: Path | None, **overrides: object) -> ServiceSettings:
    base = load_settings(config, ServiceSettings) if config else ServiceSettings()
    return base.model_copy(update={k: v for k, v in overrides.items() if v is not None})


# How `serve` hands its settings to the worker processes uvicorn starts (each builds its own app).
WORKER_SETTINGS_ENV = "AUTHFIT_SERVE_WORKER_SETTINGS"


def serve(settings: ServiceSettings) -> None:
    """Run until stopped. With one worker, SIGHUP reloads the configured model in place without dropping
    requests. With `workers` > 1, each worker process loads the model, and SIGHUP makes uvicorn restart
    the workers one after the other, so each loads the model afresh."""
    import uvicorn

    api_key = os.environ.get(settings.api_key_env) or None
    if settings.host not in ("127.0.0.1", "localhost", "::1") and api_key is None:
        log.warning("serving on %s without an API key; set $%s", settings.host, settings.api_key_env)
    url = service_url(settings.host, settings.port)
    if settings.workers > 1:
        os.environ[WORKER_SETTINGS_ENV] = settings.model_dump_json()
        log.info("serving model %s with %d workers at %s (API docs at /docs; Ctrl+C stops)", settings.model,
                 settings.workers, url)
        uvicorn.run("authfit.serve.run:worker_app", factory=True, workers=settings.workers, host=settings.host,
                    port=settings.port, log_level="warning", access_log=False)
        return
    holder, app = _holder_and_app(settings)
    signal.signal(signal.SIGHUP, lambda *_: _reload(holder))
    log.info("serving model %s at %s (API docs at /docs; Ctrl+C stops)", holder.current().model_version, url)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False)


def worker_app():
    """The application of one worker process, from the settings `serve` left in the environment."""
    return _holder_and_app(ServiceSettings.model_validate_json(os.environ[WORKER_SETTINGS_ENV]))[1]


def _holder_and_app(settings: ServiceSettings):
    from authfit.scoring import Scorer
    from authfit.serve.api import ScorerHolder, create_app, warm

    holder = ScorerHolder(lambda: warm(Scorer.load(settings.model)))  # warm: the first request is no slower
    return holder, create_app(holder, settings, api_key=os.environ.get(settings.api_key_env) or None)


def service_url(host: str, port: int) -> str:
    """The URL a person opens: an IPv6 host goes in brackets."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _reload(holder) -> None:
    try:
        scorer = holder.reload()
        log.info("model reloaded: %s", scorer.model_version)
    except Exception as exc:  # noqa: BLE001 - a failed reload must leave the old model serving
        log.error("model reload failed, still serving the previous model: %s", exc)
