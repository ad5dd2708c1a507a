"""The feature registry entry: each feature module lists its features as `FEATURES: tuple[FeatureSpec, ...]`
and `authfit.features.docs` collects them into data/FEATURES.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureSpec:
    """One feature: its column name, the family (module) that computes it, and a one-line definition."""

    name: str
    family: str
    definition: str
