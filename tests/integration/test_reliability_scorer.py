"""Property tests on the trained scorer and its fitted feature builder (reliability issue): adversarial
raw tables are scored or rejected with a reason, never crash, and never give NaN or infinite scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from strategies import CaseCounter, raw_table, raw_tables, rows_in
from authfit.contract.schema import PROFILE_COLUMNS, Table
from authfit.contract.validate import coerce_frame, validate_tables

BUDGET = settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
COUNTER = CaseCounter()


@pytest.fixture(scope="module", autouse=True)
def _flush_counts():
    yield
    COUNTER.flush()


@BUDGET
@given(tables=raw_tables())
def test_scorer_scores_or_rejects_every_row_with_finite_scores(scorer, tables):
    with COUNTER.case("scorer: scored + rejected = rows in, finite scores"):
        result = scorer.score(tables)
        valid = validate_tables(tables).tables
        assert len(result.influencers) == len(valid["accounts"])
        assert set(result.influencers["account_id"]) == set(valid["accounts"]["account_id"])
        assert sum(len(t) for t in valid.values()) + len(result.rejects) == rows_in(tables)
        rejected_accounts = (result.rejects["table"] == "accounts").sum()
        assert len(result.influencers) + rejected_accounts == len(tables["accounts"])
        # an influencer with no posts or history up to the as-of date gets no score, never a made-up one
        scored = result.influencers["status"] == "scored"
        assert result.influencers["status"].isin(["scored", "insufficient data"]).all()
        for column in ("fake_engagement_probability", "authenticity_score"):
            values = result.influencers[column].to_numpy(dtype=float)
            assert np.isfinite(values[scored]).all() and np.isnan(values[~scored]).all(), column
        assert result.influencers.loc[scored, "authenticity_score"].between(0, 100).all()


@BUDGET
@given(tables=raw_tables())
def test_feature_builder_gives_one_row_per_valid_account_never_infinite(scorer, tables):
    with COUNTER.case("feature builder (all families)"):
        valid = validate_tables(tables).tables
        features = scorer.features(valid)
        assert len(features) == len(valid["accounts"])
        assert list(features.columns) == scorer.builder.feature_names_
        assert not np.isinf(features.to_numpy(dtype=float)).any()


@pytest.mark.usefixtures("needs_account_model")
@BUDGET
@given(profiles=raw_table("audience", max_rows=8))
def test_account_scores_are_finite_probabilities(scorer, profiles):
    with COUNTER.case("account scorer"):
        typed, problems = coerce_frame(profiles, Table("profiles", "", PROFILE_COLUMNS, key=()))
        good = typed.drop(index=problems["row"].unique()).reset_index(drop=True)
        scored = scorer.score_accounts(good)
        assert len(scored) == len(good)
        p = scored["fake_probability"].to_numpy(dtype=float)
        assert np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()


def test_no_valid_account_gives_an_empty_result_not_a_lightgbm_error(scorer):
    # LightGBM refuses empty input; Bundle.predict used to pass it through when every account was rejected
    accounts = pd.DataFrame({"account_id": ["a"], "follower_count": ["-3"]}, dtype=object)
    result = scorer.score({"accounts": accounts})
    assert result.influencers.empty and len(result.rejects) == 1


def test_campaign_id_is_matched_after_the_same_stripping_as_the_tables(scorer, trained):
    from authfit.contract.io import read_raw_tables

    tables = read_raw_tables(trained.world)
    campaign = str(tables["campaigns"]["campaign_id"].iloc[0])
    padded = scorer.score(tables, campaign=f" {campaign} ")
    assert padded.campaign is not None and len(padded.campaign) == len(padded.influencers)
