"""Simulated-world benchmark rows: train on one world, score a world with another seed and shifted parameters.

The models are trained by `train_all` (tracking off) on a world drawn from the base `SimulationSettings`.
They are then scored, through `Scorer`, on a second world with a different seed and a shifted generative
mix (`WorldShift`): fewer buyers, weaker cheating mechanisms and a different tier mix. Only the mix of the
population and the strength of the cheating change; the simulator's story (which mechanisms exist and how
conversions arise) is the same in both worlds, so the numbers measure robustness to a population shift,
not to a different kind of fraud. Truth comes from the shifted world's `truth_*` tables, which no model
reads.

The shifted worlds are scored at several seeds (`test_seeds`) and each row gives the mean over worlds and
their standard deviation. Those seeds are for evaluation only: feature and model choices were compared on
separate validation worlds (`VALIDATION_SEEDS`, same shift), never on the evaluation seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, roc_auc_score

from authfit.benchmarks.accounts import row
from authfit.features.build import FeatureSettings
from authfit.scoring.scorer import Scorer
from authfit.simulate import CONTRACT_TABLES, SimulationSettings, generate_world, write_world
from authfit.training.pipeline import train_all
from authfit.training.settings import TrainSettings

DATASET = "simulated world (shifted)"
CONTROL_DATASET = "simulated world (new seed, same parameters)"
FAKE_TASK = "fake engagement (influencer is a buyer)"
CONVERSION_TASK = "campaign conversion (expected conversions)"
# Shifted worlds used while developing the fake-engagement features; kept apart from `test_seeds`.
VALIDATION_SEEDS: tuple[int, ...] = (2001, 2002, 2003)


class WorldShift(BaseModel):
    """How the evaluation world differs from the training world."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    buyer_share: float = Field(0.18, ge=0.0, le=1.0, description="share of influencers who buy engagement")
    mechanism_strength: float = Field(
        0.6, gt=0.0, le=1.0,
        description="each cheating-strength range (lo, hi) becomes (lo, lo + strength * (hi - lo))")
    tier_weights: list[float] = Field([0.3, 0.55, 0.15], description="nano / micro / macro mix")
    country_weights: list[float] | None = Field(
        [0.05, 0.1, 0.1, 0.1, 0.25, 0.3, 0.05, 0.05], description="home-country mix (None keeps the base)")


class SimulatedBenchmark(BaseModel):
    """World sizes and seeds of the simulated benchmark."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    train_influencers: int = Field(1500, ge=50)
    test_influencers: int = Field(1000, ge=50)
    train_seed: int = 7
    test_seeds: list[int] = Field(
        [1007, 1008, 1009], min_length=1,
        description="seeds of the shifted evaluation worlds (mean and spread over them)")
    shift: WorldShift = WorldShift()
    control: bool = Field(True, description="also score an unshifted world with the first test seed")

    @model_validator(mode="after")
    def _evaluation_seeds_are_fresh(self) -> SimulatedBenchmark:
        reused = sorted({self.train_seed, *VALIDATION_SEEDS} & set(self.test_seeds))
        if reused:
            raise ValueError(f"test_seeds {reused} are the training or validation seeds; pick fresh ones")
        return self


@dataclass(frozen=True)
class SimulatedScores:
    """Scores of the shifted world beside its truth: one row per influencer, one per campaign pair."""

    influencers: pd.DataFrame  # account_id, probability, is_buyer
    pairs: pd.DataFrame  # campaign_id, account_id, predicted, expected_conversions


def _weaker(bounds: tuple[float, float], strength: float) -> tuple[float, float]:
    lo, hi = bounds
    return lo, lo + strength * (hi - lo)


def shifted_settings(base: SimulationSettings, shift: WorldShift) -> SimulationSettings:
    """A copy of `base` with the buyer share, cheating strength, tier mix and country mix shifted."""
    m, s = base.mechanisms, shift.mechanism_strength
    mechanisms = m.model_copy(update={
        "buyer_share": shift.buyer_share,
        "high_fake_share_range": _weaker(m.high_fake_share_range, s),
        "step_fraction_range": _weaker(m.step_fraction_range, s),
        "churn_strength_range": _weaker(m.churn_strength_range, s),
        "like_inflation_range": _weaker(m.like_inflation_range, s),
        "bot_share_range": _weaker(m.bot_share_range, s),
        "pod_attend_range": _weaker(m.pod_attend_range, s),
    })
    followers = base.followers.model_copy(update={"tier_weights": list(shift.tier_weights)})
    update: dict[str, object] = {"mechanisms": mechanisms, "followers": followers}
    if shift.country_weights is not None:
        update["country_weights"] = list(shift.country_weights)
    # model_copy skips validation; re-validating catches a tier or country list of the wrong length.
    return SimulationSettings.model_validate(base.model_copy(update=update).model_dump())


def benchmark_train_settings(base: TrainSettings, world: Path, workdir: Path) -> TrainSettings:
    """`base` pointed at `world`, writing bundles under `workdir`, with MLflow tracking off."""
    modeling = base.modeling.model_copy(update={
        "tracking": base.modeling.tracking.model_copy(update={"enabled": False})})
    return base.model_copy(update={"data": world, "models_dir": workdir / "models",
                                   "results_dir": workdir / "results", "project_dir": workdir,
                                   "modeling": modeling})


def restrict_to_accounts(tables: dict[str, pd.DataFrame], ids: pd.Index) -> dict[str, pd.DataFrame]:
    """The contract tables cut down to the influencers `ids` (their posts, comments, audience, outcomes)."""
    out = dict(tables)
    keys = (("accounts", "account_id"), ("follower_history", "account_id"), ("posts", "account_id"),
            ("audience", "influencer_id"), ("outcomes", "account_id"), ("labels", "account_id"))
    for name, column in keys:
        if name in tables:
            out[name] = tables[name][tables[name][column].isin(ids)]
    if "comments" in tables and "posts" in out:
        out["comments"] = tables["comments"][tables["comments"]["post_id"].isin(out["posts"]["post_id"])]
    return out


def score_world(scorer: Scorer, world: dict[str, pd.DataFrame]) -> SimulatedScores:
    """Fake-engagement probabilities of every influencer, and expected conversions of every outcome pair.

    Each campaign is scored with `Scorer.score_campaign` on the tables cut down to that campaign's
    influencers: features are built as of the campaign's start, so scoring all influencers per campaign
    would cost a full feature build per campaign for pairs that have no truth to compare with."""
    tables = {name: world[name] for name in CONTRACT_TABLES if name in world}
    influencers = scorer.score_influencers(tables)
    buyer = world["truth_influencers"].set_index("account_id")["is_buyer"]
    fake = pd.DataFrame({"account_id": influencers["account_id"],
                         "probability": influencers["fake_engagement_probability"].to_numpy(dtype=float),
                         "is_buyer": buyer.reindex(influencers["account_id"]).to_numpy(dtype=bool)})
    truth = world["truth_outcomes"]
    parts = []
    for campaign, members in truth.groupby("campaign_id", sort=True):
        members_tables = restrict_to_accounts(tables, pd.Index(members["account_id"]))
        scored = scorer.score_campaign(members_tables, campaign)
        parts.append(scored[["campaign_id", "account_id", "expected_conversions"]])
    predicted = pd.concat(parts, ignore_index=True).rename(columns={"expected_conversions": "predicted"})
    pairs = truth[["campaign_id", "account_id", "expected_conversions"]].merge(
        predicted, on=["campaign_id", "account_id"], how="inner", validate="one_to_one")
    return SimulatedScores(fake, pairs)


def within_campaign_spearman(pairs: pd.DataFrame, min_pairs: int = 5) -> pd.Series:
    """Spearman correlation of predicted and true expected conversions inside each campaign."""
    sizes = pairs.groupby("campaign_id")["campaign_id"].transform("size")
    ranked = pairs[sizes >= min_pairs].assign(
        p=lambda f: f.groupby("campaign_id")["predicted"].rank(),
        t=lambda f: f.groupby("campaign_id")["expected_conversions"].rank())
    # Spearman is the Pearson correlation of the ranks, one campaign at a time.
    return ranked.groupby("campaign_id")[["p", "t"]].corr().xs("p", level=1)["t"]


def simulated_rows(scores: SimulatedScores | Sequence[SimulatedScores], protocol: str, dataset: str = DATASET
                   ) -> list[dict[str, object]]:
    """Fake-engagement AUC / PR-AUC against `is_buyer`; conversion Spearman against the true expected
    conversions. With several worlds each metric is computed per world: value = mean, spread = sd."""
    worlds = [scores] if isinstance(scores, SimulatedScores) else list(scores)
    auc, ap, pooled, within = [], [], [], []
    for world in worlds:
        y, p = world.influencers["is_buyer"].to_numpy(), world.influencers["probability"].to_numpy()
        auc.append(float(roc_auc_score(y, p)))
        ap.append(float(average_precision_score(y, p)))
        pairs = world.pairs
        pooled.append(float(spearmanr(pairs["predicted"], pairs["expected_conversions"]).statistic))
        within.append(within_campaign_spearman(pairs))
    per_campaign = pd.concat(within, ignore_index=True)
    n_inf = sum(len(w.influencers) for w in worlds)
    n_buyers = sum(int(w.influencers["is_buyer"].sum()) for w in worlds)
    n_pairs = sum(len(w.pairs) for w in worlds)
    spread = (f"over {len(worlds)} worlds (spread: sd between worlds)" if len(worlds) > 1
              else "one world, no spread")
    return [
        row(dataset, FAKE_TASK, "roc_auc", pd.Series(auc),
            f"{protocol}; {spread}; per world {', '.join(f'{a:.3f}' for a in auc)}; "
            f"{n_inf} influencers, {n_buyers} buyers in all; truth is_buyer"),
        row(dataset, FAKE_TASK, "pr_auc", pd.Series(ap),
            f"{protocol}; {spread}; base rate {n_buyers / max(n_inf, 1):.3f}"),
        row(dataset, CONVERSION_TASK, "spearman", pd.Series(pooled),
            f"{protocol}; {spread}; each world's {n_pairs // len(worlds)} outcome pairs (about) pooled; "
            "truth expected_conversions"),
        row(dataset, CONVERSION_TASK, "spearman_within_campaign", per_campaign,
            f"{protocol}; mean (spread: sd) over {len(per_campaign)} campaigns of the within-campaign "
            "correlation"),
    ]


def describe(plan: SimulatedBenchmark, base: SimulationSettings) -> str:
    """The protocol: both worlds' parameters, so the size of the shift is stated, not implied."""
    s, m, f = plan.shift, base.mechanisms, base.followers
    return (f"train on one {plan.train_influencers}-influencer world (seed {plan.train_seed}, "
            "base parameters: "
            f"buyer share {m.buyer_share}, full cheating-strength ranges, tier mix {f.tier_weights}); "
            f"score {len(plan.test_seeds)} {plan.test_influencers}-influencer worlds (seeds "
            f"{', '.join(map(str, plan.test_seeds))}) with buyer share {s.buyer_share}, "
            "each cheating-strength "
            f"range cut to its lower {s.mechanism_strength:.0%} (weaker bought likes, bot shares, pods, "
            f"fake-follower shares, steps, churn), tier mix {s.tier_weights}"
            f"{', country mix ' + str(s.country_weights) if s.country_weights else ''}; same mechanisms and "
            "look-alikes; one training run; model choices made on validation seeds "
            f"{', '.join(map(str, VALIDATION_SEEDS))}, not on these")


def run_simulated_benchmark(plan: SimulatedBenchmark, base_world: SimulationSettings, train: TrainSettings,
                            features: FeatureSettings, workdir: Path) -> list[dict[str, object]]:
    """Simulate the training world to `workdir`, train every model on it, score the shifted world."""
    world_dir = workdir / "train-world"
    write_world(base_world, plan.train_influencers, plan.train_seed, world_dir)
    summary = train_all(benchmark_train_settings(train, world_dir, workdir), features)
    scorer = Scorer.load(workdir / "models" / "latest")
    shifted = shifted_settings(base_world, plan.shift)
    # One world at a time: each is freed before the next is generated.
    scores = [score_world(scorer, generate_world(shifted, plan.test_influencers, seed))
              for seed in plan.test_seeds]
    notes = "; training notes: " + " | ".join(summary.notes) if summary.notes else ""
    rows = simulated_rows(scores, describe(plan, base_world) + notes)
    if plan.control:
        # The same seed without the shift separates what the new seed costs from what the shift costs.
        seed = plan.test_seeds[0]
        control = generate_world(base_world, plan.test_influencers, seed)
        protocol = (f"train as above; score a {plan.test_influencers}-influencer world "
                    f"(seed {seed}) with the training parameters{notes}")
        rows += simulated_rows(score_world(scorer, control), protocol, CONTROL_DATASET)
    return rows
