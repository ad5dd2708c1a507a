"""Scoring: one `Scorer` for the Python API, batch runs and the HTTP service."""

from authfit.scoring.scorer import Scorer, ScoreResult, ScoringError

__all__ = ["Scorer", "ScoreResult", "ScoringError"]
