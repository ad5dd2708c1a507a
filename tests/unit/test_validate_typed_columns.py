"""Columns that arrive already typed (JSON requests, Parquet) are read on their arrays: they must give the
same typed tables and the same problems as the same values written as text, which the general path reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from authfit.contract.schema import TABLES
from authfit.contract.validate import coerce_table, parse_column, validate_tables

NOW = pd.Timestamp("2026-01-01", tz="UTC")
STAMPS = ["2021-03-04T05:06:07Z", "2021-03-04T05:06:07.123456789+02:00", "2019-12-31", "1999-12-31T23:59:59Z",
          "2031-05-05T00:00:00Z", "2262-06-01T00:00:00Z", None]


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as a CSV reader gives it: every value as text, nulls kept."""
    return frame.astype(object).where(frame.notna(), None).map(lambda v: v if v is None else str(v)).astype("str")


def _same(typed: pd.DataFrame, text: pd.DataFrame, table: str) -> None:
    left, right = coerce_table(typed, table, now=NOW), coerce_table(text, table, now=NOW)
    assert_frame_equal(left[0], right[0], check_exact=True)
    assert_frame_equal(left[1], right[1], check_exact=True)


def _comments(created_at: pd.Series) -> pd.DataFrame:
    n = len(created_at)
    return pd.DataFrame({"comment_id": [f"c{i}" for i in range(n)], "post_id": ["p"] * n, "created_at": created_at})


@pytest.mark.parametrize("unit", ["ns", "us"])
def test_datetime_columns_read_as_their_iso_text(unit):
    # offsets, 'Z', nanoseconds (kept to the microsecond), dates, before 2000, in the future, past 2262
    stamps = pd.Series(pd.to_datetime(pd.Series(STAMPS[:-2] + [None]), utc=True, format="ISO8601")).astype(
        f"datetime64[{unit}, UTC]")
    typed = _comments(stamps)
    text = typed.assign(created_at=[None if pd.isna(v) else v.isoformat() for v in stamps])
    _same(typed, text, "comments")
    parsed = coerce_table(typed, "comments", now=NOW)
    assert parsed[0]["created_at"].iloc[1] == pd.Timestamp("2021-03-04 03:06:07.123456", tz="UTC")
    assert set(parsed[1]["row"]) == {4, 5}  # before 2000 cannot be read; 2031 is in the future


def test_naive_and_other_zone_datetimes_are_utc():
    naive = pd.Series(pd.to_datetime(["2021-03-04 05:06:07", "2020-02-29 23:59:59", None]))
    as_utc = naive.dt.tz_localize("UTC")
    in_paris = as_utc.dt.tz_convert("Europe/Paris")
    expected = coerce_table(_comments(as_utc), "comments", now=NOW)[0]
    for other in (naive, in_paris, naive.astype("datetime64[s]")):
        assert_frame_equal(coerce_table(_comments(other), "comments", now=NOW)[0], expected, check_exact=True)


def test_out_of_range_and_date_columns_match_text():
    dates = pd.Series(pd.to_datetime(["2021-03-04 23:59:59", "1970-01-01", "2300-01-01", None], format="ISO8601"))
    typed = pd.DataFrame({"account_id": ["a"] * 4, "date": dates, "follower_count": [1, 2, 3, 4]})
    text = typed.assign(date=["2021-03-04 23:59:59", "1970-01-01", "2300-01-01", None])
    _same(typed, text, "follower_history")
    parsed = coerce_table(typed, "follower_history", now=NOW)
    assert parsed[0]["date"].iloc[0] == pd.Timestamp("2021-03-04", tz="UTC")  # floored to the day
    assert parsed[1]["reason"].str.startswith("cannot parse").sum() == 2


def test_numbers_and_bools_read_as_their_text():
    accounts = pd.DataFrame({
        "account_id": ["a", "b", "c", "d", "e"],
        "follower_count": [1200, -3, 0, 7, 10**12],
        "following_count": [1.5, np.nan, 3.0, -0.0, np.inf],
        "media_count": np.array([3, 0, 2**40, 5, 1], dtype=np.uint64),
        "is_private": [True, False, True, False, True],
        "is_verified": [0, 1, 2, 1, 0],
        "has_external_url": [1.0, 0.0, np.nan, 0.5, 1.0],
    })
    _same(accounts, _as_text(accounts), "accounts")
    typed, problems = coerce_table(accounts, "accounts", now=NOW)
    assert typed["is_verified"].tolist()[:2] == [0.0, 1.0] and np.isnan(typed["is_verified"].iloc[2])
    assert {"value must be >= 0", "value must be a whole number"} <= set(problems["reason"])
    booleans = parse_column(pd.Series([True, False]), TABLES["accounts"].column("media_count"))
    assert booleans.dtype == "float64" and booleans.tolist() == [1.0, 0.0]  # as before: a bool column counts 1/0


def test_bools_as_text_read_in_any_case_and_padding():
    raw = pd.Series([" TRUE", "no", "Y ", "1.0", "maybe", "", None], dtype="str")
    expected = [1.0, 0.0, 1.0, 1.0, np.nan, np.nan, np.nan]
    for column in (raw, raw.astype(object)):
        parsed = parse_column(column, TABLES["accounts"].column("is_private"))
        np.testing.assert_array_equal(parsed.to_numpy(), expected)
    problems = coerce_table(pd.DataFrame({"account_id": list("abcdefg"), "follower_count": [1] * 7, "is_private": raw}),
                            "accounts", now=NOW)[1]
    assert problems["row"].tolist() == [5]  # blank and null are missing, not unparseable


def test_json_booleans_with_nulls_read_as_their_text():
    flags = pd.Series([True, None, False, np.nan], dtype=object)
    typed = pd.DataFrame({"account_id": list("abcd"), "follower_count": [1] * 4, "is_verified": flags})
    text = typed.assign(is_verified=pd.Series(["True", None, "False", None], dtype="str"))
    _same(typed, text, "accounts")
    assert coerce_table(typed, "accounts", now=NOW)[0]["is_verified"].tolist()[::2] == [1.0, 0.0]


def test_arrow_and_object_text_give_the_same_table():
    texts = [" a ", "", "  ", None, "b\u2028c", "\u00a0d\u00a0"]
    frame = pd.DataFrame({"comment_id": [f"c{i}" for i in range(6)], "post_id": ["p"] * 6, "text": texts})
    for kind in ("str", object):
        typed = coerce_table(frame.astype({"text": kind}), "comments", now=NOW)[0]
        assert typed["text"].dtype == "str"
        assert typed["text"].tolist()[:1] == ["a"] and typed["text"].isna().tolist() == [False, True, True, True,
                                                                                          False, False]
    assert_frame_equal(coerce_table(frame.astype({"text": "str"}), "comments", now=NOW)[0],
                       coerce_table(frame.astype({"text": object}), "comments", now=NOW)[0], check_exact=True)


def test_all_null_optional_columns_are_typed_nulls_whatever_their_dtype():
    base = pd.DataFrame({"account_id": ["a", "b"], "follower_count": [1, 2]})
    expected = coerce_table(base, "accounts", now=NOW)[0]
    for dtype in ("str", object):
        nulls = base.assign(**{c: pd.Series([None, None], dtype=dtype) for c in ("biography", "created_at",
                                                                                  "is_private", "media_count")})
        assert_frame_equal(coerce_table(nulls, "accounts", now=NOW)[0], expected, check_exact=True)


def test_typed_duplicates_orphans_and_time_order_match_text():
    accounts = pd.DataFrame({"account_id": ["a", "b", "a", None], "follower_count": [1, 2, 3, 4],
                             "created_at": pd.to_datetime(["2020-01-01", "2021-01-01", None, None], utc=True)})
    posts = pd.DataFrame({"post_id": ["p1", "p2", "p3", "p1"], "account_id": ["a", "b", "z", "a"],
                          "posted_at": pd.to_datetime(["2019-06-01", "2022-01-01", "2022-01-01", "2022-01-01"],
                                                      utc=True)})
    history = pd.DataFrame({"account_id": ["a", "a", "b", "a"], "follower_count": [1, 2, 3, 4],
                            "date": pd.to_datetime(["2021-01-01", "2021-01-01 10:00", "2020-12-31", "2019-12-31"],
                                                            format="ISO8601")})
    tables = {"accounts": accounts, "posts": posts, "follower_history": history}
    typed, text = (validate_tables(t, now=NOW) for t in (tables, {k: _as_text(v) for k, v in tables.items()}))
    assert_frame_equal(typed.problems, text.problems, check_exact=True)
    assert_frame_equal(typed.rejects.drop(columns="record"), text.rejects.drop(columns="record"), check_exact=True)
    for name in tables:
        assert_frame_equal(typed.tables[name], text.tables[name], check_exact=True)
    reasons = set(typed.problems["reason"])
    assert {"post dated before its account was created", "snapshot dated before its account was created",
            "account_id not found in accounts (orphan foreign key)"} <= reasons
    assert any(r.startswith("duplicate key (account_id, date)") for r in reasons)
