"""Reading and writing contract tables: one file per table, CSV or Parquet."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from authfit.schema import TABLES

SUFFIXES: tuple[str, ...] = (".parquet", ".csv", ".csv.gz")


class TableNotFoundError(FileNotFoundError):
    """The directory holds no file for a requested table."""


def table_path(directory: Path, name: str) -> Path | None:
    """The file holding table `name` in `directory`, or None when there is none."""
    for suffix in SUFFIXES:
        candidate = directory / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def read_raw_table(path: Path) -> pd.DataFrame:
    """Read a table file as it is. CSV cells stay text so that validation can report unparseable values."""
    if path.name.endswith(".parquet"):
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")


def read_raw_tables(directory: Path, names: tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
    """Every contract table present in `directory`, unparsed. Absent tables are simply left out."""
    if not directory.is_dir():
        raise TableNotFoundError(f"data directory {directory} does not exist")
    tables: dict[str, pd.DataFrame] = {}
    for name in names or tuple(TABLES):
        path = table_path(directory, name)
        if path is not None:
            tables[name] = read_raw_table(path)
    return tables


def write_atomic(frame: pd.DataFrame, path: Path, compression: str | None = "snappy") -> Path:
    """Write CSV or Parquet (by suffix) through a temporary file and a rename, so a crash never
    leaves a half-written file that looks complete. `compression` applies to Parquet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if path.name.endswith(".parquet"):
            frame.to_parquet(tmp, index=False, compression=compression)
        else:
            frame.to_csv(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_tables(tables: dict[str, pd.DataFrame], directory: Path, fmt: str = "parquet") -> list[Path]:
    """Write each table as `<directory>/<name>.<fmt>`."""
    return [write_atomic(frame, directory / f"{name}.{fmt}") for name, frame in tables.items()]
