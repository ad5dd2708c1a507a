"""The raw UTF-8 bytes of Arrow string arrays, for the compiled kernels and numpy passes over them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def utf8_buffer(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The bytes and int64 offsets of a large_string array, relative to its first text."""
    arr = pc.fill_null(arr.cast(pa.large_string()), "")
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    _, offsets_buffer, data_buffer = arr.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[arr.offset: arr.offset + len(arr) + 1]
    if data_buffer is None:
        return np.zeros(0, dtype=np.uint8), offsets - offsets[0]
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0]: offsets[-1]]
    return data, offsets - offsets[0]
