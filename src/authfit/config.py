"""Typed settings, parsed once at the edge (the CLI or the service) from YAML files in configs/."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

SettingsT = TypeVar("SettingsT", bound=BaseModel)


class ConfigError(ValueError):
    """A config file is missing, is not YAML, or does not match its settings model."""


def load_settings(path: Path, model: type[SettingsT]) -> SettingsT:
    """Parse the YAML file at `path` into `model`, with a message a person can act on when it fails."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"config file {path} does not match {model.__name__}:\n{exc}") from exc
