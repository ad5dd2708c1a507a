"""Account scoring with the trained scorer: `score_accounts` builds the features once and gives what the
two-step path (predict_proba, then reasons from pred_contrib) gives; a batched request scores exactly as
it would alone; and concurrent HTTP requests each get their own rows back."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

import authfit.modeling.real_data_models as components
from authfit_bench.loadtest import account_rows
from authfit.scoring.scorer import AccountScores
from authfit.serve.api import ScorerHolder, create_app
from authfit.serve.batching import AccountBatcher
from authfit.serve.schemas import AccountsRequest, ServiceSettings, accounts_frame


pytestmark = pytest.mark.usefixtures("needs_account_model")


def _requests(n: int, seed: int = 3) -> list[list[dict]]:
    """Varied requests: 1-5 rows, optional columns present in some and absent in others, odd texts."""
    rng = np.random.default_rng(seed)
    out = [account_rows(rng, f"r{i}", int(rng.integers(1, 6))) for i in range(n)]
    out.append([{"follower_id": "odd0", "username": "😀😀", "biography": ""},
                {"follower_id": "odd1", "username": "", "full_name": "İstanbul Σσς", "follower_count": 0,
                 "following_count": 10**12},
                {"follower_id": "odd2"}])
    return out


def _frames(n: int) -> list[pd.DataFrame]:
    return [accounts_frame(AccountsRequest(accounts=rows)) for rows in _requests(n)]


def test_score_accounts_builds_features_once_and_matches_the_two_step_path(scorer, monkeypatch):
    frame = pd.concat(_frames(6), ignore_index=True)
    calls = []
    original = components.profile_feature_values
    monkeypatch.setattr(components, "profile_feature_values", lambda p: calls.append(len(p)) or original(p))
    scored = scorer.score_accounts(frame)
    assert calls == [len(frame)]
    monkeypatch.undo()
    p = np.clip(scorer.account.predict_proba(frame), 0, 1)
    np.testing.assert_array_equal(scored["fake_probability"].to_numpy(), p)
    np.testing.assert_array_equal(scored["is_fake"].to_numpy(), p >= scorer.account.threshold)
    # a row's reasons are its own: the same whether it is scored with the others or alone
    alone = [scorer.score_accounts(frame.iloc[[i]]) for i in range(len(frame))]
    assert scored["reasons"].tolist() == [one["reasons"].iloc[0] for one in alone]
    assert scored["reasons"].map(len).gt(0).any()


class HeldScorer:
    """The trained scorer, held inside its first call so that the requests after it queue into one batch."""

    def __init__(self, scorer):
        self.scorer, self.calls = scorer, []
        self.entered, self.release = threading.Event(), threading.Event()

    def account_scores(self, frame: pd.DataFrame) -> AccountScores:
        self.calls.append(len(frame))
        self.entered.set()
        assert self.release.wait(30)
        return self.scorer.account_scores(frame)


def test_a_batched_request_scores_exactly_as_it_would_alone(scorer):
    frames = _frames(10)
    held, batcher = HeldScorer(scorer), AccountBatcher(max_rows=1000)
    first = batcher.submit(held, frames[0])
    assert held.entered.wait(30)
    futures = [batcher.submit(held, frame) for frame in frames[1:]]
    held.release.set()
    results = [first.result(60), *(f.result(60) for f in futures)]
    assert held.calls == [len(frames[0]), sum(len(f) for f in frames[1:])]  # the rest in one batch
    for frame, result in zip(frames, results):
        alone = scorer.account_scores(frame)
        np.testing.assert_array_equal(result.probability, alone.probability)
        np.testing.assert_array_equal(result.flag, alone.flag)
        assert result.reasons == alone.reasons


def test_concurrent_http_requests_each_get_their_own_rows(scorer):
    client = TestClient(create_app(ScorerHolder(lambda: scorer), ServiceSettings()))
    bodies = [{"accounts": rows} for rows in _requests(11, seed=5)]
    alone = [client.post("/v1/accounts/score", json=body).json() for body in bodies]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda body: client.post("/v1/accounts/score", json=body), bodies * 2))
    assert all(r.status_code == 200 for r in together)
    assert [r.json() for r in together] == alone * 2


@pytest.mark.parametrize("rows", [0, 1])
def test_batching_can_be_turned_off(scorer, rows):
    settings = ServiceSettings(account_batch_rows=rows)
    client = TestClient(create_app(ScorerHolder(lambda: scorer), settings))
    body = {"accounts": _requests(1)[0]}
    response = client.post("/v1/accounts/score", json=body)
    assert response.status_code == 200
    assert [a["follower_id"] for a in response.json()["accounts"]] == [r["follower_id"] for r in body["accounts"]]


def test_score_columns_sent_with_the_accounts_are_replaced_not_repeated(scorer):
    frame = _frames(1)[0].assign(fake_probability=-1.0, reasons="sent by the caller")
    scored = scorer.score_accounts(frame)
    assert scored.columns.is_unique
    assert scored["fake_probability"].between(0, 1).all()
    assert scored["reasons"].map(lambda r: isinstance(r, list)).all()
