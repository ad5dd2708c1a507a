"""Reading the configured real labelled sources, where a missing one is noted, not fatal."""

from __future__ import annotations

import pandas as pd

from authfit.datasets.paths import DatasetMissingError


def load_sources(sources: list[str], loader, notes: list[str]) -> pd.DataFrame:
    """Concatenate the labelled sources that are present; a missing one is noted, not fatal."""
    frames = []
    for source in sources:
        try:
            frames.append(loader(source))
        except DatasetMissingError as exc:
            notes.append(f"skipped {source}: {exc}")
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
