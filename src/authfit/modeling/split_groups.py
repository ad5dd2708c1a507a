"""Exact LightGBM prediction on fewer rows: rows that fall on the same side of every split share a score.

A tree sends a row left or right by comparing one feature with a threshold, so two rows that lie in the
same interval between consecutive thresholds of every feature take the same path through every tree and
get bit-identical raw scores (the same leaf values summed in the same order). Grouping rows by those
intervals and predicting one row per group gives exactly LightGBM's output. On the stacked comment model
(200 trees, 23 features, few distinct thresholds per shape feature) 100k distinct comment texts fall into
~37k groups, and prediction was the largest single cost of the feature pipeline (~9 us per row).
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

# LightGBM treats |x| <= kZeroThreshold (1e-35f) as zero (a dense row drops such values) and, with
# zero_as_missing, sends zeros the default way, so zero-like values are kept apart from all others.
_ZERO = float(np.float32(1e-35))
# Keys are packed into int64 words of at most 31 bits, so that combining a group number (< 2**31 rows)
# with the next word stays below 2**62.
_WORD_BITS = 31


def split_points(booster: lgb.Booster) -> tuple[np.ndarray, ...] | None:
    """Per feature, the sorted distinct thresholds of the booster's splits on it. None when some split is
    not a plain numeric `<=` (categorical) or leaves are linear: then rows cannot be grouped this way."""
    model = booster.dump_model()
    points: list[set[float]] = [set() for _ in range(booster.num_feature())]
    stack = [tree["tree_structure"] for tree in model["tree_info"]]
    while stack:
        node = stack.pop()
        if "leaf_const" in node:  # a linear leaf: its value depends on the features, not on the path alone
            return None
        if "split_index" not in node:
            continue
        if node["decision_type"] != "<=":
            return None
        points[node["split_feature"]].add(float(node["threshold"]))
        stack += [node["left_child"], node["right_child"]]
    return tuple(np.sort(np.fromiter(p, dtype=np.float64, count=len(p))) for p in points)


def _interval_codes(values: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, int]:
    """Per value: which interval between thresholds it lies in (x <= t decides the same for every t
    within one interval), with zero and NaN apart (a split may send them the default way); and the
    number of possible codes."""
    zero = np.abs(values) <= _ZERO
    codes = 2 * np.searchsorted(thresholds, values, side="left") + zero
    n_codes = 2 * (len(thresholds) + 1) + 1
    nan = np.isnan(values)
    return (np.where(nan, n_codes - 1, codes) if nan.any() else codes), n_codes


def path_keys(features: np.ndarray, points: tuple[np.ndarray, ...]) -> np.ndarray:
    """Per row, its interval codes in every feature some split uses, packed into int64 words (one row of
    words per row): rows with equal keys take the same path through every tree."""
    n_rows = features.shape[0]
    words: list[np.ndarray] = []
    word, span = np.zeros(n_rows, dtype=np.int64), 1
    columns = np.asfortranarray(features)  # contiguous columns: searchsorted on a strided view is slower
    for column, thresholds in enumerate(points):
        if not len(thresholds):
            continue  # no split uses the feature: it cannot tell rows apart
        codes, n_codes = _interval_codes(columns[:, column], thresholds)
        if span > 1 and span * n_codes >= 1 << _WORD_BITS:
            words.append(word)
            word, span = np.zeros(n_rows, dtype=np.int64), 1
        word, span = word * n_codes + codes, span * n_codes
    return np.column_stack([*words, word])


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each distinct key row, group of each row), groups in order of first appearance."""
    group = np.zeros(len(keys), dtype=np.int64)
    for word in keys.T:
        group = pd.factorize(group * (1 << _WORD_BITS) + word)[0].astype(np.int64)
    # codes come in order of first appearance, so group g first occurs where the running maximum reaches g
    first = np.searchsorted(np.maximum.accumulate(group), np.arange(group.max(initial=-1) + 1))
    return first, group


def path_groups(features: np.ndarray, points: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Rows with equal interval codes in every feature, as (first row of each group, group of each row);
    groups are numbered in order of first appearance."""
    return _groups(path_keys(features, points))


class PathScoreCache:
    """Raw scores of the path keys predicted so far, so that a later call predicts only paths it has not
    seen: successive chunks of comments share most paths (59% of a fourth chunk's were in the first three).
    Keeps at most `max_entries` keys (~40 bytes each) and adds none after that. Safe to share between
    threads: readers see one consistent snapshot; a key two threads add at once is kept twice, harmlessly."""

    def __init__(self, max_entries: int = 1 << 18) -> None:
        self.max_entries = max_entries
        self._state: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # hashes, keys, scores

    @staticmethod
    def _hash(keys: np.ndarray) -> np.ndarray:
        mixed = np.zeros(len(keys), dtype=np.uint64)
        for word in keys.T:
            mixed = (mixed ^ word.astype(np.uint64)) * np.uint64(0x9E3779B97F4A7C15)
            mixed ^= mixed >> np.uint64(29)
        return mixed

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found per key, its cached score where found); a hash match counts only if every word matches."""
        state = self._state
        if state is None or state[1].shape[1] != keys.shape[1]:
            return np.zeros(len(keys), dtype=bool), np.zeros(len(keys))
        hashes, stored, scores = state
        wanted = self._hash(keys)
        at = np.minimum(np.searchsorted(hashes, wanted), len(hashes) - 1)
        found = (hashes[at] == wanted) & (stored[at] == keys).all(axis=1)
        return found, scores[at]

    def add(self, keys: np.ndarray, scores: np.ndarray) -> None:
        state = self._state
        room = self.max_entries - (0 if state is None else len(state[0]))
        if room <= 0 or not len(keys):
            return
        keys, scores = keys[:room], scores[:room]
        if state is None or state[1].shape[1] != keys.shape[1]:
            state = (np.zeros(0, np.uint64), np.zeros((0, keys.shape[1]), np.int64), np.zeros(0))
        hashes = np.concatenate([state[0], self._hash(keys)])
        order = np.argsort(hashes, kind="stable")
        self._state = (hashes[order], np.concatenate([state[1], keys])[order],
                       np.concatenate([state[2], scores])[order])


def predict_raw_grouped(booster: lgb.Booster, features: np.ndarray, points: tuple[np.ndarray, ...] | None,
                        num_threads: int = 0, cache: PathScoreCache | None = None) -> np.ndarray:
    """booster.predict(features, raw_score=True), predicting one row per path group (all rows when
    `points` is None) and, with a `cache` (of this booster only), only groups it has not seen."""
    if points is None or len(features) < 2:
        return booster.predict(features, raw_score=True, num_threads=num_threads)
    keys = path_keys(features, points)
    first, group = _groups(keys)
    found, scores = (np.zeros(len(first), dtype=bool), np.zeros(len(first))) if cache is None else \
        cache.lookup(keys[first])
    todo = first[~found]
    if len(todo):
        scores[~found] = booster.predict(features[todo], raw_score=True, num_threads=num_threads)
        if cache is not None:
            cache.add(keys[todo], scores[~found])
    return scores[group]
