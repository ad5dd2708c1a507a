"""Vectorised text assembly on Arrow string arrays: pick phrases by index, concatenate, join groups."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

StrLike = pa.Array | str


def pick(pool: Sequence[str], index: np.ndarray) -> pa.Array:
    """pool[index] as an Arrow string array."""
    return pa.array(list(pool), type=pa.string()).take(pa.array(np.asarray(index, dtype=np.int64)))


def concat(*parts: StrLike) -> pa.Array:
    """Element-wise concatenation; plain strings broadcast."""
    return pc.binary_join_element_wise(*parts, "")


def where(condition: np.ndarray, when_true: StrLike, when_false: StrLike) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(condition, dtype=bool)), when_true, when_false)


def join_groups(pieces: pa.Array, counts: np.ndarray, separator: str) -> pa.Array:
    """Join consecutive runs of `pieces` (run lengths `counts`) with `separator`."""
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), pieces), separator)


def squeeze_spaces(text: pa.Array) -> pa.Array:
    """Drop the doubled and edge spaces that empty optional parts leave behind."""
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r" {2,}", " "))


def as_series(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    """An Arrow string array as a pandas `str` Series, without copying through Python objects."""
    return pd.Series(pd.array(values, dtype="str"))


def emoji_tail(rng: np.random.Generator, n: int, emojis: Sequence[str], p_none: float) -> pa.Array:
    """A space and one or two emojis, or nothing with probability `p_none`."""
    first = pick(emojis, rng.integers(len(emojis), size=n))
    twice = rng.random(n) < 0.35
    tail = concat(" ", first, where(twice, first, ""))
    return where(rng.random(n) < p_none, "", tail)
