"""Typed settings for the training machinery: the `modeling:` section of configs/train.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from authfit.modeling.calibration import parse_threshold_rule
from authfit.modeling.lgbm import LgbmParams
from authfit.modeling.promotion import PromotionThresholds
from authfit.modeling.tracking import TrackingSettings


class EngineSettings(BaseModel):
    """Where the influencer-level models are fitted: `local` (lightgbm.train here) or `dask`
    (lightgbm.dask on the cluster at `scheduler`, or on a LocalCluster of this machine without one)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["local", "dask"] = "local"
    scheduler: str | None = Field(None, description="Dask scheduler address, e.g. tcp://HOST:8786 (engine dask)")
    n_workers: int = Field(2, ge=1, description="LocalCluster worker processes when no scheduler is given")
    threads_per_worker: int = Field(1, ge=1, description="LocalCluster threads per worker (LightGBM num_threads)")
    partitions_per_worker: int = Field(1, ge=1, description="row partitions of each training set per worker")


class CvSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    folds: int = Field(5, ge=2, description="grouped stratified folds for binary models")
    time_folds: int = Field(4, ge=1, description="expanding-window folds for count models")
    seed: int = 0


class CalibrationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["isotonic", "platt"] = "platt"  # isotonic needs thousands of rows; on hundreds it steps 0/1
    threshold_rule: str = "best_f1"
    threshold_rules: dict[str, str] = Field(
        {}, description="per-model threshold rules that replace threshold_rule for that model")

    @field_validator("threshold_rule")
    @classmethod
    def _known_rule(cls, rule: str) -> str:
        parse_threshold_rule(rule)
        return rule

    @field_validator("threshold_rules")
    @classmethod
    def _known_rules(cls, rules: dict[str, str]) -> dict[str, str]:
        for rule in rules.values():
            parse_threshold_rule(rule)
        return rules

    def rule_for(self, model: str) -> str:
        return self.threshold_rules.get(model, self.threshold_rule)


class ModelingSettings(BaseModel):
    """LightGBM parameters (shared, with per-model overrides), CV, calibration, tracking and the
    promotion rules of each model."""

    model_config = ConfigDict(extra="forbid")

    lgbm: LgbmParams = LgbmParams()
    lgbm_overrides: dict[str, dict[str, float | int | str | bool | list[str]]] = {}
    cv: CvSettings = CvSettings()
    calibration: CalibrationSettings = CalibrationSettings()
    tracking: TrackingSettings = TrackingSettings()
    promotion: dict[str, PromotionThresholds] = {}

    def params_for(self, model: str) -> LgbmParams:
        """Shared LightGBM parameters with `lgbm_overrides[model]` applied (and validated)."""
        return LgbmParams.model_validate(self.lgbm.model_dump() | self.lgbm_overrides.get(model, {}))

    def promotion_for(self, model: str) -> PromotionThresholds:
        return self.promotion.get(model, PromotionThresholds())


class TrainFile(BaseModel):
    """configs/train.yaml as far as this package reads it; other sections belong to the pipeline."""

    model_config = ConfigDict(extra="allow")

    modeling: ModelingSettings = ModelingSettings()
