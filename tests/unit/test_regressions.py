"""Regression tests for bugs the reliability work found (each failed before its fix)."""

from __future__ import annotations

import pandas as pd
from fastapi.testclient import TestClient

from authfit.scoring.scorer import ScoringError
from authfit.serve.api import ScorerHolder, create_app
from authfit.serve.schemas import ServiceSettings
from authfit.contract.validate import validate_tables


def test_rejects_keep_their_records_when_texts_hold_unicode_line_separators():
    # str.splitlines() split the JSON lines at U+2028 / \x1c too, so the record count did not match the
    # reject count and validate_tables raised instead of rejecting
    accounts = pd.DataFrame({"account_id": ["a", "b", "c"], "follower_count": ["x", "y", 5],
                             "biography": ["line\u2028sep", "group\x1csep", "fine"]}, dtype=object)
    result = validate_tables({"accounts": accounts})
    assert len(result.rejects) == 2 and len(result.tables["accounts"]) == 1
    assert "line\u2028sep" in result.rejects["record"].iloc[0]


class _Refuses:
    model_version = "v"

    def describe(self):
        return {"model_version": "v", "models": {}}

    def score(self, tables, campaign=None, as_of=None):
        raise ScoringError(f"campaign {campaign!r} is not in the campaigns table")


def _client(max_body: int = 10_000) -> TestClient:
    app = create_app(ScorerHolder(_Refuses), ServiceSettings(max_body_bytes=max_body))
    return TestClient(app, raise_server_exceptions=False)


def test_scoring_error_is_a_readable_422_not_a_500():
    body = {"influencers": [{"account": {"account_id": "a", "follower_count": 1}}],
            "campaign": {"campaign_id": "c1", "brand": "b", "brief": "x"}}
    response = _client().post("/v1/influencers/score", json=body)
    assert response.status_code == 422 and "c1" in response.json()["detail"]


def test_streamed_body_over_the_limit_is_413_not_400():
    # the limit used to raise inside receive(), which FastAPI's body parsing turned into a 400
    def chunks():
        yield b'{"accounts": ['
        for _ in range(2_000):
            yield b'{"follower_id": "x"},'
        yield b'{"follower_id": "y"}]}'

    response = _client().post("/v1/accounts/score", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "limit" in response.json()["detail"]


def test_service_binds_to_localhost_unless_told_otherwise():
    from pathlib import Path

    from authfit.serve.run import load_service_settings

    assert ServiceSettings().host == "127.0.0.1"
    shipped = Path("configs/serve.yaml")
    if shipped.exists():
        assert load_service_settings(shipped).host in ("127.0.0.1", "localhost", "::1")
