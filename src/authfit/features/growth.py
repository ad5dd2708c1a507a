"""Follower-growth features from irregular follower_history snapshots.

Snapshots are interpolated onto a daily grid per account, held as one (accounts x days) matrix so that
every feature is a whole-matrix numpy operation. The grid ends at `as_of`; windows end at each
account's latest snapshot, so a history crawled a few days before `as_of` still has a 7-day growth.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
from numba import njit
from numpy.lib.stride_tricks import sliding_window_view
from pydantic import BaseModel, ConfigDict, Field

from authfit.features.asof import DAY_NS, NAT_NS, as_utc, epoch_ns
from authfit.contract.keys import positions_in
from authfit.features.engagement import group_medians
from authfit.features.registry import FeatureSpec

FAMILY = "growth"
GROWTH_WINDOWS: tuple[int, ...] = (7, 30, 90)
# Robust z of a normal sample: MAD * 1.4826 estimates the standard deviation.
_MAD_TO_SD = 1.4826
# Weekly changes on each side of a week that form its local baseline in `step_z`.
STEP_BASELINE_WEEKS = 5


class GrowthSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lookback_days: int = Field(365, ge=30, description="days of history before as_of on the daily grid")
    spike_z: float = Field(5.0, gt=0, description="robust z of a daily follower delta that counts as a spike")
    min_scale_share: float = Field(
        0.0005, ge=0, description="floor of the delta scale as a share of the follower level (flat series)"
    )
    purge_window_days: int = Field(30, ge=1, description="days after a spike searched for the purge")
    like_window_days: int = Field(
        30, ge=1, description="days of posts before/after a spike compared for likes"
    )
    step_min_posts: int = Field(
        5, ge=2, description="posts needed on each side of a split for the engagement step statistics"
    )


FEATURES: tuple[FeatureSpec, ...] = (
    *(
        FeatureSpec(
            f"follower_growth_{w}d",
            FAMILY,
            f"relative follower change over the {w} days ending at the latest snapshot (interpolated daily)",
        )
        for w in GROWTH_WINDOWS
    ),
    FeatureSpec(
        "follower_spike_count",
        FAMILY,
        "number of runs of days whose follower delta has robust z (median/MAD of daily deltas) > spike_z",
    ),
    FeatureSpec(
        "follower_drop_count", FAMILY, "number of runs of days whose follower delta has robust z < -spike_z"
    ),
    FeatureSpec("follower_max_jump_z", FAMILY, "largest robust z of a daily follower delta"),
    FeatureSpec(
        "follower_step_z",
        FAMILY,
        "largest weekly log follower change above the median of the weekly changes 2 to "
        "1 + STEP_BASELINE_WEEKS weeks before and after it, in robust standard deviations of that residual "
        "over the account's own series",
    ),
    FeatureSpec(
        "follower_max_jump_share",
        FAMILY,
        "followers gained above the baseline in the largest spike run, as a share of the level before it",
    ),
    FeatureSpec(
        "follower_max_jump_days_ago", FAMILY, "days between the start of the largest spike run and as_of"
    ),
    FeatureSpec(
        "follower_post_spike_drop",
        FAMILY,
        "followers lost within purge_window_days after the largest spike, as a share of its excess gain",
    ),
    FeatureSpec(
        "follower_smoothness",
        FAMILY,
        "1 - second-difference energy over 4x the energy of weekly follower deltas "
        "(1 = steady, 0.5 = one jump)",
    ),
    FeatureSpec(
        "following_churn_30d",
        FAMILY,
        "sum of |daily change| in following_count over its mean level, per 30 days",
    ),
    FeatureSpec(
        "following_reversals_30d",
        FAMILY,
        "direction changes (follow <-> unfollow) of following_count per 30 days",
    ),
    FeatureSpec(
        "spike_like_gap",
        FAMILY,
        "log follower growth across the largest spike minus log growth of median likes of posts "
        "like_window_days before vs after it",
    ),
    FeatureSpec(
        "follower_like_gap_90d",
        FAMILY,
        "log follower growth minus log growth of median post likes between the two halves "
        "of the last 90 days",
    ),
    FeatureSpec(
        "likes_step_t",
        FAMILY,
        "largest rise of log(likes) between the posts before and after any split of the account's own post "
        "series within lookback_days, as a pooled t statistic (values clipped at 3 MAD; not per follower, so "
        "bought followers leave it unchanged)",
    ),
    FeatureSpec(
        "likes_per_comment_step_t",
        FAMILY,
        "largest rise of log((likes + 1) / (comments + 1)) across any split of the account's own post "
        "series, as a pooled t statistic (bought likes that leave comments untouched)",
    ),
    FeatureSpec(
        "comments_per_like_step_t",
        FAMILY,
        "largest fall of log((likes + 1) / (comments + 1)) across any split of the account's own post "
        "series, as a pooled t statistic (comments added by bots or pods)",
    ),
)


def _grid_start_ns(as_of: pd.Timestamp, n_days: int) -> int:
    """Nanoseconds of the first grid day: the n_days ending at as_of's day."""
    return int((as_of.normalize() - pd.Timedelta(days=n_days - 1)).value)


# Built once: an Index of strings costs more to build than a one-account request's features.
_COLUMNS = pd.Index([spec.name for spec in FEATURES])


def daily_matrix(
    history: pd.DataFrame, column: str, accounts: pd.Index, as_of: pd.Timestamp, n_days: int
) -> np.ndarray:
    """(len(accounts), n_days) values of `column` linearly interpolated per account onto the days ending at
    as_of; NaN outside each account's first..last snapshot. Of several snapshots on one day the last wins."""
    times = epoch_ns(history["date"])
    acc = np.where(times != NAT_NS, positions_in(history["account_id"], accounts), -1)
    order, acc, day = _grid_order(acc, times, as_of, n_days)
    return _sorted_grid(acc, day, history[column].to_numpy(dtype=np.float64)[order], len(accounts), n_days)


def _grid_order(acc: np.ndarray, times: np.ndarray, as_of: pd.Timestamp, n_days: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The snapshots' order by (account row, grid day), and their account rows and grid days in it
    (stable: same-day snapshots keep their input order, so the last one given wins)."""
    day = (times - _grid_start_ns(as_of, n_days)) // DAY_NS
    order = np.lexsort((day, acc))
    return order, acc[order], day[order]


def _sorted_grid(acc: np.ndarray, day: np.ndarray, values: np.ndarray, n_accounts: int, n_days: int
                 ) -> np.ndarray:
    """interpolate_daily of snapshots sorted by (account row, day), without unknown rows and values."""
    keep = (acc >= 0) & ~np.isnan(values)
    return interpolate_daily(acc[keep], day[keep], values[keep], n_accounts, n_days)


@njit(cache=True, nogil=True)
def interpolate_daily(acc: np.ndarray, day: np.ndarray, values: np.ndarray, n_accounts: int, n_days: int
                      ) -> np.ndarray:
    """The daily grid of snapshots sorted by (account row, day): a cell takes the value of the account's
    last snapshot on that day, else the linear interpolation between its last snapshot before the day and
    its first one after it (either may lie outside the grid), else NaN. One pass per account with a
    moving pointer, where a binary search per cell cost ten times as much."""
    out = np.full((n_accounts, n_days), np.nan)
    first, m = 0, len(acc)
    while first < m:
        end = first
        while end < m and acc[end] == acc[first]:
            end += 1
        row, k = acc[first], first
        for grid_day in range(n_days):
            while k < end and day[k] <= grid_day:
                k += 1
            left = k - 1
            if left < first:
                continue
            if day[left] == grid_day:
                out[row, grid_day] = values[left]
            elif k < end:
                span = np.float64(day[k] - day[left])
                step = (values[k] - values[left]) * np.float64(grid_day - day[left])
                out[row, grid_day] = values[left] + step / span
        first = end
    return out


def row_nanmedian(values: np.ndarray) -> np.ndarray:
    """np.nanmedian(values, axis=1), NaN for rows without values, from one sort (NaN sorts last): numpy's
    own goes through masked arrays for rows this short and is ~10x slower."""
    n_valid = (~np.isnan(values)).sum(axis=1)
    if not values.shape[1]:
        return np.full(values.shape[0], np.nan)
    ordered = np.sort(values, axis=1)
    rows = np.arange(values.shape[0])
    low, high = np.maximum((n_valid - 1) // 2, 0), n_valid // 2
    middle = (ordered[rows, low] + ordered[rows, np.minimum(high, values.shape[1] - 1)]) / 2.0
    return np.where(n_valid > 0, middle, np.nan)


def _last_valid(matrix: np.ndarray) -> np.ndarray:
    """Column of the last non-NaN value per row, -1 for empty rows."""
    valid = ~np.isnan(matrix)
    last = matrix.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1)
    return np.where(valid.any(axis=1), last, -1)


def _first_valid(matrix: np.ndarray) -> np.ndarray:
    valid = ~np.isnan(matrix)
    return np.where(valid.any(axis=1), np.argmax(valid, axis=1), matrix.shape[1])


def _nan_padded(matrix: np.ndarray, before: int, after: int) -> np.ndarray:
    """`matrix` with `before` and `after` columns of NaN on each side (np.pad costs more on small rows)."""
    out = np.full((matrix.shape[0], before + matrix.shape[1] + after), np.nan)
    out[:, before: before + matrix.shape[1]] = matrix
    return out


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    return np.where(np.isfinite(out), out, np.nan)


def _at(matrix: np.ndarray, cols: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """matrix[row, cols[row]] where valid, else NaN."""
    rows = np.arange(matrix.shape[0])
    picked = matrix[rows, np.clip(cols, 0, matrix.shape[1] - 1)]
    return np.where(valid, picked, np.nan)


def growth_rates(followers: np.ndarray) -> dict[str, np.ndarray]:
    """Relative follower change over each window in GROWTH_WINDOWS, ending at each row's last value."""
    end, first = _last_valid(followers), _first_valid(followers)
    last = _at(followers, end, end >= 0)
    out: dict[str, np.ndarray] = {}
    for window in GROWTH_WINDOWS:
        begin = end - window
        before = _at(followers, begin, (end >= 0) & (begin >= first))
        out[f"follower_growth_{window}d"] = _safe_ratio(last - before, before)
    return out


def robust_z(followers: np.ndarray, settings: GrowthSettings) -> tuple[np.ndarray, np.ndarray]:
    """(robust z of each daily delta, baseline median delta per row)."""
    deltas = np.diff(followers, axis=1)
    median = row_nanmedian(deltas)
    mad = row_nanmedian(np.abs(deltas - median[:, None]))
    floor = np.maximum(settings.min_scale_share * row_nanmedian(followers), 1.0)
    scale = np.fmax(_MAD_TO_SD * mad, floor)
    return (deltas - median[:, None]) / scale[:, None], median


def _run_starts(flags: np.ndarray) -> np.ndarray:
    """Cells that start a run of True in their row."""
    starts = flags.copy()
    starts[:, 1:] &= ~flags[:, :-1]
    return starts


def _runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Runs of True per row: (run id per cell, 0 outside runs; row, first col, last col of each run)."""
    starts, ends = _run_starts(flags), flags.copy()
    ends[:, :-1] &= ~flags[:, 1:]
    run_id = np.cumsum(starts.ravel()).reshape(flags.shape) * flags
    rows, first = np.nonzero(starts)
    _, last = np.nonzero(ends)
    return run_id, rows, first, last


class Spikes(NamedTuple):
    """The largest spike run of each account row that has one (rows ascending)."""

    rows: np.ndarray  # account row
    excess: np.ndarray  # followers gained above the row's median delta over the run
    start: np.ndarray  # first delta column of the run (= grid day before its first rise)
    end: np.ndarray  # grid day the run ended


def largest_spikes(
    followers: np.ndarray, z: np.ndarray, median: np.ndarray, settings: GrowthSettings
) -> Spikes:
    """Per account row with a spike: its run of the largest excess gain (of equal ones, the later)."""
    with np.errstate(invalid="ignore"):
        spike = z > settings.spike_z
    run_id, rows, first, last = _runs(spike)
    excess = np.where(spike, np.diff(followers, axis=1) - median[:, None], 0.0)
    sums = np.bincount(run_id.ravel(), weights=excess.ravel(), minlength=len(rows) + 1)[1:]
    order = np.lexsort((sums, rows))  # stable: of equal excess the later run sorts last
    rows, sums, first, last = rows[order], sums[order], first[order], last[order]
    final = np.append(rows[1:] != rows[:-1], True) if len(rows) else np.zeros(0, dtype=bool)
    return Spikes(rows[final], sums[final], first[final], last[final] + 1)


def spike_features(
    followers: np.ndarray, z: np.ndarray, best: Spikes, settings: GrowthSettings
) -> dict[str, np.ndarray]:
    """Spike counts, the largest jump, when it started and how much of it was purged afterwards."""
    n_rows, n_days = followers.shape
    with np.errstate(invalid="ignore"):
        spikes, drops = z > settings.spike_z, z < -settings.spike_z
    finite = np.isfinite(z)
    has_data = finite.any(axis=1)
    rows = best.rows
    level_before = followers[rows, best.start]
    share, days_ago = np.full(n_rows, np.nan), np.full(n_rows, np.nan)
    share[rows] = _safe_ratio(best.excess, level_before)
    days_ago[rows] = n_days - 1 - best.start
    top = np.where(finite, z, -np.inf).max(axis=1, initial=-np.inf)
    return {
        "follower_spike_count": np.where(has_data, _run_starts(spikes).sum(axis=1), np.nan),
        "follower_drop_count": np.where(has_data, _run_starts(drops).sum(axis=1), np.nan),
        "follower_max_jump_z": np.where(has_data, top, np.nan),
        "follower_max_jump_share": np.where(has_data, np.nan_to_num(share, nan=0.0), np.nan),
        "follower_max_jump_days_ago": days_ago,
        "follower_post_spike_drop": _purge_share(followers, best, settings.purge_window_days),
    }


def _purge_share(followers: np.ndarray, best: Spikes, window: int) -> np.ndarray:
    """Followers lost within `window` days after each largest spike, over the spike's excess gain."""
    out = np.full(followers.shape[0], np.nan)
    if not len(best.rows):
        return out
    after = sliding_window_view(_nan_padded(followers, 0, window), window + 1, axis=1)[best.rows, best.end]
    peak, low = after[:, 0], np.fmin.reduce(after, axis=1)
    seen_after = (~np.isnan(after[:, 1:])).any(axis=1)
    lost = np.where(seen_after, np.maximum(peak - low, 0.0), np.nan)
    out[best.rows] = _safe_ratio(lost, best.excess)
    return out


def step_z(followers: np.ndarray, settings: GrowthSettings) -> np.ndarray:
    """Per row: the largest weekly log follower change above its local baseline, over the robust spread of
    that residual on the row's own series (see FEATURES); NaN without a residual.

    The baseline is the median of the non-overlapping weekly changes 2 to 1 + STEP_BASELINE_WEEKS weeks away
    on both sides, so a growth rate that drifts over the year is not read as a step, and the weeks a step
    spread over one snapshot interval touches (up to 13 days) stay out of their own baseline. The scale is
    floored at 7 x min_scale_share, as robust_z floors its daily one."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_f = np.log(np.where(followers > 0, followers, np.nan))
    weekly = log_f[:, 7:] - log_f[:, :-7]
    n_rows, n_cols = weekly.shape
    offsets = 7 * np.arange(2, 2 + STEP_BASELINE_WEEKS)
    pad = int(offsets[-1])
    padded = _nan_padded(weekly, pad, pad)
    shifts = [pad + sign * int(o) for o in offsets for sign in (-1, 1)]
    around = np.stack([padded[:, shift: shift + n_cols] for shift in shifts], axis=2)
    baseline = row_nanmedian(around.reshape(-1, around.shape[2])).reshape(n_rows, n_cols)
    residual = weekly - baseline
    centre = row_nanmedian(residual)
    spread = _MAD_TO_SD * row_nanmedian(np.abs(residual - centre[:, None]))
    scale = np.fmax(spread, 7.0 * settings.min_scale_share)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        top = np.nanmax(residual, axis=1)
    return _safe_ratio(top - centre, scale)


def smoothness(followers: np.ndarray) -> np.ndarray:
    """1 - second-difference energy over 4x the energy of weekly deltas, in [0, 1]: steady growth is near 1,
    one jump is 0.5, see-saw counts near 0. Weekly resampling keeps it comparable across snapshot cadences."""
    weekly = followers[:, ::-7][:, ::-1]
    deltas = np.diff(weekly, axis=1)
    second = np.diff(deltas, axis=1)
    n_second = (~np.isnan(second)).sum(axis=1)
    num, den = np.nansum(second**2, axis=1), 4.0 * np.nansum(deltas**2, axis=1)
    ratio = np.where(den > 0, _safe_ratio(num, den), 0.0)
    return np.where(n_second > 0, np.clip(1.0 - ratio, 0.0, 1.0), np.nan)


def following_churn(following: np.ndarray, per_days: int = 30) -> dict[str, np.ndarray]:
    """Churn (sum |delta| over mean level) and direction reversals of following_count, per `per_days` days."""
    deltas = np.diff(following, axis=1)
    n_deltas = (~np.isnan(deltas)).sum(axis=1)
    n_values = (~np.isnan(following)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.nansum(following, axis=1) / n_values  # np.nanmean, NaN for empty rows
    churn = _safe_ratio(np.nansum(np.abs(deltas), axis=1), level)
    signs = np.sign(deltas)
    signs[signs == 0.0] = np.nan
    signs = _forward_filled(signs)
    reversals = (signs[:, 1:] * signs[:, :-1] < 0).sum(axis=1)
    per = _safe_ratio(np.full(len(n_deltas), float(per_days)), n_deltas.astype(np.float64))
    return {"following_churn_30d": churn * per, "following_reversals_30d": reversals * per}


def _forward_filled(values: np.ndarray) -> np.ndarray:
    """Each NaN replaced by the last non-NaN value before it in its row (leading NaNs stay)."""
    columns = np.where(np.isnan(values), 0, np.arange(values.shape[1]))
    np.maximum.accumulate(columns, axis=1, out=columns)
    return np.take_along_axis(values, columns, axis=1)


def _median_likes_between(
    post_rows: np.ndarray, post_days: np.ndarray, likes: np.ndarray, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """Per account row: median likes of its posts on days in (low, high]; NaN without such posts."""
    with np.errstate(invalid="ignore"):
        inside = (post_days > low[post_rows]) & (post_days <= high[post_rows])
    return group_medians(post_rows[inside], likes[inside], len(low))


def _log_ratio(after: np.ndarray, before: np.ndarray, plus: float = 0.0) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log((after + plus) / (before + plus))
    return np.where(np.isfinite(out), out, np.nan)


def post_days(
    posts: pd.DataFrame, accounts: pd.Index, as_of: pd.Timestamp, grid_start_ns: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(account row, grid day, like count, comment count) of every post of a known account at or before
    as_of, in posting order (stable); days count from the grid's first day."""
    times = epoch_ns(posts["posted_at"])
    rows = positions_in(posts["account_id"], accounts)
    keep = np.flatnonzero((times != NAT_NS) & (times <= as_of.value) & (rows >= 0))
    keep = keep[np.argsort(times[keep], kind="stable")]
    days = ((times[keep] - grid_start_ns) // DAY_NS).astype(np.float64)
    likes = posts["like_count"].to_numpy(dtype=np.float64)[keep]
    return rows[keep], days, likes, posts["comment_count"].to_numpy(dtype=np.float64)[keep]


def like_gaps(
    followers: np.ndarray,
    best: Spikes,
    posts: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    like_window: int,
) -> dict[str, np.ndarray]:
    """Follower growth that likes do not follow: around the largest spike, and over the last 90 days."""
    n_rows = followers.shape[0]
    rows, days, likes, _ = posts
    start, end = np.full(n_rows, np.nan), np.full(n_rows, np.nan)
    start[best.rows], end[best.rows] = best.start, best.end
    before = _median_likes_between(rows, days, likes, start - like_window, start)
    after = _median_likes_between(rows, days, likes, end - 1, end + like_window - 1)
    valid = ~np.isnan(start)
    s_idx, e_idx = np.nan_to_num(start).astype(np.int64), np.nan_to_num(end).astype(np.int64)
    jump = _log_ratio(_at(followers, e_idx, valid), _at(followers, s_idx, valid))
    last, first = _last_valid(followers), _first_valid(followers)
    ok = (last >= 0) & (last - 67 >= first)
    growth = _log_ratio(_at(followers, last - 22, ok), _at(followers, last - 67, ok))
    lastf = last.astype(np.float64)
    early = _median_likes_between(rows, days, likes, lastf - 90, lastf - 45)
    late = _median_likes_between(rows, days, likes, lastf - 45, lastf)
    return {
        "spike_like_gap": jump - _log_ratio(after, before, plus=1.0),
        "follower_like_gap_90d": growth - _log_ratio(late, early, plus=1.0),
    }


def padded_series(rows: np.ndarray, values: np.ndarray, n_rows: int) -> np.ndarray:
    """(n_rows, longest series) matrix of `values` grouped by row in their given order, NaN-padded;
    NaN values are dropped first so each row's series is contiguous from column 0."""
    keep = ~np.isnan(values)
    rows, values = rows[keep], values[keep]
    order = np.argsort(rows, kind="stable")
    rows, values = rows[order], values[order]
    counts = np.bincount(rows, minlength=n_rows)
    out = np.full((n_rows, int(counts.max(initial=0))), np.nan)
    position = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    out[rows, position] = values
    return out


def step_t(series: np.ndarray, min_side: int) -> np.ndarray:
    """Per row: the largest rise in mean between the first k and the remaining values over every split k
    with >= min_side values on each side, as a pooled two-sample t statistic; NaN for short rows.

    The account is compared with its own earlier posts, so the statistic is free of its size and tier.
    Values are clipped at median +- 3 MAD first: one viral post must not pass for a lasting step."""
    if series.shape[1] < 2 * min_side:  # no row is long enough (also: no posts at all, zero columns)
        return np.full(series.shape[0], np.nan)
    median = row_nanmedian(series)
    mad = _MAD_TO_SD * row_nanmedian(np.abs(series - median[:, None]))
    spread = np.where(mad > 0, 3.0 * mad, np.inf)[:, None]
    x = np.clip(series, median[:, None] - spread, median[:, None] + spread)
    n = (~np.isnan(x)).sum(axis=1).astype(np.float64)
    s1, s2 = np.cumsum(np.nan_to_num(x), axis=1), np.cumsum(np.nan_to_num(x) ** 2, axis=1)
    k = np.arange(1, x.shape[1] + 1, dtype=np.float64)[None, :]
    total1, total2 = _at(s1, n.astype(np.int64) - 1, n > 0), _at(s2, n.astype(np.int64) - 1, n > 0)
    after_n = n[:, None] - k
    with np.errstate(divide="ignore", invalid="ignore"):
        before_mean, after_mean = s1 / k, (total1[:, None] - s1) / after_n
        within = (s2 - s1**2 / k) + ((total2[:, None] - s2) - (total1[:, None] - s1) ** 2 / after_n)
        scale = np.sqrt(np.maximum(within, 0.0) / (n[:, None] - 2.0) * (1.0 / k + 1.0 / after_n))
        t = (after_mean - before_mean) / scale
    valid = (k >= min_side) & (after_n >= min_side) & (scale > 0)
    t = np.where(valid, t, -np.inf)
    best = t.max(axis=1, initial=-np.inf)
    return np.where(np.isfinite(best), best, np.nan)


def engagement_steps(
    posts: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], n_rows: int, n_days: int, min_side: int
) -> dict[str, np.ndarray]:
    """Step statistics of each account's post series in time order (see FEATURES), from post_days."""
    rows, days, likes, comments = posts
    inside = (days >= 0) & (days < n_days)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_likes = np.where(inside & (likes > 0), np.log(likes), np.nan)
        per_comment = np.where(inside, np.log((likes + 1.0) / (comments + 1.0)), np.nan)
    series = [padded_series(rows, log_likes, n_rows), padded_series(rows, per_comment, n_rows)]
    series.append(-series[1])
    stacked = np.full((3 * n_rows, max(part.shape[1] for part in series)), np.nan)
    for i, part in enumerate(series):  # one step_t call: rows are independent, trailing NaN change nothing
        stacked[i * n_rows: (i + 1) * n_rows, : part.shape[1]] = part
    t = step_t(stacked, min_side)
    return {
        "likes_step_t": t[:n_rows],
        "likes_per_comment_step_t": t[n_rows: 2 * n_rows],
        "comments_per_like_step_t": t[2 * n_rows:],
    }


def _account_rows(ids: pd.Series, times: np.ndarray, as_of: pd.Timestamp) -> tuple[pd.Index, np.ndarray]:
    """(sorted distinct `ids` with a time (ns) at or before as_of, row of each id among them or -1)."""
    codes, uniques = ids.factorize()  # sorting the uniques in numpy after costs less than sort=True
    codes = np.where((times != NAT_NS) & (times <= as_of.value), codes, -1)
    kept = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(uniques)))
    kept = kept[np.argsort(uniques.to_numpy()[kept], kind="stable")]
    row_of_code = np.full(len(uniques) + 1, -1)  # the last slot answers code -1
    row_of_code[kept] = np.arange(len(kept))
    return uniques.take(kept).rename("account_id"), row_of_code[codes]


def growth_features(
    history: pd.DataFrame,
    posts: pd.DataFrame | None,
    as_of: pd.Timestamp,
    settings: GrowthSettings | None = None,
) -> pd.DataFrame:
    """Growth features per account with history at or before as_of (index account_id, float64)."""
    settings = settings or GrowthSettings()
    as_of = as_utc(as_of)
    n_days = settings.lookback_days + 1
    times = epoch_ns(history["date"])
    accounts, acc = _account_rows(history["account_id"], times, as_of)
    order, acc, day = _grid_order(acc, times, as_of, n_days)
    n_rows = len(accounts)
    followers, following = (
        _sorted_grid(acc, day, history[column].to_numpy(dtype=np.float64)[order], n_rows, n_days)
        for column in ("follower_count", "following_count")
    )
    z, median = robust_z(followers, settings)
    best = largest_spikes(followers, z, median, settings)
    if posts is None:
        post_data = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0))
    else:
        post_data = post_days(posts, accounts, as_of, _grid_start_ns(as_of, n_days))
    columns = {
        **growth_rates(followers),
        **spike_features(followers, z, best, settings),
        "follower_step_z": step_z(followers, settings),
        "follower_smoothness": smoothness(followers),
        **following_churn(following),
        **like_gaps(followers, best, post_data, settings.like_window_days),
        **engagement_steps(post_data, n_rows, n_days, settings.step_min_posts),
    }
    values = np.stack([np.asarray(columns[name], dtype=np.float64) for name in _COLUMNS])
    return pd.DataFrame(values.T, index=accounts, columns=_COLUMNS)
