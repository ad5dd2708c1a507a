"""Comment-spam benchmark on the real labelled comment sets, and a scoring-throughput measurement on
synthetic comments.

Rows follow the shared benchmark layout: dataset, task, metric, value, spread, protocol, anchor,
anchor_protocol. `value` is the mean of the per-fold scores and `spread` their standard deviation; the
model calibrates itself on out-of-fold scores inside each training fold, and predictions use 0.5 on the
calibrated probability: nothing is fitted or chosen on the test fold.

Selection: while the model's settings were chosen this benchmark ran only seed 0 (repeats 0-4); the default
seed is now `REPORTING_SEED`, splits no choice saw. The leave-one-video-out and cross-source rows have
splits fixed by the data, the same ones seen while the model was built, and say so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, brier_score_loss, f1_score, roc_auc_score
from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold

from authfit_bench.benchmarks.accounts import REPORTING_SEED
from authfit.datasets.labelled_comments import SCAMSPOT, UCI_YOUTUBE, load_labelled_comments
from authfit.modeling.comment_spam import CommentSpamModel

TASK = "comment spam/scam (text only)"
# Seeds whose splits were read while the comment model was built; reporting uses others.
SELECTION_SEEDS: frozenset[int] = frozenset(range(5))
_FIXED_SPLITS = "splits fixed by the data, also seen while the model was built (not held out from selection)"
# Published numbers per metric; the protocol text says where they come from.
_UCI_ANCHOR = {"accuracy": 0.9533, "f1": 0.9532}
_UCI_ANCHOR_PROTOCOL = ("Airlangga 2024, TF-IDF + LinearSVC, stratified 10-fold CV on all 1,956 comments "
                        "(no deduplication); Alberto et al. 2015 (TubeSpam): several classifiers statistically "
                        "equivalent")
_METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "accuracy": lambda y, p: accuracy_score(y, p >= 0.5),
    "f1": lambda y, p: f1_score(y, p >= 0.5),
    "roc_auc": roc_auc_score,
    "brier": brier_score_loss,
}


def comment_benchmark_rows(root: Path | None = None, repeats: int = 5, folds: int = 10,
                           seed: int = REPORTING_SEED,
                           model_factory: Callable[[], CommentSpamModel] | None = None) -> list[dict]:
    """All benchmark rows: UCI (as published and deduplicated, plus leave-one-video-out), ScamSpot,
    and each source trained on the other."""
    factory = model_factory or CommentSpamModel
    uci_raw = load_labelled_comments(UCI_YOUTUBE, root, dedupe=False)
    uci = load_labelled_comments(UCI_YOUTUBE, root)
    scam = load_labelled_comments(SCAMSPOT, root)
    rows = []
    rows += cv_rows(uci_raw, factory, repeats, folds, seed, "no dedupe, as in the anchor",
                    _UCI_ANCHOR, _UCI_ANCHOR_PROTOCOL)
    rows += cv_rows(uci, factory, repeats, folds, seed, "deduplicated on normalised text",
                    _UCI_ANCHOR, _UCI_ANCHOR_PROTOCOL)
    rows += video_holdout_rows(uci, factory)
    rows += cv_rows(scam, factory, repeats, folds, seed, "rated + reported, deduplicated", {}, "")
    rows += cross_source_rows(uci, scam, factory) + cross_source_rows(scam, uci, factory)
    return rows


def cv_rows(data: pd.DataFrame, factory: Callable[[], CommentSpamModel], repeats: int, folds: int,
            seed: int, note: str, anchor: dict[str, float], anchor_protocol: str) -> list[dict]:
    """Repeated stratified k-fold rows for one labelled-comment frame."""
    y = data["label"].to_numpy()
    scores: dict[str, list[float]] = {name: [] for name in _METRICS}
    for repeat in range(repeats):
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed + repeat)
        for train, test in splitter.split(np.zeros(len(y)), y):
            _score_fold(data, train, test, factory, scores)
    protocol = f"stratified {folds}-fold CV x{repeats} ({len(data)} comments, {note}); " \
               f"{_selection_note(range(seed, seed + repeats))}"
    return _rows(data["source"].iloc[0], scores, protocol, anchor, anchor_protocol)


def video_holdout_rows(data: pd.DataFrame, factory: Callable[[], CommentSpamModel]) -> list[dict]:
    """Leave-one-group-out (UCI: one video held out at a time): spam on an unseen video."""
    scores: dict[str, list[float]] = {name: [] for name in _METRICS}
    groups = data["group"].to_numpy()
    for train, test in LeaveOneGroupOut().split(np.zeros(len(data)), groups=groups):
        _score_fold(data, train, test, factory, scores)
    n_groups = len(np.unique(groups))
    protocol = f"leave-one-group-out over {n_groups} groups ({len(data)} comments, deduplicated); " \
               f"{_FIXED_SPLITS}"
    return _rows(data["source"].iloc[0], scores, protocol, {}, "")


def cross_source_rows(train: pd.DataFrame, test: pd.DataFrame,
                      factory: Callable[[], CommentSpamModel]) -> list[dict]:
    """Train on all of one source, test on all of the other."""
    scores: dict[str, list[float]] = {name: [] for name in _METRICS}
    model = factory().fit(train["text"], train["label"])
    probability = model.predict_proba_texts(test["text"])
    for name, metric in _METRICS.items():
        scores[name].append(float(metric(test["label"].to_numpy(), probability)))
    dataset = f"{train['source'].iloc[0]} -> {test['source'].iloc[0]}"
    protocol = f"train on all {len(train)}, test on all {len(test)} (deduplicated); {_FIXED_SPLITS}"
    return _rows(dataset, scores, protocol, {}, "")


def _selection_note(seeds: range) -> str:
    used = sorted(SELECTION_SEEDS.intersection(seeds))
    if used:
        return f"NOT held out: settings were chosen while reading splits of seeds {used}"
    span = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}-{seeds[-1]}"
    return f"settings fixed before these splits ({span}); the benchmark ran only seeds 0-4 while they " \
           "were chosen"


def _score_fold(data: pd.DataFrame, train: np.ndarray, test: np.ndarray,
                factory: Callable[[], CommentSpamModel], scores: dict[str, list[float]]) -> None:
    y = data["label"].to_numpy()
    model = factory().fit(data["text"].iloc[train], y[train])
    probability = model.predict_proba_texts(data["text"].iloc[test])
    for name, metric in _METRICS.items():
        scores[name].append(float(metric(y[test], probability)))


def _rows(dataset: str, scores: dict[str, list[float]], protocol: str, anchor: dict[str, float],
          anchor_protocol: str) -> list[dict]:
    """`anchor` holds the published value of each metric that has one (None elsewhere)."""
    return [{"dataset": dataset, "task": TASK, "metric": name, "value": float(np.mean(values)),
             "spread": float(np.std(values)), "protocol": protocol, "anchor": anchor.get(name),
             "anchor_protocol": anchor_protocol if name in anchor else ""} for name, values in scores.items()]


_REACTIONS = np.array([
    "love this", "so cute", "amazing", "wow", "need this", "beautiful", "gorgeous", "yes", "omg",
    "great post", "nice", "so good", "goals", "stunning", "perfect", "love it", "this is everything",
    "obsessed", "can't wait", "where is this", "so pretty", "looks delicious", "happy birthday",
], dtype=object)
_EMOJI = np.array(["", "", "", " 😍", " 🔥", " 🔥🔥🔥", " ❤️", " 😂😂", " 👏", " 🙌", " 💯", "!!", "!",
                   " ✨"],
                  dtype=object)
_SPAM = np.array([
    "Check out my page @{h} 💰", "DM @{h} to earn ${n} weekly", "Nice pic! Send it to @{h} to get featured",
    "promote it on @{h} 🚀", "I made ${n} trading bitcoin with @{h}", "follow me for a follow back {n}",
    "FREE followers at www.{h}.com", "Contact @{h} on whatsapp for investment tips",
], dtype=object)


def synthetic_comments(n: int, seed: int = 0, vocabulary_size: int = 8_000) -> pd.Series:
    """Realistic-looking comments, vectorised: ~40% short reactions (+ emoji), ~45% sentences of 1 to 16
    Zipf-drawn made-up words, ~15% template spam with random handles and amounts."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(3, size=n, p=[0.40, 0.45, 0.15])
    reactions = pd.Series(rng.choice(_REACTIONS, n), dtype="str")
    reactions = reactions + pd.Series(rng.choice(_EMOJI, n), dtype="str")
    texts = reactions.where(kind == 0, _sentences(rng, n, vocabulary_size))
    return texts.where(kind != 2, _spam(rng, n)).astype("str")


def _sentences(rng: np.random.Generator, n: int, vocabulary_size: int) -> pd.Series:
    syllables = np.array(["ka", "lo", "mi", "ne", "ra", "to", "su", "vi", "an", "el", "or", "ti"],
                         dtype=object)
    parts = [rng.choice(syllables, vocabulary_size) for _ in range(3)]
    vocab = (pd.Series(parts[0], dtype="str") + pd.Series(parts[1], dtype="str")
             + pd.Series(parts[2], dtype="str").where(rng.random(vocabulary_size) < 0.5, ""))
    vocab = vocab.to_numpy(dtype=object)
    length = rng.integers(1, 17, size=n)
    words = vocab[np.minimum(rng.zipf(1.3, size=(n, 16)) - 1, vocabulary_size - 1)]
    words[np.arange(16)[None, :] >= length[:, None]] = ""
    joined = _join_columns(words)
    capital = rng.random(n) < 0.5
    joined = joined.where(~capital, joined.str.capitalize())
    return joined + pd.Series(rng.choice(_EMOJI, n), dtype="str")


def _join_columns(words: np.ndarray) -> pd.Series:
    """Row-wise " ".join over a 2-D array of words, one column at a time, then whitespace tidied."""
    joined = pd.Series(words[:, 0], dtype="str")
    for column in range(1, words.shape[1]):
        joined = joined + " " + pd.Series(words[:, column], dtype="str")
    return joined.str.strip()


def _spam(rng: np.random.Generator, n: int) -> pd.Series:
    handles = pd.Series(rng.integers(0, 2_000, n).astype(str), dtype="str")
    handles = "promo_" + handles
    amounts = pd.Series((rng.integers(1, 50, n) * 100).astype(str), dtype="str")
    templates = pd.Series(rng.choice(_SPAM, n), dtype="str")
    return _fill(templates, handles, amounts)


def _fill(templates: pd.Series, handles: pd.Series, amounts: pd.Series) -> pd.Series:
    pieces = templates.str.split("{h}", n=1, regex=False)
    with_handle = pieces.str[0] + handles.where(pieces.str.len() > 1, "") + pieces.str[1].fillna("")
    pieces = with_handle.str.split("{n}", n=1, regex=False)
    return pieces.str[0] + amounts.where(pieces.str.len() > 1, "") + pieces.str[1].fillna("")


def measure_throughput(model: CommentSpamModel, texts: pd.Series, repeats: int = 3) -> dict[str, float]:
    """Best-of-`repeats` wall time of `predict_proba_texts` over `texts`, as comments per second, and the
    process CPU time of that run (on a shared machine wall time overstates the cost)."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        model.predict_proba_texts(texts)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    return {"comments": float(len(texts)), "distinct_texts": float(texts.nunique()), "seconds": best,
            "cpu_seconds": best_cpu, "comments_per_second": len(texts) / best,
            "comments_per_cpu_second": len(texts) / best_cpu}
