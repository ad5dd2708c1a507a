"""A value outside the contract's bounds is rejected with its row by every scoring path, and the run goes
on: a follower count of 1e23 passed validation and then aborted scoring ("cannot safely cast")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from authfit.scoring.chunks import rejects_path
from authfit.scoring.batch_files import score_directory, tables_for
from authfit.contract.validate import load_contract_tables


def test_an_impossible_follower_count_is_rejected_and_the_rest_is_scored(trained, scorer, tmp_path):
    world = load_contract_tables(trained.world).tables
    ids = np.array(sorted(world["accounts"]["account_id"])[:6])
    tables = {k: v.astype(object) for k, v in tables_for(world, ids).items()}
    tables["accounts"].loc[0, "follower_count"] = "1e23"
    result = scorer.score(tables)
    assert sorted(result.influencers["account_id"]) == sorted(ids[1:].tolist())
    assert "value must be <=" in result.rejects.loc[result.rejects["table"] == "accounts", "reason"].iloc[0]

    data = tmp_path / "data"
    data.mkdir()
    for name, frame in tables.items():
        frame.to_csv(data / f"{name}.csv", index=False)
    out = tmp_path / "scores.csv"
    summary = score_directory(data, out, str(trained.models / "latest"))
    assert summary.rows == 5 and "value must be <=" in pd.read_csv(rejects_path(out))["reason"].iloc[0]
