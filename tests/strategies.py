"""Hypothesis strategies for adversarial raw contract tables, and a counter of the cases tried.

Test-support code: it imports hypothesis (a dev dependency), so nothing in the package imports it.
The tables are *raw* (object columns of mixed types), as a user's export would be: empty tables, single
rows, all-null optional columns, zero and huge counts, unicode/emoji/very long/empty texts, duplicate ids,
far past/future timestamps, mixed time zones, one-snapshot histories and comments on missing posts.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import strategies as st

from authfit.contract.schema import TABLES

LOG_ENV = "AUTHFIT_RELIABILITY_LOG"  # when set, case counts are appended here as JSON lines

_IDS = ["a", "b", "c", "ü-ñ", "🔥id"]
_POSTS = ["p1", "p2", "p3", "p4"]

texts = st.one_of(
    st.none(), st.just(""), st.just("   "),
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("😀🔥💯👍🏽🇫🇷\u200b\u202e\x00aé中"), max_size=40),
    st.integers(1_000, 20_000).map(lambda n: "word 🔥 " * (n // 7)),
)
counts = st.one_of(
    st.none(), st.just(0), st.integers(0, 50), st.integers(10**9, 10**15), st.just(-5),
    st.just(1.5), st.just("12k"), st.just(""), st.just(float("nan")), st.just(float("inf")),
)
timestamps = st.one_of(
    st.none(), st.just(""), st.just("not a date"),
    st.just("1900-01-01"), st.just("1970-01-01T00:00:00Z"), st.just("2999-12-31T23:59:59Z"),
    st.just("9999-01-01"), st.just(0), st.just(10**18),
    st.builds(lambda day, hour, tz: f"2025-{1 + day // 28:02d}-{1 + day % 28:02d}T{hour:02d}:00:00{tz}",
              st.integers(0, 11 * 28 - 1), st.integers(0, 23),
              st.sampled_from(["", "Z", "+00:00", "+05:30", "-08:00", "+14:00"])),
)
bools = st.one_of(st.none(), st.booleans(), st.sampled_from(["yes", "no", "maybe", 1, 0, 2, ""]))
account_ids = st.one_of(st.sampled_from(_IDS), st.just(""), st.none(), st.text(max_size=5))
post_ids = st.one_of(st.sampled_from(_POSTS), st.sampled_from(["missing-post", ""]))

_KIND_VALUES = {"STRING": texts, "INT": counts, "FLOAT": counts, "BOOL": bools, "TIMESTAMP": timestamps,
                "DATE": timestamps}
_KEY_VALUES = {"account_id": account_ids, "influencer_id": account_ids, "post_id": post_ids,
               "comment_id": st.sampled_from(["c1", "c2", "c3", "c4", "c5", "c6"]),
               "follower_id": st.sampled_from(["f1", "f2", "f3", "f4", "f5"])}


@st.composite
def raw_table(draw: st.DrawFn, name: str, max_rows: int = 6) -> pd.DataFrame:
    """One raw table: 0..max_rows rows; each optional column present, absent or all null."""
    columns: dict[str, list[Any]] = {}
    n = draw(st.integers(0, max_rows))
    for column in TABLES[name].columns:
        mode = "values" if column.required else draw(st.sampled_from(["values", "absent", "null"]))
        if mode == "absent":
            continue
        if mode == "null":
            columns[column.name] = [None] * n
            continue
        values = _KEY_VALUES.get(column.name, _KIND_VALUES[column.kind.name])
        columns[column.name] = draw(st.lists(values, min_size=n, max_size=n))
    return pd.DataFrame(columns, dtype=object) if columns else pd.DataFrame(index=range(n))


@st.composite
def raw_tables(draw: st.DrawFn, max_rows: int = 6) -> dict[str, pd.DataFrame]:
    """The influencer tables of one scoring request; accounts always present (maybe empty)."""
    tables = {"accounts": draw(raw_table("accounts", max_rows))}
    for name in ("follower_history", "posts", "comments", "audience"):
        if draw(st.booleans()) or draw(st.booleans()):
            tables[name] = draw(raw_table(name, max_rows))
    return tables


def rows_in(tables: dict[str, pd.DataFrame]) -> int:
    return sum(len(t) for t in tables.values())


class CaseCounter:
    """Counts the examples a property test tried and how many raised; appended to $AUTHFIT_RELIABILITY_LOG."""

    def __init__(self) -> None:
        self.tried: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()

    @contextmanager
    def case(self, name: str):
        self.tried[name] += 1
        try:
            yield
        except BaseException:
            self.failed[name] += 1
            raise

    def flush(self, kind: str = "bad_input") -> None:
        target = os.environ.get(LOG_ENV)
        if not target:
            return
        with Path(target).open("a") as out:
            for name in sorted(self.tried):
                out.write(json.dumps({"kind": kind, "test": name, "tried": self.tried[name],
                                      "failed": self.failed[name]}) + "\n")
