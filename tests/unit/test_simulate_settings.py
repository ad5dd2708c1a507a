"""Simulation settings, hashing and vectorised text helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from authfit.config import ConfigError, load_settings
from authfit.simulate import SimulationSettings
from authfit.simulate.activity import rank_within
from authfit.simulate.influencers import engagement_curve
from authfit.simulate.hashed_ids import counter_ids, hash_uniform, splitmix64, user_ids
from authfit.simulate.text_assembly import join_groups, pick


def _keys(model_or_mapping, prefix: str = "") -> set[str]:
    """Dotted names of every leaf setting, from a pydantic model class or a parsed YAML mapping."""
    from pydantic import BaseModel

    if isinstance(model_or_mapping, dict):
        items = model_or_mapping.items()
    else:
        items = ((name, field.annotation) for name, field in model_or_mapping.model_fields.items())
    keys: set[str] = set()
    for name, value in items:
        nested = isinstance(value, dict) or (isinstance(value, type) and issubclass(value, BaseModel))
        keys |= _keys(value, f"{prefix}{name}.") if nested else {f"{prefix}{name}"}
    return keys


def test_yaml_mirrors_every_default(request):
    import yaml

    path = request.config.rootpath / "configs" / "simulate.yaml"
    assert load_settings(path, SimulationSettings) == SimulationSettings()
    # equal values are not enough: a key left out of the YAML silently takes its default
    written = _keys(yaml.safe_load(path.read_text(encoding="utf-8")))
    missing = _keys(SimulationSettings) - written
    assert not missing, f"parameters not in configs/simulate.yaml: {sorted(missing)}"


def test_settings_reject_inconsistent_values(tmp_path: Path):
    bad = tmp_path / "sim.yaml"
    bad.write_text("start_date: 2025-06-01\nend_date: 2025-01-01\n")
    with pytest.raises(ConfigError, match="end_date"):
        load_settings(bad, SimulationSettings)
    with pytest.raises(ValueError, match="niche_weights"):
        SimulationSettings(niche_weights=[1.0])
    with pytest.raises(ValueError, match="extra"):
        SimulationSettings.model_validate({"no_such_key": 1})


def test_engagement_curve_falls_with_size_and_stays_above_floor():
    settings = SimulationSettings()
    rates = engagement_curve(np.linspace(1.5, 7.0, 50), settings)
    assert np.all(np.diff(rates) < 0)
    assert rates.min() > settings.engagement.floor
    assert rates.max() < settings.engagement.floor + settings.engagement.amplitude


def test_user_ids_are_unique_stable_and_hide_the_number():
    numbers = np.arange(200_000)
    ids = user_ids(numbers, seed=5).to_numpy(zero_copy_only=False)
    assert len(set(ids)) == numbers.size
    assert ids[0].startswith("usr_") and len(ids[0]) == 20
    assert user_ids(numbers[:3], seed=5).equals(user_ids(numbers[:3], seed=5))
    assert not user_ids(numbers[:3], seed=6).equals(user_ids(numbers[:3], seed=5))
    assert sorted(ids[:100].tolist()) != ids[:100].tolist()  # neighbouring users are scattered


def test_hash_uniform_is_uniform_and_salt_dependent():
    keys = np.arange(100_000, dtype=np.uint64)
    u = hash_uniform(keys, 1)
    assert u.min() >= 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.01
    assert abs(np.corrcoef(u, hash_uniform(keys, 2))[0, 1]) < 0.02
    assert np.unique(splitmix64(keys)).size == keys.size


def test_counter_ids_are_zero_padded():
    assert counter_ids("inf_", np.array([7, 123456]), 6).to_pylist() == ["inf_000007", "inf_123456"]


def test_join_groups_handles_empty_groups():
    pieces = pick(["a", "b", "c"], np.array([0, 1, 2, 1, 0]))
    assert join_groups(pieces, np.array([2, 0, 3]), " ").to_pylist() == ["a b", "", "c b a"]
    assert isinstance(pieces, pa.Array)


def test_rank_within_counts_inside_runs():
    assert rank_within(np.array([0, 0, 0, 3, 3, 5])).tolist() == [0, 1, 2, 0, 1, 0]
    assert rank_within(np.array([], dtype=int)).tolist() == []
