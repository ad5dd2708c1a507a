"""Promotion: a training run's model set becomes `@champion` as a whole, or not at all.

Each model of the candidate set must clear its fixed thresholds (on its out-of-fold metrics) and be no worse
than the champion set's model of the same name on the primary metric, both measured on the same rows: the
candidate's held-out rows, re-scored with the champion. Metrics each model measured on its own data are
never compared. One member that fails keeps the whole candidate set at `@challenger`.

`decide_promotion` and `decide_set_promotion` are pure; `register_version` and `move_set_alias` do the
MLflow registry calls around them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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
class SameRows:
    """The primary evidence against a champion: candidate and champion metrics on identical rows."""

    candidate: Mapping[str, float]
    champion: Mapping[str, float]
    rows: int
    how: str  # e.g. "champion re-scored on the candidate's 2000 held-out rows"


@dataclass(frozen=True)
class MemberEvidence:
    """What one model of a candidate set brings: its out-of-fold metrics (checked against the thresholds),
    whether the champion set has a model of this name, and the comparison on the same rows, or why there
    is none."""

    metrics: Mapping[str, float]
    has_champion: bool = False
    same_rows: SameRows | None = None
    not_compared: str = ""


@dataclass(frozen=True)
class SetDecision:
    promote: bool
    reason: str
    members: dict[str, Decision]


@dataclass(frozen=True)
class PromotionResult:
    set_version: str
    alias: str
    decision: SetDecision
    versions: dict[str, str]  # model -> registered version


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


def decide_promotion(candidate_metrics: Mapping[str, float], same_rows: SameRows | None,
                     thresholds: PromotionThresholds) -> Decision:
    """Whether one candidate model may replace the champion's model of its name, and why (or why not).
    `candidate_metrics` meet the thresholds; `same_rows` (None: nothing to compare with) decides against the
    champion."""
    failures = _threshold_failures(candidate_metrics, thresholds)
    if failures:
        return Decision(False, "fails promotion thresholds: " + "; ".join(failures))
    metric = thresholds.primary_metric
    if same_rows is None:
        return Decision(True, f"no comparable champion; {metric} {float(candidate_metrics[metric]):.4g} "
                              f"clears the thresholds")
    if _missing(same_rows.candidate, metric) or _missing(same_rows.champion, metric):
        return Decision(False, f"{metric} is missing on the shared rows ({same_rows.how})")
    new, old = float(same_rows.candidate[metric]), float(same_rows.champion[metric])
    margin = (new - old) if thresholds.higher_is_better else (old - new)
    if margin < -thresholds.tolerance:
        return Decision(False, f"{metric} {new:.4g} is worse than champion {old:.4g} by more than the tolerance "
                               f"{thresholds.tolerance:g} ({same_rows.how})")
    return Decision(True, f"{metric} {new:.4g} vs champion {old:.4g} (tolerance {thresholds.tolerance:g}; "
                          f"{same_rows.how})")


def _member_decision(evidence: MemberEvidence, thresholds: PromotionThresholds) -> Decision:
    decision = decide_promotion(evidence.metrics, evidence.same_rows, thresholds)
    if decision.promote and evidence.has_champion and evidence.same_rows is None:
        return Decision(False, f"cannot be compared with the champion on the same rows: {evidence.not_compared}")
    return decision


def decide_set_promotion(members: Mapping[str, MemberEvidence], thresholds: Mapping[str, PromotionThresholds],
                         champion_members: Sequence[str] = ()) -> SetDecision:
    """Whether a candidate set takes `@champion` as a whole: every member must be promoted by
    `decide_promotion`, a member that has a champion must be compared with it on the same rows, and the
    set may not drop a model the champion set serves."""
    decisions = {name: _member_decision(evidence, thresholds.get(name, PromotionThresholds()))
                 for name, evidence in members.items()}
    refused = [f"{name}: {d.reason}" for name, d in decisions.items() if not d.promote]
    dropped = sorted(set(champion_members) - set(members))
    if dropped:
        refused.append(f"the candidate set lacks {', '.join(dropped)}, which the champion set serves")
    if not members:
        refused.append("the candidate set is empty")
    if refused:
        return SetDecision(False, "; ".join(refused), decisions)
    return SetDecision(True, "; ".join(f"{name}: {d.reason}" for name, d in decisions.items()), decisions)


# ---------------------------------------------------------------- registry calls around the rule


def register_version(client, model: str, model_uri: str, run_id: str, tags: Mapping[str, str]) -> str:
    """Register `model_uri` as a new version of authfit-<model>, tagged with its set; no alias yet."""
    from mlflow.exceptions import MlflowException

    name = registered_model_name(model)
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name, description=f"authfit {model} model")
    return str(client.create_model_version(name, model_uri, run_id=run_id, tags=dict(tags)).version)


def move_set_alias(client, versions: Mapping[str, str], decision: SetDecision) -> str:
    """Point `@champion` (promoted) or `@challenger` at every version of the set, with the set's decision
    and each member's reason as tags. Returns the alias."""
    alias = CHAMPION if decision.promote else CHALLENGER
    for model, version in versions.items():
        name = registered_model_name(model)
        client.set_registered_model_alias(name, alias, version)
        client.set_model_version_tag(name, version, "promotion_decision", alias)
        client.set_model_version_tag(name, version, "promotion_reason", decision.reason[:4000])
        member = decision.members.get(model)
        if member is not None:
            client.set_model_version_tag(name, version, "promotion_member_reason", member.reason[:4000])
    return alias
