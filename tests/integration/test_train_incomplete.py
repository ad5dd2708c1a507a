"""Training on data that cannot train every model: campaigns with too few start dates skip the conversion
model with a note, and a run that fails part way leaves no bundle of its set behind."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from authfit.config import load_settings
from authfit.features.build import FeatureSettings
from authfit.simulate import SimulationSettings, write_world
from authfit.training import pipeline
from authfit.training.train_settings import CONVERSION_MODEL, FAKE_ENGAGEMENT_MODEL, RealDataSettings
from conftest import small_train_settings


@pytest.fixture(scope="module")
def few_starts(tmp_path_factory) -> Path:
    """A small world whose campaigns all start on one of two dates."""
    world = tmp_path_factory.mktemp("few-starts") / "world"
    write_world(load_settings(Path("configs/simulate.yaml"), SimulationSettings), 150, 5, world)
    campaigns = pd.read_parquet(world / "campaigns.parquet")
    campaigns["start_date"] = [pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-02-01", tz="UTC")] * (
        len(campaigns) // 2) + [pd.Timestamp("2024-01-01", tz="UTC")] * (len(campaigns) % 2)
    campaigns["end_date"] = campaigns["start_date"] + pd.Timedelta(days=30)
    campaigns.to_parquet(world / "campaigns.parquet")
    return world


def _settings(world: Path, root: Path):
    base = small_train_settings(world, root)
    return base.model_copy(update={"real_data": RealDataSettings()})  # no account/comment models: faster


def test_few_campaign_starts_skip_the_conversion_model_with_a_note(few_starts, tmp_path):
    settings = _settings(few_starts, tmp_path)
    summary = pipeline.train_all(settings, load_settings(settings.features_config, FeatureSettings))
    assert FAKE_ENGAGEMENT_MODEL in summary.bundles and CONVERSION_MODEL not in summary.bundles
    assert any("campaign conversion not trained" in n and "distinct start dates; got 2" in n for n in summary.notes)
    assert (settings.models_dir / "latest.json").is_file()


def test_a_failed_run_leaves_no_partial_model_set(few_starts, tmp_path, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "train_conversion", broken)
    settings = _settings(few_starts, tmp_path)
    with pytest.raises(RuntimeError, match="disk full"):
        pipeline.train_all(settings, load_settings(settings.features_config, FeatureSettings))
    left = [p for p in settings.models_dir.rglob("*")] if settings.models_dir.exists() else []
    assert left == [], f"a failed run left {left}"
