"""`records`: what the service turns a scored frame into before JSON. Non-finite and missing cells must
become null (JSON has no NaN), values must be Python scalars, and nothing else may change."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from authfit.serve.schemas import records


def test_missing_and_non_finite_cells_become_null_whatever_the_dtype():
    frame = pd.DataFrame({
        "f": [0.25, np.nan, np.inf],
        "nullable_float": pd.array([1.5, None, -2.0], dtype="Float64"),
        "obj": [np.int64(3), None, -np.inf],
        "nullable_int": pd.array([1, None, 3], dtype="Int64"),
        "lists": [["a reason"], [], None],
        "when": pd.to_datetime(["2025-01-01", None, None], utc=True),
        "text": pd.Series(["x", None, "z"], dtype="str"),
        "flag": np.array([True, False, True]),
        "count": np.array([7, 8, 9], dtype=np.int64),
    })
    out = records(frame)
    assert out[1] == {"f": None, "nullable_float": None, "obj": None, "nullable_int": None, "lists": [],
                      "when": None, "text": None, "flag": False, "count": 8}
    assert [row["f"] for row in out] == [0.25, None, None]
    assert [row["obj"] for row in out] == [3, None, None]
    assert out[0]["when"] == pd.Timestamp("2025-01-01", tz="UTC")
    assert out[0]["lists"] == ["a reason"] and out[2]["lists"] is None
    for row in out:  # Python scalars only: json (and pydantic) must not meet numpy types
        assert all(not isinstance(v, np.generic) for v in row.values())
        json.dumps({k: v for k, v in row.items() if k != "when"}, allow_nan=False)


def test_rows_and_columns_keep_their_order_and_an_empty_frame_gives_no_records():
    frame = pd.DataFrame({"b": [1, 2, 3], "a": ["x", "y", "z"]}, index=[10, 5, 7])
    assert records(frame) == [{"b": 1, "a": "x"}, {"b": 2, "a": "y"}, {"b": 3, "a": "z"}]
    assert list(records(frame)[0]) == ["b", "a"]
    assert records(frame.iloc[:0]) == [] and records(None) == []
