"""The service's request and response models carry every column of the data contract and of the scorer's
output: a column added to `schema.py` or to OUTPUT_FIELDS reaches the HTTP API without a second edit."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from authfit.contract.schema import TABLES
from authfit.contract.validate import validate_tables
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


def _tables_from_dicts(body: InfluencersRequest) -> dict[str, pd.DataFrame]:
    """The request's tables as pandas infers them from one dict per row: what the validator read before."""
    rows: dict[str, list[dict]] = {"accounts": [], "follower_history": [], "posts": [], "comments": [], "audience": []}
    for item in body.model_dump()["influencers"]:
        account_id = item["account"]["account_id"]
        rows["accounts"].append(item["account"])
        rows["follower_history"] += [{"account_id": account_id, **h} for h in item["follower_history"]]
        rows["audience"] += [{"influencer_id": account_id, **f} for f in item["audience"]]
        for post in item["posts"]:
            rows["comments"] += [{"post_id": post["post_id"], **c} for c in post.pop("comments")]
            rows["posts"].append({"account_id": account_id, **post})
    return {name: pd.DataFrame(r, columns=TABLES[name].column_names if name != "accounts" else None)
            for name, r in rows.items()}


def test_typed_request_tables_validate_as_tables_of_dicts_do():
    odd = copy.deepcopy(REQUEST)
    item = odd["influencers"][0]
    item["follower_history"] += [{"date": "2025-01-02T05:00:00+05:00", "follower_count": 9, "following_count": 3},
                                 {"date": "1999-12-31", "follower_count": 8}]
    item["posts"] += [{"post_id": "p2", "posted_at": "2025-01-03T09:00:00-07:00", "caption": "  ", "like_count": 4,
                       "is_sponsored": True, "comments": [{"comment_id": "c2", "created_at": "2025-01-01T00:00:00"}]},
                      {"post_id": "p2", "posted_at": "2025-01-03T09:00:00"}]
    item["audience"] += [{"follower_id": " f2 ", "has_profile_pic": False, "country": "FR"}]
    body = InfluencersRequest.model_validate(odd)
    now = pd.Timestamp("2025-07-01", tz="UTC")
    typed, reference = (validate_tables(t, now=now) for t in (influencer_tables(body), _tables_from_dicts(body)))
    assert len(reference.problems) > 0  # the odd rows are caught, by both
    pd.testing.assert_frame_equal(typed.problems, reference.problems)
    for name, frame in reference.tables.items():
        pd.testing.assert_frame_equal(typed.tables[name], frame, check_exact=True)


def test_request_tables_hold_utc_instants_and_leave_unset_columns_null():
    tables = influencer_tables(InfluencersRequest.model_validate(REQUEST))
    posted = tables["posts"]["posted_at"]
    assert str(posted.dtype) == "datetime64[us, UTC]" and posted[0] == pd.Timestamp("2025-01-02", tz="UTC")
    assert tables["accounts"]["platform"].dtype == object and tables["accounts"]["platform"].isna().all()
    assert tables["comments"]["post_id"].tolist() == ["p1"] and tables["audience"]["influencer_id"].tolist() == ["a1"]
    assert tables["offers"][["campaign_id", "account_id", "cost"]].iloc[0].tolist() == ["k1", "a1", 120.0]
