"""An influencer's scores depend on its own data and the as-of time only: never on the other influencers
scored beside it (in an HTTP request or a batch), and an influencer without data gets no verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authfit.features.asof import max_timestamp
from authfit.scoring.batch_files import tables_for
from authfit.scoring.scorer import INSUFFICIENT, SCORED
from authfit.contract.validate import load_contract_tables

SCORE_COLUMNS = ["tier", "fake_engagement_probability", "fake_engagement_flag", "authenticity_score",
                 "fake_follower_share", "reachability", "engagement_rate", "engagement_rate_vs_benchmark",
                 "reasons", "status", "as_of"]


@pytest.fixture(scope="module")
def world(trained) -> dict[str, pd.DataFrame]:
    return load_contract_tables(trained.world).tables


@pytest.fixture(scope="module")
def as_of(world) -> pd.Timestamp:
    # a week before the end of the data, so that later rows of some influencers are left out
    return max_timestamp(world) - pd.Timedelta(days=7)


def _row(scored: pd.DataFrame, account: str) -> pd.Series:
    return scored.set_index("account_id").loc[account, SCORE_COLUMNS]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_an_influencer_scores_the_same_alone_and_beside_others(scorer, world, as_of, data):
    ids = sorted(world["accounts"]["account_id"])
    target = data.draw(st.sampled_from(ids), label="influencer")
    others = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=6, unique=True), label="others")
    fixed = scorer.at(as_of)
    alone = _row(fixed.score_influencers(tables_for(world, np.array([target]))), target)
    together = _row(fixed.score_influencers(tables_for(world, np.array(sorted({target, *others})))), target)
    pd.testing.assert_series_equal(alone, together, check_names=False)


def test_the_default_as_of_of_score_is_the_latest_time_in_the_tables_and_can_be_set(scorer, world, as_of):
    some = tables_for(world, np.array(sorted(world["accounts"]["account_id"])[:5]))
    assert (scorer.score(some).influencers["as_of"] == max_timestamp(some).isoformat()).all()
    assert (scorer.score(some, as_of=as_of).influencers["as_of"] == as_of.isoformat()).all()


def test_an_account_without_posts_or_history_gets_no_verdict(scorer, world):
    known = sorted(world["accounts"]["account_id"])[0]
    tables = tables_for(world, np.array([known]))
    bare = pd.DataFrame({"account_id": ["newcomer"], "follower_count": [5200.0]})
    tables["accounts"] = pd.concat([tables["accounts"], bare], ignore_index=True)
    scored = scorer.score(tables).influencers.set_index("account_id")
    assert scored.loc["newcomer", "status"] == INSUFFICIENT
    assert np.isnan(scored.loc["newcomer", "fake_engagement_probability"])
    assert pd.isna(scored.loc["newcomer", "fake_engagement_flag"])
    assert np.isnan(scored.loc["newcomer", "authenticity_score"])
    assert "insufficient data" in scored.loc["newcomer", "reasons"][0]
    assert scored.loc[known, "status"] == SCORED and 0 <= scored.loc[known, "fake_engagement_probability"] <= 1


def test_batch_scoring_takes_an_explicit_as_of(trained, tmp_path):
    from typer.testing import CliRunner

    from authfit.cli import app

    out = tmp_path / "scores.parquet"
    result = CliRunner().invoke(app, ["score", "--data", str(trained.world), "--out", str(out), "--model",
                                      str(trained.models / "latest"), "--as-of", "2025-06-01"])
    assert result.exit_code == 0, result.output
    assert (pd.read_parquet(out)["as_of"] == "2025-06-01T00:00:00+00:00").all()
