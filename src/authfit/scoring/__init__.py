"""Scoring: one `Scorer` for the Python API, batch runs and the HTTP service; batch scoring of files
(`batch_files`) over resumable chunks (`chunks`) of partitioned input (`partition`); the budget
shortlist (`shortlist`).

`Scorer`, `ScoreResult` and `ScoringError` are resolved lazily, so importing a submodule loads no model
libraries."""

from __future__ import annotations

from typing import Any

__all__ = ["Scorer", "ScoreResult", "ScoringError"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from authfit.scoring import scorer

        return getattr(scorer, name)
    raise AttributeError(f"module 'authfit.scoring' has no attribute {name!r}")
