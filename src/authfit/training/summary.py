"""What one training run produced: the set's version, its bundles and metrics, and the notes for the user."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from authfit.modeling.heldout import HeldOut
from authfit.modeling.promotion import PromotionResult
from authfit.modeling.tracking import TrackingResult


@dataclass
class TrainingSummary:
    version: str
    bundles: dict[str, Path] = field(default_factory=dict)
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    tracking: dict[str, TrackingResult | None] = field(default_factory=dict)
    rejected_rows: int = 0
    notes: list[str] = field(default_factory=list)
    fit_seconds: dict[str, float] = field(default_factory=dict)  # CV + refit time of the engine's models
    examples: dict[str, pd.DataFrame] = field(default_factory=dict)  # input examples for the MLflow signature
    heldout: dict[str, HeldOut] = field(default_factory=dict)  # rows a champion is re-scored on at promotion
    promotion: PromotionResult | None = None  # the set's alias decision, when it was registered
