"""The load test's own pieces (`make bench-load`): its payloads are valid requests of the right size, its
mix is what it says, and its checks count a wrong answer as an error."""

from __future__ import annotations

import json

import numpy as np

from authfit_bench.loadtest import (
    ACCOUNTS,
    FEATURES,
    INFLUENCERS,
    Request,
    account_rows,
    answers,
    influencer_payload,
    schedule,
    summarise,
)
from authfit.serve.schemas import AccountsRequest, InfluencersRequest


def test_payloads_are_valid_requests_of_the_promised_size_and_deterministic():
    payload = influencer_payload(3)
    item = InfluencersRequest.model_validate(payload).influencers[0]
    assert (len(item.posts), len(item.audience), len(item.follower_history)) == (30, 100, 120)
    assert all(len(post.comments) == 20 for post in item.posts)
    assert json.dumps(influencer_payload(3)) == json.dumps(payload)
    assert json.dumps(influencer_payload(4)) != json.dumps(payload)
    rows = account_rows(np.random.default_rng(0), "a", 5)
    assert [a.follower_id for a in AccountsRequest(accounts=rows).accounts] == [f"a-{j}" for j in range(5)]


def _pool() -> dict[str, list[Request]]:
    return {path: [Request(path, f"{path}{i}".encode(), (str(i),)) for i in range(3)]
            for path in (ACCOUNTS, FEATURES, INFLUENCERS)}


def test_schedule_sends_an_influencer_every_nth_request_and_splits_the_rest():
    plan = schedule(_pool(), 2000, influencer_every=100, accounts_share=0.5, seed=1)
    kinds = [r.path for r in plan]
    assert [i for i, k in enumerate(kinds) if k == INFLUENCERS] == list(range(99, 2000, 100))
    assert 0.45 < kinds.count(ACCOUNTS) / (kinds.count(ACCOUNTS) + kinds.count(FEATURES)) < 0.55
    assert INFLUENCERS not in {r.path for r in schedule(_pool(), 500, 0, 0.5, seed=1)}


def test_a_200_that_does_not_answer_row_for_row_is_an_error():
    request = Request(ACCOUNTS, b"", ("u-0", "u-1"))
    assert answers(request, json.dumps({"accounts": [{"follower_id": "u-0"}, {"follower_id": "u-1"}]}).encode())
    assert not answers(request, json.dumps({"accounts": [{"follower_id": "u-1"}, {"follower_id": "u-0"}]}).encode())
    features = Request(FEATURES, b"", ("0", "1", "2"))
    assert not answers(features, json.dumps({"fake_engagement_probability": [0.1, 0.2]}).encode())
    results = [(ACCOUNTS, "ok", 0.010), (ACCOUNTS, "wrong body", 0.020), (FEATURES, "503", 0.001),
               (INFLUENCERS, "ok", 0.5)]
    figures = summarise(results, elapsed=2.0)
    assert (figures["requests_sent"], figures["errors"], figures["error_kinds"]) == (4, 2, ["503", "wrong body"])
    assert figures["per_endpoint"][ACCOUNTS]["errors"] == 1
    assert figures["per_endpoint"][INFLUENCERS]["latency_ms"]["p50"] == 500.0
