"""Cut every table back to what was known at a date, so features never see the future."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Table -> the time column after which a row did not exist yet at as_of.
_TIME_COLUMNS: dict[str, str] = {
    "follower_history": "date",
    "posts": "posted_at",
    "comments": "created_at",
}


def as_utc(moment: pd.Timestamp | str) -> pd.Timestamp:
    """`moment` as a UTC timestamp; naive values are taken to be UTC."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
NAT_NS = np.iinfo(np.int64).min  # NaT as int64 ticks: smaller than any time, so never after one
DAY_NS = 86_400 * 10**9


def epoch_ns(times: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch (UTC) of a timestamp column in any unit; NaT as `NAT_NS`."""
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        times = pd.to_datetime(times, utc=True)
    return np.asarray(times.array.as_unit("ns").asi8)


def _not_after(frame: pd.DataFrame, column: str, as_of: pd.Timestamp) -> np.ndarray:
    """Per row, whether its time is at or before `as_of`, on the column's integers in its own unit.
    Unknown times are kept (NaT is the smallest integer): for comments they are bounded by their post,
    which is checked separately."""
    times = frame[column].array
    if not len(times):
        return np.ones(0, dtype=bool)
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        raise TypeError(f"{column} must hold UTC timestamps, not {times.dtype}")
    return times.asi8 <= ticks(as_of, times.dtype.unit)


def ticks(moment: pd.Timestamp, unit: str) -> int:
    """`moment` as whole `unit`s since the epoch, floored: an integer count t of `unit` is at or before
    `moment` exactly when t <= ticks(moment, unit), and after it exactly when t > ticks(moment, unit)."""
    return moment.value // (10**9 // _PER_SECOND[unit])


def per_second(unit: str) -> int:
    """How many `unit`s (a timestamp resolution: s, ms, us, ns) make a second."""
    return _PER_SECOND[unit]


def restrict_to_as_of(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """A new dict of tables without history snapshots, posts or comments after `as_of`, and without
    comments on posts published after it. Other tables are passed through unchanged."""
    as_of = as_utc(as_of)
    out = dict(tables)
    for name, column in _TIME_COLUMNS.items():
        frame = tables.get(name)
        if frame is not None and column in frame.columns:
            keep = _not_after(frame, column, as_of)
            out[name] = frame if keep.all() else frame.loc[keep]
    posts, comments = out.get("posts"), out.get("comments")
    dropped_posts = posts is not None and len(posts) < len(tables["posts"])
    if dropped_posts and comments is not None:
        out["comments"] = comments.loc[comments["post_id"].isin(posts["post_id"])]
    return out


def max_timestamp(tables: dict[str, pd.DataFrame]) -> pd.Timestamp | None:
    """The latest time in the activity tables (history, posts, comments), or None when they are empty."""
    latest: list[pd.Timestamp] = []
    for name, column in _TIME_COLUMNS.items():
        frame = tables.get(name)
        if frame is not None and column in frame.columns and frame[column].notna().any():
            latest.append(as_utc(frame[column].max()))
    return max(latest) if latest else None
