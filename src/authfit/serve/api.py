"""The HTTP service: thin FastAPI handlers over one scorer.

Security and limits: binds to 127.0.0.1 unless told otherwise; when an API key is configured (from the
environment variable named in the settings) every /v1 call except health needs it, compared in constant
time; request size is checked from the headers and while streaming, before any JSON is parsed; the model
is loaded once at start and only from the configured path, never from anything in a request; request
bodies are never logged.
"""

from __future__ import annotations

import copy
import gc
import hmac
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authfit.contract.schema import PROFILE_COLUMNS
from authfit.scoring.scorer import AccountScores, ScoringError
from authfit.serve.batching import AccountBatcher
from authfit.serve.schemas import (
    AccountScore,
    AccountsRequest,
    AccountsResponse,
    ErrorResponse,
    HealthResponse,
    InfluencersRequest,
    InfluencersResponse,
    ModelInfo,
    ServiceSettings,
    influencer_tables,
    records,
)

log = logging.getLogger(__name__)


class ScorerHolder:
    """Holds the live scorer. A request takes one reference at its start, so a swap mid-request cannot
    mix model versions within one response, and in-flight requests finish on the scorer they started on."""

    def __init__(self, loader: Callable[[], Any]):
        self._loader = loader
        self._lock = threading.Lock()
        self._scorer = loader()

    def current(self) -> Any:
        return self._scorer

    def reload(self) -> Any:
        fresh = self._loader()  # load outside the lock; a failed load leaves the old scorer serving
        with self._lock:
            self._scorer = fresh
        return fresh


def warm(scorer: Any) -> Any:
    """`scorer`, after scoring the documented request examples (with an audience sample) through the
    handlers' own steps, so that everything prepared on first use (compiled kernels read from numba's
    cache, regular expressions, the text models' lookups, lazy imports) is prepared at load, and the
    first request is as fast as the later ones. A scorer that cannot score the examples fails here, at
    load (or at reload, which then keeps the old one serving), rather than on a caller's request.

    Then everything alive is moved out of the garbage collector's sight (`gc.freeze`): the loaded model
    and libraries are hundreds of thousands of objects, and the first full collection, otherwise paid by
    an early request, walked all of them. Frozen objects are still freed when no longer referenced; only
    reference cycles among them (a retired scorer's, after a reload) stay until the process ends."""
    example = copy.deepcopy(InfluencersRequest.model_json_schema()["examples"][0])
    example.pop("campaign", None)
    accounts = AccountsRequest.model_validate(AccountsRequest.model_json_schema()["examples"][0])
    example["influencers"][0]["audience"] = [a.model_dump(exclude_none=True) for a in accounts.accounts]
    body = InfluencersRequest.model_validate_json(json.dumps(example))  # as the handler gets it
    result = scorer.score(influencer_tables(body), as_of=body.as_of)
    _json(InfluencersResponse(model_version=scorer.model_version, influencers=records(result.influencers),
                              rejects=records(result.rejects)))
    if getattr(scorer, "account", None) is not None:
        accounts_json(scorer.model_version, accounts, scorer.account_scores(profile_frame(accounts)))
    gc.collect()
    gc.freeze()
    return scorer


class BodyLimit:
    """Refuse bodies over the limit before parsing: by Content-Length, and by counting streamed bytes."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _send_json(send, 413, f"request body over the limit of {self.max_bytes} bytes")
            return
        seen, refused = 0, False

        # An exception raised from receive() would be swallowed by FastAPI's body parsing and turned into
        # a 400, so on overflow the 413 is sent from here and the app is told the client went away.
        async def limited() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                refused = True
                await _send_json(send, 413, f"request body over the limit of {self.max_bytes} bytes")
                return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, limited, unless_refused)
        except Exception:
            if not refused:  # the app's own errors are not ours to hide
                raise


async def _send_json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class AccessLog:
    """Access logging with method, path and status only; bodies are never logged."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 0}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, capture)
        log.info("%s %s -> %s", scope["method"], scope["path"], status["code"])


def _api_key_check(expected: str | None) -> Callable[[Request], None]:
    def check(request: Request) -> None:
        if expected is None:
            return
        given = request.headers.get("x-api-key", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(status_code=401, detail="missing or wrong X-API-Key header")

    return check


def _api_key_dependency(expected: str | None) -> Callable[[Request], Awaitable[None]]:
    """The key check as an async dependency: FastAPI runs a sync one in the thread pool, a hop per
    request that cost more than the comparison."""
    check = _api_key_check(expected)

    async def dependency(request: Request) -> None:
        check(request)

    return dependency


def _readable_422(_: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [f"{'.'.join(str(p) for p in err['loc'] if p != 'body') or 'body'}: {err['msg']}"
                for err in exc.errors()[:20]]
    return JSONResponse(status_code=422, content={"detail": "invalid request: " + "; ".join(problems)})


def _scoring_422(_: Request, exc: Exception) -> JSONResponse:
    """A request the scorer cannot serve as given (e.g. its campaign row was rejected) is the caller's
    to fix: 422 with the reason, not a 500."""
    return JSONResponse(status_code=422, content={"detail": f"cannot score this request: {exc}"})


def _json(body: BaseModel) -> Response:
    """The response model, validated when it was built, as JSON. Returned as a Response, FastAPI does not
    validate and serialise it a second time (for a sync handler, in one more thread-pool hop)."""
    return Response(body.model_dump_json(), media_type="application/json")


def profile_frame(body: AccountsRequest) -> pd.DataFrame:
    """The accounts' profile columns, all that account scores read (the response echoes the rows from
    the request itself): a column per list, cheaper than a frame of whole rows."""
    return pd.DataFrame({name: [getattr(account, name) for account in body.accounts] for name in _PROFILE_NAMES})


_PROFILE_NAMES = tuple(column.name for column in PROFILE_COLUMNS)


def accounts_json(model_version: str, body: AccountsRequest, scored: AccountScores) -> bytes:
    """The `AccountsResponse` of `body`'s accounts and their scores as JSON, written straight from the
    request's validated rows and the score arrays (each account's fields as sent, null where not sent):
    a response model per row, validated again, cost more than scoring a few rows."""
    fields = [name for name in AccountScore.model_fields if name not in _SCORE_FIELDS]
    rows = [{name: getattr(account, name, None) for name in fields} for account in body.accounts]
    for row, p, fake, reasons in zip(rows, scored.probability.tolist(), scored.flag.tolist(), scored.reasons):
        row.update(fake_probability=p, is_fake=fake, reasons=reasons, model_version=scored.model_version)
    return to_json({"model_version": model_version, "accounts": rows})


_SCORE_FIELDS = frozenset({"fake_probability", "is_fake", "reasons", "model_version"})


def _row_limit(count: int, limit: int, what: str) -> None:
    if count > limit:
        raise HTTPException(status_code=413, detail=f"too many {what}: {count} > limit {limit}")


def create_app(holder: ScorerHolder, settings: ServiceSettings, api_key: str | None = None) -> FastAPI:
    """The application, with its scorer injected; nothing here reads the environment or the disk."""
    app = FastAPI(title="authfit", version="1", description="Influencer authenticity and conversion scores.")
    app.add_exception_handler(RequestValidationError, _readable_422)  # type: ignore[arg-type]
    app.add_exception_handler(ScoringError, _scoring_422)
    app.add_middleware(AccessLog)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    guard = Depends(_api_key_dependency(api_key))
    batcher = AccountBatcher(settings.account_batch_rows)
    refusals: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorResponse, "description": text} for code, text in (
            (401, "missing or wrong X-API-Key header"), (413, "request body or row count over the limit"),
            (422, "the request is invalid or cannot be scored as given; `detail` says where"))}

    @app.get("/v1/health", response_model=HealthResponse)
    def health() -> HealthResponse:
        return HealthResponse(status="ok", model_version=holder.current().model_version)

    @app.get("/v1/model", response_model=ModelInfo, dependencies=[guard], responses={401: refusals[401]})
    def model() -> ModelInfo:
        return ModelInfo(**holder.current().describe())

    @app.post("/v1/influencers/score", response_model=InfluencersResponse, dependencies=[guard],
              responses=refusals)
    def score_influencers(body: InfluencersRequest) -> Response:
        """Scores each influencer as of `as_of` (default: now), on its own: the others in the request do
        not change its scores."""
        _row_limit(len(body.influencers), settings.max_influencers, "influencers")
        tables = influencer_tables(body)
        _row_limit(sum(len(t) for t in tables.values()), settings.max_rows, "rows")
        scorer = holder.current()
        result = scorer.score(tables, campaign=body.campaign.campaign_id if body.campaign else None,
                              as_of=body.as_of or datetime.now(UTC))
        return _json(InfluencersResponse(
            model_version=scorer.model_version, influencers=records(result.influencers),
            campaign=records(result.campaign) if result.campaign is not None else None,
            rejects=records(result.rejects)))

    # sync, so frame building and the JSON of big batches stay off the event loop; requests of up to
    # account_batch_rows rows wait (holding no GIL) while the batcher scores them with their neighbours
    @app.post("/v1/accounts/score", response_model=AccountsResponse, dependencies=[guard], responses=refusals)
    def score_accounts(body: AccountsRequest) -> Response:
        _row_limit(len(body.accounts), settings.max_rows, "accounts")
        scorer = holder.current()
        frame = profile_frame(body)
        scored = batcher.score(scorer, frame) if len(frame) <= batcher.max_rows else scorer.account_scores(frame)
        return Response(accounts_json(scorer.model_version, body, scored), media_type="application/json")

    check_key = _api_key_check(api_key)

    # async and with the key checked inline: for one row, FastAPI's two thread-pool hops (sync dependency,
    # sync handler) cost more than the scoring; large batches still go to the thread pool.
    @app.post("/v1/features/score", response_model=FeaturesResponse, responses=refusals)
    async def score_features(body: FeaturesRequest, request: Request) -> FeaturesResponse:
        check_key(request)
        _row_limit(len(body.rows), settings.max_rows, "rows")
        scorer = holder.current()
        needed = scorer.fake.features
        missing = sorted(set().union(*(set(needed) - row.keys() for row in body.rows)))
        if missing:  # a 422 the caller can act on, instead of the bundle's error
            raise HTTPException(status_code=422, detail=f"rows lack {len(missing)} feature(s): {missing[:10]}")
        # one float array straight from the rows (None -> NaN); building it via from_records took ~1 ms
        frame = pd.DataFrame(np.array([[row[name] for name in needed] for row in body.rows], dtype="float64"),
                             columns=list(needed))
        scored = (scorer.score_features(frame) if len(frame) <= _INLINE_ROWS
                  else await run_in_threadpool(scorer.score_features, frame))
        return FeaturesResponse(model_version=scorer.model_version,
                                fake_engagement_probability=scored["fake_engagement_probability"].tolist(),
                                fake_engagement_flag=scored["fake_engagement_flag"].tolist())

    return app


# Feature rows scored on the event loop itself; more go to the thread pool so other requests keep flowing.
_INLINE_ROWS = 50


class FeaturesRequest(BaseModel):
    """Precomputed influencer features (the fake-engagement model's columns; null = unknown)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"rows": [
        {"engagement_rate": 0.031, "engagement_vs_benchmark": 1.2, "log10_followers_as_of": 4.68,
         "follower_max_jump_share": 0.004, "generic_comment_share": 0.12}]}]})
    rows: list[dict[str, float | None]] = Field(
        min_length=1, description="one object per influencer: every feature the model uses (GET /v1/model "
                                  "lists how many; their names are in the model card), null when unknown")


class FeaturesResponse(BaseModel):
    """Fake-engagement scores of the rows, in the order sent."""

    model_version: str = Field(description="version of the model set")
    fake_engagement_probability: list[float] = Field(description="calibrated probability per row, 0-1")
    fake_engagement_flag: list[bool] = Field(description="probability at or above the decision threshold")
