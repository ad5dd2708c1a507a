from pathlib import Path

import pytest

from authfit.config import ConfigError, load_settings
from authfit.training.train_settings import MODEL_NAMES, TrainSettings


def test_shipped_config_parses_and_names_real_models():
    settings = load_settings(Path("configs/train.yaml"), TrainSettings)
    assert set(settings.modeling.promotion) == set(MODEL_NAMES)
    assert "instafake-automated" not in settings.real_data.account_sources  # opposite concept, see README


def test_a_misspelt_model_name_is_refused(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text("modeling:\n  lgbm_overrides:\n    fake_engagment:\n      num_leaves: 7\n")
    with pytest.raises(ConfigError, match="unknown model name"):
        load_settings(path, TrainSettings)


def test_a_model_can_have_its_own_threshold_rule_and_a_bad_one_is_refused():
    from authfit.modeling.model_settings import CalibrationSettings

    calibration = CalibrationSettings(threshold_rules={"fake-engagement": "specificity_at_least:0.97"})
    assert calibration.rule_for("fake-engagement") == "specificity_at_least:0.97"
    assert calibration.rule_for("comment-authenticity") == "best_f1"
    with pytest.raises(ValueError, match="unknown threshold rule"):
        CalibrationSettings(threshold_rules={"fake-engagement": "most_recall"})
    with pytest.raises(ValueError, match="unknown model name"):
        TrainSettings.model_validate({"modeling": {"calibration": {"threshold_rules": {"fake": "best_f1"}}}})
    shipped = load_settings(Path("configs/train.yaml"), TrainSettings)
    assert shipped.modeling.calibration.rule_for("fake-engagement") == "specificity_at_least:0.98"


def test_shipped_fake_engagement_exclusions_keep_every_fraud_signal():
    from authfit.features import audience, comment_patterns, engagement, growth
    from authfit.modeling.lgbm import model_columns

    shipped = load_settings(Path("configs/train.yaml"), TrainSettings).modeling
    params = shipped.params_for("fake-engagement")
    signals = [f.name for family in (audience, comment_patterns, engagement, growth) for f in family.FEATURES]
    assert model_columns(params, signals) == signals  # no pattern reaches a growth, engagement, comment or
    assert set(params.monotone_increasing) <= set(signals)  # audience feature, constrained ones included
    profile = ["username_length", "bio_length", "topic_3", "topic_entropy", "posts_per_week", "log_following"]
    assert model_columns(params, profile) == ["log_following"]
    assert model_columns(shipped.params_for("campaign-conversion"), profile) == profile
