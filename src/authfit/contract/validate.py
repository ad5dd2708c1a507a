"""Enforce the data contract: parse every table into its typed form and reject bad rows with reasons.

Every input row ends up either in the typed valid tables or in the rejects frame, with the table, the
column and a reason a person can act on, so nothing disappears without a trace.

The checks are hand-written over whole columns rather than a pandera schema, because they must produce
one reject row per bad input row across tables (orphans cascade from parents to children, and
cross-table time rules such as "comment before its post") and must run on chunks of millions of rows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from authfit.contract.keys import key_codes, positions_in
from authfit.contract.schema import TABLES, VALIDATION_ORDER, Column, Kind, Table

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
    return _empty_table(name).copy()


@functools.cache
def _empty_table(name: str) -> pd.DataFrame:
    """Built once per table: a request without campaigns asks for two of them every time."""
    table = TABLES[name]
    return pd.DataFrame({c.name: pd.Series(dtype=_dtype(c.kind)) for c in table.columns})


def _dtype(kind: Kind) -> str:
    if kind in (Kind.TIMESTAMP, Kind.DATE):
        return TIMESTAMP_DTYPE
    if kind is Kind.STRING:
        return "str"
    return "float64"


# One parsed column: the typed values (the column of the typed table), which raw values are given (not null
# and, for text, not blank), the values to compare against bounds (float64, int64 nanoseconds for timestamps,
# None for text) and where the typed value is null.
Parsed = tuple[pd.api.extensions.ExtensionArray | np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]
_NAT = np.iinfo(np.int64).min
_DAY_NS = 86_400 * 10**9
_NS_PER_UNIT = {"us": 1_000, "ns": 1}
_UTC_NS = pd.DatetimeTZDtype("ns", "UTC")


def _parse_number(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype("float64")
    return pd.to_numeric(raw, errors="coerce").astype("float64")


def _only_bools(raw: pd.Series) -> bool:
    """An object column of True/False and nulls only (what JSON booleans become)."""
    return raw.dtype == object and pd.api.types.infer_dtype(raw, skipna=True) == "boolean"


def _arrow_text(text: pd.Series) -> pa.Array | pa.ChunkedArray | None:
    """The Arrow array behind Arrow-backed text, None for other columns."""
    if isinstance(text.dtype, pd.StringDtype) and text.dtype.storage == "pyarrow":
        return pa.array(text.array)
    return None


def _parse_bool(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw) or pd.api.types.is_numeric_dtype(raw):
        numeric = raw.astype("float64")
        return numeric.where(numeric.isin([0.0, 1.0]))
    text = raw.astype("str")
    arrow = _arrow_text(text)
    if arrow is not None:  # the kernels `.str.strip().str.lower()` run on Arrow text, without their wrappers
        words = pc.utf8_lower(pc.utf8_trim_whitespace(arrow))
        truth = [np.asarray(pc.fill_null(pc.is_in(words, value_set=pa.array(sorted(s))), False)) for s in (_TRUE, _FALSE)]
        return pd.Series(np.select(truth, [1.0, 0.0], default=np.nan), index=raw.index)
    text = text.str.strip().str.lower()
    return pd.Series(
        np.select([text.isin(_TRUE), text.isin(_FALSE)], [1.0, 0.0], default=np.nan), index=raw.index
    )


def _parse_text_timestamp(text: pd.Series, date_format: str | None) -> pd.Series:
    """ISO 8601 first (or the explicit `date_format` first, then ISO 8601). Other spellings are read per
    element only when they cannot be misread: a month named in words or the year first, never numeric
    day/month dates (NUMERIC_DAY_MONTH), which stay null."""
    first = date_format or "ISO8601"
    parsed = _utc_micros(pd.to_datetime(text, utc=True, format=first, errors="coerce"))
    retry = parsed.isna() & text.notna()
    if retry.any() and date_format is not None:
        parsed.loc[retry] = _utc_micros(pd.to_datetime(text[retry], utc=True, format="ISO8601", errors="coerce"))
    elif retry.any():  # rare non-ISO spellings; per-element parsing only for those
        retry &= ~text.str.match(NUMERIC_DAY_MONTH, na=False)
        if retry.any():
            parsed.loc[retry] = _utc_micros(pd.to_datetime(text[retry], utc=True, format="mixed", errors="coerce"))
    return parsed


def _utc_micros(parsed: pd.Series) -> pd.Series:
    """Parsed timestamps in whole microseconds: every parser's result in one unit, so a retried value with
    nanoseconds fits the column the first parser made (it was refused with a TypeError)."""
    return parsed.astype("datetime64[us, UTC]")


def _stripped_text(text: pd.Series) -> pd.api.extensions.ExtensionArray:
    """Stripped text, null where blank: Arrow kernels on Arrow-backed text, the same operations that
    `text.str.strip()`, `.str.len()` and `.where` run, without a pandas wrapper around each."""
    arrow = _arrow_text(text)
    if arrow is None:
        stripped = text.str.strip()
        return stripped.where(stripped.str.len() > 0).array
    stripped = pc.utf8_trim_whitespace(arrow)
    if _has_empty(stripped):
        kept = pc.greater(pc.utf8_length(stripped), 0)
        stripped = pc.if_else(kept, stripped, pa.nulls(len(stripped), stripped.type))
    return pd.array(stripped, dtype=text.dtype)


_OFFSETS = {pa.string(): np.int32, pa.large_string(): np.int64}


def _has_empty(text: pa.Array | pa.ChunkedArray) -> bool:
    """Whether any value (or null) has no characters, from the offsets: most text columns have none,
    and need no masking."""
    if isinstance(text, pa.ChunkedArray) or text.type not in _OFFSETS:
        return True  # the general answer: the caller masks
    offsets = np.frombuffer(text.buffers()[1], dtype=_OFFSETS[text.type])[text.offset:text.offset + len(text) + 1]
    return bool((offsets[1:] == offsets[:-1]).any())


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
    return pd.Series(_parse(raw, column, date_format)[0], index=raw.index, name=raw.name)


def _parse_series(raw: pd.Series, column: Column, date_format: str | None) -> pd.Series:
    """The general path, for any raw column (text, objects, nullable types)."""
    if column.kind in (Kind.INT, Kind.FLOAT):
        return _parse_number(raw)
    if column.kind is Kind.BOOL:
        return _parse_bool(raw)
    return _parse_timestamp(raw, column.kind, date_format)


def _parse(raw: pd.Series, column: Column, date_format: str | None = None) -> Parsed:
    """Parse one raw column on its arrays: columns that already hold numbers, booleans or datetimes (JSON
    requests, Parquet) and Arrow text never go through a pandas Series operation."""
    if column.kind is Kind.STRING:
        typed = _stripped_text(raw if _arrow_text(raw) is not None else raw.astype("str"))
        missing = np.asarray(typed.isna(), dtype=bool)
        present = ~pd.isna(raw.to_numpy()) if raw.dtype.kind in "biufmM" else ~missing
        return typed, present, None, missing
    fast = _parse_typed(raw, column)
    if fast is not None:
        return fast
    typed = _parse_series(raw, column, date_format)
    values, missing = _typed_values(typed)
    return typed.array, _present(raw, column), values, missing


def _parse_typed(raw: pd.Series, column: Column) -> Parsed | None:
    """A column already of a numpy number, boolean or datetime type (us or ns), parsed as `_parse_series`
    does; None for other columns."""
    dtype = raw.dtype
    timestamp = column.kind in (Kind.TIMESTAMP, Kind.DATE)
    if timestamp and isinstance(dtype, pd.DatetimeTZDtype) and dtype.unit in _NS_PER_UNIT:
        return _timestamps(raw.array.asi8, dtype.unit, column.kind)
    if not isinstance(dtype, np.dtype):
        return None
    if timestamp and dtype.kind == "M" and np.datetime_data(dtype)[0] in _NS_PER_UNIT:
        return _timestamps(raw.to_numpy().view(np.int64), np.datetime_data(dtype)[0], column.kind)
    if column.kind is Kind.BOOL and _only_bools(raw):  # JSON booleans: as the text path reads "True"/"False"
        objects = raw.to_numpy()
        present = ~pd.isna(objects)
        values = np.where(present, (objects == True).astype("float64"), np.nan)  # noqa: E712
        return values, present, values, ~present
    if timestamp or dtype.kind not in "biuf":
        return None
    values = raw.to_numpy().astype(np.float64)
    present = ~np.isnan(values) if dtype.kind == "f" else np.ones(len(values), dtype=bool)
    if column.kind is Kind.BOOL:
        values = np.where((values == 0.0) | (values == 1.0), values, np.nan)
    return values, present, values, np.isnan(values)


def _timestamps(ticks: np.ndarray, unit: str, kind: Kind) -> Parsed:
    """Epoch ticks (NaT as int64 min) as `_parse_timestamp` reads a datetime column: to whole microseconds
    (truncated, as `astype` does), null outside [MIN_TIMESTAMP, 2262-01-01), in nanoseconds, floored to
    the day for dates."""
    present = ticks != _NAT
    micros = ticks // 1_000 if unit == "ns" else ticks
    in_range = present & (micros >= _MIN_US) & (micros < _MAX_US)
    values = np.where(in_range, micros * 1_000, _NAT)
    if kind is Kind.DATE:
        values = np.where(in_range, values // _DAY_NS * _DAY_NS, _NAT)
    return pd.array(values.view("M8[ns]"), dtype=_UTC_NS), present, values, ~in_range


_MIN_US = MIN_TIMESTAMP.value // 1_000
_MAX_US = pd.Timestamp("2262-01-01", tz="UTC").value // 1_000


def _problem_frame(table: str, rows: np.ndarray, column: str, reason: str) -> pd.DataFrame:
    return pd.DataFrame({"table": table, "row": rows, "column": column, "reason": reason})


@functools.cache
def _empty_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Built once: no problems and no rejects (what most requests give), to be copied."""
    problems = _problem_frame("", np.zeros(0, dtype=np.int64), "", "")
    return problems, pd.DataFrame(columns=["table", "row", "columns", "reason", "record"])


# A problem found: the 1-based rows, the column(s) at fault and the reason. Checks collect these and each
# table's problems become one frame at the end, instead of a small frame per check.
Found = tuple[np.ndarray, str, str]


def _problems_frame(table: str, found: list[Found]) -> pd.DataFrame:
    """One frame of `found`, in order (rows of a check, then the next check's)."""
    found = [f for f in found if len(f[0])]
    if not found:
        return _problem_frame(table, np.zeros(0, dtype=np.int64), "", "")
    counts = [len(rows) for rows, _, _ in found]
    return pd.DataFrame({
        "table": table,
        "row": np.concatenate([rows for rows, _, _ in found]).astype(np.int64),
        "column": np.repeat(np.array([column for _, column, _ in found], dtype=object), counts),
        "reason": np.repeat(np.array([reason for _, _, reason in found], dtype=object), counts),
    })


_EXPECTED = {Kind.INT: "an integer", Kind.FLOAT: "a number", Kind.BOOL: "true/false or 1/0",
             Kind.TIMESTAMP: "an ISO 8601 timestamp after 2000-01-01",
             Kind.DATE: "an ISO 8601 date after 2000-01-01", Kind.STRING: "text"}


def _present(raw: pd.Series, column: Column) -> np.ndarray:
    """Which raw values of a non-text column are given: not null and, for text, not blank once stripped."""
    if raw.dtype.kind in "biufmM":  # only text can be blank; formatting typed columns as text took seconds
        return raw.notna().to_numpy()
    if _only_bools(raw):  # True and False are never blank
        return raw.notna().to_numpy()
    text = raw.astype("str")
    arrow = _arrow_text(text)
    if arrow is not None:  # null or blank: no characters once stripped
        given = np.asarray(pc.fill_null(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(arrow)), 0), False))
        return given & ~pd.isna(raw.to_numpy()) if raw.dtype == object else given
    return (raw.notna() & (text.str.strip().str.len() > 0)).to_numpy(dtype=bool, na_value=False)


def _typed_values(typed: pd.Series) -> tuple[np.ndarray | None, np.ndarray]:
    """The parsed column as a numpy array to compare against bounds (float64, or int64 nanoseconds for
    timestamps; None for text), and where it is null."""
    if isinstance(typed.dtype, pd.DatetimeTZDtype):
        return typed.array.as_unit("ns").asi8, typed.isna().to_numpy()
    if typed.dtype.kind == "f":
        values = typed.to_numpy(dtype="float64", na_value=np.nan)
        return values, np.isnan(values)
    return None, typed.isna().to_numpy(dtype=bool, na_value=True)


def _column_problems(raw: pd.Series, parsed: Parsed, column: Column, now: pd.Timestamp, rows: np.ndarray,
                     date_format: str | None = None) -> list[Found]:
    """Every check of one column, on numpy masks (pandas' per-operation cost dominated small tables)."""
    _, present, values, missing = parsed
    unparseable = present & missing
    expected = _EXPECTED[column.kind]
    timestamp = column.kind in (Kind.TIMESTAMP, Kind.DATE)
    if date_format is not None and timestamp:
        expected = f"a date in the format {date_format} or ISO 8601, after 2000-01-01"
    ambiguous = np.zeros(len(raw), dtype=bool)
    if date_format is None and timestamp and raw.dtype.kind not in "mM" and unparseable.any():
        ambiguous = unparseable & raw.astype("str").str.strip().str.match(NUMERIC_DAY_MONTH, na=False).to_numpy(
            dtype=bool, na_value=False)
    checks: list[tuple[np.ndarray, str]] = [(unparseable & ~ambiguous, f"cannot parse value as {expected}"),
                                            (ambiguous, AMBIGUOUS_DATE_REASON)]
    if column.required:
        checks.append((~present, "required value is missing"))
    if values is not None:
        with np.errstate(invalid="ignore"):
            if column.kind is Kind.INT:
                checks.append((~missing & (np.mod(values, 1) != 0), "value must be a whole number"))
            if column.min_value is not None:
                checks.append((values < column.min_value, f"value must be >= {column.min_value:g}"))
            if column.max_value is not None:
                checks.append((values > column.max_value, f"value must be <= {column.max_value:g}"))
            if column.not_future:
                checks.append((~missing & (values > (now.value if timestamp else now)),
                               f"timestamp is in the future (after {now.isoformat()})"))
    return [(rows[bad], column.name, reason) for bad, reason in checks if bad.any()]


def coerce_table(frame: pd.DataFrame, table_name: str, now: pd.Timestamp | None = None,
                 date_format: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse a raw contract table into its typed form. Returns the typed frame (all rows, schema columns
    only, row numbers 1-based in the index) and the per-row problems found within this table."""
    return coerce_frame(frame, TABLES[table_name], now, date_format)


def coerce_frame(frame: pd.DataFrame, table: Table, now: pd.Timestamp | None = None,
                 date_format: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`coerce_table` for any table description, e.g. a bare list of profile columns."""
    typed, found = _coerce(frame, table, now, date_format)
    return typed, _problems_frame(table.name, found)


def _coerce(frame: pd.DataFrame, table: Table, now: pd.Timestamp | None, date_format: str | None
            ) -> tuple[pd.DataFrame, list[Found]]:
    now = now or pd.Timestamp.now(tz="UTC")
    rows = np.arange(1, len(frame) + 1)
    typed: dict[str, pd.api.extensions.ExtensionArray | np.ndarray] = {}
    found: list[Found] = []
    for column in table.columns:
        raw = frame[column.name] if column.name in frame.columns else None
        # absent, or optional and nothing but nulls (a JSON request's unset fields): typed nulls, nothing to check
        if raw is None or (not column.required and _all_null(raw)):
            typed[column.name] = _null_column(column.kind, len(frame))
            if raw is None and column.required and len(frame):
                found.append((rows, column.name, "required column is missing"))
            continue
        if not isinstance(raw.index, pd.RangeIndex) or raw.index.start != 0 or raw.index.step != 1:
            raw = raw.reset_index(drop=True)
        parsed = _parse(raw, column, date_format)
        typed[column.name] = parsed[0]
        found.extend(_column_problems(raw, parsed, column, now, rows, date_format))
    if table.key:
        found.append(_duplicate_key_problems(typed, rows, table))
    return pd.DataFrame(typed, index=pd.Index(rows, name="row"), copy=False), found


def _all_null(raw: pd.Series) -> bool:
    """Nothing but nulls in an object or Arrow text column (a JSON request's unset fields)."""
    if raw.dtype == object:
        return bool(pd.isna(raw.to_numpy()).all())
    arrow = _arrow_text(raw)
    return arrow is not None and arrow.null_count == len(arrow)


def _null_column(kind: Kind, length: int) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """A typed column of nulls (a copy: callers may write into the tables they get)."""
    return _null_array(kind, length).copy()


@functools.lru_cache(maxsize=64)
def _null_array(kind: Kind, length: int) -> pd.api.extensions.ExtensionArray | np.ndarray:
    if kind is Kind.STRING:
        return pd.array(np.full(length, np.nan, dtype=object), dtype="str")
    if kind in (Kind.TIMESTAMP, Kind.DATE):
        return pd.array(np.full(length, _NAT).view("M8[ns]"), dtype=_UTC_NS)
    return np.full(length, np.nan)


def _duplicate_key_problems(typed: dict[str, pd.api.extensions.ExtensionArray | np.ndarray], rows: np.ndarray,
                            table: Table) -> Found:
    """Rows whose key (all parts known) repeats an earlier row's, from the typed columns."""
    key = list(table.key)
    duplicated = np.zeros(len(rows), dtype=bool)
    if len(rows) > 1:
        codes = [key_codes(typed[name]) for name in key]
        combined = codes[0].astype(np.int64)
        for more in codes[1:]:  # mixed radix over the codes: one integer per key, nulls never collide with values
            combined = combined * (int(more.max(initial=0)) + 2) + (more + 1)
        duplicated[:] = True
        duplicated[np.unique(combined, return_index=True)[1]] = False
        duplicated &= np.logical_and.reduce([c >= 0 for c in codes])
    return rows[duplicated], ",".join(key), _duplicate_reason(table)


def _duplicate_reason(table: Table) -> str:
    return f"duplicate key ({', '.join(table.key)}); first row kept"


def _known_duplicate_problems(name: str, found: list[Found], rows: np.ndarray | None) -> list[Found]:
    """Rows whose key repeats an earlier row held elsewhere (another bucket of a partitioned input, see
    authfit.scoring.partition), less those already found within this part, with the same reason."""
    if rows is None or not len(rows):
        return []
    table = TABLES[name]
    reason = _duplicate_reason(table)
    seen = [r for r, _, why in found if why == reason]
    new = np.setdiff1d(rows, np.concatenate(seen) if seen else np.zeros(0, dtype=np.int64))
    return [(new, ",".join(table.key), reason)] if len(new) else []


def _key_in(child: pd.DataFrame, columns: list[str], parent: pd.DataFrame, parent_columns: list[str]) -> np.ndarray:
    """Whether each child row's key is among the parent's keys."""
    if len(columns) == 1:  # Arrow's hash lookup: pandas' isin on Arrow strings builds a Python list of them
        return positions_in(child[columns[0]], parent[parent_columns[0]]) >= 0
    keys = pd.MultiIndex.from_frame(child[columns])
    return keys.isin(pd.MultiIndex.from_frame(parent[parent_columns]))


def _foreign_key_problems(child: pd.DataFrame, table: Table, valid: dict[str, pd.DataFrame],
                          parsed: dict[str, pd.DataFrame]) -> list[Found]:
    """Children whose parent is not among the valid rows. `parsed` holds every parent row, rejected ones
    too, so the reason can say whether the parent is absent or was itself rejected (then fix the parent)."""
    found = []
    for fk in table.foreign_keys:
        if fk.table not in valid:
            continue  # an absent parent table is a coverage gap, not a broken row
        columns, parent_columns = list(fk.columns), list(fk.ref_columns)
        orphan = ~_key_in(child, columns, valid[fk.table], parent_columns)
        orphan &= np.logical_and.reduce([~np.asarray(child[c].array.isna(), dtype=bool) for c in columns])
        if not orphan.any():
            continue
        rejected = orphan & _key_in(child, columns, parsed[fk.table], parent_columns)
        rows = child.index.to_numpy()
        for mask, where in ((orphan & ~rejected, "not found in"), (rejected, "refers to a rejected row of")):
            if mask.any():
                reason = f"{'/'.join(columns)} {where} {fk.table} (orphan foreign key)"
                found.append((rows[mask], ",".join(columns), reason))
    return found


def _ticks(column: pd.Series) -> np.ndarray:
    """A typed timestamp column as int64 nanoseconds, NaT as int64 min."""
    return column.array.asi8


def _lookup(child: pd.DataFrame, key: str, parent: pd.DataFrame | None, parent_key: str, value: str) -> np.ndarray:
    """The parent's `value` (int64 nanoseconds, NaT where there is no parent) of each child row, by the
    first parent row with the child's key."""
    if parent is None or parent.empty:
        return np.full(len(child), _NAT, dtype=np.int64)
    where = positions_in(child[key], parent[parent_key])  # the first parent row of each key
    return np.append(_ticks(parent[value]), _NAT)[where]


def _before(later: pd.Series, earlier: np.ndarray) -> np.ndarray:
    """later < earlier, both known (NaT compares false)."""
    values = _ticks(later)
    return (values != _NAT) & (earlier != _NAT) & (values < earlier)


def _floor_day(values: np.ndarray) -> np.ndarray:
    return np.where(values == _NAT, _NAT, values // _DAY_NS * _DAY_NS)


def _time_order_problems(name: str, typed: pd.DataFrame, valid: dict[str, pd.DataFrame]) -> list[Found]:
    """Cross-table rules: nothing happens before the thing it belongs to exists."""
    rules: list[tuple[str, np.ndarray, str]] = []
    accounts = valid.get("accounts")
    if name == "posts":
        created = _lookup(typed, "account_id", accounts, "account_id", "created_at")
        rules.append(("posted_at", _before(typed["posted_at"], created), "post dated before its account was created"))
    if name == "follower_history":
        created = _floor_day(_lookup(typed, "account_id", accounts, "account_id", "created_at"))
        rules.append(("date", _before(typed["date"], created), "snapshot dated before its account was created"))
    if name == "comments":
        posted = _lookup(typed, "post_id", valid.get("posts"), "post_id", "posted_at")
        rules.append(("created_at", _before(typed["created_at"], posted), "comment dated before its post"))
    if name == "campaigns":
        rules.append(("end_date", _before(typed["end_date"], _ticks(typed["start_date"])),
                      "campaign ends before it starts"))
    return [(typed.index.to_numpy()[bad], column, reason) for column, bad, reason in rules if bad.any()]


def _reject_rows(raw: pd.DataFrame, problems: pd.DataFrame) -> pd.DataFrame:
    if problems.empty:
        return _empty_frames()[1].copy()
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
    counts: dict[str, list] = {"table": [], "rows_in": [], "valid": [], "rejected": []}
    for name in VALIDATION_ORDER:
        if name not in raw_tables:
            continue
        typed, found = _coerce(raw_tables[name], TABLES[name], now, date_format)
        parsed[name] = typed
        found += [*_known_duplicate_problems(name, found, (duplicates or {}).get(name)),
                  *_foreign_key_problems(typed, TABLES[name], valid, parsed), *_time_order_problems(name, typed, valid)]
        found = [f for f in found if len(f[0])]
        bad_rows = np.unique(np.concatenate([rows for rows, _, _ in found])) if found else []
        valid[name] = (typed.drop(index=bad_rows) if len(bad_rows) else typed).reset_index(drop=True)
        if found:  # a frame per table only where there are problems: most tables of a request have none
            all_problems.append(_problems_frame(name, found))
            all_rejects.append(_reject_rows(raw_tables[name], all_problems[-1]))
        for key, value in zip(counts, (name, len(typed), len(valid[name]), len(bad_rows))):
            counts[key].append(value)
    if not all_problems:
        problems, rejects = (frame.copy() for frame in _empty_frames())
    else:
        problems, rejects = pd.concat(all_problems, ignore_index=True), pd.concat(all_rejects, ignore_index=True)
    return ValidationResult(valid, problems, rejects,
                            pd.DataFrame(counts) if counts["table"] else pd.DataFrame(columns=list(counts)))


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

    from authfit.contract.io import read_raw_tables

    return validate_tables(read_raw_tables(Path(directory)), now=now, date_format=date_format)
