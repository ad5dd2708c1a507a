"""Known answers for the engagement step features: a lasting rise against the account's own earlier posts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from authfit.features.growth import growth_features, padded_series, step_t
from authfit.contract.validate import coerce_table

AS_OF = pd.Timestamp("2025-12-31", tz="UTC")
FAR_FUTURE = pd.Timestamp("2100-01-01", tz="UTC")
STEPS = ["likes_step_t", "likes_per_comment_step_t", "comments_per_like_step_t"]


def test_padded_series_keeps_each_rows_order_and_drops_nan() -> None:
    rows = np.array([1, 0, 1, 1, 0])
    values = np.array([10.0, 1.0, np.nan, 12.0, 2.0])
    out = padded_series(rows, values, 3)
    assert out.shape == (3, 2)
    np.testing.assert_array_equal(out[0], [1.0, 2.0])
    np.testing.assert_array_equal(out[1], [10.0, 12.0])
    assert np.isnan(out[2]).all()


def test_step_t_finds_a_lasting_step_but_not_noise_or_one_outlier() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(0.0, 0.3, (4, 30))
    step = noise[0] + np.where(np.arange(30) >= 12, 1.0, 0.0)
    fall = noise[1] - np.where(np.arange(30) >= 12, 1.0, 0.0)
    viral = noise[2].copy()
    viral[20] += 5.0  # one post with 150x the usual engagement
    t = step_t(np.vstack([step, fall, viral, noise[3]]), min_side=5)
    assert t[0] > 6.0  # a 1.0 step over 0.3 noise, 12 and 18 posts: t ~ 11
    assert t[1] < 3.5 and t[2] < 3.5 and t[3] < 3.5  # a fall is not a rise; clipping tames the viral post


def test_step_t_needs_min_side_posts_on_each_side() -> None:
    t = step_t(np.array([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0, np.nan, np.nan]]), min_side=4)
    assert np.isnan(t[0])
    assert np.isnan(step_t(np.empty((3, 0)), min_side=4)).all()  # a chunk of accounts without posts


def test_accounts_without_posts_in_the_window_get_nan_steps() -> None:
    dates = pd.date_range("2024-01-05", "2024-06-25", freq="9D", tz="UTC")  # all before the lookback
    history, posts = _world({"old": np.full(len(dates), 300.0)}, {"old": np.full(len(dates), 10.0)}, dates)
    out = growth_features(history, posts, AS_OF)
    assert out.loc["old", STEPS].isna().all()


def _world(likes: dict[str, np.ndarray], comments: dict[str, np.ndarray], dates: pd.DatetimeIndex
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    history = pd.DataFrame([
        {"account_id": a, "date": d.strftime("%Y-%m-%d"), "follower_count": 10_000, "following_count": 400}
        for a in likes for d in pd.date_range("2025-01-01", "2025-12-31", freq="7D", tz="UTC")])
    posts = pd.concat([pd.DataFrame({
        "post_id": [f"{a}_{i}" for i in range(len(dates))], "account_id": a,
        "posted_at": dates.strftime("%Y-%m-%dT12:00:00Z"), "like_count": likes[a],
        "comment_count": comments[a]})
        for a in likes], ignore_index=True)
    return (coerce_table(history, "follower_history", now=FAR_FUTURE)[0],
            coerce_table(posts, "posts", now=FAR_FUTURE)[0])


def test_bought_likes_and_added_comments_show_as_steps_and_a_steady_account_does_not() -> None:
    dates = pd.date_range("2025-01-05", "2025-12-25", freq="9D", tz="UTC")
    after = dates >= pd.Timestamp("2025-06-01", tz="UTC")
    rng = np.random.default_rng(1)
    base = 300.0 * np.exp(rng.normal(0.0, 0.25, len(dates)))
    chat = np.full(len(dates), 10.0)
    likes = {"steady": base, "liked": np.where(after, base * 2.5, base), "commented": base}
    comments = {"steady": chat, "liked": chat, "commented": np.where(after, 30.0, 10.0)}
    history, posts = _world(likes, comments, dates)
    out = growth_features(history, posts, AS_OF)[STEPS]
    assert out.loc["liked", "likes_step_t"] > 6.0 and out.loc["liked", "likes_per_comment_step_t"] > 6.0
    assert out.loc["commented", "comments_per_like_step_t"] > 6.0
    assert (out.loc["steady"] < 4.0).all()
    # A statistic of the account's own series: 100x the likes leaves it unchanged, and so do bought
    # followers (a follower step must never lower a risk feature).
    history_big, posts_big = _world({a: v * 100 for a, v in likes.items()}, comments, dates)
    bought = history_big.assign(follower_count=np.where(history_big["date"] > "2025-08-01", 30_000, 10_000))
    scaled = growth_features(bought, posts_big, AS_OF)[STEPS]
    np.testing.assert_allclose(scaled["likes_step_t"], out["likes_step_t"], rtol=1e-6)
