"""Enforce the data contract: parse every table into its typed form and reject bad rows with reasons.

Every input row ends up either in the typed valid tables or in the rejects frame, with the table, the
column and a reason a person can act on, so nothing disappears without a trace.

The checks are hand-written over whole columns rather than a pandera schema, because they must produce
one reject row per bad input row across tables (orphans cascade from parents to children, and
cross-table time rules such as "comment before its post") and must run on chunks of millions of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from authfit.schema import TABLES, VALIDATION_ORDER, Column, Kind, Table

# Social platforms did not exist before this; older timestamps are typos or epoch-zero defaults.
MIN_TIMESTAMP = pd.Timestamp("2000-01-01", tz="UTC")
TIMESTAMP_DTYPE = "datetime64[ns, UTC]"
_TRUE = {"1", "true", "t", "yes", "y", "1.0"}
_FALSE = {"0", "false", "f", "no", "n", "0.0"}
PROBLEM_COLUMNS = ["table", "row", "column", "reason"]
# Day and month as numbers, before the year (09/07/2018, 9.7.18, 09-07-2018 10:00): 9 July or 7 September?
# Such a value is never guessed; it is read only with an explicit `date_format`.
NUMERIC_DAY_MONTH = r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}(?:$|[\sT])"
AMBIGUOUS_DATE_REASON = ("ambiguous day/month date (e.g. 09/07/2018 may be 9 July or 7 September): write "
                         "dates as ISO 8601 (2018-07-09) or give the format explicitly (--date-format %d/%m/%Y)")


@dataclass
class ValidationResult:
    """Typed valid tables, one problem per (row, check), and one reject per bad input row."""

    tables: dict[str, pd.DataFrame]
    problems: pd.DataFrame
    rejects: pd.DataFrame
    counts: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        return self.problems.empty


def empty_table(name: str) -> pd.DataFrame:
    """A typed table with no rows."""
    table = TABLES[name]
    return pd.DataFrame({c.name: pd.Series(dtype=_dtype(c.kind)) for c in table.columns})


def _dtype(kind: Kind) -> str:
    if kind in (Kind.TIMESTAMP, Kind.DATE):
        return TIMESTAMP_DTYPE
    if kind is Kind.STRING:
        return "str"
    return "float64"


def _parse_number(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype("float64")
    return pd.to_numeric(raw, errors="coerce").astype("float64")


def _parse_bool(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw) or pd.api.types.is_numeric_dtype(raw):
        numeric = raw.astype("float64")
        return numeric.where(numeric.isin([0.0, 1.0]))
    text = raw.astype("str").str.strip().str.lower()
    return pd.Series(
        np.select([text.isin(_TRUE), text.isin(_FALSE)], [1.0, 0.0], default=np.nan), index=raw.index
    )


def _parse_text_timestamp(text: pd.Series, date_format: str | None) -> pd.Series:
    """ISO 8601 first (or the explicit `date_format` first, then ISO 8601). Other spellings are read per
    element only when they cannot be misread: a month named in words or the year first, never numeric
    day/month dates (NUMERIC_DAY_MONTH), which stay null."""
    first = date_format or "ISO8601"
    parsed = pd.to_datetime(text, utc=True, format=first, errors="coerce").astype("datetime64[us, UTC]")
    retry = parsed.isna() & text.notna()
    if retry.any() and date_format is not None:
        parsed.loc[retry] = pd.to_datetime(text[retry], utc=True, format="ISO8601", errors="coerce")
    elif retry.any():  # rare non-ISO spellings; per-element parsing only for those
        retry &= ~text.str.match(NUMERIC_DAY_MONTH, na=False)
        if retry.any():
            parsed.loc[retry] = pd.to_datetime(text[retry], utc=True, format="mixed", errors="coerce")
    return parsed


def _parse_timestamp(raw: pd.Series, kind: Kind, date_format: str | None = None) -> pd.Series:
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        parsed = raw.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(raw):
        parsed = raw.dt.tz_localize("UTC")  # naive timestamps are taken to be UTC, as documented
    else:
        parsed = _parse_text_timestamp(raw.astype("str").str.strip(), date_format)
    parsed = parsed.astype("datetime64[us, UTC]")
    in_range = (parsed >= MIN_TIMESTAMP) & (parsed < pd.Timestamp("2262-01-01", tz="UTC"))
    parsed = parsed.where(in_range).astype(TIMESTAMP_DTYPE)
    return parsed.dt.floor("D") if kind is Kind.DATE else parsed


def parse_column(raw: pd.Series, column: Column, date_format: str | None = None) -> pd.Series:
    """Parse one raw column into its typed form; values that cannot be parsed become null. Timestamps and
    dates are ISO 8601 unless `date_format` (a strftime format such as %d/%m/%Y) says otherwise."""
    if column.kind is Kind.STRING:
        text = raw.astype("str").str.strip()
        return text.where(text.str.len() > 0)
    if column.kind in (Kind.INT, Kind.FLOAT):
        return _parse_number(raw)
    if column.kind is Kind.BOOL:
        return _parse_bool(raw)
    return _parse_timestamp(raw, column.kind, date_format)


def _problem_frame(table: str, rows: np.ndarray, column: str, reason: str) -> pd.DataFrame:
    return pd.DataFrame({"table": table, "row": rows, "column": column, "reason": reason})


def _column_problems(table: str, raw: pd.Series, typed: pd.Series, column: Column, now: pd.Timestamp,
                     rows: np.ndarray, date_format: str | None = None) -> list[pd.DataFrame]:
    found: list[pd.DataFrame] = []
    # Only text can be blank; formatting typed columns (e.g. Parquet timestamps) as text took seconds.
    blank_possible = raw.dtype.kind not in "biufmM"
    raw_present = raw.notna() & (raw.astype("str").str.strip().str.len() > 0) if blank_possible else raw.notna()
    unparseable = raw_present & typed.isna()
    expected = {Kind.INT: "an integer", Kind.FLOAT: "a number", Kind.BOOL: "true/false or 1/0",
                Kind.TIMESTAMP: "an ISO 8601 timestamp after 2000-01-01",
                Kind.DATE: "an ISO 8601 date after 2000-01-01", Kind.STRING: "text"}[column.kind]
    if date_format is not None and column.kind in (Kind.TIMESTAMP, Kind.DATE):
        expected = f"a date in the format {date_format} or ISO 8601, after 2000-01-01"
    ambiguous = pd.Series(False, index=raw.index)
    if date_format is None and column.kind in (Kind.TIMESTAMP, Kind.DATE) and raw.dtype.kind not in "mM":
        ambiguous = unparseable & raw.astype("str").str.strip().str.match(NUMERIC_DAY_MONTH, na=False)
    checks: list[tuple[pd.Series, str]] = [(unparseable & ~ambiguous, f"cannot parse value as {expected}"),
                                           (ambiguous, AMBIGUOUS_DATE_REASON)]
    if column.required:
        checks.append((~raw_present, "required value is missing"))
    if column.kind is Kind.INT:
        checks.append((typed.notna() & (typed % 1 != 0), "value must be a whole number"))
    if column.min_value is not None:
        checks.append((typed < column.min_value, f"value must be >= {column.min_value:g}"))
    if column.max_value is not None:
        checks.append((typed > column.max_value, f"value must be <= {column.max_value:g}"))
    if column.not_future:
        checks.append((typed > now, f"timestamp is in the future (after {now.isoformat()})"))
    for mask, reason in checks:
        bad = mask.to_numpy(dtype=bool, na_value=False)
        if bad.any():
            found.append(_problem_frame(table, rows[bad], column.name, reason))
    return found


def coerce_table(frame: pd.DataFrame, table_name: str, now: pd.Timestamp | None = None,
                 date_format: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse a raw contract table into its typed form. Returns the typed frame (all rows, schema columns
    only, row numbers 1-based in the index) and the per-row problems found within this table."""
    return coerce_frame(frame, TABLES[table_name], now, date_format)


def coerce_frame(frame: pd.DataFrame, table: Table, now: pd.Timestamp | None = None,
                 date_format: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`coerce_table` for any table description, e.g. a bare list of profile columns."""
    now = now or pd.Timestamp.now(tz="UTC")
    rows = np.arange(1, len(frame) + 1)
    typed: dict[str, pd.Series] = {}
    problems: list[pd.DataFrame] = [_problem_frame(table.name, rows[:0], "", "")]
    raw_frame = frame.reset_index(drop=True)
    for column in table.columns:
        if column.name not in raw_frame.columns:
            typed[column.name] = pd.Series(np.nan, index=raw_frame.index).astype(_dtype(column.kind))
            if column.required and len(raw_frame):
                problems.append(_problem_frame(table.name, rows, column.name, "required column is missing"))
            continue
        raw = raw_frame[column.name]
        typed[column.name] = parse_column(raw, column, date_format)
        problems.extend(_column_problems(table.name, raw, typed[column.name], column, now, rows, date_format))
    out = pd.DataFrame(typed).set_axis(pd.Index(rows, name="row"), axis=0)
    if table.key:
        problems.append(_duplicate_key_problems(out, table))
    return out, pd.concat(problems, ignore_index=True)


def _duplicate_key_problems(typed: pd.DataFrame, table: Table) -> pd.DataFrame:
    key = list(table.key)
    duplicated = typed.duplicated(subset=key, keep="first") & typed[key].notna().all(axis=1)
    rows = typed.index.to_numpy()[duplicated.to_numpy()]
    return _problem_frame(table.name, rows, ",".join(key), _duplicate_reason(table))


def _duplicate_reason(table: Table) -> str:
    return f"duplicate key ({', '.join(table.key)}); first row kept"


def _known_duplicate_problems(name: str, problems: pd.DataFrame, rows: np.ndarray | None) -> list[pd.DataFrame]:
    """Rows whose key repeats an earlier row held elsewhere (another bucket of a partitioned input, see
    authfit.partition), less those already found within this part, with the same reason."""
    if rows is None or not len(rows):
        return []
    table = TABLES[name]
    reason = _duplicate_reason(table)
    new = np.setdiff1d(rows, problems.loc[problems["reason"] == reason, "row"].to_numpy())
    return [_problem_frame(name, new, ",".join(table.key), reason)] if len(new) else []


def _foreign_key_problems(child: pd.DataFrame, table: Table, valid: dict[str, pd.DataFrame],
                          parsed: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """Children whose parent is not among the valid rows. `parsed` holds every parent row, rejected ones
    too, so the reason can say whether the parent is absent or was itself rejected (then fix the parent)."""
    found = []
    for fk in table.foreign_keys:
        if fk.table not in valid:
            continue  # an absent parent table is a coverage gap, not a broken row
        columns, parent_columns = list(fk.columns), list(fk.ref_columns)
        child_keys = pd.MultiIndex.from_frame(child[columns])
        orphan = ~child_keys.isin(pd.MultiIndex.from_frame(valid[fk.table][parent_columns]))
        orphan &= child[columns].notna().all(axis=1).to_numpy()
        rejected = orphan & child_keys.isin(pd.MultiIndex.from_frame(parsed[fk.table][parent_columns]))
        rows = child.index.to_numpy()
        for mask, where in ((orphan & ~rejected, "not found in"), (rejected, "refers to a rejected row of")):
            if mask.any():
                reason = f"{'/'.join(columns)} {where} {fk.table} (orphan foreign key)"
                found.append(_problem_frame(table.name, rows[mask], ",".join(columns), reason))
    return found


def _lookup(child: pd.DataFrame, key: str, parent: pd.DataFrame | None, parent_key: str, value: str) -> pd.Series:
    if parent is None or parent.empty:
        return pd.Series(pd.NaT, index=child.index, dtype=TIMESTAMP_DTYPE)
    mapping = parent.drop_duplicates(parent_key).set_index(parent_key)[value]
    return child[key].map(mapping).astype(TIMESTAMP_DTYPE)


def _time_order_problems(name: str, typed: pd.DataFrame, valid: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """Cross-table rules: nothing happens before the thing it belongs to exists."""
    rules: list[tuple[str, pd.Series, pd.Series, str]] = []
    accounts = valid.get("accounts")
    if name == "posts":
        created = _lookup(typed, "account_id", accounts, "account_id", "created_at")
        rules.append(("posted_at", typed["posted_at"], created, "post dated before its account was created"))
    if name == "follower_history":
        created = _lookup(typed, "account_id", accounts, "account_id", "created_at").dt.floor("D")
        rules.append(("date", typed["date"], created, "snapshot dated before its account was created"))
    if name == "comments":
        posted = _lookup(typed, "post_id", valid.get("posts"), "post_id", "posted_at")
        rules.append(("created_at", typed["created_at"], posted, "comment dated before its post"))
    if name == "campaigns":
        rules.append(("end_date", typed["end_date"], typed["start_date"], "campaign ends before it starts"))
    found = []
    for column, later, earlier, reason in rules:
        bad = (later < earlier).to_numpy(dtype=bool, na_value=False)
        if bad.any():
            found.append(_problem_frame(name, typed.index.to_numpy()[bad], column, reason))
    return found


def _reject_rows(raw: pd.DataFrame, problems: pd.DataFrame) -> pd.DataFrame:
    if problems.empty:
        return pd.DataFrame(columns=["table", "row", "columns", "reason", "record"])
    grouped = problems.groupby(["table", "row"], sort=True).agg(
        columns=("column", lambda c: ",".join(dict.fromkeys(c))),
        reason=("reason", lambda r: "; ".join(dict.fromkeys(r))),
    ).reset_index()
    records = raw.reset_index(drop=True).iloc[grouped["row"].to_numpy() - 1]
    # split on "\n" only: JSON escapes newlines inside values, but str.splitlines would also split on
    # U+2028, \x1c, \x85 ... that user texts may contain, misaligning records and rows
    lines = records.astype("str").to_json(orient="records", lines=True, force_ascii=False)
    grouped["record"] = lines.rstrip("\n").split("\n")
    return grouped


def validate_tables(raw_tables: dict[str, pd.DataFrame], now: pd.Timestamp | None = None,
                    duplicates: dict[str, np.ndarray] | None = None, date_format: str | None = None
                    ) -> ValidationResult:
    """Validate every table present, parents before children, so a rejected parent orphans its children.
    `duplicates` (table -> 1-based rows) marks rows whose key an earlier row outside these tables holds.
    `date_format` reads non-ISO dates (e.g. %d/%m/%Y); without it, numeric day/month dates are rejected."""
    now = now or pd.Timestamp.now(tz="UTC")
    valid: dict[str, pd.DataFrame] = {}
    parsed: dict[str, pd.DataFrame] = {}
    all_problems: list[pd.DataFrame] = []
    all_rejects: list[pd.DataFrame] = []
    counts = []
    for name in VALIDATION_ORDER:
        if name not in raw_tables:
            continue
        typed, problems = coerce_table(raw_tables[name], name, now, date_format)
        parsed[name] = typed
        problems = pd.concat([problems, *_known_duplicate_problems(name, problems, (duplicates or {}).get(name)),
                              *_foreign_key_problems(typed, TABLES[name], valid, parsed),
                              *_time_order_problems(name, typed, valid)], ignore_index=True)
        bad_rows = problems["row"].unique()
        valid[name] = typed.drop(index=bad_rows).reset_index(drop=True)
        all_problems.append(problems)
        all_rejects.append(_reject_rows(raw_tables[name], problems))
        counts.append({"table": name, "rows_in": len(typed), "valid": len(valid[name]), "rejected": len(bad_rows)})
    problems = pd.concat(all_problems, ignore_index=True) if all_problems else pd.DataFrame(columns=PROBLEM_COLUMNS)
    rejects = pd.concat(all_rejects, ignore_index=True) if all_rejects else _reject_rows(pd.DataFrame(), problems)
    return ValidationResult(valid, problems, rejects, pd.DataFrame(counts, columns=["table", "rows_in", "valid", "rejected"]))


def summarise_problems(problems: pd.DataFrame, examples: int = 3) -> pd.DataFrame:
    """One line per (table, column, reason): how many rows, and the first few row numbers."""
    if problems.empty:
        return pd.DataFrame(columns=["table", "column", "reason", "rows", "example_rows"])
    return problems.groupby(["table", "column", "reason"], sort=True).agg(
        rows=("row", "nunique"),
        example_rows=("row", lambda r: ", ".join(map(str, sorted(set(r))[:examples]))),
    ).reset_index()


def load_contract_tables(directory, now: pd.Timestamp | None = None, date_format: str | None = None
                         ) -> ValidationResult:
    """Read every contract table in `directory` and validate it; the valid rows are in `.tables`."""
    from pathlib import Path

    from authfit.io import read_raw_tables

    return validate_tables(read_raw_tables(Path(directory)), now=now, date_format=date_format)
