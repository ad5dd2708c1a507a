"""`authfit score --data DIR` partitions the input into buckets of accounts: its scores and rejects equal those
of scoring the whole input in memory (`Scorer.score`), with bad rows spread across the buckets."""

from __future__ import annotations

import re

import pandas as pd

from authfit.scoring.chunks import rejects_path
from authfit.contract.io import read_raw_tables
from authfit.scoring.batch_files import in_pieces, partition_dir, score_directory
from authfit.scoring.scorer import REJECT_COLUMNS
from spoiled_world import write_spoiled


def _without_now(reasons: pd.Series) -> pd.Series:
    # "in the future (after <now>)" names the moment of validation, which differs between two runs
    return reasons.map(lambda r: re.sub(r"\(after [^)]*\)", "(after now)", r))


def test_partitioned_batch_equals_whole_table_scoring(trained, scorer, tmp_path):
    data = write_spoiled(tmp_path, 30, 8)
    raw = read_raw_tables(data)
    campaign = raw["campaigns"]["campaign_id"].iloc[1]  # the first campaign is spoiled
    out = tmp_path / "scores.parquet"
    summary = score_directory(data, out, str(trained.models / "latest"), campaign=campaign, chunk_size=11)
    assert summary.chunks == 3 and not partition_dir(out).exists()

    whole = scorer.score(raw, campaign)
    expected = whole.influencers.merge(whole.campaign.drop(columns=["rank"]), on="account_id", how="left")
    got = pd.read_parquet(out)
    assert got["account_id"].is_monotonic_increasing
    expected = expected.sort_values("account_id").reset_index(drop=True)
    for frame in (got, expected):
        frame["reasons"] = frame["reasons"].map(list)
    pd.testing.assert_frame_equal(got.drop(columns="scored_at"), expected.drop(columns="scored_at"))

    rejects = pd.read_csv(rejects_path(out))
    wanted = whole.rejects.reset_index(drop=True)
    assert summary.rejected == len(wanted) == len(rejects) >= 15
    pd.testing.assert_frame_equal(rejects[REJECT_COLUMNS].assign(reason=_without_now(rejects["reason"])),
                                  wanted.assign(reason=_without_now(wanted["reason"])), check_dtype=False)
    # every account row is scored or rejected, once
    rejected_accounts = rejects["table"].eq("accounts").sum()
    assert summary.rows + rejected_accounts == len(raw["accounts"])


def test_buckets_without_a_valid_account_score_nothing_and_keep_their_rejects(trained, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"account_id": ["a1", "a2", "a3"], "follower_count": ["many", "-1", "x"]}).to_csv(
        data / "accounts.csv", index=False)
    out = tmp_path / "scores.parquet"
    summary = score_directory(data, out, str(trained.models / "latest"), chunk_size=1)
    assert summary.chunks == 3 and summary.rows == 0 and summary.rejected == 3
    assert pd.read_parquet(out).empty
    assert sorted(pd.read_csv(rejects_path(out))["row"]) == [1, 2, 3]


def test_features_are_transformed_in_pieces_of_at_most_half_a_bucket(scorer):
    own = scorer.builder.settings.chunk_size
    pieced = in_pieces(scorer, 11)
    assert pieced.builder.settings.chunk_size == 5  # buckets of ~11 accounts hold from ~6 to ~13
    assert scorer.builder.settings.chunk_size == own  # the loaded scorer is left as it was
    assert in_pieces(scorer, 4 * own).builder.settings.chunk_size == own  # never more than its own chunk size
