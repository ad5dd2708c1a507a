"""Planted-fraud benchmark: what is planted is what was asked for, and the estimators and report read it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from authfit_bench.benchmarks import planted as pl
from authfit_bench.benchmarks.planted_page import comment_verdict, planted_markdown
from authfit_bench.benchmarks.accounts import row

UTC = "UTC"


def _weekly(account: str, weeks: int, level: float, end: str = "2023-06-26") -> pd.DataFrame:
    dates = pd.date_range(end=pd.Timestamp(end, tz=UTC), periods=weeks, freq="7D")
    return pd.DataFrame({"account_id": account, "date": dates, "follower_count": level,
                         "following_count": 100.0})


def test_yearly_windows_redate_to_the_last_day_and_drop_thin_windows() -> None:
    history = pd.concat([_weekly("a", 160, 1_000.0), _weekly("b", 30, 5_000.0)])
    windows = pl.yearly_windows(history, n_windows=4, min_points=40)
    assert set(windows["account_id"]) == {"a~0", "a~1", "a~2"}  # a~3 and b~0 hold too few weeks
    as_of = history["date"].max()  # every window re-dated into the last year, ending within its last week
    assert windows["date"].between(as_of - pd.Timedelta(days=364), as_of).all()
    assert (as_of - windows.groupby("account_id")["date"].max() < pd.Timedelta(days=7)).all()
    assert (windows["source_account"] == "a").all()


def test_planted_purchase_adds_the_step_and_the_purge_takes_its_share_back() -> None:
    windows = _weekly("s~0", 52, 10_000.0).assign(source_account="s")
    spans = pd.DataFrame({"first": [windows["date"].min()], "last": [windows["date"].max()]}, index=["s~0"])
    plan = pl.purchase_plan(spans, [0.2], seed=3)
    assert plan["day"].between(spans["first"].iloc[0] + pd.Timedelta(days=90),
                               spans["last"].iloc[0] - pd.Timedelta(days=28)).all()
    planted = pl.plant_purchases(windows, plan)
    for _, copy in plan.iterrows():
        series = planted[planted["account_id"] == copy["account_id"]].set_index("date")["follower_count"]
        assert (series[series.index < copy["day"]] == 10_000.0).all()
        after = series[series.index >= copy["day"]]
        assert after.iloc[0] == pytest.approx(12_000.0)
        last = series.index[-1]  # a late purchase may still be mid-purge at the window's end
        progress = min(max((last - copy["purge_start"]).days / copy["purge_days"], 0.0), 1.0)
        if copy["purge"]:
            assert series.iloc[-1] == pytest.approx(10_000.0 + 2_000.0 * (1 - copy["purge_share"] * progress),
                                                    abs=1.0)
            assert series.iloc[-1] < 12_000.0 or progress == 0.0
        else:
            assert (after == 12_000.0).all()


def test_halves_split_keys_not_rows() -> None:
    keys = pd.Series(["a", "a", "b", "c", "c", "d"])
    report = pl.halves(keys, seed=1)
    assert report.groupby(keys).nunique().eq(1).all()
    assert report.groupby(keys).first().sum() == 2


def _post_table(n_posts: int, n_comments: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    posted = pd.Timestamp("2019-01-01", tz=UTC)
    posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(n_posts)], "account_id": "acc",
                          "posted_at": posted, "caption": "sunset at the beach", "like_count": 100.0,
                          "comment_count": float(n_comments)})
    comments = pd.DataFrame({
        "comment_id": [f"c{i}_{j}" for i in range(n_posts) for j in range(n_comments)],
        "post_id": [f"p{i}" for i in range(n_posts) for _ in range(n_comments)],
        "commenter_id": [f"fan{j}" for _ in range(n_posts) for j in range(n_comments)],
        "created_at": posted + pd.to_timedelta(np.tile(np.arange(n_comments) * 3_600.0, n_posts), unit="s"),
        "text": [f"what a view number {j}" for _ in range(n_posts) for j in range(n_comments)]})
    return posts, comments


def test_planted_comments_reach_the_asked_share_with_their_kind_and_timing() -> None:
    posts, comments = _post_table(3, 40)
    plan = pd.DataFrame({"post_id": ["p0", "p1", "p2"], "copy_id": ["p0#0", "p1#0", "p2#0"],
                         "share": [0.0, 0.2, 0.5], "kind": ["generic", "duplicated", "emoji"],
                         "timing": ["burst", "burst", "own delays"]})
    planted_posts, planted = pl.plant_comments(posts, comments, plan, np.random.default_rng(0))
    share = planted.groupby("post_id")["planted"].mean()
    assert share.to_dict() == pytest.approx({"p0#0": 0.0, "p1#0": 0.2, "p2#0": 0.5}, abs=0.01)
    # bots replace real comments: each version holds as many comments as the real post, none repeated
    assert planted.groupby("post_id").size().eq(40).all()
    assert not planted.loc[~planted["planted"]].duplicated(["post_id", "comment_id"]).any()
    assert set(planted_posts["account_id"]) == {"p0#0", "p1#0", "p2#0"}  # each version is its own account
    bots = planted[planted["planted"]]
    assert bots.loc[bots["post_id"] == "p1#0", "text"].nunique() == 1  # one text repeated
    emoji = bots.loc[bots["post_id"] == "p2#0", "text"]
    assert not emoji.str.contains(r"[A-Za-z]").any()
    delay = (bots["created_at"] - pd.Timestamp("2019-01-01", tz=UTC)).dt.total_seconds()
    burst = delay[bots["post_id"] == "p1#0"]
    assert burst.median() < 3_600  # a burst comes within the hour; own delays follow the real ones
    assert delay[bots["post_id"] == "p2#0"].max() > 3 * 3_600


def test_rogan_gladen_inverts_the_flag_rates() -> None:
    true_share = pd.Series([0.0, 0.1, 0.4])
    raw = true_share * 0.8 + (1 - true_share) * 0.05
    assert pl.rogan_gladen(raw, 0.05, 0.8).tolist() == pytest.approx(true_share.tolist())
    assert pl.rogan_gladen(raw, 0.3, 0.2).isna().all()  # a model that flags bots less often tells nothing


def test_planted_markdown_shows_targets_from_the_rows() -> None:
    rows = [row(pl.GROWTH_DATASET, "growth features, LightGBM, steps >= 10%", "min_roc_auc", 0.947, "p"),
            row(pl.GROWTH_DATASET, "growth features, LightGBM, untouched real series", "flagged_share", 0.03,
                "p"),
            row(pl.COMMENT_DATASET, "bot share per post, x", "share_within_0.05", 0.91, "q"),
            row("srf2017", "other part", "roc_auc", 0.9, "r")]
    text = planted_markdown(rows)
    assert "| growth features, LightGBM, steps >= 10% | min_roc_auc | 0.947 |  | ≥ 0.95 MISSED |" in text
    assert "| flagged_share | 0.030 |  | ≤ 0.05 met |" in text
    assert "| share_within_0.05 | 0.910 |  | ≥ 0.90 met |" in text
    assert "srf2017" not in text


def test_planted_part_is_keyed_by_its_sizes_and_the_comment_sources(tmp_path) -> None:
    from authfit_bench.benchmarks import report
    from authfit.features.build import FeatureSettings
    from authfit.simulate import SimulationSettings
    from authfit.training.train_settings import TrainSettings

    train = TrainSettings()
    other = train.model_copy(update={"real_data": train.real_data.model_copy(
        update={"comment_sources": ["uci-youtube-spam"]})})
    inputs = [report.PartInputs(tmp_path, SimulationSettings(), t, FeatureSettings(), tmp_path)
              for t in (train, other)]
    assert inputs[0].fingerprint("planted") != inputs[1].fingerprint("planted")
    assert inputs[0].fingerprint("accounts") == inputs[1].fingerprint("accounts")
    quick, full = report.BenchmarkPlan.quick(), report.BenchmarkPlan()
    assert quick.fingerprint("planted") != full.fingerprint("planted")
    assert quick.planted == pl.PlantedBenchmark.quick()


def test_worst_over_seeds_keeps_the_worst_value_in_each_direction() -> None:
    runs = [[row(pl.GROWTH_DATASET, "d", "min_roc_auc", 0.96, "split 0"),
             row(pl.GROWTH_DATASET, "d", "flagged_share", 0.02, "split 0")],
            [row(pl.GROWTH_DATASET, "d", "min_roc_auc", 0.94, "split 1"),
             row(pl.GROWTH_DATASET, "d", "flagged_share", 0.04, "split 1")]]
    merged = {r["metric"]: r for r in pl.worst_over_seeds(runs, [0, 1])}
    assert merged["min_roc_auc"]["value"] == pytest.approx(0.94)
    assert merged["flagged_share"]["value"] == pytest.approx(0.04)  # lower is better: worst = highest
    assert merged["min_roc_auc"]["spread"] == pytest.approx(np.std([0.96, 0.94], ddof=1))
    assert merged["min_roc_auc"]["protocol"].startswith("split 0 [worst of seeds [0, 1]")


def test_comment_signals_read_timing_shape_and_repeats_in_lower_case() -> None:
    posts, comments = _post_table(1, 6)
    comments["text"] = ["Nice pic", "nice pic", "😍😍", "what a view", "follow @shop #ad", "wow"]
    burst = comments.iloc[[0]].assign(comment_id="late", created_at=comments["created_at"].iloc[0]
                                      + pd.Timedelta(seconds=60), text="WOW")
    comments = pd.concat([comments, burst], ignore_index=True).assign(planted=False)
    signals = pl.comment_signals(posts, comments, lambda texts: np.full(len(texts), 0.1))
    assert signals["repeats_on_post"].tolist() == [1, 1, 0, 0, 0, 1, 1]  # case does not make texts differ
    assert signals["emoji_only"].tolist() == [0, 0, 1, 0, 0, 0, 0]
    assert signals["generic"].tolist() == [1, 1, 0, 0, 0, 1, 1]  # "view" carries content
    assert signals.loc[4, ["mention", "hashtag"]].tolist() == [1, 1]
    assert signals["neighbours_10min"].tolist() == [1, 0, 0, 0, 0, 0, 1]  # comments an hour apart, one late
    assert signals["log_delay"].iloc[1] == pytest.approx(np.log1p(3_600.0))
    assert signals["version"].eq("p0").all() and signals["spam_prob"].eq(0.1).all()


def test_distinct_text_scorer_scores_each_text_once_in_place() -> None:
    seen: list[int] = []

    def scorer(texts: pd.Series) -> np.ndarray:
        seen.append(len(texts))
        return texts.str.len().to_numpy(dtype=float)

    scores = pl.distinct_text_scorer(scorer)(pd.Series(["ab", "c", "ab", "dddd"]))
    assert scores.tolist() == [2.0, 1.0, 2.0, 4.0] and seen == [3]


def test_detector_count_recovers_planted_shares_it_can_see() -> None:
    posts, comments = _post_table(60, 30)
    posts["account_id"] = [f"acc{i // 2}" for i in range(60)]
    rng = np.random.default_rng(0)
    scorer = pl.distinct_text_scorer(lambda texts: np.full(len(texts), 0.1))
    ids = posts["post_id"]
    choice, signals = pl._planted_versions(posts, comments, ids[:40], (0.0, 0.1, 0.3), 3, rng, scorer)
    shown, shown_signals = pl._planted_versions(posts, comments, ids[40:], (0.0, 0.1, 0.3), 1, rng, scorer)
    estimates = pl.ShareEstimators(choice, signals, seed=0).predict(shown, shown_signals)
    assert list(estimates) == ["spam_share, adjusted", "comment features, regression",
                               "comment detector, adjusted count", "comment features + detector, regression"]
    counted = estimates["comment detector, adjusted count"]
    assert counted.index.equals(shown.index)
    # real comments here are long, hours apart and all distinct: every kind of bot stands out
    assert ((counted - shown["true_share"]).abs() <= pl.WITHIN).mean() >= 0.9


def test_recovery_rows_subtract_the_untouched_version_of_the_same_post() -> None:
    shown = pd.DataFrame({"post_id": ["a", "b"], "true_share": [0.2, 0.0]}, index=["a#0", "b#0"])
    estimate = pd.Series([0.33, 0.12], index=shown.index)
    untouched = pd.Series([0.10, 0.10], index=["a", "b"])
    rows = {r["metric"]: r["value"] for r in pl.recovery_rows("x", estimate, untouched, shown, "p")}
    # a: 0.33 - 0.10 = 0.23 is within 0.05 of 0.2 (the absolute 0.33 is not); b: 0.02 is within of 0
    assert rows == {"mean_estimate": pytest.approx(0.10), f"recovery_within_{pl.WITHIN}": 1.0}


def test_comment_verdict_names_the_best_estimator_and_its_gap_to_the_target() -> None:
    def comment_row(task: str, metric: str, value: float) -> dict[str, object]:
        return row(pl.COMMENT_DATASET, f"bot share per post, {task}", metric, value, "q")

    within = f"share_within_{pl.WITHIN}"
    part = [comment_row("a", within, 0.60), comment_row("a", "mean_abs_error", 0.07),
            comment_row("b", within, 0.85), comment_row("b", "mean_abs_error", 0.03),
            comment_row("b, emoji bots", within, 0.70), comment_row("b, generic bots", within, 0.90),
            comment_row("b, emoji bots unseen in the fit", f"unseen_kind_{within}", 0.20),
            comment_row("b, recovery over the same post's untouched version", f"recovery_within_{pl.WITHIN}",
                        0.88)]
    text = comment_verdict(part)
    assert text.startswith("Best estimator: `b`, 0.850 of the report posts")
    assert "(target 0.90: missed by 0.050); worst bot kind: emoji (0.700)" in text
    assert "untouched version: 0.880" in text and "unseen in its fit: 0.200 to 0.200" in text
