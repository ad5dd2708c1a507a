"""The validator: every class of bad input is caught, named, and every row is accounted for."""

from __future__ import annotations

import pandas as pd
import pytest

from authfit.contract.schema import TABLES
from authfit.contract.validate import coerce_table, empty_table, summarise_problems, validate_tables

NOW = pd.Timestamp("2026-01-01", tz="UTC")


def _accounts(**overrides: list) -> pd.DataFrame:
    base = {
        "account_id": ["a", "b"],
        "follower_count": ["1200", "56000"],
        "created_at": ["2019-01-01", "2020-06-01T10:00:00+02:00"],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def _reasons(result, table: str) -> set[str]:
    return set(result.problems.loc[result.problems["table"] == table, "reason"])


def test_clean_tables_pass_and_come_out_typed():
    posts = pd.DataFrame({"post_id": ["p1"], "account_id": ["a"], "posted_at": ["2021-03-04 05:06:07"],
                          "like_count": ["10"], "is_sponsored": ["true"]})
    result = validate_tables({"accounts": _accounts(), "posts": posts}, now=NOW)
    assert result.ok
    accounts = result.tables["accounts"]
    assert list(accounts.columns) == list(TABLES["accounts"].column_names)
    assert accounts["follower_count"].dtype == "float64"
    assert str(accounts["created_at"].dtype) == "datetime64[ns, UTC]"
    # the +02:00 offset is converted, not dropped
    assert accounts.loc[accounts["account_id"] == "b", "created_at"].iloc[0] == pd.Timestamp("2020-06-01 08:00", tz="UTC")
    assert result.tables["posts"]["is_sponsored"].tolist() == [1.0]


def test_missing_required_column_rejects_every_row_and_names_it():
    result = validate_tables({"accounts": pd.DataFrame({"account_id": ["a", "b"]})}, now=NOW)
    assert "required column is missing" in _reasons(result, "accounts")
    assert set(result.problems["column"]) == {"follower_count"}
    assert result.tables["accounts"].empty and len(result.rejects) == 2


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("follower_count", "many", "cannot parse value as an integer"),
        ("follower_count", "12.5", "value must be a whole number"),
        ("follower_count", "-3", "value must be >= 0"),
        ("created_at", "yesterday-ish", "cannot parse value as an ISO 8601 timestamp after 2000-01-01"),
        ("created_at", "1900-01-01", "cannot parse value as an ISO 8601 timestamp after 2000-01-01"),
        ("created_at", "2031-01-01", "timestamp is in the future"),
        ("is_private", "maybe", "cannot parse value as true/false or 1/0"),
    ],
)
def test_bad_values_are_rejected_with_table_column_and_row(column, value, reason):
    frame = _accounts(**{column: ["1", value] if column != "created_at" else ["2019-01-01", value]})
    if column == "is_private":
        frame = _accounts(is_private=["yes", value])
    result = validate_tables({"accounts": frame}, now=NOW)
    bad = result.problems
    assert len(bad) == 1
    assert bad.iloc[0]["table"] == "accounts" and bad.iloc[0]["column"] == column and bad.iloc[0]["row"] == 2
    assert bad.iloc[0]["reason"].startswith(reason)
    assert result.tables["accounts"]["account_id"].tolist() == ["a"]


def test_duplicate_keys_keep_the_first_row():
    result = validate_tables({"accounts": _accounts(account_id=["a", "a"])}, now=NOW)
    assert any(r.startswith("duplicate key (account_id)") for r in _reasons(result, "accounts"))
    assert result.rejects["row"].tolist() == [2]
    assert result.tables["accounts"]["follower_count"].tolist() == [1200.0]


def test_orphans_cascade_from_rejected_parents():
    accounts = _accounts(follower_count=["10", "-1"])  # b is rejected
    posts = pd.DataFrame({"post_id": ["p1", "p2"], "account_id": ["a", "b"], "posted_at": ["2021-01-01"] * 2})
    comments = pd.DataFrame({"comment_id": ["c1", "c2", "c3"], "post_id": ["p1", "p2", "nope"],
                             "created_at": ["2021-01-02"] * 3})
    result = validate_tables({"accounts": accounts, "posts": posts, "comments": comments}, now=NOW)
    assert result.tables["comments"]["comment_id"].tolist() == ["c1"]
    orphan = result.problems[result.problems["table"] == "comments"].sort_values("row")
    assert orphan["row"].tolist() == [2, 3]
    # c2's post exists but was rejected (its account was): the reason points at the parent to fix
    assert orphan["reason"].tolist() == ["post_id refers to a rejected row of posts (orphan foreign key)",
                                         "post_id not found in posts (orphan foreign key)"]


def test_time_order_rules_across_tables():
    posts = pd.DataFrame({"post_id": ["p1", "p2"], "account_id": ["a", "a"],
                          "posted_at": ["2018-05-01", "2021-01-01"]})  # a was created 2019-01-01
    comments = pd.DataFrame({"comment_id": ["c1"], "post_id": ["p2"], "created_at": ["2020-12-31"]})
    campaigns = pd.DataFrame({"campaign_id": ["k"], "brand": ["B"], "brief": ["x"],
                              "start_date": ["2024-02-01"], "end_date": ["2024-01-01"]})
    result = validate_tables({"accounts": _accounts(), "posts": posts, "comments": comments,
                              "campaigns": campaigns}, now=NOW)
    assert "post dated before its account was created" in _reasons(result, "posts")
    assert "comment dated before its post" in _reasons(result, "comments")
    assert "campaign ends before it starts" in _reasons(result, "campaigns")


def test_every_row_is_either_valid_or_rejected():
    accounts = _accounts(account_id=["a", "a"], follower_count=["x", "1"])
    posts = pd.DataFrame({"post_id": ["p1", "p1", "p3"], "account_id": ["a", "zz", None],
                          "posted_at": ["2021-01-01", "bad", "2021-01-01"]})
    result = validate_tables({"accounts": accounts, "posts": posts}, now=NOW)
    counts = result.counts.set_index("table")
    assert (counts["rows_in"] == counts["valid"] + counts["rejected"]).all()
    assert counts.loc["posts", "rows_in"] == 3
    per_table = result.rejects.groupby("table").size()
    assert (per_table == counts.loc[per_table.index, "rejected"]).all()


def test_rejects_keep_the_raw_record_and_all_reasons():
    result = validate_tables({"accounts": _accounts(follower_count=["1", "-5"], created_at=["2019-01-01", "2099-01-01"])},
                             now=NOW)
    reject = result.rejects.iloc[0]
    assert '"follower_count":"-5"' in reject["record"]
    assert "value must be >= 0" in reject["reason"] and "in the future" in reject["reason"]


def test_coerce_adds_missing_optional_columns_and_does_not_mutate_input():
    raw = pd.DataFrame({"post_id": ["p"], "account_id": ["a"], "posted_at": ["2021-01-01"]})
    before = raw.copy()
    typed, problems = coerce_table(raw, "posts", now=NOW)
    assert problems.empty
    assert set(TABLES["posts"].column_names) == set(typed.columns)
    assert typed["like_count"].isna().all()
    pd.testing.assert_frame_equal(raw, before)


def test_empty_table_has_the_typed_schema():
    frame = empty_table("comments")
    assert frame.empty and list(frame.columns) == list(TABLES["comments"].column_names)
    assert str(frame["created_at"].dtype) == "datetime64[ns, UTC]"


def test_summary_counts_rows_per_problem():
    result = validate_tables({"accounts": _accounts(follower_count=["-1", "-2"])}, now=NOW)
    summary = summarise_problems(result.problems)
    assert summary["rows"].tolist() == [2] and summary["example_rows"].tolist() == ["1, 2"]


def test_audience_keeps_the_followers_niche_country_and_age_and_checks_them():
    # The audience sample has the same descriptive columns as `accounts`: a follower export keeps them, and a
    # follower "created" in the future is rejected like an influencer would be.
    audience = pd.DataFrame({"influencer_id": ["a", "a"], "follower_id": ["f1", "f2"],
                             "category": ["food", None], "country": ["CH", "DE"],
                             "created_at": ["2018-05-01", "2031-01-01"]})
    result = validate_tables({"accounts": _accounts(), "audience": audience}, now=NOW)
    kept = result.tables["audience"]
    assert kept["follower_id"].tolist() == ["f1"]
    assert kept[["category", "country"]].iloc[0].tolist() == ["food", "CH"]
    [reason] = _reasons(result, "audience")
    assert reason.startswith("timestamp is in the future")
    assert set(result.problems.loc[result.problems["table"] == "audience", "column"]) == {"created_at"}


def test_numeric_day_month_dates_are_rejected_not_guessed():
    accounts = _accounts(account_id=["a", "b", "c", "d"], follower_count=["1", "2", "3", "4"],
                         created_at=["09/07/2018", "13/07/2018 10:00", "2018-07-09", "Jul 9 2018"])
    result = validate_tables({"accounts": accounts}, now=NOW)
    rejected = result.rejects.set_index("row")
    assert sorted(rejected.index) == [1, 2]
    assert rejected["reason"].str.contains("ambiguous day/month date").all()
    kept = result.tables["accounts"].set_index("account_id")["created_at"]
    assert (kept == pd.Timestamp("2018-07-09", tz="UTC")).all() and list(kept.index) == ["c", "d"]


def test_an_explicit_date_format_reads_day_month_dates():
    accounts = _accounts(account_id=["a", "b", "c"], follower_count=["1", "2", "3"],
                         created_at=["09/07/2018", "2018-07-10", "07/31/2018"])
    result = validate_tables({"accounts": accounts}, now=NOW, date_format="%d/%m/%Y")
    kept = result.tables["accounts"].set_index("account_id")["created_at"]
    assert kept["a"] == pd.Timestamp("2018-07-09", tz="UTC") and kept["b"] == pd.Timestamp("2018-07-10", tz="UTC")
    assert result.rejects["row"].tolist() == [3] and "format %d/%m/%Y" in result.rejects["reason"].iloc[0]


@pytest.mark.parametrize("date_format", ["%d/%m/%Y", None])
def test_a_retried_timestamp_with_nanoseconds_is_read_to_the_microsecond(date_format):
    # The fallback parsers give nanoseconds; writing them into the first parser's microsecond column raised
    # a TypeError that stopped the whole run.
    second = "2018-07-10T08:00:00.123456789Z" if date_format else "Jul 10 2018 08:00:00.123456789"
    accounts = _accounts(account_id=["a", "b"], follower_count=["1", "2"], created_at=["09/07/2018", second])
    result = validate_tables({"accounts": accounts}, now=NOW, date_format=date_format)
    kept = result.tables["accounts"].set_index("account_id")["created_at"]
    assert kept["b"] == pd.Timestamp("2018-07-10 08:00:00.123456", tz="UTC")
    assert result.rejects["row"].tolist() == ([] if date_format else [1])


@pytest.mark.parametrize("table,column", [("accounts", "follower_count"), ("posts", "like_count"),
                                          ("offers", "cost")])
def test_values_beyond_the_contract_bounds_are_rejected(table, column):
    from authfit.contract.schema import MAX_COUNT

    spec = TABLES[table].column(column)
    assert spec.max_value is not None and spec.max_value <= MAX_COUNT < 2**53  # exact in float64 and int64
    accounts = _accounts(follower_count=["1e23" if column == "follower_count" else "10", "56000"])
    tables = {"accounts": accounts}
    if table == "posts":
        tables["posts"] = pd.DataFrame({"post_id": ["p1", "p2"], "account_id": ["a", "b"],
                                        "posted_at": ["2021-03-04", "2021-03-04"], "like_count": ["1e23", "5"]})
    if table == "offers":
        tables["campaigns"] = pd.DataFrame({"campaign_id": ["c"], "brand": ["x"], "brief": ["y"]})
        tables["offers"] = pd.DataFrame({"campaign_id": ["c", "c"], "account_id": ["a", "b"], "cost": ["inf", "5"]})
    result = validate_tables(tables, now=NOW)
    bad = result.rejects[result.rejects["table"] == table]
    assert bad["row"].tolist() == [1] and bad["reason"].str.contains("value must be <=").all()


def test_json_null_columns_come_out_typed_and_a_null_required_value_is_still_named():
    """A request's unset optional fields are columns of None: typed nulls, as if the column were absent;
    a required column of nulls is still a problem of each row."""
    nulls = _accounts(created_at=[None, None], is_private=[None, None], category=[None, None])
    typed, problems = coerce_table(nulls, "accounts", now=NOW)
    absent, _ = coerce_table(_accounts().drop(columns="created_at"), "accounts", now=NOW)
    assert problems.empty
    assert typed["created_at"].isna().all() and str(typed["created_at"].dtype) == str(absent["created_at"].dtype)
    assert typed["is_private"].dtype == "float64" and typed["category"].isna().all()
    _, problems = coerce_table(_accounts(account_id=[None, None]), "accounts", now=NOW)
    assert set(problems["reason"]) == {"required value is missing"} and len(problems) == 2
