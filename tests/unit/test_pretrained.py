"""The shipped pretrained bundles: small, verified, licensed; and the fallback that uses them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from authfit.config import load_settings
from authfit.modeling.bundle import BundleError, load_bundle
from authfit.modeling.real_data_models import AccountModel
from authfit.training.pipeline import TrainingSummary
from authfit.training.pretrained import (
    PRETRAINED_SOURCES,
    fall_back_to_pretrained,
    pretrained_bundle,
    pretrained_settings,
)
from authfit.training.train_settings import ACCOUNT_MODEL, COMMENT_MODEL, TrainSettings

SHIPPED = Path("models/pretrained")
MAX_FILE_BYTES = 1_600_000  # "well under 2 MB" per file


@pytest.mark.parametrize("name", [ACCOUNT_MODEL, COMMENT_MODEL])
def test_shipped_bundle_is_small_verified_and_trained_on_licensed_sets_only(name):
    path = pretrained_bundle(SHIPPED, name)
    assert path is not None, f"no pretrained {name} under {SHIPPED}"
    bundle = load_bundle(path)  # checks every file against the SHA-256 manifest
    assert set(bundle.metadata.extra["sources"]) <= {s.source for s in PRETRAINED_SOURCES[name]}
    sizes = {p.name: p.stat().st_size for p in path.rglob("*") if p.is_file()}
    assert max(sizes.values()) < MAX_FILE_BYTES, sizes
    readme = (SHIPPED / "README.md").read_text(encoding="utf-8")
    for source in PRETRAINED_SOURCES[name]:
        assert source.licence in readme and source.citation in readme


def test_rebuild_settings_use_only_the_licensed_sources(tmp_path):
    settings = pretrained_settings(load_settings(Path("configs/train.yaml"), TrainSettings), tmp_path)
    assert settings.real_data.account_sources == ["srf2017"]
    assert "instafake-fake" not in settings.real_data.account_sources
    assert set(settings.real_data.comment_sources) == {"uci-youtube-spam", "scamspot-ig-comments"}
    assert settings.models_dir == tmp_path and not settings.modeling.tracking.enabled


def _settings(tmp_path: Path, pretrained: Path) -> TrainSettings:
    return TrainSettings(models_dir=tmp_path / "models", pretrained_dir=pretrained)


def test_fallback_copies_the_shipped_bundle_into_the_new_set(tmp_path):
    summary = TrainingSummary(version="v1")
    model = fall_back_to_pretrained(_settings(tmp_path, SHIPPED), ACCOUNT_MODEL, "v1", summary, AccountModel)
    assert isinstance(model, AccountModel) and model.error_rates is not None
    assert summary.bundles[ACCOUNT_MODEL] == tmp_path / "models" / ACCOUNT_MODEL / "v1"
    assert "pretrained" in summary.notes[-1]


def test_fallback_refuses_an_altered_bundle(tmp_path):
    copy = tmp_path / "pretrained" / ACCOUNT_MODEL / "x"
    shutil.copytree(pretrained_bundle(SHIPPED, ACCOUNT_MODEL), copy)
    (copy / "boosters" / "model.txt").write_text("tampered")
    with pytest.raises(BundleError):
        fall_back_to_pretrained(_settings(tmp_path, tmp_path / "pretrained"), ACCOUNT_MODEL, "v1",
                                TrainingSummary(version="v1"), AccountModel)


def test_without_a_shipped_bundle_the_model_is_skipped_with_a_note(tmp_path):
    summary = TrainingSummary(version="v1")
    assert fall_back_to_pretrained(_settings(tmp_path, tmp_path / "none"), COMMENT_MODEL, "v1", summary,
                                   AccountModel) is None
    assert COMMENT_MODEL not in summary.bundles and "no pretrained bundle" in summary.notes[-1]


def test_only_redistributable_sources_train_the_shipped_models():
    assert all(s.redistributable for sources in PRETRAINED_SOURCES.values() for s in sources)
