"""Promotion: a new model version becomes `@champion` only when it clears fixed thresholds and is no
worse than the current champion on the primary metric; otherwise it becomes `@challenger`.

`decide_promotion` is pure; `register_and_promote` does the MLflow registry calls around it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

CHAMPION = "champion"
CHALLENGER = "challenger"
MODEL_PREFIX = "authfit-"
MODEL_SET_TAG = "authfit.model_set"  # the training run's set version, on every registered version
MODEL_SET_MEMBERS_TAG = "authfit.model_set_members"  # the models of that set, comma-separated


class PromotionThresholds(BaseModel):
    """Rules for one model. `minimums`/`maximums` are hard floors/ceilings on metrics; `tolerance` is how
    much worse than the champion the candidate may be on `primary_metric` (absolute)."""

    model_config = ConfigDict(extra="forbid")

    primary_metric: str = "roc_auc"
    higher_is_better: bool = True
    tolerance: float = Field(0.0, ge=0)
    minimums: dict[str, float] = {}
    maximums: dict[str, float] = {}


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str


@dataclass(frozen=True)
class PromotionResult:
    registered_name: str
    version: str
    alias: str
    decision: Decision


def registered_model_name(model: str) -> str:
    """Registry name of one authfit model, e.g. authfit-account-authenticity."""
    return f"{MODEL_PREFIX}{model}"


def _missing(metrics: Mapping[str, float], name: str) -> bool:
    value = metrics.get(name)
    return value is None or not math.isfinite(float(value))


def _threshold_failures(metrics: Mapping[str, float], thresholds: PromotionThresholds) -> list[str]:
    failures = [f"{name} is missing" for name in
                (thresholds.primary_metric, *thresholds.minimums, *thresholds.maximums) if _missing(metrics, name)]
    failures += [f"{name} {metrics[name]:.4g} < minimum {floor:.4g}" for name, floor in thresholds.minimums.items()
                 if not _missing(metrics, name) and metrics[name] < floor]
    failures += [f"{name} {metrics[name]:.4g} > maximum {cap:.4g}" for name, cap in thresholds.maximums.items()
                 if not _missing(metrics, name) and metrics[name] > cap]
    return sorted(set(failures))


def decide_promotion(
    candidate_metrics: Mapping[str, float],
    champion_metrics: Mapping[str, float] | None,
    thresholds: PromotionThresholds,
) -> Decision:
    """Whether the candidate should take the champion alias, and why (or why not)."""
    failures = _threshold_failures(candidate_metrics, thresholds)
    if failures:
        return Decision(False, "fails promotion thresholds: " + "; ".join(failures))
    metric = thresholds.primary_metric
    new = float(candidate_metrics[metric])
    if champion_metrics is None or _missing(champion_metrics, metric):
        return Decision(True, f"no comparable champion; {metric} {new:.4g} clears the thresholds")
    old = float(champion_metrics[metric])
    margin = (new - old) if thresholds.higher_is_better else (old - new)
    if margin < -thresholds.tolerance:
        return Decision(False, f"{metric} {new:.4g} is worse than champion {old:.4g} "
                               f"by more than the tolerance {thresholds.tolerance:g}")
    return Decision(True, f"{metric} {new:.4g} vs champion {old:.4g} (tolerance {thresholds.tolerance:g})")


def champion_metrics(client, name: str) -> dict[str, float] | None:
    """Metrics of the run behind `name@champion`, or None when there is no champion yet."""
    from mlflow.exceptions import MlflowException

    try:
        version = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None
    return dict(client.get_run(version.run_id).data.metrics)


def register_and_promote(
    client,
    model: str,
    model_uri: str,
    run_id: str,
    candidate_metrics: Mapping[str, float],
    thresholds: PromotionThresholds,
    tags: Mapping[str, str] | None = None,
) -> PromotionResult:
    """Register `model_uri` as a new version of authfit-<model> and move `@champion` or `@challenger`
    to it. The decision and its reason are kept as tags on the version, with `tags` (the model set)."""
    from mlflow.exceptions import MlflowException

    name = registered_model_name(model)
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name, description=f"authfit {model} model")
    decision = decide_promotion(candidate_metrics, champion_metrics(client, name), thresholds)
    version = client.create_model_version(name, model_uri, run_id=run_id, tags=dict(tags or {})).version
    alias = CHAMPION if decision.promote else CHALLENGER
    client.set_registered_model_alias(name, alias, version)
    client.set_model_version_tag(name, version, "promotion_decision", alias)
    client.set_model_version_tag(name, version, "promotion_reason", decision.reason[:4000])
    return PromotionResult(name, str(version), alias, decision)
