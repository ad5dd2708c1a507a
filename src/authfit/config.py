"""Typed settings, parsed once at the edge (the CLI or the service) from YAML files in configs/.

A relative path written in a config file is relative to that file's folder, not to the directory the
command runs in, so a config works wherever it is copied to and whatever the working directory."""

from __future__ import annotations

import os
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
        settings = model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"config file {path} does not match {model.__name__}:\n{exc}") from exc
    return relative_to_file(settings, raw, Path(path).resolve().parent)


def relative_to_file(settings: SettingsT, raw: dict, base: Path) -> SettingsT:
    """`settings` with every relative path that the file set (at any depth) joined to `base`; paths left
    at their defaults stay as they are."""
    updates: dict[str, object] = {}
    for name in settings.model_fields_set & set(raw if isinstance(raw, dict) else ()):
        value = getattr(settings, name)
        if isinstance(value, Path) and not value.is_absolute():
            updates[name] = Path(os.path.normpath(base / value))
        elif isinstance(value, BaseModel) and isinstance(raw[name], dict):
            updates[name] = relative_to_file(value, raw[name], base)
    return settings.model_copy(update=updates) if updates else settings
