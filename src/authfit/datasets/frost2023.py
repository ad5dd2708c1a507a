"""Frost (2023) Social Blade Instagram histories, read into the `follower_history` and `accounts` tables.

Sources in the data-set folder:

- `socialblade_series_DERIVED.csv`: the nine Highcharts series of 199 saved Social Blade pages, tidy
  (`username, series, timestamp_ms, date, value`). The saved pages themselves are not in the public copy,
  so this extraction is the only source of the weekly series. (`data/followers_hist.csv` holds the same
  monthly totals for 38 of the accounts, value for value, so it adds nothing.)
- `data/profiles_v2.csv`: scraped profiles of 504 accounts (495 found), nano to mega. For the 9 not
  found, only `followers_old` (the count when the thesis picked the accounts) is known.
- `data/topics_account.csv`: the thesis's LDA topic label per account, used as `category`.
- `data/final_users_list_created.csv`: account creation month ("October 2016"), used as `created_at`.

Social Blade gives weekly *gains* (`weekly_followers_gained`, `weekly_following_gained`) and, separately,
absolute totals (`total_*_recent`: ~51 points in the last year; `total_*_monthly`: monthly).
`frost2023_follower_history(source="weekly")` rebuilds weekly levels as cumulative gains plus an offset
interpolated in time between the observed totals (the gains alone drift 15-25% short of the totals over
months), so the rebuilt levels pass through the totals and keep the weekly shape. `source="monthly"`
returns the monthly totals as they are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from authfit.datasets.paths import DatasetMissingError, dataset_dir
from authfit.contract.validate import coerce_table

FROST2023 = "frost2023-socialblade-instagram"
SERIES_FILE = "socialblade_series_DERIVED.csv"
PROFILES_FILE = "data/profiles_v2.csv"
TOPICS_FILE = "data/topics_account.csv"
CREATED_FILE = "data/final_users_list_created.csv"
PLATFORM = "instagram"
_WEEKLY = {"follower_count": "weekly_followers_gained", "following_count": "weekly_following_gained"}
_TOTALS = {"follower_count": ("total_followers_recent", "total_followers_monthly"),
           "following_count": ("total_following_recent", "total_following_monthly")}
_ANCHOR_TOLERANCE = pd.Timedelta(days=4)  # a total is compared with the weekly point at most this far away


def frost2023_file(name: str, path: Path | None = None) -> Path:
    """A file of the data set; `path` is the data-set folder (default: from `$AUTHFIT_DATASETS`)."""
    folder = dataset_dir(FROST2023) if path is None else Path(path)
    target = folder / name
    if not target.is_file():
        raise DatasetMissingError(
            f"{FROST2023}: {target} not found; point $AUTHFIT_DATASETS at the data sets")
    return target


def _typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    return coerce_table(frame, table)[0].reset_index(drop=True)


def read_frost2023_series(path: Path | None = None) -> pd.DataFrame:
    """The tidy Social Blade series: account_id, series, date (UTC), value (float)."""
    raw = pd.read_csv(frost2023_file(SERIES_FILE, path), dtype=str, keep_default_na=False)
    return pd.DataFrame({
        "account_id": raw["username"].str.strip(),
        "series": raw["series"].str.strip(),
        "date": pd.to_datetime(pd.to_numeric(raw["timestamp_ms"], errors="coerce"), unit="ms", utc=True)
        .dt.floor("D"),
        "value": pd.to_numeric(raw["value"], errors="coerce").astype("float64"),
    }).dropna(subset=["date", "value"])


def _interpolate_by_account(accounts: pd.Series, days: pd.Series, anchors: pd.DataFrame) -> np.ndarray:
    """Linear interpolation of `anchors.offset` over time within each account, flat beyond its first and
    last anchor. One np.interp call: accounts are laid side by side on one axis, each fenced by copies
    of its first and last anchor so that no interpolation reaches into a neighbour."""
    if anchors.empty:
        return np.full(len(accounts), np.nan)
    codes = pd.Index(anchors["account_id"].unique())
    span = float(max(days.max(), anchors["days"].max()) + 1.0)
    first = anchors.groupby("account_id", sort=False).first()
    last = anchors.groupby("account_id", sort=False).last()
    fence = [pd.DataFrame({"account_id": first.index, "days": -span, "offset": first["offset"].to_numpy()}),
             pd.DataFrame({"account_id": last.index, "days": span, "offset": last["offset"].to_numpy()})]
    points = pd.concat([anchors[["account_id", "days", "offset"]], *fence], ignore_index=True)
    axis = codes.get_indexer(points["account_id"]) * 4.0 * span + points["days"].to_numpy()
    order = np.argsort(axis, kind="stable")
    where = codes.get_indexer(accounts)
    out = np.interp(where * 4.0 * span + days.to_numpy(dtype=float), axis[order],
                    points["offset"].to_numpy()[order])
    return np.where(where >= 0, out, np.nan)


def _weekly_levels(series: pd.DataFrame, gains_name: str, totals_names: tuple[str, ...]) -> pd.DataFrame:
    """account_id, date, level: cumulative weekly gains benchmarked onto the observed totals.

    Social Blade's weekly gains run 15-25% short of the change in its own totals over months, so a
    single offset drifts away from the totals. The offset (total - cumulative gain at the nearest week)
    is therefore interpolated in time between totals: levels hit every total and keep the weekly shape."""
    gains = series[series["series"] == gains_name].sort_values(["account_id", "date"])
    gains = gains.assign(cum=gains.groupby("account_id")["value"].cumsum())
    totals = series[series["series"].isin(totals_names)].sort_values("date")
    matched = pd.merge_asof(totals, gains.sort_values("date")[["account_id", "date", "cum"]], on="date",
                            by="account_id", direction="nearest", tolerance=_ANCHOR_TOLERANCE)
    anchors = (matched.assign(offset=matched["value"] - matched["cum"]).dropna(subset=["offset"])
               .groupby(["account_id", "date"], as_index=False)["offset"].mean())
    origin = series["date"].min()
    anchors["days"] = (anchors["date"] - origin).dt.days.astype(float)
    offset = _interpolate_by_account(gains["account_id"], (gains["date"] - origin).dt.days, anchors)
    return pd.DataFrame({"account_id": gains["account_id"], "date": gains["date"],
                         "level": gains["cum"] + offset})


def frost2023_follower_history(series: pd.DataFrame, source: str = "weekly") -> pd.DataFrame:
    """A typed `follower_history` from the tidy series: rebuilt weekly levels, or the monthly totals."""
    if source == "weekly":
        parts = [_weekly_levels(series, _WEEKLY[c], _TOTALS[c]).rename(columns={"level": c}) for c in _WEEKLY]
    elif source == "monthly":
        parts = [series[series["series"] == _TOTALS[c][1]][["account_id", "date", "value"]]
                 .rename(columns={"value": c}) for c in _TOTALS]
    else:
        raise ValueError(f"source must be 'weekly' or 'monthly', not {source!r}")
    keyed = [p.drop_duplicates(["account_id", "date"], keep="last") for p in parts]
    history = keyed[0].merge(keyed[1], on=["account_id", "date"], how="left")
    # a rebuilt level can dip below zero where Social Blade's gains drift from its totals; that is not a count
    counts = history[["follower_count", "following_count"]]
    history[["follower_count", "following_count"]] = counts.where(counts >= 0).round()
    history = history.dropna(subset=["follower_count"])
    return _typed(history.sort_values(["account_id", "date"]), "follower_history")


def read_frost2023_follower_history(path: Path | None = None, source: str = "weekly") -> pd.DataFrame:
    """`follower_history` for the 199 Social Blade accounts (see `frost2023_follower_history`)."""
    return frost2023_follower_history(read_frost2023_series(path), source)


def _flag(raw: pd.Series) -> pd.Series:
    text = raw.astype("str").str.strip().str.upper()
    flags = np.select([text == "TRUE", text == "FALSE"], [1.0, 0.0], default=np.nan)
    return pd.Series(flags, index=raw.index)


def _missing_text(raw: pd.Series) -> pd.Series:
    """The scrape writes absent values as NA, None or nothing."""
    return raw.where(~raw.astype("str").str.strip().isin(["", "NA", "None", "nan"]))


def _read_text_csv(name: str, path: Path | None) -> pd.DataFrame:
    return pd.read_csv(frost2023_file(name, path), dtype=str, keep_default_na=False)


def _lookup(keys: pd.Series, table: pd.DataFrame, key: str, value: str | pd.Series) -> pd.Series:
    """`value` of `table` for each of `keys`, by the stripped `key` column (first row per key)."""
    values = table[value] if isinstance(value, str) else value
    mapping = pd.Series(values.to_numpy(), index=table[key].str.strip())
    return keys.map(mapping[~mapping.index.duplicated()])


def _profile_columns(profiles: pd.DataFrame) -> pd.DataFrame:
    found = profiles["found"].str.strip().str.upper() == "TRUE"
    username = profiles["Username"].str.strip()
    return pd.DataFrame({
        "account_id": username, "username": username, "full_name": _missing_text(profiles["full_name"]),
        "platform": PLATFORM,
        # the 9 profiles the scrape did not find keep the count from the thesis's earlier account list
        "follower_count": pd.to_numeric(profiles["followers_new"], errors="coerce")
        .fillna(pd.to_numeric(profiles["followers_old"], errors="coerce")),
        "following_count": pd.to_numeric(profiles["followees"], errors="coerce"),
        "media_count": pd.to_numeric(profiles["mediacount"], errors="coerce"),
        "biography": _missing_text(profiles["biography"]),
        "has_profile_pic": _missing_text(profiles["profile_pic_url"]).notna().astype("float64").where(found),
        "is_private": _flag(profiles["is_private"]),
        "is_verified": _flag(profiles["is_verified"]),
        "has_external_url": _missing_text(profiles["external_url"]).notna().astype("float64").where(found),
    })


def read_frost2023_accounts(path: Path | None = None) -> pd.DataFrame:
    """Typed `accounts` for every profile in `data/profiles_v2.csv`, with topic label and creation month.

    After the contract columns it also carries `business_category` (Instagram's business category) and
    `size_tier` (the thesis's tier by follower count: nano, mikro, midtier, makro, mega)."""
    profiles = _read_text_csv(PROFILES_FILE, path)
    topics, created = _read_text_csv(TOPICS_FILE, path), _read_text_csv(CREATED_FILE, path)
    frame = _profile_columns(profiles)
    created_at = pd.to_datetime(created["created"].str.strip(), format="%B %Y", errors="coerce", utc=True)
    frame["category"] = _lookup(frame["account_id"], topics, "account", "label")
    frame["created_at"] = _lookup(frame["account_id"], created, "Username", created_at)
    frame["business_category"] = _missing_text(profiles["business_category_name"])
    frame["size_tier"] = _missing_text(profiles["size_new"]).fillna(profiles["size_old"])
    frame = frame.drop_duplicates("account_id").reset_index(drop=True)
    return pd.concat([_typed(frame, "accounts"), frame[["business_category", "size_tier"]]], axis=1)
