"""Deterministic hashing of integer keys, and the string ids built from them.

Profiles of users that appear under several influencers (fans, pod members, bots) are functions of the
user's number, so the same id always shows the same profile, whatever block or chunk produced it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def splitmix64(keys: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: a bijection on uint64 that scatters neighbouring keys."""
    z = np.asarray(keys, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hash_uniform(keys: np.ndarray, salt: int) -> np.ndarray:
    """A uniform draw in [0, 1) per key, fixed for (key, salt)."""
    mixed = splitmix64(splitmix64(keys) ^ np.uint64(salt))
    return (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def hash_index(keys: np.ndarray, salt: int, size: int | np.ndarray) -> np.ndarray:
    """An integer in [0, size) per key, fixed for (key, salt)."""
    return np.minimum((hash_uniform(keys, salt) * size).astype(np.int64), np.asarray(size) - 1)


def counter_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Ids like `inf_000123` from non-negative integers."""
    digits = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width, "0"), "")


def user_ids(numbers: np.ndarray, seed: int) -> pa.Array:
    """Ids like `usr_3f09...` (16 hex digits). Hashing keeps the id from telling which pool a user is in,
    and being a bijection it never maps two users onto one id."""
    mixed = splitmix64(np.asarray(numbers, dtype=np.uint64) ^ splitmix64(np.array([seed], dtype=np.uint64)))
    shifts = np.arange(60, -4, -4, dtype=np.uint64)
    nibbles = ((mixed[:, None] >> shifts[None, :]) & np.uint64(15)).astype(np.intp)
    raw = np.ascontiguousarray(_HEX[nibbles]).view("S16").ravel()
    hex_ids = pc.cast(pa.array(raw, type=pa.binary()), pa.string())
    return pc.binary_join_element_wise("usr_", hex_ids, "")
