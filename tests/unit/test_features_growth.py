"""Known-answer tests for the follower-growth features on small synthetic histories."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from authfit.features.growth import FEATURES, GrowthSettings, row_nanmedian, daily_matrix, growth_features
from authfit.contract.validate import coerce_table

AS_OF = pd.Timestamp("2025-12-31", tz="UTC")
FAR_FUTURE = pd.Timestamp("2100-01-01", tz="UTC")


def typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    return coerce_table(frame, table, now=FAR_FUTURE)[0]


def history_frame(series: dict[str, tuple[pd.DatetimeIndex, np.ndarray, np.ndarray | None]]) -> pd.DataFrame:
    parts = []
    for account, (dates, followers, following) in series.items():
        parts.append(
            pd.DataFrame(
                {
                    "account_id": account,
                    "date": dates.strftime("%Y-%m-%d"),
                    "follower_count": followers.round(),
                    "following_count": following if following is not None else np.nan,
                }
            )
        )
    return typed(pd.concat(parts, ignore_index=True), "follower_history")


def weekly(start: str = "2025-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, "2025-12-31", freq="7D", tz="UTC")


def steady(
    dates: pd.DatetimeIndex, level: float = 10_000.0, per_day: float = 10.0, noise: float = 5.0, seed: int = 0
) -> np.ndarray:
    days = ((dates - dates[0]) / pd.Timedelta(days=1)).to_numpy()
    return level + per_day * days + np.random.default_rng(seed).normal(0, noise, len(dates))


def test_daily_matrix_interpolates_linearly_and_leaves_outside_span_empty() -> None:
    hist = history_frame(
        {"a": (pd.DatetimeIndex(["2025-12-01", "2025-12-11"], tz="UTC"), np.array([100.0, 200.0]), None)}
    )
    matrix = daily_matrix(hist, "follower_count", pd.Index(["a", "zz"]), AS_OF, 31)
    assert matrix.shape == (2, 31)
    assert matrix[0, 0] == 100.0 and matrix[0, 5] == pytest.approx(150.0) and matrix[0, 10] == 200.0
    assert np.isnan(matrix[0, 11:]).all()
    assert np.isnan(matrix[1]).all()


def test_daily_matrix_uses_a_snapshot_before_the_window_to_interpolate_into_it() -> None:
    hist = history_frame(
        {"a": (pd.DatetimeIndex(["2025-11-21", "2025-12-11"], tz="UTC"), np.array([0.0, 200.0]), None)}
    )
    matrix = daily_matrix(hist, "follower_count", pd.Index(["a"]), AS_OF, 31)
    assert matrix[0, 0] == pytest.approx(100.0)


def reference_daily_matrix(history: pd.DataFrame, accounts: pd.Index, n_days: int) -> np.ndarray:
    """The grid cell by cell: the last snapshot of the day, else the line between the nearest snapshots
    before and after the day (on the day numbers of `AS_OF`'s grid), else NaN."""
    first_day = AS_OF.normalize() - pd.Timedelta(days=n_days - 1)
    out = np.full((len(accounts), n_days), np.nan)
    for row, account in enumerate(accounts):
        mine = history[(history["account_id"] == account) & history["follower_count"].notna()]
        days = ((mine["date"] - first_day) // pd.Timedelta(days=1)).to_numpy()
        values = mine["follower_count"].to_numpy(dtype=float)
        for cell in range(n_days):
            if (days == cell).any():
                out[row, cell] = values[days == cell][-1]
            elif (days < cell).any() and (days > cell).any():
                before = np.flatnonzero(days == days[days < cell].max())[-1]
                after = np.flatnonzero(days == days[days > cell].min())[0]
                share = (cell - days[before]) / (days[after] - days[before])
                out[row, cell] = values[before] + (values[after] - values[before]) * share
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(-15, 25), st.integers(0, 86_399),
                          st.one_of(st.none(), st.integers(0, 10_000))), max_size=30))
def test_daily_matrix_equals_a_cell_by_cell_reference(snapshots: list[tuple]) -> None:
    """Random order, several snapshots a day, snapshots before the grid and after as_of, missing counts."""
    n_days = 11
    first_day = AS_OF.normalize() - pd.Timedelta(days=n_days - 1)
    history = pd.DataFrame({
        "account_id": pd.Series([s[0] for s in snapshots], dtype="str"),
        "date": pd.to_datetime([first_day + pd.Timedelta(days=s[1], seconds=s[2]) for s in snapshots],
                               utc=True),
        "follower_count": pd.Series([np.nan if s[3] is None else s[3] for s in snapshots], dtype=float),
    })
    accounts = pd.Index(["a", "b", "zz"])
    np.testing.assert_allclose(daily_matrix(history, "follower_count", accounts, AS_OF, n_days),
                               reference_daily_matrix(history, accounts, n_days), rtol=1e-12)


def test_growth_rates_match_a_linear_series() -> None:
    dates = pd.date_range("2025-06-01", "2025-12-31", freq="D", tz="UTC")
    hist = history_frame({"a": (dates, steady(dates, 1000.0, 10.0, 0.0), None)})
    out = growth_features(hist, None, AS_OF)
    end = 1000.0 + 10.0 * (len(dates) - 1)
    for window in (7, 30, 90):
        assert out.loc["a", f"follower_growth_{window}d"] == pytest.approx(
            10.0 * window / (end - 10.0 * window)
        )


def test_growth_window_longer_than_history_is_nan() -> None:
    dates = pd.date_range("2025-12-01", "2025-12-31", freq="D", tz="UTC")
    out = growth_features(history_frame({"a": (dates, steady(dates), None)}), None, AS_OF)
    assert np.isfinite(out.loc["a", "follower_growth_7d"])
    assert np.isnan(out.loc["a", "follower_growth_90d"])


def bought_history(jump: float = 3000.0, purge: float = 1500.0, jump_week: int = 30) -> np.ndarray:
    followers = steady(weekly(), seed=1)
    followers[jump_week:] += jump
    followers[jump_week + 2 :] -= purge
    return followers


def test_bought_followers_show_one_spike_its_size_date_and_purge() -> None:
    dates = weekly()
    hist = history_frame(
        {"real": (dates, steady(dates, seed=2), None), "bought": (dates, bought_history(), None)}
    )
    out = growth_features(hist, None, AS_OF)
    assert out.loc["real", "follower_spike_count"] == 0
    assert out.loc["real", "follower_max_jump_share"] == 0
    assert np.isnan(out.loc["real", "follower_post_spike_drop"])
    assert out.loc["bought", "follower_spike_count"] == 1
    level_before = steady(dates, seed=1)[29]
    assert out.loc["bought", "follower_max_jump_share"] == pytest.approx(3000.0 / level_before, rel=0.05)
    assert out.loc["bought", "follower_post_spike_drop"] == pytest.approx(0.5, abs=0.05)
    jump_start = (AS_OF - dates[29]).days
    assert jump_start - 7 <= out.loc["bought", "follower_max_jump_days_ago"] <= jump_start
    assert out.loc["bought", "follower_max_jump_z"] > 10 * out.loc["real", "follower_max_jump_z"]
    assert out.loc["bought", "follower_drop_count"] == 1


def test_spike_found_in_irregular_snapshots() -> None:
    rng = np.random.default_rng(5)
    dates = pd.DatetimeIndex(
        np.sort(rng.choice(pd.date_range("2025-01-01", "2025-12-31", tz="UTC"), 40, replace=False))
    )
    followers = steady(dates, seed=3)
    followers[dates >= pd.Timestamp("2025-08-01", tz="UTC")] += 4000.0
    out = growth_features(history_frame({"a": (dates, followers, None)}), None, AS_OF)
    assert out.loc["a", "follower_spike_count"] == 1
    assert out.loc["a", "follower_max_jump_share"] > 0.25


def test_smoothness_orders_steady_jump_and_seesaw() -> None:
    dates = weekly()
    seesaw = steady(dates, noise=0.0) + np.where(np.arange(len(dates)) % 2 == 0, 0.0, 2000.0)
    hist = history_frame(
        {
            "steady": (dates, steady(dates, noise=5.0), None),
            "jump": (dates, bought_history(purge=0.0), None),
            "seesaw": (dates, seesaw, None),
        }
    )
    smooth = growth_features(hist, None, AS_OF)["follower_smoothness"]
    assert smooth["steady"] > 0.9
    assert smooth["jump"] == pytest.approx(0.5, abs=0.1)
    assert smooth["seesaw"] < 0.1


def test_follow_unfollow_churn_raises_churn_and_reversals() -> None:
    dates = weekly()
    calm = 500.0 + np.arange(len(dates))
    churner = 500.0 + np.where(np.arange(len(dates)) % 2 == 0, 0.0, 800.0)
    hist = history_frame({"calm": (dates, steady(dates), calm), "churner": (dates, steady(dates), churner)})
    out = growth_features(hist, None, AS_OF)
    assert out.loc["calm", "following_reversals_30d"] == 0
    assert out.loc["churner", "following_reversals_30d"] > 3
    # 800 up and down each week over a mean level of 900: about 800 * 30/7 / 900 per 30 days.
    assert out.loc["churner", "following_churn_30d"] == pytest.approx(800 * 30 / 7 / 900, rel=0.1)
    assert out.loc["calm", "following_churn_30d"] < 0.1


def posts_frame(account: str, dates: pd.DatetimeIndex, likes: np.ndarray) -> pd.DataFrame:
    return typed(
        pd.DataFrame(
            {
                "post_id": [f"{account}_{i}" for i in range(len(dates))],
                "account_id": account,
                "posted_at": dates.strftime("%Y-%m-%dT12:00:00Z"),
                "like_count": likes,
                "comment_count": 5,
            }
        ),
        "posts",
    )


def test_spike_like_gap_is_large_when_likes_do_not_follow_the_jump() -> None:
    dates = weekly()
    jump_day = dates[30]
    post_dates = pd.date_range("2025-06-01", "2025-10-31", freq="3D", tz="UTC")
    flat = np.full(len(post_dates), 300.0)
    follows = np.where(post_dates >= jump_day, 300.0 * 1.3, 300.0)
    hist = history_frame(
        {"fake": (dates, bought_history(purge=0.0), None), "viral": (dates, bought_history(purge=0.0), None)}
    )
    posts = pd.concat([posts_frame("fake", post_dates, flat), posts_frame("viral", post_dates, follows)])
    gap = growth_features(hist, posts, AS_OF)["spike_like_gap"]
    assert gap["fake"] == pytest.approx(np.log(1.0 + 3000.0 / 12_000.0), abs=0.08)
    assert abs(gap["viral"]) < 0.08


def test_follower_like_gap_90d_compares_growth_with_like_growth() -> None:
    dates = pd.date_range("2025-06-01", "2025-12-31", freq="D", tz="UTC")
    followers = 10_000.0 * np.exp(0.004 * np.arange(len(dates)))  # +20% per 45 days
    post_dates = pd.date_range("2025-10-05", "2025-12-31", freq="2D", tz="UTC")
    half = post_dates > AS_OF - pd.Timedelta(days=45)
    hist = history_frame({"fake": (dates, followers, None), "real": (dates, followers, None)})
    posts = pd.concat(
        [
            posts_frame("fake", post_dates, np.full(len(post_dates), 400.0)),
            posts_frame("real", post_dates, np.where(half, 400.0 * np.exp(0.18), 400.0)),
        ]
    )
    gap = growth_features(hist, posts, AS_OF)["follower_like_gap_90d"]
    assert gap["fake"] == pytest.approx(0.18, abs=0.02)
    assert abs(gap["real"]) < 0.02


def test_data_after_as_of_is_ignored() -> None:
    dates = pd.date_range("2025-01-01", "2026-03-31", freq="7D", tz="UTC")
    followers = steady(dates)
    followers[dates > AS_OF] += 5000.0
    out = growth_features(history_frame({"a": (dates, followers, None)}), None, AS_OF)
    assert out.loc["a", "follower_spike_count"] == 0


def test_output_contract_and_inputs_untouched() -> None:
    dates = weekly()
    hist = history_frame(
        {"a": (dates, steady(dates), np.full(len(dates), 300.0)), "b": (dates[:1], np.array([50.0]), None)}
    )
    before = hist.copy(deep=True)
    out = growth_features(hist, None, AS_OF, GrowthSettings())
    pd.testing.assert_frame_equal(hist, before)
    assert list(out.columns) == [f.name for f in FEATURES]
    assert out.index.name == "account_id" and sorted(out.index) == ["a", "b"]
    assert (out.dtypes == np.float64).all()
    assert not np.isinf(out.to_numpy()).any()
    assert out.loc["b"].isna().all()  # one snapshot: no growth is defined
    assert out.loc["a", "following_churn_30d"] == 0


def test_empty_history_gives_empty_frame() -> None:
    hist = typed(pd.DataFrame({"account_id": [], "date": [], "follower_count": []}), "follower_history")
    out = growth_features(hist, None, AS_OF)
    assert out.empty and list(out.columns) == [f.name for f in FEATURES]


@settings(max_examples=150, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(0, 6), st.integers(0, 9)),
              elements=st.one_of(st.just(np.nan), st.just(np.inf), st.floats(-1e6, 1e6))))
def test_row_nanmedian_equals_numpy(values: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(values, axis=1) if values.shape[1] else np.full(values.shape[0], np.nan)
    np.testing.assert_allclose(row_nanmedian(values), expected, rtol=1e-12, equal_nan=True)


def test_step_z_sees_a_one_week_step_but_not_a_growth_rate_that_drifts() -> None:
    dates = pd.date_range(end=AS_OF, periods=52, freq="7D")
    rng = np.random.default_rng(4)
    noise = np.exp(np.cumsum(rng.normal(0.0, 0.002, 52)))
    weeks = np.arange(52)
    accelerating = 50_000.0 * np.exp(np.cumsum(0.005 + 0.001 * weeks)) * noise  # 0.5% -> 5.6% a week
    stepped = 50_000.0 * 1.003 ** weeks * np.where(weeks >= 30, 1.10, 1.0) * noise
    features = growth_features(history_frame({"drift": (dates, accelerating, None),
                                              "step": (dates, stepped, None)}), None, AS_OF)
    assert features.loc["step", "follower_step_z"] > 10.0
    assert features.loc["drift", "follower_step_z"] < 5.0
    # the global robust z reads the drifting rate's fast weeks as jumps as much as the step
    assert features.loc["drift", "follower_max_jump_z"] > features.loc["drift", "follower_step_z"]


# ----------------------------------------------------------------- a 31-day grid computed by hand
# Grid days 0..30 are 2025-12-01..2025-12-31 (lookback_days=30). Every series grows 10 a day, so the median
# daily delta is 10 with MAD 0 and the robust scale is its floor of 1 follower: z = delta - 10.
HAND = GrowthSettings(lookback_days=30)


def _spike(day: int) -> float:  # +500 on day 20, -200 on day 25
    return 1000.0 + 10 * day + 500 * (day >= 20) - 200 * (day >= 25)


def _gap(day: int) -> float:  # no snapshot on days 11-13; the grid spreads +410 over 4 days
    return 1000.0 + 10 * day + 370 * (day >= 14)


def _edge(day: int) -> float:  # +300 on the first delta, +400 on the last
    return 1000.0 + 10 * day + 300 * (day >= 1) + 400 * (day >= 30)


def hand_history() -> pd.DataFrame:
    rows: list[tuple[str, int, float, float]] = []  # (account, grid day, followers, following)
    for day in range(31):
        if day == 20:  # two snapshots on one day: the later one wins
            rows.append(("spike", day, 9999.0, np.nan))
        rows.append(("spike", day, _spike(day), {0: 100.0, 10: 150.0, 20: 150.0, 30: 100.0}.get(day, np.nan)))
        rows.append(("edge", day, _edge(day), np.nan))
        if not 11 <= day <= 13:
            rows.append(("gap", day, _gap(day), np.nan))
    rows += [
        ("gap", 12, np.nan, 7.0),  # follower count unknown: only the following grid sees it
        ("single", 15, 500.0, 50.0),
        ("nan_only", 3, np.nan, np.nan),
        ("late", 40, 100.0, 10.0),  # after as_of
    ]
    frame = pd.DataFrame(rows, columns=["account_id", "day", "follower_count", "following_count"])
    frame["date"] = (pd.Timestamp("2025-12-01") + pd.to_timedelta(frame.pop("day"), unit="D")).dt.strftime(
        "%Y-%m-%d")
    return typed(frame, "follower_history")


def hand_posts() -> pd.DataFrame:
    days = [5, 10, 15, 18, 22, 26, 27, 29, 33]  # day 33 is after as_of
    likes = [100.0, 300.0, np.nan, 200.0, 250.0, 150.0, 400.0, 1000.0, 5.0]
    dates = pd.DatetimeIndex(pd.Timestamp("2025-12-01", tz="UTC") + pd.to_timedelta(days, unit="D"))
    return pd.concat([posts_frame("spike", dates, np.array(likes)),
                      posts_frame("stranger", dates[:2], np.array([1.0, 1e6]))])


def test_growth_features_equal_a_hand_computed_fixture() -> None:
    out = growth_features(hand_history(), hand_posts(), AS_OF, HAND)
    assert list(out.index) == ["edge", "gap", "nan_only", "single", "spike"]
    spike, gap, edge = out.loc["spike"], out.loc["gap"], out.loc["edge"]
    expected = {
        # jump of +500 (z 500) on the delta day 19 -> 20, purge of -200 (z -200) five days later
        ("spike", "follower_growth_7d"): (1600 - 1730) / 1730,
        ("spike", "follower_growth_30d"): (1600 - 1000) / 1000,
        ("spike", "follower_spike_count"): 1,
        ("spike", "follower_drop_count"): 1,
        ("spike", "follower_max_jump_z"): 500,
        ("spike", "follower_max_jump_share"): 500 / 1190,
        ("spike", "follower_max_jump_days_ago"): 30 - 19,
        ("spike", "follower_post_spike_drop"): (1700 - 1550) / 500,
        # weekly values on days 2, 9, 16, 23, 30: 1020, 1090, 1160, 1730, 1600
        ("spike", "follower_smoothness"): 1 - (0 + 500**2 + 700**2) / (4 * (70**2 + 70**2 + 570**2 + 130**2)),
        # following 100 -> 150 (days 0-10), flat, 150 -> 100 (days 20-30): |delta| 100 over a mean 4100/31
        ("spike", "following_churn_30d"): 100 / (4100 / 31),
        ("spike", "following_reversals_30d"): 1,  # the flat days carry the rise's sign
        # likes median 200 on days (-11, 19] (the NaN like is left out), 325 on days (19, 49] up to as_of
        ("spike", "spike_like_gap"): np.log(1700 / 1190) - np.log(326 / 201),
        # +410 spread over 4 grid days: one run of z 92.5, excess 4 x 92.5, never purged
        ("gap", "follower_growth_7d"): (1670 - 1600) / 1600,
        ("gap", "follower_spike_count"): 1,
        ("gap", "follower_drop_count"): 0,
        ("gap", "follower_max_jump_z"): 92.5,
        ("gap", "follower_max_jump_share"): 370 / 1100,
        ("gap", "follower_max_jump_days_ago"): 30 - 10,
        ("gap", "follower_post_spike_drop"): 0,
        # two spike runs on the first and the last delta; the larger, last one has no day after it
        ("edge", "follower_growth_7d"): (2000 - 1530) / 1530,
        ("edge", "follower_spike_count"): 2,
        ("edge", "follower_max_jump_z"): 400,
        ("edge", "follower_max_jump_share"): 400 / 1590,
        ("edge", "follower_max_jump_days_ago"): 1,
        ("edge", "spike_like_gap"): np.nan,  # no posts
    }
    for (account, name), value in expected.items():
        got = out.loc[account, name]
        assert got == pytest.approx(value, rel=1e-12, nan_ok=True), (account, name, got)
    assert np.isnan(spike["follower_growth_90d"]) and np.isnan(spike["follower_like_gap_90d"])  # too short
    assert np.isnan(edge["follower_post_spike_drop"])
    # one following snapshot (on a day without a follower count) gives no churn; so does none at all
    for row in (gap, edge):
        assert np.isnan(row["following_churn_30d"]) and np.isnan(row["following_reversals_30d"])
    assert out.loc[["single", "nan_only"]].isna().all().all()
