"""configs/train.yaml, parsed once into typed settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from authfit.modeling.comment_spam import CommentSpamSettings
from authfit.modeling.model_set import (  # noqa: F401 - the names training code and tests take from here
    ACCOUNT_MODEL,
    COMMENT_MODEL,
    CONVERSION_MODEL,
    FAKE_ENGAGEMENT_MODEL,
    MODEL_NAMES,
)
from authfit.modeling.model_settings import EngineSettings, ModelingSettings


class AccountRecipe(BaseModel):
    """How the account model is fitted on its labelled sources (chosen by nested leave-one-source-out,
    docs/account-model.md): which profile features, how rows are weighted, which may only raise the score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    features: Literal["all", "portable", "core"] = Field(
        "all", description="all profile features; portable: those most sources give; core: counts and the "
                           "profile-picture flag, which every source gives")
    weighting: Literal["rows", "source_class"] = Field(
        "rows", description="rows: every row 1; source_class: each (source, label) pair the same total "
                            "weight")
    monotone_increasing: tuple[str, ...] = Field(
        (), description="features whose rise may only raise the score")


class RealDataSettings(BaseModel):
    """Which real labelled sources train the account and comment models."""

    model_config = ConfigDict(extra="forbid")

    account_sources: list[str] = Field(default_factory=list)
    comment_sources: list[str] = Field(default_factory=list)
    max_rows_per_source: int = Field(
        2500, ge=100, description="about this many rows per source (a random share of larger ones), so one "
                                  "large source does not set the model alone")
    seed: int = 0
    share_method: Literal["acc", "pacc", "emq"] = Field(
        "acc", description="audience fake share: EMQ, adjusted classify-and-count (acc) or its probabilistic "
                           "form (pacc)")
    share_spread: Literal["normal", "t"] = Field(
        "t", description="how the share's interval draws a new population's error rates (logit scale)")
    account: AccountRecipe = AccountRecipe()


class TrainSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: Path = Field(Path("data/demo"), description="directory of contract tables to train on")
    models_dir: Path = Path("models")
    pretrained_dir: Path = Field(Path("models/pretrained"), description="shipped account and comment bundles, "
                                 "used when no labelled source is found (`make pretrained` rebuilds them)")
    results_dir: Path = Path("results")
    features_config: Path | None = Field(Path("configs/features.yaml"), description="feature settings file; "
                                         "null: the built-in feature settings (which configs/features.yaml lists)")
    project_dir: Path = Field(Path("."), description="where the embedded MLflow store lives")
    real_data: RealDataSettings = RealDataSettings()
    comment: CommentSpamSettings = Field(CommentSpamSettings(), description="the comment-spam model")
    modeling: ModelingSettings = ModelingSettings()
    engine: EngineSettings = Field(EngineSettings(), description="where the influencer-level boosters are fitted")

    @model_validator(mode="after")
    def _known_model_names(self) -> TrainSettings:
        modeling = self.modeling
        named = {*modeling.lgbm_overrides, *modeling.promotion, *modeling.calibration.threshold_rules}
        unknown = sorted(named - set(MODEL_NAMES))
        if unknown:
            raise ValueError(f"unknown model name(s) {unknown} in modeling settings; use {list(MODEL_NAMES)}")
        return self


QUICK_FOLDS = 3
QUICK_ROWS_PER_SOURCE = 600


def working_copy(base: TrainSettings, data: Path, workdir: Path, tracking: bool = False,
                 quick: bool = False) -> TrainSettings:
    """`base` training on `data` and writing everything under `workdir`: bundles, results and (with
    `tracking`) the embedded MLflow store. `quick` trains a small set for tests and speed benchmarks:
    3 CV folds and time folds, and at most 600 rows of each real labelled source."""
    tracked = base.modeling.tracking.model_copy(update={"enabled": tracking, "tracking_uri": None} if tracking
                                                else {"enabled": False})
    modeling = base.modeling.model_copy(update={"tracking": tracked})
    real = base.real_data
    if quick:
        modeling = modeling.model_copy(update={"cv": modeling.cv.model_copy(
            update={"folds": QUICK_FOLDS, "time_folds": QUICK_FOLDS})})
        real = real.model_copy(update={"max_rows_per_source": QUICK_ROWS_PER_SOURCE})
    return base.model_copy(update={"data": data, "models_dir": workdir / "models", "results_dir": workdir / "results",
                                   "project_dir": workdir, "real_data": real, "modeling": modeling})
