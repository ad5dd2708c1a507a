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


def serve(settings: ServiceSettings) -> None:
    """Run until stopped. SIGHUP reloads the configured model in place without dropping requests."""
    import uvicorn

    from authfit.scoring import Scorer
    from authfit.serve.api import ScorerHolder, create_app, warm

    holder = ScorerHolder(lambda: warm(Scorer.load(settings.model)))  # warm: the first request is no slower
    api_key = os.environ.get(settings.api_key_env) or None
    if settings.host not in ("127.0.0.1", "localhost", "::1") and api_key is None:
        log.warning("serving on %s without an API key; set $%s", settings.host, settings.api_key_env)
    signal.signal(signal.SIGHUP, lambda *_: _reload(holder))
    app = create_app(holder, settings, api_key=api_key)
    log.info("serving model %s at %s (API docs at /docs; Ctrl+C stops)", holder.current().model_version,
             service_url(settings.host, settings.port))
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False)


def service_url(host: str, port: int) -> str:
    """The URL a person opens: an IPv6 host goes in brackets."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _reload(holder) -> None:
    try:
        scorer = holder.reload()
        log.info("model reloaded: %s", scorer.model_version)
    except Exception as exc:  # noqa: BLE001 - a failed reload must leave the old model serving
        log.error("model reload failed, still serving the previous model: %s", exc)
