"""Typed settings for the training machinery: the `modeling:` section of configs/train.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from authfit.modeling.calibration import parse_threshold_rule
from authfit.modeling.lgbm import LgbmParams
from authfit.modeling.promotion import PromotionThresholds
from authfit.modeling.tracking import TrackingSettings


class CvSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    folds: int = Field(5, ge=2, description="grouped stratified folds for binary models")
    time_folds: int = Field(4, ge=1, description="expanding-window folds for count models")
    seed: int = 0


class CalibrationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["isotonic", "platt"] = "isotonic"
    threshold_rule: str = "best_f1"

    @field_validator("threshold_rule")
    @classmethod
    def _known_rule(cls, rule: str) -> str:
        parse_threshold_rule(rule)
        return rule


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
