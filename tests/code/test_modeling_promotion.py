"""The pure promotion decision and the settings that feed it."""

from __future__ import annotations

from pathlib import Path

import pytest

from authfit.config import ConfigError, load_settings
from authfit.modeling.promotion import PromotionThresholds, decide_promotion, registered_model_name
from authfit.modeling.settings import TrainFile

AUC = PromotionThresholds(primary_metric="roc_auc", tolerance=0.01, minimums={"roc_auc": 0.7}, maximums={"ece": 0.1})
DEVIANCE = PromotionThresholds(primary_metric="poisson_deviance", higher_is_better=False, tolerance=0.0)


def test_first_model_is_promoted_when_it_clears_thresholds():
    decision = decide_promotion({"roc_auc": 0.8, "ece": 0.02}, None, AUC)
    assert decision.promote and "no comparable champion" in decision.reason


@pytest.mark.parametrize(
    ("candidate", "why"),
    [
        ({"roc_auc": 0.65, "ece": 0.02}, "roc_auc 0.65 < minimum 0.7"),
        ({"roc_auc": 0.85, "ece": 0.2}, "ece 0.2 > maximum 0.1"),
        ({"ece": 0.02}, "roc_auc is missing"),
        ({"roc_auc": float("nan"), "ece": 0.02}, "roc_auc is missing"),
    ],
)
def test_thresholds_block_promotion_even_without_a_champion(candidate, why):
    decision = decide_promotion(candidate, None, AUC)
    assert not decision.promote and why in decision.reason


def test_worse_than_champion_beyond_tolerance_is_refused_within_tolerance_accepted():
    champion = {"roc_auc": 0.85, "ece": 0.02}
    assert not decide_promotion({"roc_auc": 0.835, "ece": 0.02}, champion, AUC).promote
    assert decide_promotion({"roc_auc": 0.845, "ece": 0.02}, champion, AUC).promote


def test_lower_is_better_metrics_compare_the_other_way():
    assert decide_promotion({"poisson_deviance": 1.0}, {"poisson_deviance": 1.2}, DEVIANCE).promote
    refused = decide_promotion({"poisson_deviance": 1.3}, {"poisson_deviance": 1.2}, DEVIANCE)
    assert not refused.promote and "worse than champion" in refused.reason


def test_registered_names_and_shipped_config():
    assert registered_model_name("fake-engagement") == "authfit-fake-engagement"
    settings = load_settings(Path("configs/train.yaml"), TrainFile).modeling
    assert settings.params_for("campaign-conversion").min_child_samples == 10
    assert settings.params_for("account-authenticity").min_child_samples == settings.lgbm.min_child_samples
    assert not settings.promotion_for("campaign-conversion").higher_is_better


def test_bad_threshold_rule_in_config_is_reported(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text("modeling:\n  calibration:\n    threshold_rule: recall_at_least:0.5\n")
    with pytest.raises(ConfigError, match="unknown threshold rule"):
        load_settings(path, TrainFile)
