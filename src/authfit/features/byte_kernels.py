"""Compiled single-pass kernels over the UTF-8 bytes of a chunk of texts, for comment and caption text.

The numpy and RE2 versions they replace made one full pass over the bytes per step, several passes over a
few MB per chunk with an intermediate array each. Here each text's bytes are read once, and nothing of the
size of the input is allocated. Compiled by numba on first use (a few seconds; `cache=True` keeps the
machine code under __pycache__ for the next process) and run without the GIL, so the scorer's threads
overlap.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def texts_holding(data: np.ndarray, offsets: np.ndarray, first_byte: np.ndarray, patterns: np.ndarray,
                  lengths: np.ndarray) -> np.ndarray:
    """Per text, whether any of the byte strings `patterns` (each packed big-endian into a uint64 of
    `lengths` bytes, at most 8) occurs in it; `first_byte` flags their first bytes, so most positions
    cost one table lookup."""
    n_rows = len(offsets) - 1
    found = np.zeros(n_rows, dtype=np.bool_)
    for row in range(n_rows):
        low, high = offsets[row], offsets[row + 1]
        for j in range(low, high):
            if not first_byte[data[j]]:
                continue
            for p in range(len(patterns)):
                size = lengths[p]
                if j + size > high:
                    continue
                packed = np.uint64(0)
                for k in range(size):
                    packed = (packed << np.uint64(8)) | np.uint64(data[j + k])
                if packed == patterns[p]:
                    found[row] = True
                    break
            if found[row]:
                break
    return found


def compile_kernels() -> None:
    """Compile (or load from the cache) the kernels now, in this process: forked workers then inherit
    the machine code instead of each compiling it on its first chunk."""
    data, offsets = np.frombuffer(b"ab c", dtype=np.uint8), np.array([0, 4], dtype=np.int64)
    texts_holding(data, offsets, np.zeros(256, dtype=np.bool_), np.zeros(1, dtype=np.uint64),
                  np.ones(1, dtype=np.int64))
