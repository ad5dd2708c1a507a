"""Reading and writing contract tables: one file per table, CSV or Parquet."""

from __future__ import annotations

import difflib
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from authfit.contract.schema import TABLES

SUFFIXES: tuple[str, ...] = (".parquet", ".csv", ".csv.gz")
log = logging.getLogger(__name__)


class TableNotFoundError(FileNotFoundError):
    """The directory holds no file for a requested table."""


class TableReadError(ValueError):
    """A table file exists but cannot be read as the contract's CSV or Parquet; the message names the file."""


class OutputFormatError(ValueError):
    """An output file name has a suffix authfit cannot write."""


def _table_suffix(name: str) -> tuple[str, str] | None:
    """(table name, suffix) of a file name such as `Accounts.CSV`, matched without regard to case."""
    lower = name.lower()
    for suffix in SUFFIXES:
        stem = lower.removesuffix(suffix)
        if stem != lower and stem in TABLES:
            return stem, suffix
    return None


def table_files(directory: Path) -> dict[str, Path]:
    """The file of each contract table in `directory`. File names match without regard to case
    (`Accounts.csv` is the accounts table); two files for one table are an error, never a silent choice."""
    found: dict[str, list[Path]] = {}
    for path in sorted(directory.iterdir()):
        match = _table_suffix(path.name) if path.is_file() else None
        if match is not None:
            found.setdefault(match[0], []).append(path)
    clashes = {name: paths for name, paths in found.items() if len(paths) > 1}
    if clashes:
        detail = "; ".join(f"{name}: {', '.join(p.name for p in paths)}" for name, paths in clashes.items())
        raise TableReadError(f"{directory} holds more than one file for a table ({detail}); keep one per table")
    return {name: paths[0] for name, paths in found.items()}


def table_path(directory: Path, name: str) -> Path | None:
    """The file holding table `name` in `directory`, or None when there is none."""
    if not directory.is_dir():
        return None
    return table_files(directory).get(name)


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn a decoding or parsing failure while reading `path` into a TableReadError that names the file
    and says what to do."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise TableReadError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start:exc.start + 1]!r} at byte offset {exc.start}); "
            "save the file as UTF-8 (in Excel: 'CSV UTF-8'), e.g. `iconv -f cp1252 -t utf-8`") from exc
    except pd.errors.ParserError as exc:
        raise TableReadError(f"{path}: cannot be read as CSV: {exc}") from exc


def check_separator(path: Path, columns: pd.Index) -> None:
    """A CSV read as one column whose header holds ';' was written with ';' separators (a European Excel
    export); authfit reads ',' only, so say so instead of reporting every contract column missing."""
    if len(columns) == 1 and ";" in str(columns[0]):
        raise TableReadError(f"{path}: the header is one column holding ';' ({str(columns[0])[:60]!r}); "
                             "the file seems to use ';' as separator; save it with ',' separators")


def read_raw_table(path: Path) -> pd.DataFrame:
    """Read a table file as it is. CSV cells stay text so that validation can report unparseable values."""
    if path.is_dir():
        raise TableReadError(f"{path} is a directory, not a table file")
    if path.name.lower().endswith(".parquet"):
        with reading(path):
            return pd.read_parquet(path)
    with reading(path):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    check_separator(path, frame.columns)
    return frame


def require_directory(directory: Path) -> Path:
    """`directory` when it is one; else an error that says whether it is a file or missing."""
    if directory.is_file():
        raise TableNotFoundError(f"{directory} is a file, not a directory; pass the directory that holds the "
                                 "table files (accounts.csv, posts.csv, ...)")
    if not directory.is_dir():
        raise TableNotFoundError(f"data directory {directory} does not exist")
    return directory


def read_raw_tables(directory: Path, names: tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
    """Every contract table present in `directory`, unparsed. Absent tables are left out, but a directory
    with none of them is an error (it is the wrong directory), and other data files are named in a warning."""
    require_directory(directory)
    files = table_files(directory)
    if not files:
        raise TableNotFoundError(f"no contract tables found in {directory}: expected files named like "
                                 f"{', '.join(f'{n}.csv' for n in list(TABLES)[:3])} (or .parquet, .csv.gz)")
    for path in sorted(p for p in directory.iterdir() if p.is_file() and p not in files.values()):
        hint = near_miss(path.name)
        if hint:
            log.warning("ignored %s: %s", path, hint)
    return {name: read_raw_table(files[name]) for name in names or tuple(TABLES) if name in files}


def near_miss(name: str) -> str | None:
    """Why a file that looks meant as a table is not read ('accounts.xlsx', 'acounts.csv'), else None;
    other files (a README, the simulator's truth_*.parquet) are not mentioned."""
    stem, _, suffix = name.lower().partition(".")
    if stem in TABLES:
        return f"authfit reads {', '.join(SUFFIXES)} files, not .{suffix}"
    close = difflib.get_close_matches(stem, list(TABLES), n=1, cutoff=0.8)
    return f"not a contract table name; did you mean {close[0]}?" if close else None


def output_format(path: Path) -> str:
    """'parquet', 'csv' or 'csv.gz' from an output file's name; any other suffix is an error, so that
    `--out scores.xlsx` never silently writes CSV."""
    lower = path.name.lower()
    for suffix in (".parquet", ".csv.gz", ".csv"):
        if lower.endswith(suffix):
            return suffix.lstrip(".")
    raise OutputFormatError(f"cannot write {path}: the file name must end in .parquet, .csv or .csv.gz")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary sibling of `path` to write to: renamed onto `path` when the block succeeds, removed when
    it fails, so a crash never leaves a half-written file that looks complete. The name is unique per call
    (concurrent writers never share one), and the file gets the usual permissions, unlike mkstemp's 0600."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> Path:
    """Write a text file (JSON, HTML, Markdown) through `atomic_path`."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_atomic(frame: pd.DataFrame, path: Path, compression: str | None = "snappy") -> Path:
    """Write CSV or Parquet (by suffix) through `atomic_path`. `compression` applies to Parquet."""
    fmt = output_format(path)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            frame.to_parquet(tmp, index=False, compression=compression)
        else:  # the temporary name hides the suffix, so gzip is asked for, not inferred
            frame.to_csv(tmp, index=False, compression="gzip" if fmt == "csv.gz" else None)
    return path


def read_scores(path: Path) -> pd.DataFrame:
    """A scores file that `authfit score` wrote (Parquet or CSV, by suffix), with account_id as text."""
    path = Path(path)
    frame = pd.read_parquet(path) if path.name.lower().endswith(".parquet") else pd.read_csv(path)
    if "account_id" not in frame:
        raise ValueError(f"{path} has no account_id column; pass the output of `authfit score`")
    return frame.assign(account_id=frame["account_id"].astype(str))


def write_tables(tables: dict[str, pd.DataFrame], directory: Path, fmt: str = "parquet") -> list[Path]:
    """Write each table as `<directory>/<name>.<fmt>`."""
    return [write_atomic(frame, directory / f"{name}.{fmt}") for name, frame in tables.items()]
