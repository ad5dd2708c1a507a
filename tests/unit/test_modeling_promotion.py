"""The pure promotion decision and the settings that feed it."""

from __future__ import annotations

from pathlib import Path

import pytest

from authfit.config import ConfigError, load_settings
import numpy as np
import pandas as pd

from authfit.modeling.heldout import compare_on_heldout, heldout_sample
from authfit.modeling.promotion import (
    MemberEvidence,
    PromotionThresholds,
    SameRows,
    decide_promotion,
    decide_set_promotion,
    registered_model_name,
)
from authfit.modeling.model_settings import TrainFile

AUC = PromotionThresholds(primary_metric="roc_auc", tolerance=0.01, minimums={"roc_auc": 0.7}, maximums={"ece": 0.1})
DEVIANCE = PromotionThresholds(primary_metric="poisson_deviance", higher_is_better=False, tolerance=0.0)
RULES = {"fake-engagement": AUC, "campaign-conversion": DEVIANCE}
GOOD = {"roc_auc": 0.8, "ece": 0.02}


def _rows(candidate: float, champion: float, metric: str = "roc_auc") -> SameRows:
    return SameRows({metric: candidate}, {metric: champion}, 100, "test rows")


def test_first_model_is_promoted_when_it_clears_thresholds():
    decision = decide_promotion(GOOD, None, AUC)
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


def test_worse_than_champion_on_the_same_rows_beyond_tolerance_is_refused_within_tolerance_accepted():
    assert not decide_promotion(GOOD, _rows(0.835, 0.85), AUC).promote
    assert decide_promotion(GOOD, _rows(0.845, 0.85), AUC).promote


def test_lower_is_better_metrics_compare_the_other_way():
    assert decide_promotion({"poisson_deviance": 1.0}, _rows(1.0, 1.2, "poisson_deviance"), DEVIANCE).promote
    refused = decide_promotion({"poisson_deviance": 1.3}, _rows(1.3, 1.2, "poisson_deviance"), DEVIANCE)
    assert not refused.promote and "worse than champion" in refused.reason


def test_better_on_its_own_split_but_worse_on_the_same_rows_is_not_promoted():
    """The candidate's own out-of-fold AUC (0.95) beats anything the champion logged, but on the
    candidate's held-out rows the champion scores better: the shared rows decide."""
    own_split = {"roc_auc": 0.95, "ece": 0.02}
    members = {"fake-engagement": MemberEvidence(own_split, True, _rows(0.74, 0.80))}
    decision = decide_set_promotion(members, RULES, ["fake-engagement"])
    assert not decision.promote and "worse than champion 0.8" in decision.reason


def test_one_refused_member_keeps_the_whole_set_out():
    members = {"fake-engagement": MemberEvidence(GOOD, True, _rows(0.82, 0.80)),
               "campaign-conversion": MemberEvidence({"poisson_deviance": 1.3}, True,
                                                     _rows(1.3, 1.2, "poisson_deviance"))}
    decision = decide_set_promotion(members, RULES, ["fake-engagement", "campaign-conversion"])
    assert not decision.promote
    assert decision.members["fake-engagement"].promote and not decision.members["campaign-conversion"].promote
    assert decision.reason.startswith("campaign-conversion:")


def test_a_set_better_everywhere_is_promoted_and_says_why():
    members = {"fake-engagement": MemberEvidence(GOOD, True, _rows(0.82, 0.80)),
               "campaign-conversion": MemberEvidence({"poisson_deviance": 1.0}, False)}
    decision = decide_set_promotion(members, RULES, ["fake-engagement"])
    assert decision.promote
    assert "0.82 vs champion 0.8" in decision.reason and "no comparable champion" in decision.reason


def test_a_member_with_a_champion_but_no_shared_rows_is_not_promoted():
    members = {"fake-engagement": MemberEvidence(GOOD, True, None, "trained on other data")}
    decision = decide_set_promotion(members, RULES, ["fake-engagement"])
    assert not decision.promote and "same rows: trained on other data" in decision.reason


def test_a_set_that_drops_a_model_the_champion_serves_is_not_promoted():
    members = {"fake-engagement": MemberEvidence(GOOD, True, _rows(0.9, 0.8))}
    decision = decide_set_promotion(members, RULES, ["fake-engagement", "campaign-conversion"])
    assert not decision.promote and "lacks campaign-conversion" in decision.reason


def test_held_out_rows_are_bounded_and_compared_on_identical_rows():
    rng = np.random.default_rng(0)
    n = 5000
    keys = pd.Index([f"a{i}" for i in range(n)], name="account_id")
    y = (rng.random(n) < 0.3).astype(float)
    candidate = np.clip(y * 0.3 + rng.random(n) * 0.7, 0, 1)
    candidate[:10] = np.nan  # rows never in a validation fold are not held out
    heldout = heldout_sample("binary", keys, y, candidate, max_rows=400, seed=1)
    assert len(heldout.rows) == 400 and heldout.rows["candidate_score"].notna().all()
    assert heldout.key_index().name == "account_id" and heldout.key_index().isin(keys[10:]).all()
    # a champion that is perfect on these rows but unknown (NaN) on half of them
    champion = heldout.rows["label"].to_numpy().copy()
    champion[::2] = np.nan
    same = compare_on_heldout(heldout, champion)
    assert same.rows == 200 and same.champion["roc_auc"] == 1.0 and same.candidate["n"] == 200
    assert not decide_promotion(GOOD | {"roc_auc": 0.99}, same, AUC).promote


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
