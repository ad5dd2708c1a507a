"""Account-authenticity benchmark on the real labelled data sets: protocol, metrics and report rows.

Every number is cross-validated with folds grouped by `account_key` (so duplicate accounts never sit on
both sides) and stratified by label. Decision thresholds are chosen inside the training fold, from
out-of-fold predictions of an inner split (3-fold, 5-fold for the blends), never on the test fold; the one
row that uses test labels, instafake's `macro_f1_oracle_shared_cut`, is a ceiling named as such, not a result.
The models run a fixed number of rounds (no early stopping) and are not calibrated, so no step reads the test
fold. The recipe (models, parameters, blends, cut rules) was chosen on the splits of `SELECTION_SEEDS`; the
rows report on `REPORTING_SEED`'s splits, which no choice saw, and each protocol says so (`selection_note`).
Class imbalance is handled with LightGBM's balanced class weights; nothing is oversampled. The model is a
small LightGBM (shallow trees, few bins) on `account_profile_features` plus the source's `extra_*` columns,
and for instafake fake-v1.0 and srf2017 a blend (`blend_fitter`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler

from authfit.datasets import labelled_accounts as la
from authfit.features.account_profile import account_profile_features

ROW_KEYS = ("dataset", "task", "metric", "value", "spread", "protocol", "anchor", "anchor_protocol")
# Split seeds that chose the recipe (repeat r of a plan uses seed + r): a first look at 10-fold x1 on seed 0,
# MODEL_PARAMS compared on 10-fold x5 of seeds 0-4 and on seed 100, the blend and every later candidate
# screened on seeds 100-101 and 102-103, and CatBoost rejected after one 10x5 run on seeds 0-4.
SELECTION_SEEDS: frozenset[int] = frozenset({0, 1, 2, 3, 4, 100, 101, 102, 103})
SELECTION_BUDGET = ("recipe frozen after screening several dozen variants (models, parameters, blends, cut "
                    "rules; listed in the README) on splits of seeds 0-4 and 100-103")
# The reported splits: seeds 1000 onwards, which the benchmark never ran before the recipe was frozen.
REPORTING_SEED = 1000
SRF_SPECIFICITY = 0.963
INNER_FOLDS = 3
# Large enough to learn the sets, small enough not to memorise a few hundred fakes. Leaves of at least 30
# rows and a firmer L2 smooth the top of the score ranking, where SRF's sensitivity at 96.3% specificity is
# read (about 3 false positives allowed per fold). In the 10x5 benchmark SRF's per-fold sensitivity went
# 0.763 -> 0.780 and pooled 0.755 -> 0.767 (0.753 -> 0.780 on unseen seed-100 splits); every other
# within-source row moved less than its spread.
MODEL_PARAMS: dict[str, object] = dict(
    n_estimators=200, learning_rate=0.05, num_leaves=15, max_bin=63, min_child_samples=30, subsample=0.8,
    subsample_freq=1, colsample_bytree=0.8, reg_lambda=5.0, class_weight="balanced", n_jobs=1, verbose=-1,
)
# Across sources the old, smaller leaves transfer better: with the leaves above, 15 of the 72 transfer cells
# lost more than 0.03 AUC and 6 gained (e.g. purba2020 -> cresci2015 0.98 -> 0.90).
TRANSFER_PARAMS: dict[str, object] = {
    **MODEL_PARAMS, "num_leaves": 7, "min_child_samples": 10, "reg_lambda": 1.0, "class_weight": None,
}
# Purba is 40 times larger: more leaves pay off there.
LARGE_MODEL_PARAMS: dict[str, object] = {
    **MODEL_PARAMS, "num_leaves": 31, "n_estimators": 300, "max_bin": 127, "min_child_samples": 10,
    "reg_lambda": 1.0,
}
# Sources whose label means "fake / bot" in a single binary sense; purba2020-ijece is left out of the
# transfer matrix because two thirds of its rows are also in purba2020.
TRANSFER_SOURCES: tuple[str, ...] = (
    la.INSTAFAKE_FAKE, la.INSTAFAKE_AUTOMATED, la.SRF2017, la.KAGGLE, la.PURBA2020,
    la.CRESCI2015, la.CRESCI2017, la.GILANI2017,
)
# What the positive label means. Fake/bought-follower accounts and automated/spam bots look opposite on
# profile counts (bots are active and followed; fake followers are empty and follow many), so a model
# of one inverts on the other: pooled training is only robust within one concept.
CONCEPTS: dict[str, str] = {
    la.INSTAFAKE_FAKE: "fake_account", la.SRF2017: "fake_account", la.KAGGLE: "fake_account",
    la.PURBA2020: "fake_account", la.CRESCI2015: "fake_account",
    la.INSTAFAKE_AUTOMATED: "automation", la.CRESCI2017: "automation", la.GILANI2017: "automation",
}
ALL_OTHERS, SAME_CONCEPT = "all others", "same-concept others"

# The blend's inner split for thresholds: 5 folds, as it was chosen with (see `blend_fitter`).
BLEND_INNER_FOLDS = 5
# The column that tells the borrowing LightGBM which rows are the benchmarked source's own.
OWN_SOURCE = "from_own_source"

Rule = Callable[[np.ndarray, np.ndarray], float]
# Fits on (x_train, y_train) with a seed and returns P(fake) of x_test.
Fitter = Callable[[pd.DataFrame, np.ndarray, pd.DataFrame, int], np.ndarray]
Borrowed = tuple[pd.DataFrame, np.ndarray]


@dataclass(frozen=True)
class CvPlan:
    """How many folds and repeats, and the seed of repeat 0 (repeat r uses seed + r)."""

    folds: int = 10
    repeats: int = 5
    seed: int = REPORTING_SEED

    def seeds(self) -> range:
        return range(self.seed, self.seed + self.repeats)

    def describe(self, group: str = "account_key") -> str:
        return f"stratified {self.folds}-fold CV x{self.repeats} repeats, grouped by {group}; " \
               f"{selection_note(self)}"


def selection_note(plan: CvPlan) -> str:
    """The selection budget, and whether the plan's splits are held out from it."""
    seeds = plan.seeds()
    used = sorted(SELECTION_SEEDS.intersection(seeds))
    span = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}-{seeds[-1]}"
    if used:
        return f"{SELECTION_BUDGET}; NOT held out: these splits ({span}) include selection seeds {used}"
    return f"{SELECTION_BUDGET}; reported on splits no choice saw ({span})"


def feature_matrix(accounts: pd.DataFrame, extras: bool = True) -> pd.DataFrame:
    """Profile features plus (optionally) the source's `extra_*` columns; all-null columns dropped."""
    parts = [account_profile_features(accounts)]
    if extras:
        parts.append(accounts.filter(regex=r"^extra_").astype("float64"))
    matrix = pd.concat(parts, axis=1)
    return matrix.loc[:, matrix.notna().any()]


def classifier(seed: int, params: dict[str, object] | None = None) -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(**{**(params or MODEL_PARAMS), "random_state": seed})


def cv_splits(y: np.ndarray, groups: np.ndarray, plan: CvPlan) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Train/test index pairs of every fold of every repeat."""
    for repeat in range(plan.repeats):
        splitter = StratifiedGroupKFold(n_splits=plan.folds, shuffle=True, random_state=plan.seed + repeat)
        yield from splitter.split(np.zeros(len(y)), y, groups)


def best_threshold(y: np.ndarray, p: np.ndarray, metric: str = "macro_f1") -> float:
    """The cut on `p` that maximises F1, macro-F1 or accuracy on (y, p), over every distinct cut."""
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order].astype(float)
    tp = np.cumsum(ys)
    fp = np.arange(1, len(ys) + 1) - tp
    fn, tn = ys.sum() - tp, (len(ys) - ys.sum()) - fp
    f1_pos, f1_neg = _f1_of_both_classes(tp, fp, fn, tn)
    score = {"f1": f1_pos, "macro_f1": (f1_pos + f1_neg) / 2, "accuracy": (tp + tn) / len(ys)}[metric]
    boundary = np.r_[ps[:-1] > ps[1:], True]  # only cut between different scores
    k = int(np.argmax(np.where(boundary, score, -np.inf)))
    below = ps[k + 1] if k + 1 < len(ps) else ps[k] - 1e-9
    return float((ps[k] + below) / 2)


def _f1_of_both_classes(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, tn: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """F1 of the positive and of the negative class from confusion counts (0 where a class is empty and
    never predicted, as sklearn's `zero_division=0`)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nan_to_num(2 * tp / (2 * tp + fp + fn)), np.nan_to_num(2 * tn / (2 * tn + fp + fn))


def specificity_threshold(y: np.ndarray, p: np.ndarray, specificity: float) -> float:
    """The lowest cut (predict fake when p > cut) that keeps at least `specificity` of reals below it."""
    return float(np.quantile(p[y == 0], specificity, method="higher"))


def sensitivity_at_specificity(y: np.ndarray, p: np.ndarray, specificity: float) -> float:
    """Read off the ROC curve: the best true-positive rate with false-positive rate <= 1 - specificity."""
    fpr, tpr, _ = roc_curve(y, p)
    return float(tpr[fpr <= 1 - specificity + 1e-12].max())


def _fit_predict(x_train: pd.DataFrame, y_train: np.ndarray, x_test: pd.DataFrame, seed: int,
                 params: dict[str, object] | None = None, weight: np.ndarray | None = None) -> np.ndarray:
    model = classifier(seed, params).fit(x_train, y_train, sample_weight=weight)
    return model.predict_proba(x_test)[:, 1]


def lightgbm_fitter(params: dict[str, object] | None = None) -> Fitter:
    return lambda x_train, y_train, x_test, seed: _fit_predict(x_train, y_train, x_test, seed, params)


def spline_logistic() -> Pipeline:
    """A smooth additive model: cubic splines of each standardised feature, balanced logistic regression.
    Median imputation is learned on the training rows only."""
    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                         SplineTransformer(n_knots=5, degree=3),
                         LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000))


def spline_logistic_fitter(x_train: pd.DataFrame, y_train: np.ndarray, x_test: pd.DataFrame, seed: int
                           ) -> np.ndarray:
    known = list(x_train.columns[x_train.notna().any()])
    return spline_logistic().fit(x_train[known], y_train).predict_proba(x_test[known])[:, 1]


def with_borrowed_rows(x_train: pd.DataFrame, y_train: np.ndarray, borrowed: list[Borrowed]
                       ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The training fold plus whole other sources on its known columns, flagged by `OWN_SOURCE`, with weights
    that give each borrowed source, class by class, the training fold's own row count."""
    known = list(x_train.columns[x_train.notna().any()])
    xs, ys, weights = [x_train[known].assign(**{OWN_SOURCE: 1.0})], [y_train], [np.ones(len(y_train))]
    for x_other, y_other in borrowed:
        xs.append(x_other.reindex(columns=known).assign(**{OWN_SOURCE: 0.0}))
        ys.append(y_other)
        own, other = np.bincount(y_train, minlength=2), np.bincount(y_other, minlength=2)
        weights.append((own / np.maximum(other, 1))[y_other])
    return pd.concat(xs, ignore_index=True), np.concatenate(ys), np.concatenate(weights)


def borrowing_fitter(borrowed: list[Borrowed]) -> Fitter:
    """LightGBM trained on the training fold plus `borrowed` sources (never on test rows: those come from
    the benchmarked source only, flagged as its own)."""
    def fit(x_train: pd.DataFrame, y_train: np.ndarray, x_test: pd.DataFrame, seed: int) -> np.ndarray:
        x_all, y_all, weight = with_borrowed_rows(x_train, y_train, borrowed)
        x_own = x_test.reindex(columns=x_all.columns[:-1]).assign(**{OWN_SOURCE: 1.0})
        return _fit_predict(x_all, y_all, x_own, seed, weight=weight)
    return fit


def blend_fitter(borrowed: list[Borrowed]) -> Fitter:
    """The mean probability of the source's LightGBM, the borrowing LightGBM and the spline logistic model.
    Chosen, among single models (LightGBM, spline logistic, kNN, SMOTE-NC + LightGBM, borrowing LightGBMs)
    and their 2- and 3-model means, on splits of seeds 100-101 (10-fold x2), not the benchmark's seeds."""
    members = (lightgbm_fitter(), borrowing_fitter(borrowed), spline_logistic_fitter)

    def fit(x_train: pd.DataFrame, y_train: np.ndarray, x_test: pd.DataFrame, seed: int) -> np.ndarray:
        return np.mean([member(x_train, y_train, x_test, seed) for member in members], axis=0)
    return fit


def inner_oof(x: pd.DataFrame, y: np.ndarray, groups: np.ndarray, seed: int,
              params: dict[str, object] | None = None, fitter: Fitter | None = None,
              folds: int = INNER_FOLDS) -> np.ndarray:
    """Out-of-fold probabilities of an inner grouped split (3-fold by default), for choosing a threshold."""
    fit = fitter or lightgbm_fitter(params)
    oof = np.zeros(len(y))
    for train, test in cv_splits(y, groups, CvPlan(folds, 1, seed)):
        oof[test] = fit(x.iloc[train], y[train], x.iloc[test], seed)
    return oof


def cv_predictions(x: pd.DataFrame, y: np.ndarray, groups: np.ndarray, plan: CvPlan, rule: Rule | None = None,
                   params: dict[str, object] | None = None, fitter: Fitter | None = None,
                   inner_folds: int = INNER_FOLDS) -> pd.DataFrame:
    """Test-fold probabilities of every fold (`fold`, `repeat`, `row`, `p`) and the fold's threshold `cut`,
    which `rule(y_oof, p_oof)` picks from inner OOF predictions of the training fold (0.5 if None). The model
    is `fitter`, else a LightGBM with `params`."""
    fit = fitter or lightgbm_fitter(params)
    parts = []
    for i, (train, test) in enumerate(cv_splits(y, groups, plan)):
        seed = plan.seed + i
        x_tr, y_tr = x.iloc[train], y[train]
        cut = rule(y_tr, inner_oof(x_tr, y_tr, groups[train], seed, fitter=fit, folds=inner_folds)) \
            if rule else 0.5
        p = fit(x_tr, y_tr, x.iloc[test], seed)
        parts.append(pd.DataFrame({"fold": i, "repeat": i // plan.folds, "row": test, "p": p, "cut": cut}))
    return pd.concat(parts, ignore_index=True)


def cv_binary(x: pd.DataFrame, y: np.ndarray, groups: np.ndarray, plan: CvPlan, rule: Rule | None = None,
              params: dict[str, object] | None = None) -> pd.DataFrame:
    """Per-fold metrics (`binary_metrics`) of `cv_predictions`."""
    return fold_metrics(cv_predictions(x, y, groups, plan, rule, params), y)


def fold_metrics(predictions: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    rows = [binary_metrics(y[fold["row"].to_numpy()], fold["p"].to_numpy(), float(fold["cut"].iloc[0]))
            for _, fold in predictions.groupby("fold", sort=True)]
    return pd.DataFrame(rows)


def macro_f1_at_cuts(y: np.ndarray, p: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Macro-F1 of predicting fake where `p > cut`, for every cut at once (0 for an empty class's F1, as
    sklearn's `zero_division=0`)."""
    fakes, reals = np.sort(p[y == 1]), np.sort(p[y == 0])
    tp = len(fakes) - np.searchsorted(fakes, cuts, side="right")
    fp = len(reals) - np.searchsorted(reals, cuts, side="right")
    f1_fake, f1_real = _f1_of_both_classes(tp, fp, len(fakes) - tp, len(reals) - fp)
    return (f1_fake + f1_real) / 2


def oracle_shared_cut(predictions: pd.DataFrame, y: np.ndarray) -> tuple[pd.Series, float]:
    """A ceiling, not a result: the one cut that maximises the mean macro-F1 over all test folds, chosen
    with their labels, and each fold's macro-F1 at it. No rule that picks one cut from training data can
    beat it with these predictions, so a target above it needs a better ranking, not a better cut."""
    pooled = predictions["p"].to_numpy()
    cuts = np.r_[pooled.min() - 1.0, np.unique(pooled)]
    per_fold = np.array([macro_f1_at_cuts(y[fold["row"].to_numpy()], fold["p"].to_numpy(), cuts)
                         for _, fold in predictions.groupby("fold", sort=True)])
    best = int(np.argmax(per_fold.mean(axis=0)))
    return pd.Series(per_fold[:, best]), float(cuts[best])


def binary_metrics(y: np.ndarray, p: np.ndarray, cut: float) -> dict[str, float]:
    pred = (p > cut).astype(int)
    return {
        "roc_auc": roc_auc_score(y, p), "f1": f1_score(y, pred, zero_division=0.0),
        "macro_f1": f1_score(y, pred, average="macro", zero_division=0.0),
        "accuracy": accuracy_score(y, pred),
        "sensitivity": float(pred[y == 1].mean()), "specificity": float(1 - pred[y == 0].mean()),
        "sensitivity_at_spec_0.963": sensitivity_at_specificity(y, p, SRF_SPECIFICITY),
    }


def cv_multiclass(x: pd.DataFrame, classes: pd.Series, real_class: str, groups: np.ndarray, plan: CvPlan,
                  params: dict[str, object] | None = None) -> pd.DataFrame:
    """Per-fold 4-class accuracy and macro-F1, and fake-vs-real AUC from 1 - P(real)."""
    codes, names = pd.factorize(classes, sort=True)
    real = int(np.flatnonzero(names == real_class)[0])
    rows = []
    for i, (train, test) in enumerate(cv_splits(codes, groups, plan)):
        model = classifier(plan.seed + i, params).fit(x.iloc[train], codes[train])
        proba = model.predict_proba(x.iloc[test])
        pred = proba.argmax(axis=1)
        rows.append({
            "accuracy_4class": accuracy_score(codes[test], pred),
            "macro_f1_4class": f1_score(codes[test], pred, average="macro"),
            "roc_auc_fake_vs_real": roc_auc_score(codes[test] != real, 1 - proba[:, real]),
            "accuracy_fake_vs_real": accuracy_score(codes[test] != real, pred != real),
        })
    return pd.DataFrame(rows)


def row(dataset: str, task: str, metric: str, values: pd.Series | float, protocol: str,
        anchor: float | None = None, anchor_protocol: str = "") -> dict[str, object]:
    """One report row; `value` is the mean over folds and repeats, `spread` their standard deviation."""
    series = pd.Series(values, dtype="float64")
    spread = float(series.std(ddof=1)) if len(series) > 1 else float("nan")
    return dict(zip(ROW_KEYS, (dataset, task, metric, float(series.mean()), spread, protocol, anchor,
                               anchor_protocol)))


def _source_data(source: str, root: Path | None, extras: bool = True
                 ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    accounts = la.load_labelled_accounts(source, root)
    x = feature_matrix(accounts, extras)
    return accounts, x, accounts["label"].to_numpy(dtype=int), accounts["account_key"].to_numpy()


def _threshold_rule(metric: str) -> Rule:
    return lambda y, p: best_threshold(y, p, metric)


def _specificity_rule(specificity: float) -> Rule:
    return lambda y, p: specificity_threshold(y, p, specificity)


def _borrowed(sources: tuple[str, ...], root: Path | None) -> list[Borrowed]:
    return [(x, y) for _, x, y, _ in (_source_data(s, root) for s in sources)]


# Each small fake-follower set borrows the other (the transfer matrix: purba2020 -> srf2017 0.87, kaggle ->
# srf2017 lower; adding kaggle or purba2020 as well did not help on the selection splits).
BORROWED_SOURCES: dict[str, tuple[str, ...]] = {
    la.INSTAFAKE_FAKE: (la.SRF2017,), la.SRF2017: (la.INSTAFAKE_FAKE,),
}


def _blend_protocol(source: str) -> str:
    other = ", ".join(BORROWED_SOURCES[source])
    return f"model: mean probability of (a) LightGBM on the training fold, (b) LightGBM on the training " \
           f"fold plus every row of {other} (training side only, a flag column for own rows, each " \
           "borrowed class weighted to the training fold's class count), (c) spline logistic regression; " \
           "balanced class weights, no oversampling; blend chosen on separate splits (seeds 100-101)"


def instafake_fake_rows(root: Path | None, plan: CvPlan) -> list[dict[str, object]]:
    _, x, y, groups = _source_data(la.INSTAFAKE_FAKE, root)
    fitter = blend_fitter(_borrowed(BORROWED_SOURCES[la.INSTAFAKE_FAKE], root))
    predictions = cv_predictions(x, y, groups, plan, _threshold_rule("macro_f1"), fitter=fitter,
                                 inner_folds=BLEND_INNER_FOLDS)
    folds = fold_metrics(predictions, y)
    protocol = f"{plan.describe()}; threshold maximising macro-F1 on inner {BLEND_INNER_FOLDS}-fold OOF of " \
               f"the training fold; {_blend_protocol(la.INSTAFAKE_FAKE)}; exact duplicate rows dropped " \
               "(1,194 -> 1,165)"
    anchor = "Akyon & Kalfaoglu 2019, Table VII: SMOTE-NC + SVM/NN, 10-fold CV grid search " \
             "(88.2-89.0 without oversampling)"
    ceiling, cut = oracle_shared_cut(predictions, y)
    return [row("instafake-fake-v1.0", "fake vs real", "macro_f1", folds["macro_f1"], protocol, 0.940,
                anchor),
            row("instafake-fake-v1.0", "fake vs real", "roc_auc", folds["roc_auc"], protocol),
            row("instafake-fake-v1.0", "fake vs real, ceiling for any single cut (uses test labels)",
                "macro_f1_oracle_shared_cut", ceiling,
                f"diagnostic, not a result: the same test-fold predictions, cut at the one threshold "
                f"({cut:.3f}) that maximises mean macro-F1 over all test folds, chosen with their labels")]


def instafake_automated_rows(root: Path | None, plan: CvPlan) -> list[dict[str, object]]:
    rows = []
    for extras, task in ((True, "automated vs real"), (False, "automated vs real, profile columns only")):
        _, x, y, groups = _source_data(la.INSTAFAKE_AUTOMATED, root, extras)
        folds = cv_binary(x, y, groups, plan, _threshold_rule("f1"))
        inputs = "profile features + per-account media aggregates" if extras else "profile features only"
        protocol = f"{plan.describe()}; threshold maximising F1 on inner 3-fold OOF of the training fold; " \
                   f"{inputs}"
        anchor = "Akyon & Kalfaoglu 2019, Table VIII: SVM, precision 91 / recall 82, 10-fold CV"
        rows += [row("instafake-automated", task, "f1", folds["f1"], protocol, 0.86, anchor),
                 row("instafake-automated", task, "roc_auc", folds["roc_auc"], protocol)]
    return rows


def srf2017_rows(root: Path | None, plan: CvPlan) -> list[dict[str, object]]:
    _, x, y, groups = _source_data(la.SRF2017, root)
    fitter = blend_fitter(_borrowed(BORROWED_SOURCES[la.SRF2017], root))
    predictions = cv_predictions(x, y, groups, plan, _specificity_rule(SRF_SPECIFICITY), fitter=fitter,
                                 inner_folds=BLEND_INNER_FOLDS)
    folds = fold_metrics(predictions, y)
    base = f"{plan.describe()}; {_blend_protocol(la.SRF2017)}"
    anchor = "SRF Data 2017: random forest, one 70/30 split, no CV, cut-off 0.3 (specificity 96.3%)"
    return [
        row("srf2017", "fake follower vs real", "roc_auc", folds["roc_auc"], base),
        row("srf2017", "fake follower vs real", "sensitivity_at_spec_0.963",
            folds["sensitivity_at_spec_0.963"],
            f"{base}; a ranking measure read off each test fold's own ROC curve, so its cut is set with "
            "that fold's labels (about 10 fakes per fold); the operating point a user gets is the "
            "inner-cut `sensitivity` row", 0.774, anchor),
        row("srf2017", "fake follower vs real", "sensitivity", folds["sensitivity"],
            f"{base}; threshold set on inner {BLEND_INNER_FOLDS}-fold OOF of the training fold for 96.3% "
            "specificity", 0.774,
            anchor),
        row("srf2017", "fake follower vs real", "specificity", folds["specificity"],
            f"{base}; the specificity that inner-chosen threshold reaches on the test fold", 0.963, anchor),
    ]


def kaggle_rows(root: Path | None, plan: CvPlan) -> list[dict[str, object]]:
    _, x, y, groups = _source_data(la.KAGGLE, root)
    folds = cv_binary(x, y, groups, plan, _threshold_rule("accuracy"))
    protocol = f"{plan.describe()} on train.csv (576 rows, 2 exact duplicates dropped); threshold " \
               "maximising accuracy on inner 3-fold OOF"
    anchor = "public notebooks: accuracy 0.89-0.95 on the separate 120-row test.csv (not available here)"
    return [row("kaggle-insta-fake-spammer", "fake vs genuine", "accuracy", folds["accuracy"], protocol, None,
                anchor),
            row("kaggle-insta-fake-spammer", "fake vs genuine", "roc_auc", folds["roc_auc"], protocol)]


def purba_rows(root: Path | None, plan: CvPlan) -> list[dict[str, object]]:
    """Purba is 42k rows: at most 5 folds and 1 repeat."""
    accounts, x, _, groups = _source_data(la.PURBA2020, root)
    small = CvPlan(min(plan.folds, 5), 1, plan.seed)
    folds = cv_multiclass(x, accounts["label_detail"], "real", groups, small, LARGE_MODEL_PARAMS)
    protocol = f"{small.describe()} (large set: fewer folds/repeats); one 4-class LightGBM; fake-vs-real " \
               "from 1 - P(real); argmax decisions"
    anchor = "Purba et al. 2020 (IJECE 10(3)): random forest accuracy up to 91.76% (2- and 4-class)"
    dataset, task = "purba2020-ijece-instagram", "4-class (real, active fake, inactive fake, spammer)"
    rows = [row(dataset, task, "macro_f1", folds["macro_f1_4class"], protocol),
            row(dataset, task, "accuracy", folds["accuracy_4class"], protocol, 0.9176, anchor),
            row(dataset, "fake vs real", "roc_auc", folds["roc_auc_fake_vs_real"], protocol),
            row(dataset, "fake vs real", "accuracy", folds["accuracy_fake_vs_real"], protocol, 0.9176,
                anchor)]
    return rows + _purba_ijece_rows(root, small)


def _purba_ijece_rows(root: Path | None, plan: CvPlan) -> list[dict[str, object]]:
    _, x, y, groups = _source_data(la.PURBA2020_IJECE, root)
    folds = cv_binary(x, y, groups, plan, None, LARGE_MODEL_PARAMS)
    protocol = f"{plan.describe()} on the 19,598-row published validation split of the 2-class file " \
               "(the rest is not public); threshold 0.5"
    anchor = "Purba et al. 2020: random forest accuracy up to 91.76% on the whole 2-class file"
    return [row("purba2020-ijece-2class-val", "fake vs real", "accuracy", folds["accuracy"], protocol, 0.9176,
                anchor),
            row("purba2020-ijece-2class-val", "fake vs real", "roc_auc", folds["roc_auc"], protocol)]


def twitter_rows(root: Path | None, plan: CvPlan) -> list[dict[str, object]]:
    anchors = {
        la.CRESCI2015: (0.95, "Cresci et al. 2015: profile-feature 'Class A' classifiers, >95% correct"),
        la.CRESCI2017: (None, "Cresci et al. 2017"),
        la.GILANI2017: (None, "Gilani et al. 2017"),
    }
    rows = []
    for source, (anchor, anchor_protocol) in anchors.items():
        _, x, y, groups = _source_data(source, root)
        folds = cv_binary(x, y, groups, plan, _threshold_rule("accuracy"))
        protocol = f"{plan.describe()}; threshold maximising accuracy on inner 3-fold OOF"
        rows += [row(la.SOURCE_FOLDERS[source], "bot/fake vs human", "accuracy", folds["accuracy"], protocol,
                     anchor, anchor_protocol),
                 row(la.SOURCE_FOLDERS[source], "bot/fake vs human", "roc_auc", folds["roc_auc"], protocol)]
    return rows


def shared_columns(*matrices: pd.DataFrame) -> list[str]:
    """Columns known (not all null) in every matrix, in the first one's order."""
    known = [set(m.columns[m.notna().any()]) for m in matrices]
    return [c for c in matrices[0].columns if all(c in k for k in known)]


def balanced_source_weights(sources: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Every (source, class) cell gets the same total weight, 1, so no source or class dominates (the product's
    `source_class_weights` times the number of cells over the number of rows)."""
    cells = pd.Series(list(zip(sources, y)))
    return (1.0 / cells.map(cells.value_counts())).to_numpy(dtype="float64")


def _transfer_scores(train: list[tuple[str, pd.DataFrame, np.ndarray]], x_test: pd.DataFrame, seed: int
                     ) -> np.ndarray | None:
    """Fit on the (pooled) training sources, on the features the test source also has; P(fake) of the test
    rows (None when no feature is shared)."""
    columns = shared_columns(x_test, *[x for _, x, _ in train])
    if not columns:
        return None
    x_train = pd.concat([x[columns] for _, x, _ in train], ignore_index=True)
    y_train = np.concatenate([y for _, _, y in train])
    names = np.concatenate([np.full(len(y), name) for name, _, y in train])
    weights = balanced_source_weights(names, y_train)  # these already balance classes: no class_weight
    return _fit_predict(x_train, y_train, x_test[columns], seed, TRANSFER_PARAMS, weights)


def _transfer_auc(train: list[tuple[str, pd.DataFrame, np.ndarray]], test: tuple[pd.DataFrame, np.ndarray],
                  seed: int) -> float:
    x_test, y_test = test
    p = _transfer_scores(train, x_test, seed)
    return float("nan") if p is None else float(roc_auc_score(y_test, p))


def transfer_matrix(root: Path | None = None, seed: int = 0,
                    sources: tuple[str, ...] = TRANSFER_SOURCES) -> pd.DataFrame:
    """ROC-AUC of a model trained on one source (rows) and tested on another (columns). Two more rows
    leave the test source out and pool the rest with equal weight per source and class: `all others`
    pools every other source, `same-concept others` only those whose label means the same (`CONCEPTS`).
    The diagonal is left empty: within-source numbers are the cross-validated rows."""
    data = {s: _source_data(s, root)[1:3] for s in sources}
    matrix = pd.DataFrame(np.nan, index=[*sources, ALL_OTHERS, SAME_CONCEPT], columns=list(sources))
    for test in sources:
        for train in sources:
            if train != test:
                matrix.loc[train, test] = _transfer_auc([(train, *data[train])], data[test], seed)
        rest = [s for s in sources if s != test]
        same = [s for s in rest if CONCEPTS.get(s) == CONCEPTS.get(test)]
        for name, pool in ((ALL_OTHERS, rest), (SAME_CONCEPT, same)):
            if pool:
                matrix.loc[name, test] = _transfer_auc([(s, *data[s]) for s in pool], data[test], seed)
    return matrix


def transfer_rows(matrix: pd.DataFrame) -> list[dict[str, object]]:
    protocol = "train on all of one source, test on all of another; features restricted to those both " \
               "sources have; balanced class weights; single fit, no spread; the transfer settings were " \
               "compared on this same matrix (no held-out sources), so it leans optimistic"
    loso = {ALL_OTHERS: "leave-one-source-out: train on every other source pooled",
            SAME_CONCEPT: "leave-one-source-out: train on the other sources of the same label concept pooled"}
    loso_tail = " (equal weight per source and class), features restricted to those the held-out " \
                "source has; single fit, no spread; settings compared on this same matrix"
    return [row(f"transfer:{train}->{test}", "fake/bot vs real", "roc_auc", value,
                loso[train] + loso_tail if train in loso else protocol)
            for train, series in matrix.iterrows() for test, value in series.items() if not np.isnan(value)]


def subclass_transfer_rows(root: Path | None = None, seed: int = 0, held_out: str = la.PURBA2020
                           ) -> list[dict[str, object]]:
    """Leave-one-source-out AUC on `held_out` for each of its fake subclasses (`label_detail`) against its
    real accounts, from the one model of `transfer_matrix`'s same-concept row (the other sources of its
    concept pooled). purba2020's fakes are a mix (inactive and active fakes, spammers), and one pooled AUC
    hides which kind is missed."""
    accounts, x_test, y_test, _ = _source_data(held_out, root)
    pool = [s for s in TRANSFER_SOURCES if s != held_out and CONCEPTS.get(s) == CONCEPTS.get(held_out)]
    train = [(s, *_source_data(s, root)[1:3]) for s in pool]
    detail = accounts["label_detail"].astype("str").to_numpy()
    protocol = f"leave-one-source-out: train on {', '.join(pool)} pooled (equal weight per source and " \
               f"class), test on the real accounts of {held_out} and one of its fake subclasses; " \
               "single fit, no spread"
    p = _transfer_scores(train, x_test, seed)
    rows = []
    for subclass in sorted(set(detail[y_test == 1])):
        keep = (y_test == 0) | (detail == subclass)
        auc = float("nan") if p is None else float(roc_auc_score(y_test[keep], p[keep]))
        rows.append(row(held_out, f"held out, real vs {subclass}", "roc_auc", auc, protocol))
    return rows


def transfer_part_rows(root: Path | None = None, seed: int = 0) -> list[dict[str, object]]:
    """The transfer matrix's rows and the per-subclass rows of purba2020."""
    return [*transfer_rows(transfer_matrix(root, seed)), *subclass_transfer_rows(root, seed)]


def account_benchmark_rows(root: Path | None = None, repeats: int = 5, folds: int = 10,
                           seed: int = REPORTING_SEED, transfer: bool = True) -> list[dict[str, object]]:
    """Every benchmark row (see the module doc); `repeats`/`folds` scale the cost, e.g. 1 and 3 for CI."""
    plan = CvPlan(folds, repeats, seed)
    builders = (instafake_fake_rows, instafake_automated_rows, srf2017_rows, kaggle_rows, purba_rows,
                twitter_rows)
    rows = [r for build in builders for r in build(root, plan)]
    return rows + (transfer_part_rows(root, seed) if transfer else [])
