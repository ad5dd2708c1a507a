"""HypeAuditor top-1000 Instagram rankings (5 monthly copies from 2022), read into `accounts` and monthly
snapshots.

The five CSVs have different headers and column orders, and the June file's headers are wrong (its
"Views avg." column holds the audience country, "Likes avg" the authentic engagement, "Comments avg."
the average engagement). So each file is read by the position of its columns, described in
`HYPEAUDITOR_FILES`, not by its header. The unlabelled file ("... - instagram.csv") carries no month; its
follower counts sit below June's (e.g. 419.6M vs 459.2M for the top account), so it is taken to be the
first copy of the Kaggle set, March 2022. That date is an assumption; pass another `files` mapping to
change it.

In some rows the audience country is missing and the following cells are shifted one place to the left
(the country cell then holds a count such as "10.2M"). Those rows get no country, and their engagement
values are read one place to the left. Counts are written like "12.5M", "350K" or "1,234"; an authentic
engagement of 0 next to a positive average engagement is HypeAuditor's placeholder for "not measured"
and is read as missing. Countries are mapped from English names to ISO 3166-1 alpha-2 codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from authfit.datasets.paths import DatasetMissingError, dataset_dir
from authfit.contract.validate import coerce_table

HYPEAUDITOR = "hypeauditor-top1000-instagram-2022"
PLATFORM = "instagram"
SNAPSHOT_COLUMNS = ("account_id", "date", "username", "full_name", "category", "category_2", "country",
                    "follower_count", "authentic_engagement", "avg_engagement", "rank")


@dataclass(frozen=True)
class HypeFile:
    """Where each field sits in one monthly file (0-based column positions; None = not in the file)."""

    month: str
    handle: int
    name: int
    category: int | None
    category_2: int | None
    followers: int
    country: int
    authentic: int
    average: int
    rank: int | None = None


HYPEAUDITOR_FILES: dict[str, HypeFile] = {
    "social media influencers - instagram.csv": HypeFile("2022-03-01", 0, 1, 2, 3, 4, 6, 7, 9),
    "social media influencers-instagram june 2022 - june 2022.csv":
        HypeFile("2022-06-01", 0, 1, 2, 3, 4, 6, 7, 9),
    "social media influencers - instagram sep-2022.csv": HypeFile("2022-09-01", 1, 2, 10, 11, 3, 5, 6, 8, 0),
    "social media influencers-instagram - -nov 2022.csv": HypeFile("2022-11-01", 1, 2, 3, 11, 4, 6, 7, 9, 0),
    "social media influencers-INSTAGRAM - -DEC 2022.csv": HypeFile("2022-12-01", 1, 2, 3, 4, 5, 7, 8, 10, 0),
}

# Every audience country in the five files.
COUNTRY_CODES: dict[str, str] = {
    "Albania": "AL", "Algeria": "DZ", "Argentina": "AR", "Australia": "AU", "Brazil": "BR", "Chile": "CL",
    "China": "CN", "Colombia": "CO", "Egypt": "EG", "Ethiopia": "ET", "France": "FR", "Germany": "DE",
    "India": "IN", "Indonesia": "ID", "Iran": "IR", "Iraq": "IQ", "Italy": "IT", "Japan": "JP",
    "Kazakhstan": "KZ", "Mexico": "MX", "Morocco": "MA", "Nigeria": "NG", "Pakistan": "PK",
    "Philippines": "PH", "Poland": "PL", "Portugal": "PT", "Romania": "RO", "Russia": "RU", "Serbia": "RS",
    "South Korea": "KR", "Spain": "ES", "Syria": "SY", "Thailand": "TH", "Turkey": "TR", "Ukraine": "UA",
    "United Arab Emirates": "AE", "United Kingdom": "GB", "United States": "US", "Yemen": "YE",
}
_COUNT = r"^\s*(?P<number>\d[\d,]*(?:\.\d+)?)\s*(?P<suffix>[KkMmBb]?)\s*$"
_SUFFIX = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9}


def parse_count(raw: pd.Series) -> pd.Series:
    """"12.5M" -> 12_500_000.0, "350K" -> 350_000.0, "1,234" -> 1234.0, rounded to whole numbers;
    anything else -> NaN."""
    parts = raw.astype("str").str.extract(_COUNT)
    number = pd.to_numeric(parts["number"].str.replace(",", "", regex=False), errors="coerce")
    scale = parts["suffix"].str.upper().map(_SUFFIX)
    return (number * scale).round().astype("float64").rename(raw.name)  # 16.6 * 1e6 is not whole in floats


def hypeauditor_dir(path: Path | None = None) -> Path:
    """The data-set folder (default: from `$AUTHFIT_DATASETS`), checked to hold at least one monthly file."""
    folder = dataset_dir(HYPEAUDITOR) if path is None else Path(path)
    if not any((folder / name).is_file() for name in HYPEAUDITOR_FILES):
        raise DatasetMissingError(f"{HYPEAUDITOR}: no monthly CSV in {folder}; point $AUTHFIT_DATASETS at it")
    return folder


def _text(raw: pd.DataFrame, position: int | None) -> pd.Series:
    if position is None or position >= raw.shape[1]:
        return pd.Series(np.nan, index=raw.index, dtype="str")
    text = raw.iloc[:, position].astype("str").str.strip()
    return text.where(~text.isin(["", "N/A", "NA", "nan"]))


def _snapshot(raw: pd.DataFrame, spec: HypeFile) -> pd.DataFrame:
    """One monthly file as snapshot rows, repairing rows whose country is missing and cells shifted."""
    country_cell = _text(raw, spec.country)
    shifted = parse_count(country_cell).notna()
    authentic = parse_count(_text(raw, spec.authentic)).where(~shifted, parse_count(country_cell))
    average = parse_count(_text(raw, spec.average)).where(~shifted, parse_count(_text(raw, spec.authentic)))
    handle = _text(raw, spec.handle)
    return pd.DataFrame({
        "account_id": handle, "date": pd.Timestamp(spec.month, tz="UTC"), "username": handle,
        "full_name": _text(raw, spec.name), "category": _text(raw, spec.category),
        "category_2": _text(raw, spec.category_2), "country": country_cell.where(~shifted).map(COUNTRY_CODES),
        "follower_count": parse_count(_text(raw, spec.followers)),
        "authentic_engagement": authentic.where(~((authentic == 0) & (average > 0))),
        "avg_engagement": average,
        "rank": pd.to_numeric(_text(raw, spec.rank), errors="coerce") if spec.rank is not None else np.nan,
    })


def read_hypeauditor_snapshots(path: Path | None = None,
                               files: dict[str, HypeFile] | None = None) -> pd.DataFrame:
    """One row per (account, month): `SNAPSHOT_COLUMNS`, counts as float64, `date` the month's first day
    (UTC). An account listed twice in one month keeps its first (best-ranked) row."""
    folder = hypeauditor_dir(path)
    frames = [
        _snapshot(pd.read_csv(folder / name, dtype=str, keep_default_na=False, header=0, encoding="utf-8"),
                  spec)
        for name, spec in (files or HYPEAUDITOR_FILES).items() if (folder / name).is_file()
    ]
    snapshots = pd.concat(frames, ignore_index=True).dropna(subset=["account_id"])
    snapshots = snapshots.drop_duplicates(["account_id", "date"], keep="first")
    return snapshots.sort_values(["account_id", "date"]).reset_index(drop=True)[list(SNAPSHOT_COLUMNS)]


def hypeauditor_follower_history(snapshots: pd.DataFrame) -> pd.DataFrame:
    """The snapshots as a typed `follower_history` (monthly; following_count unknown)."""
    history = snapshots.dropna(subset=["follower_count"])[["account_id", "date", "follower_count"]]
    return coerce_table(history, "follower_history")[0].reset_index(drop=True)


def hypeauditor_accounts(snapshots: pd.DataFrame) -> pd.DataFrame:
    """A typed `accounts` table: each field from the account's latest snapshot that has it, follower_count
    from the latest snapshot, observed_at = that month. `country` is the main audience country, the best
    proxy for home country the source has."""
    latest = snapshots.sort_values("date").groupby("account_id", as_index=False, sort=True).last()
    frame = latest.assign(platform=PLATFORM, observed_at=latest["date"])
    return coerce_table(frame, "accounts")[0].reset_index(drop=True)
