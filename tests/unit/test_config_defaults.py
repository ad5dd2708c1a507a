"""Defaults live in the pydantic settings. A shipped configs/*.yaml may restate them (it documents every
knob) but never disagree: a value the file sets must equal the built-in default, unless that default is
empty, i.e. a choice the code leaves to the config (the real data sources, per-model rules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from authfit.config import load_settings
from authfit.features.build import FeatureSettings
from authfit.serve.schemas import ServiceSettings
from authfit.simulate import SimulationSettings
from authfit.training.train_settings import TrainSettings

CONFIGS = {"train": TrainSettings, "features": FeatureSettings, "serve": ServiceSettings,
           "simulate": SimulationSettings}


def disagreements(loaded: Any, default: Any, where: str) -> list[str]:
    if isinstance(default, BaseModel):
        return [d for name in type(default).model_fields
                for d in disagreements(getattr(loaded, name), getattr(default, name), f"{where}.{name}")]
    if isinstance(default, (list, dict, tuple)) and not default:
        return []  # no built-in value: the config makes the choice
    if isinstance(default, Path) and not default.is_absolute():
        default = Path.cwd() / default  # the file's relative paths are resolved against its folder
        loaded = Path(loaded).resolve()
    return [] if loaded == default else [f"{where}: config {loaded!r}, default {default!r}"]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_shipped_config_agrees_with_the_built_in_defaults(name):
    settings = CONFIGS[name]
    assert disagreements(load_settings(Path(f"configs/{name}.yaml"), settings), settings(), name) == []


def test_a_disagreeing_value_is_reported(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text("modeling:\n  calibration:\n    method: isotonic\n")
    found = disagreements(load_settings(path, TrainSettings), TrainSettings(), "train")
    assert found == ["train.modeling.calibration.method: config 'isotonic', default 'platt'"]
