"""The service's request and response models carry every column of the data contract and of the scorer's
output: a column added to `schema.py` or to OUTPUT_FIELDS reaches the HTTP API without a second edit."""

from __future__ import annotations

import pytest

from authfit.contract.schema import TABLES
from authfit.scoring.scorer import CAMPAIGN_OUTPUT_COLUMNS, INFLUENCER_OUTPUT_COLUMNS
from authfit.serve.schemas import (
    AccountsRequest,
    CampaignScore,
    InfluencerScore,
    InfluencersRequest,
    accounts_frame,
    influencer_tables,
)

REQUEST = {
    "influencers": [{
        "account": {"account_id": "a1", "follower_count": 10, "category": "food", "country": "DE"},
        "follower_history": [{"date": "2025-01-01", "follower_count": 9}],
        "posts": [{"post_id": "p1", "posted_at": "2025-01-02T00:00:00Z",
                   "comments": [{"comment_id": "c1", "text": "nice"}]}],
        "audience": [{"follower_id": "f1", "media_count": 3}],
        "cost": 120.0,
    }],
    "campaign": {"campaign_id": "k1", "brand": "b", "brief": "shoes", "currency": "EUR"},
}


@pytest.mark.parametrize("table", ["accounts", "follower_history", "posts", "comments", "audience", "campaigns",
                                   "offers"])
def test_request_tables_carry_every_contract_column(table):
    tables = influencer_tables(InfluencersRequest.model_validate(REQUEST))
    missing = set(TABLES[table].column_names) - set(tables[table].columns)
    assert not missing, f"the request cannot carry {table}.{sorted(missing)}"


def test_scored_accounts_request_carries_every_profile_column_of_the_audience_table():
    frame = accounts_frame(AccountsRequest.model_validate({"accounts": [{"follower_id": "f1"}]}))
    assert set(TABLES["audience"].column_names) - {"influencer_id"} <= set(frame.columns)


def test_contract_bounds_and_required_columns_reach_the_request():
    bad = {"influencers": [{"account": {"account_id": "a1", "follower_count": -1}}]}
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        InfluencersRequest.model_validate(bad)
    with pytest.raises(ValueError, match="brief"):
        InfluencersRequest.model_validate({**REQUEST, "campaign": {"campaign_id": "k1", "brand": "b"}})


def test_responses_carry_every_scorer_output_column():
    assert list(InfluencerScore.model_fields) == INFLUENCER_OUTPUT_COLUMNS
    assert list(CampaignScore.model_fields) == CAMPAIGN_OUTPUT_COLUMNS
    assert {"niche"} <= set(InfluencerScore.model_fields) and {"cost", "cost_source"} <= set(CampaignScore.model_fields)
