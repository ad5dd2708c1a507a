"""Unicode general categories per code point, from this Python's Unicode data, for the code point tables
of the compiled text kernels (`byte_kernels`)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import numpy as np

# The tables cover the Basic Multilingual Plane and the next one; texts holding a code point beyond are
# handled without them (the regexes, the normaliser).
TABLE_SIZE = 0x20000


@lru_cache(maxsize=1)
def categories() -> np.ndarray:
    """The two-letter general category ("Lu", "Cn", ...) of every code point below TABLE_SIZE; "Cn" is
    unassigned in this Python's tables (RE2's and Arrow's may be newer). Built once per process."""
    return np.array([unicodedata.category(chr(point)) for point in range(TABLE_SIZE)], dtype="<U2")


def major_classes() -> np.ndarray:
    """The first letter of each category ("L", "N", "M", ...)."""
    return categories().astype("<U1")
