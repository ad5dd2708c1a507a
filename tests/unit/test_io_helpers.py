"""The shared file helpers: atomic writes, reading score files, joining reasons for CSV cells."""

from __future__ import annotations

import os
import stat

import numpy as np
import pandas as pd
import pytest

from authfit.contract.io import atomic_path, read_scores, write_atomic, write_text_atomic
from authfit.scoring.reasons import join_reasons


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = write_text_atomic(tmp_path / "plan.json", "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["plan.json"]


def test_atomic_files_get_the_usual_permissions_not_private_ones(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    mode = stat.S_IMODE(write_text_atomic(tmp_path / "sub" / "report.html", "<p>").stat().st_mode)
    assert mode == 0o666 & ~umask


@pytest.mark.parametrize("name", ["scores.csv", "scores.parquet"])
def test_read_scores_keeps_ids_as_text_in_either_format(tmp_path, name):
    path = write_atomic(pd.DataFrame({"account_id": ["007", "12"], "authenticity_score": [1.0, 2.0]}), tmp_path / name)
    assert read_scores(path)["account_id"].tolist() == (["7", "12"] if name.endswith(".csv") else ["007", "12"])


def test_read_scores_refuses_a_file_without_account_ids(tmp_path):
    path = write_atomic(pd.DataFrame({"x": [1]}), tmp_path / "other.csv")
    with pytest.raises(ValueError, match="no account_id column"):
        read_scores(path)


def test_join_reasons_makes_one_text_cell_per_row_and_keeps_missing_rows_missing():
    joined = join_reasons(pd.Series([["a", "b"], np.array(["c"]), None], dtype=object))
    assert joined.iloc[0] == "a | b" and joined.iloc[1] == "c" and pd.isna(joined.iloc[2])
