"""The precomputed-features fast paths (Scorer.score_features, POST /v1/features/score) give exactly the
scores of the full path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from authfit.contract.io import read_raw_tables
from authfit.modeling.bundle import SINGLE_THREAD_ROWS, predict_threads
from authfit.serve.api import ScorerHolder, create_app
from authfit.serve.schemas import ServiceSettings
from authfit.contract.validate import validate_tables


@pytest.fixture(scope="module")
def tables(trained) -> dict[str, pd.DataFrame]:
    return validate_tables(read_raw_tables(trained.world)).tables


@pytest.fixture(scope="module")
def features(scorer, tables) -> pd.DataFrame:
    return scorer.features(tables)


def test_score_features_equals_the_full_path(scorer, tables, features):
    full = scorer.score_influencers(tables).set_index("account_id")
    fast = scorer.score_features(features)
    assert list(fast.index) == list(features.index)
    np.testing.assert_allclose(fast["fake_engagement_probability"].to_numpy(),
                               full.loc[features.index.astype(str), "fake_engagement_probability"].to_numpy(),
                               rtol=0, atol=1e-12)
    assert (fast["fake_engagement_flag"].to_numpy() == full.loc[features.index.astype(str),
                                                                 "fake_engagement_flag"].to_numpy()).all()


def test_array_path_equals_the_bundle_path_whatever_the_column_order(scorer, features):
    """In model order the booster gets the array; shuffled or with extra columns, Bundle.predict reorders."""
    ordered = features[list(scorer.fake.features)]
    shuffled = ordered[ordered.columns[::-1]].assign(extra=1.0)
    expected = scorer.fake.predict(ordered)
    np.testing.assert_allclose(scorer.predict_features(ordered), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(scorer.predict_features(shuffled), expected, rtol=0, atol=1e-12)
    one = ordered.iloc[[3]]
    np.testing.assert_allclose(scorer.predict_features(one), expected[[3]], rtol=0, atol=1e-12)


def test_thread_choice_does_not_change_predictions(scorer, features):
    ordered = features[list(scorer.fake.features)]
    big = ordered.iloc[np.resize(np.arange(len(ordered)), SINGLE_THREAD_ROWS + 5)]
    assert predict_threads(len(big)) == 0 and predict_threads(len(ordered)) == 1
    np.testing.assert_allclose(scorer.predict_features(big)[:len(ordered)], scorer.predict_features(ordered),
                               rtol=0, atol=1e-12)


def test_score_features_with_reasons_gives_sentences(scorer, features):
    out = scorer.score_features(features.iloc[:5], reasons=True)
    assert out["reasons"].map(len).gt(0).all()
    assert all(isinstance(text, str) and text for reasons in out["reasons"] for text in reasons)


def test_features_endpoint_returns_the_scorers_probabilities_and_refuses_missing_columns(scorer, features):
    client = TestClient(create_app(ScorerHolder(lambda: scorer), ServiceSettings()))
    rows = [{k: (None if np.isnan(v) else float(v)) for k, v in features.iloc[i][list(scorer.fake.features)].items()}
            for i in range(3)]
    response = client.post("/v1/features/score", json={"rows": rows})
    assert response.status_code == 200
    np.testing.assert_allclose(response.json()["fake_engagement_probability"],
                               scorer.score_features(features.iloc[:3])["fake_engagement_probability"], atol=1e-12)
    missing = client.post("/v1/features/score", json={"rows": [{"engagement_rate": 0.1}]})
    assert missing.status_code == 422 and "lack" in missing.json()["detail"]
    assert client.post("/v1/features/score", json={"rows": []}).status_code == 422
