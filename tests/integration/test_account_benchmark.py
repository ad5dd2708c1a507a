"""Account benchmark: the protocol's helpers on synthetic numbers, then a quick run on the real sets."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from authfit_bench.benchmarks import accounts as bench
from authfit.datasets import labelled_accounts as la
from authfit.datasets.paths import DatasetMissingError, dataset_dir

QUICK = bench.CvPlan(folds=3, repeats=1, seed=0)


def test_best_threshold_separates_a_separable_sample() -> None:
    y = np.array([0, 0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.35, 0.6, 0.9])
    cut = bench.best_threshold(y, p, "macro_f1")
    assert 0.35 < cut < 0.6
    assert bench.best_threshold(y, p, "f1") == cut == bench.best_threshold(y, p, "accuracy")


def test_best_threshold_prefers_recall_for_f1_when_that_pays() -> None:
    # Three positives hide among low scores; F1 is best when everything is called positive.
    y = np.array([1, 0, 1, 1])
    p = np.array([0.9, 0.5, 0.2, 0.1])
    assert bench.best_threshold(y, p, "f1") < 0.1


def test_specificity_threshold_and_roc_sensitivity() -> None:
    y = np.r_[np.zeros(100, dtype=int), np.ones(10, dtype=int)]
    p = np.r_[np.linspace(0, 0.5, 100), np.linspace(0.45, 1, 10)]
    cut = bench.specificity_threshold(y, p, 0.96)
    assert ((p[y == 0] > cut).mean()) <= 0.04 and ((p[y == 0] > cut).mean()) > 0.0
    assert bench.sensitivity_at_specificity(y, p, 0.963) == pytest.approx(0.9)


def test_macro_f1_at_cuts_matches_sklearn_at_every_cut() -> None:
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 60)
    p = np.round(rng.random(60), 1)  # ties, as tree models give
    cuts = np.r_[-1.0, np.unique(p), 2.0]
    expected = [f1_score(y, (p > c).astype(int), average="macro", zero_division=0.0) for c in cuts]
    np.testing.assert_allclose(bench.macro_f1_at_cuts(y, p, cuts), expected)


def test_oracle_shared_cut_bounds_every_single_cut_and_no_more() -> None:
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 200)
    p = np.clip(0.3 * y + rng.random(200) * 0.7, 0, 1)
    folds = np.arange(200) % 5
    predictions = pd.DataFrame({"fold": folds, "row": np.arange(200), "p": p})
    ceiling, cut = bench.oracle_shared_cut(predictions, y)

    def fold_mean(c: float) -> float:
        return float(np.mean([f1_score(y[folds == k], (p[folds == k] > c).astype(int), average="macro")
                              for k in range(5)]))

    assert ceiling.mean() == pytest.approx(fold_mean(cut))
    assert all(ceiling.mean() >= fold_mean(c) - 1e-12 for c in np.linspace(0, 1, 41))
    # each fold may prefer its own cut, so one shared cut scores at most the folds' own optima
    own_best = np.mean([bench.macro_f1_at_cuts(y[folds == k], p[folds == k], np.unique(p)).max()
                        for k in range(5)])
    assert ceiling.mean() <= own_best + 1e-12


def test_cv_splits_keep_groups_together_and_cover_every_row_once_per_repeat() -> None:
    y = np.tile([0, 1], 30)
    groups = np.repeat(np.arange(20), 3)
    splits = list(bench.cv_splits(y, groups, bench.CvPlan(folds=4, repeats=2, seed=1)))
    assert len(splits) == 8
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])
    assert sorted(np.concatenate([t for _, t in splits[:4]])) == list(range(60))


def test_row_reports_mean_and_spread() -> None:
    r = bench.row("d", "t", "m", pd.Series([0.8, 1.0]), "p", 0.9, "a")
    assert tuple(r) == bench.ROW_KEYS
    assert r["value"] == pytest.approx(0.9) and r["spread"] == pytest.approx(np.std([0.8, 1.0], ddof=1))
    assert np.isnan(bench.row("d", "t", "m", 0.7, "p")["spread"])


def test_shared_columns_and_source_weights() -> None:
    a = pd.DataFrame({"x": [1.0], "y": [np.nan], "z": [2.0]})
    b = pd.DataFrame({"z": [1.0], "x": [3.0], "y": [4.0]})
    assert bench.shared_columns(a, b) == ["x", "z"]
    w = bench.balanced_source_weights(np.array(["s", "s", "s", "t"]), np.array([0, 0, 1, 1]))
    assert w.tolist() == [0.5, 0.5, 1.0, 1.0]


def test_cv_binary_learns_a_planted_signal_without_peeking() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    x = pd.DataFrame({"signal": y + rng.normal(0, 0.3, 300), "noise": rng.normal(size=300)})
    folds = bench.cv_binary(x, y, np.arange(300), QUICK, lambda yy, pp: bench.best_threshold(yy, pp, "f1"))
    assert folds["roc_auc"].mean() > 0.9
    shuffled = bench.cv_binary(x.assign(signal=rng.permutation(x["signal"])), y, np.arange(300), QUICK)
    assert shuffled["roc_auc"].mean() < 0.65  # no signal, no score: the protocol does not leak labels


def test_borrowed_rows_are_flagged_weighted_per_class_and_kept_to_the_known_columns() -> None:
    own = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [np.nan] * 4})
    other = pd.DataFrame({"b": [9.0, 9.0], "a": [5.0, 6.0], "c": [7.0, 7.0]})
    x, y, w = bench.with_borrowed_rows(own, np.array([0, 0, 0, 1]), [(other, np.array([0, 1]))])
    assert list(x.columns) == ["a", bench.OWN_SOURCE]  # b is unknown in the own fold, c is not its column
    assert x[bench.OWN_SOURCE].tolist() == [1.0] * 4 + [0.0] * 2 and x["a"].tolist()[4:] == [5.0, 6.0]
    assert y.tolist() == [0, 0, 0, 1, 0, 1] and w.tolist() == [1.0] * 4 + [3.0, 1.0]


def test_the_borrowing_model_scores_test_rows_as_the_own_source() -> None:
    """A borrowed source where the signal means the opposite: test rows must be read as own rows."""
    rng = np.random.default_rng(1)
    y, y_other = rng.integers(0, 2, 300), rng.integers(0, 2, 600)
    x = pd.DataFrame({"signal": y + rng.normal(0, 0.3, 300)})
    other = pd.DataFrame({"signal": (1 - y_other) + rng.normal(0, 0.3, 600)})
    fitter = bench.borrowing_fitter([(other, y_other)])
    predictions = bench.cv_predictions(x, y, np.arange(300), QUICK, fitter=fitter)
    assert len(predictions) == 300 and sorted(predictions["row"]) == list(range(300))
    assert bench.roc_auc_score(y[predictions["row"]], predictions["p"]) > 0.9


def test_blend_learns_a_planted_signal_and_picks_its_cut_on_the_inner_split() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 300)
    x = pd.DataFrame({"signal": y + rng.normal(0, 0.4, 300), "noise": rng.normal(size=300)})
    borrowed = [(pd.DataFrame({"signal": rng.normal(size=100), "noise": rng.normal(size=100)}),
                 rng.integers(0, 2, 100))]
    predictions = bench.cv_predictions(x, y, np.arange(300), QUICK, bench.best_threshold,
                                       fitter=bench.blend_fitter(borrowed),
                                       inner_folds=bench.BLEND_INNER_FOLDS)
    folds = bench.fold_metrics(predictions, y)
    assert folds["roc_auc"].mean() > 0.9 and folds["macro_f1"].mean() > 0.8
    assert predictions.groupby("fold")["cut"].nunique().eq(1).all() and predictions["cut"].nunique() == 3


def _require(name: str) -> None:
    try:
        dataset_dir(name)
    except DatasetMissingError as exc:
        pytest.skip(f"real data set missing: {exc}")


@pytest.mark.realdata
def test_real_sources_have_the_documented_label_counts() -> None:
    expected = {la.INSTAFAKE_FAKE: (965, 200), la.SRF2017: (877, 98), la.CRESCI2015: (1481, 1337),
                la.CRESCI2017: (3474, 991), la.GILANI2017: (1939, 1492), la.KAGGLE: (287, 287)}
    for source, (real, fake) in expected.items():
        _require(la.SOURCE_FOLDERS[source])
        counts = la.load_labelled_accounts(source)["label"].value_counts()
        assert (counts[0.0], counts[1.0]) == (real, fake), source


@pytest.mark.realdata
def test_derived_automated_rates_match_the_raw_nonautomated_file() -> None:
    """The derived set's engagement rate is mean likes per listed post / followers, as documented."""
    _require("instafake-v1")
    _require("instafake-automated-derived")
    with (dataset_dir("instafake-v1") / "automated-v1.0/nonautomatedAccountData.json").open() as handle:
        raw = pd.DataFrame(json.load(handle))
    listed = raw["mediaLikeNumbers"].str.len()
    rate = raw["mediaLikeNumbers"].map(sum) / listed.where(listed > 0) / raw["userFollowerCount"]
    keys = ["follower_count", "following_count", "media_count", "bio_length", "username_length"]
    raw_keyed = pd.DataFrame({"follower_count": raw["userFollowerCount"], "following_count":
                              raw["userFollowingCount"], "media_count": raw["userMediaCount"], "bio_length":
                              raw["userBiographyLength"], "username_length": raw["usernameLength"],
                              "raw_rate": rate}).astype("float64").drop_duplicates(keys, keep=False)
    derived = la.load_labelled_accounts(la.INSTAFAKE_AUTOMATED)
    merged = derived[derived["label"] == 0].merge(raw_keyed, on=keys)
    assert len(merged) > 600
    known = merged["raw_rate"].notna()
    np.testing.assert_allclose(merged.loc[known, "extra_engagement_rate_like"], merged.loc[known, "raw_rate"],
                               rtol=1e-6)


@pytest.mark.realdata
def test_quick_benchmark_meets_floors() -> None:
    for name in ("instafake-v1", "instafake-automated-derived", "srf2017-labelled-followers",
                 "kaggle-insta-fake-spammer", "cresci2015-mib-E13-INT"):
        _require(name)
    rows = [*bench.instafake_fake_rows(None, QUICK), *bench.instafake_automated_rows(None, QUICK),
            *bench.srf2017_rows(None, QUICK), *bench.kaggle_rows(None, QUICK)]
    got = {(r["dataset"], r["task"], r["metric"]): r["value"] for r in rows}
    assert all(set(r) == set(bench.ROW_KEYS) for r in rows)
    assert got[("instafake-fake-v1.0", "fake vs real", "macro_f1")] > 0.9
    assert got[("instafake-automated", "automated vs real", "f1")] > 0.9
    assert got[("srf2017", "fake follower vs real", "roc_auc")] > 0.92
    # The tail the SRF anchor reports, at a cut set inside each training fold for 96.3% specificity: 0.72
    # at this size (3-fold, 1 repeat); a model that ranks the top of the score badly falls well below
    # while its AUC barely moves.
    assert got[("srf2017", "fake follower vs real", "sensitivity")] > 0.6
    assert got[("srf2017", "fake follower vs real", "specificity")] > 0.9
    assert got[("kaggle-insta-fake-spammer", "fake vs genuine", "accuracy")] > 0.88


@pytest.mark.realdata
def test_fake_account_sources_transfer_to_each_other() -> None:
    sources = (la.INSTAFAKE_FAKE, la.SRF2017, la.KAGGLE)
    for source in sources:
        _require(la.SOURCE_FOLDERS[source])
    matrix = bench.transfer_matrix(sources=sources)
    assert matrix.loc[la.SRF2017, la.INSTAFAKE_FAKE] > 0.85
    assert matrix.loc[bench.SAME_CONCEPT, la.INSTAFAKE_FAKE] > 0.85
    rows = bench.transfer_rows(matrix)
    assert len(rows) == 3 * 2 + 3 * 2 and all(r["dataset"].startswith("transfer:") for r in rows)


@pytest.mark.realdata
def test_purba_subclass_rows_show_which_fakes_transfer() -> None:
    for source in (la.PURBA2020, la.INSTAFAKE_FAKE, la.SRF2017, la.KAGGLE, la.CRESCI2015):
        _require(la.SOURCE_FOLDERS[source])
    rows = {r["task"]: r["value"] for r in bench.subclass_transfer_rows()}
    assert set(rows) == {f"held out, real vs {c}" for c in ("active_fake", "inactive_fake", "spammer")}
    # empty, inactive fakes look like the other sources' fake followers; busy spammers do not
    assert rows["held out, real vs inactive_fake"] > 0.9
    assert rows["held out, real vs inactive_fake"] > rows["held out, real vs spammer"] + 0.1
