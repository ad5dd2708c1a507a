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
    SHARE_RATES_LEFT_OUT,
    fall_back_to_pretrained,
    pretrained_bundle,
    pretrained_settings,
)
from authfit.training.pretrained_build import held_out_sources
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


def test_shipped_account_share_rates_come_from_more_than_the_training_source():
    # issue 14: with one source's in-fold rates the demo's 95% interval covered 44% of the true shares
    bundle = load_bundle(pretrained_bundle(SHIPPED, ACCOUNT_MODEL))
    rates = AccountModel(bundle).error_rates
    trained = [s.source for s in PRETRAINED_SOURCES[ACCOUNT_MODEL]]
    configured = held_out_sources(load_settings(Path("configs/train.yaml"), TrainSettings)) + tuple(trained)
    assert list(rates.sources[:len(trained)]) == trained and len(rates.sources) > len(trained)
    assert set(rates.sources) == set(configured) - set(SHARE_RATES_LEFT_OUT)
    assert all(f"out_of_source_roc_auc_{s}" in bundle.metadata.metrics for s in SHARE_RATES_LEFT_OUT)
    assert set(bundle.metadata.extra["sources"]) == set(trained)  # tested on, never trained on
    assert rates.threshold == bundle.metadata.threshold  # chosen on the training source, not the tested ones
    assert all(source in bundle.metadata.extra["error_rates_rule"] for source in rates.sources)


def test_shipped_account_share_interval_covers_simulated_truth_at_its_rate():
    from authfit.features.audience import AudienceSettings, audience_features
    from authfit.simulate import SimulationSettings, generate_world

    model = AccountModel(load_bundle(pretrained_bundle(SHIPPED, ACCOUNT_MODEL)))
    world = generate_world(load_settings(Path("configs/simulate.yaml"), SimulationSettings), 80, 5)
    truth = world["truth_influencers"].set_index("account_id")["audience_sample_fake_share"]
    share = audience_features(world["audience"], model.predict_proba, model.error_rates,
                              AudienceSettings(confidence=0.95)).reindex(truth.index)
    lo, hi = share["audience_fake_share_corrected_lo"], share["audience_fake_share_corrected_hi"]
    covered = (lo <= truth) & (truth <= hi)
    assert covered.mean() >= 0.88, covered.mean()  # 95% stated; 80 candidates, about 3 binomial sd below it


def test_test_only_sources_add_their_rates_at_the_training_sources_threshold():
    import numpy as np
    import pandas as pd

    from authfit.training.real_models import share_estimator, with_test_sources

    data = pd.DataFrame({"label": [1, 1, 0, 0, 0, 0], "source": "a"})
    p_held = np.array([0.9, 0.4, 0.3, 0.1, 0.05, 0.2])
    rates = share_estimator(data, p_held, "acc", "t")
    tests = pd.DataFrame({"label": [1, 1, 0, 0], "source": "b"})
    both = with_test_sources(rates, data, p_held, tests, np.array([0.5, 0.1, 0.6, 0.05]))
    # b's best cut would differ; the threshold stays the one chosen on a
    assert both.threshold == rates.threshold and 0.3 < rates.threshold <= 0.4
    assert both.sources == ("a", "b") and both.tpr == (1.0, 0.5) and both.fpr == (0.0, 0.5)
    assert both.spread == "t" and both.train_prior == rates.train_prior
