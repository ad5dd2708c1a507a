from pathlib import Path

import pytest

from authfit.config import ConfigError, load_settings
from authfit.training.settings import MODEL_NAMES, TrainSettings


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
    from authfit.modeling.settings import CalibrationSettings

    calibration = CalibrationSettings(threshold_rules={"fake-engagement": "specificity_at_least:0.97"})
    assert calibration.rule_for("fake-engagement") == "specificity_at_least:0.97"
    assert calibration.rule_for("comment-authenticity") == "best_f1"
    with pytest.raises(ValueError, match="unknown threshold rule"):
        CalibrationSettings(threshold_rules={"fake-engagement": "most_recall"})
    with pytest.raises(ValueError, match="unknown model name"):
        TrainSettings.model_validate({"modeling": {"calibration": {"threshold_rules": {"fake": "best_f1"}}}})
    shipped = load_settings(Path("configs/train.yaml"), TrainSettings)
    assert shipped.modeling.calibration.rule_for("fake-engagement") == "specificity_at_least:0.97"
