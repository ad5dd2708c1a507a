"""The HTTP layer: limits, authentication, readable errors and atomic model swaps.

The scorer here is a small stand-in that echoes what it was given, so these tests pin down the HTTP
contract alone; tests/integration exercises the service with a trained bundle."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from authfit.scoring.scorer import AccountScores
from authfit.serve.api import ScorerHolder, create_app
from authfit.serve.schemas import ServiceSettings


class EchoScorer:
    def __init__(self, version: str):
        self.model_version = version
        self.seen: list[dict[str, pd.DataFrame]] = []

    def describe(self) -> dict:
        return {"model_version": self.model_version, "models": {"fake-engagement": {"threshold": 0.5}}}

    def score(self, tables, campaign=None, as_of=None):
        self.seen.append(tables)
        self.as_of = as_of
        ids = tables["accounts"]["account_id"]
        influencers = pd.DataFrame({
            "account_id": ids, "tier": "micro", "fake_engagement_probability": 0.25, "fake_engagement_flag": False,
            "authenticity_score": 75.0, "fake_follower_share": float("nan"), "fake_follower_share_lo": None,
            "fake_follower_share_hi": None, "reachability": None, "engagement_rate": 0.02,
            "engagement_rate_vs_benchmark": 1.1, "reasons": [["comments look organic"]] * len(ids),
            "model_version": self.model_version, "scored_at": "2026-01-01T00:00:00Z", "niche": "fitness",
            "status": "scored", "as_of": str(as_of)})
        rejects = pd.DataFrame(columns=["table", "row", "columns", "reason"])
        return SimpleNamespace(influencers=influencers, campaign=None, rejects=rejects)

    def account_scores(self, frame):
        n = len(frame)
        return AccountScores(np.full(n, 0.9), np.ones(n, dtype=bool), [["no profile picture"]] * n, self.model_version)


def _payload(n: int = 1) -> dict:
    return {"influencers": [{
        "account": {"account_id": f"a{i}", "follower_count": 1200},
        "follower_history": [{"date": "2025-01-01", "follower_count": 1100}],
        "posts": [{"post_id": f"p{i}", "posted_at": "2025-01-02T10:00:00Z", "like_count": 30,
                   "comments": [{"comment_id": f"c{i}", "text": "love it 🔥"}]}],
    } for i in range(n)]}


@pytest.fixture
def client_and_holder():
    holder = ScorerHolder(lambda: EchoScorer("v1"))
    settings = ServiceSettings(max_body_bytes=20_000, max_influencers=5, max_rows=100)
    return TestClient(create_app(holder, settings, api_key="s3cret")), holder


def _post(client, path, json=None, key="s3cret", **kw):
    return client.post(path, json=json, headers={"x-api-key": key}, **kw)


def test_score_turns_the_payload_into_contract_tables(client_and_holder):
    client, holder = client_and_holder
    response = _post(client, "/v1/influencers/score", _payload(2))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["account_id"] for i in body["influencers"]] == ["a0", "a1"]
    assert body["influencers"][0]["fake_follower_share"] is None  # NaN becomes null, not invalid JSON
    tables = holder.current().seen[-1]
    assert tables["comments"]["post_id"].tolist() == ["p0", "p1"]
    assert tables["posts"]["account_id"].tolist() == ["a0", "a1"]


def test_api_key_is_required_when_configured(client_and_holder):
    client, _ = client_and_holder
    assert _post(client, "/v1/influencers/score", _payload(), key="wrong").status_code == 401
    assert client.get("/v1/model").status_code == 401
    assert client.get("/v1/health").status_code == 200


def test_invalid_input_is_a_readable_422(client_and_holder):
    client, _ = client_and_holder
    bad = _payload()
    bad["influencers"][0]["account"]["follower_count"] = -5
    response = _post(client, "/v1/influencers/score", bad)
    assert response.status_code == 422
    assert "influencers.0.account.follower_count" in response.json()["detail"]


def test_oversized_and_malformed_bodies_are_refused_before_scoring(client_and_holder):
    client, holder = client_and_holder
    big = _payload()
    big["influencers"][0]["posts"][0]["caption"] = "x" * 19_000 + "y" * 5_000
    assert _post(client, "/v1/influencers/score", big).status_code == 413
    assert _post(client, "/v1/influencers/score", _payload(6)).status_code == 413  # too many influencers
    malformed = client.post("/v1/influencers/score", content=b"{not json", headers={
        "x-api-key": "s3cret", "content-type": "application/json"})
    assert malformed.status_code == 422
    assert holder.current().seen == []


def _holder_loading(*loads) -> ScorerHolder:
    """A holder whose loader returns (or raises) the given loads' results in turn: the first at start."""
    queue = iter(loads)
    return ScorerHolder(lambda: next(queue)())


def test_model_swap_changes_version_atomically():
    holder = _holder_loading(lambda: EchoScorer("v1"), lambda: EchoScorer("v2"))
    client = TestClient(create_app(holder, ServiceSettings(), api_key="s3cret"))
    assert _post(client, "/v1/influencers/score", _payload()).json()["model_version"] == "v1"
    holder.reload()
    body = _post(client, "/v1/influencers/score", _payload()).json()
    assert body["model_version"] == "v2" and body["influencers"][0]["model_version"] == "v2"


def test_failed_reload_keeps_the_old_model():
    def broken():
        raise RuntimeError("bundle tampered")

    holder = _holder_loading(lambda: EchoScorer("v1"), broken)
    with pytest.raises(RuntimeError):
        holder.reload()
    assert holder.current().model_version == "v1"


def test_accounts_endpoint(client_and_holder):
    client, _ = client_and_holder
    response = _post(client, "/v1/accounts/score", {"accounts": [{"follower_id": "f1", "follower_count": 3}]})
    assert response.status_code == 200
    assert response.json()["accounts"][0]["is_fake"] is True


def test_openapi_document_is_served(client_and_holder):
    client, _ = client_and_holder
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/influencers/score", "/v1/accounts/score", "/v1/health", "/v1/model"} <= set(paths)


def test_influencers_are_scored_as_of_the_request_or_the_call_time(client_and_holder):
    from datetime import UTC, datetime

    client, holder = client_and_holder
    before = datetime.now(UTC)
    assert _post(client, "/v1/influencers/score", _payload()).status_code == 200
    assert before <= holder.current().as_of <= datetime.now(UTC)  # not the latest time in the request
    fixed = _payload() | {"as_of": "2025-02-01T00:00:00Z"}
    body = _post(client, "/v1/influencers/score", fixed).json()
    assert holder.current().as_of == datetime(2025, 2, 1, tzinfo=UTC)
    assert body["influencers"][0]["status"] == "scored" and body["influencers"][0]["niche"] == "fitness"
    for outside in ("1999-12-31T00:00:00Z", "2263-01-01T00:00:00Z"):  # beyond what pandas and the validator take
        response = _post(client, "/v1/influencers/score", _payload() | {"as_of": outside})
        assert response.status_code == 422 and "as_of must lie between" in response.json()["detail"]


def test_account_counts_come_back_as_integers(client_and_holder):
    client, _ = client_and_holder
    sent = {"accounts": [{"follower_id": "f1", "follower_count": 3}, {"follower_id": "f2"}]}
    response = _post(client, "/v1/accounts/score", sent)
    assert response.status_code == 200
    assert '"follower_count":3,' in response.text.replace(" ", "")  # not 3.0, though the frame holds floats
    assert response.json()["accounts"][1]["follower_count"] is None


def test_response_models_carry_every_scorer_output_column():
    from authfit.scoring.scorer import CAMPAIGN_OUTPUT_COLUMNS, INFLUENCER_OUTPUT_COLUMNS, REJECT_COLUMNS
    from authfit.serve.schemas import CampaignScore, InfluencerScore, Reject

    assert list(InfluencerScore.model_fields) == INFLUENCER_OUTPUT_COLUMNS
    assert list(CampaignScore.model_fields) == CAMPAIGN_OUTPUT_COLUMNS
    assert list(Reject.model_fields) == REJECT_COLUMNS
    assert {"niche", "cost", "cost_source", "currency"} <= {*InfluencerScore.model_fields, *CampaignScore.model_fields}


def _properties(node, path=""):
    """(path, property schema) of every property anywhere in an OpenAPI document."""
    if isinstance(node, dict):
        for name, schema in node.get("properties", {}).items():
            yield f"{path}.{name}", schema
        for key, value in node.items():
            yield from _properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for value in node:
            yield from _properties(value, path)


def test_openapi_describes_every_property_and_gives_an_example_per_endpoint(client_and_holder):
    from authfit.serve import api, schemas

    client, _ = client_and_holder
    spec = client.get("/openapi.json").json()
    found = list(_properties(spec))
    assert len(found) > 100
    undescribed = [path for path, schema in found if not schema.get("description")]
    assert undescribed == [], f"{len(undescribed)} of {len(found)} properties lack a description"
    for route, operations in spec["paths"].items():
        if "post" not in operations:
            continue
        ref = operations["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        examples = spec["components"]["schemas"][ref].get("examples")
        assert examples, f"POST {route} has no example request"
        model = getattr(schemas, ref, None) or getattr(api, ref)
        for example in examples:
            model.model_validate(example)  # the example is a valid request
