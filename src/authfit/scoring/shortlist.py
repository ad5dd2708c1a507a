"""Spend a campaign budget across several influencers: an exact 0/1 knapsack with gates.

The choice maximises expected conversions subject to the budget, an authenticity gate and at most K
influencers per niche. Influencers flagged for fake engagement (`fake_engagement_flag`), and those the scorer
gave no verdict (status 'insufficient data'), are excluded unless the caller asks to include them. It is solved as a mixed-integer programme by HiGHS (through scipy), which proves
optimality; the reported `gap` is HiGHS's relative MIP gap (0 when the optimum is proven).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

REQUIRED_COLUMNS = ("account_id", "expected_conversions", "cost")


class ShortlistError(ValueError):
    """The candidate table cannot be shortlisted as given."""


@dataclass(frozen=True)
class Shortlist:
    chosen: pd.DataFrame
    excluded: pd.DataFrame  # candidates ruled out before optimising, with the reason
    total_cost: float
    total_expected_conversions: float
    budget: float
    gap: float

    def totals(self) -> dict[str, float]:
        return {"influencers": float(len(self.chosen)), "total_cost": self.total_cost,
                "total_expected_conversions": self.total_expected_conversions, "budget": self.budget,
                "cost_per_conversion": self.total_cost / self.total_expected_conversions
                if self.total_expected_conversions > 0 else float("nan"), "optimality_gap": self.gap}


FLAG_COLUMN = "fake_engagement_flag"


def flagged(candidates: pd.DataFrame) -> pd.Series:
    """True where the scores flag fake engagement. Read from a CSV the flag may be text ('True'); a missing
    flag (no verdict) is not a flag."""
    flag = candidates.get(FLAG_COLUMN, pd.Series(False, index=candidates.index))
    if pd.api.types.is_bool_dtype(flag):
        return flag.fillna(False).astype(bool)  # nullable: NA when there is no verdict (insufficient data)
    return flag.astype("string").str.strip().str.lower().isin(["true", "1"]).astype(bool)


def unverified(candidates: pd.DataFrame) -> pd.Series:
    """True where the scorer gave no verdict (status 'insufficient data'): nothing vouches for them, so a
    default shortlist leaves them out as it leaves out the flagged."""
    status = candidates.get("status", pd.Series("scored", index=candidates.index))
    return status.astype("string").str.strip().eq("insufficient data").fillna(False).astype(bool)


def _gate(candidates: pd.DataFrame, budget: float, min_authenticity: float | None,
          include_flagged: bool = False) -> pd.Series:
    """The reason each candidate is excluded, or NA when it may be chosen."""
    reasons = pd.Series(pd.NA, index=candidates.index, dtype="object")
    rules = [
        (~np.isfinite(candidates["cost"]) | (candidates["cost"] < 0), "cost unknown or negative"),
        (~np.isfinite(candidates["expected_conversions"]), "no expected conversions"),
        (candidates["cost"] > budget, "costs more than the whole budget"),
    ]
    if not include_flagged:
        rules.append((flagged(candidates), "flagged for fake engagement"))
        rules.append((unverified(candidates), "no authenticity verdict (insufficient data)"))
    if min_authenticity is not None:
        score = candidates.get("authenticity_score", pd.Series(np.nan, index=candidates.index))
        rules.append((~(score >= min_authenticity), f"authenticity below {min_authenticity:g}"))
    for mask, reason in reversed(rules):  # the first rule that applies is the one reported
        reasons = reasons.mask(mask.fillna(True).astype(bool), reason)
    return reasons


def _niche_rows(niches: pd.Series) -> csr_array:
    codes, uniques = pd.factorize(niches.fillna("unknown"))
    return csr_array((np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(len(uniques), len(codes)))


def shortlist(candidates: pd.DataFrame, budget: float, max_per_niche: int | None = None,
              min_authenticity: float | None = None, niche_column: str = "niche",
              include_flagged: bool = False) -> Shortlist:
    """Choose the influencers that maximise expected conversions within the budget; influencers flagged
    for fake engagement only with `include_flagged`."""
    missing = [c for c in REQUIRED_COLUMNS if c not in candidates.columns]
    if missing:
        raise ShortlistError(f"candidate scores lack column(s) {', '.join(missing)}")
    if not np.isfinite(budget) or budget <= 0:
        raise ShortlistError(f"budget must be a positive number, got {budget}")
    frame = candidates.reset_index(drop=True)
    reasons = _gate(frame, budget, min_authenticity, include_flagged)
    eligible = frame[reasons.isna()]
    excluded = frame[reasons.notna()].assign(excluded_because=reasons[reasons.notna()])
    if eligible.empty:
        return Shortlist(eligible, excluded, 0.0, 0.0, budget, 0.0)
    value = eligible["expected_conversions"].to_numpy(float)
    cost = eligible["cost"].to_numpy(float)
    constraints = [LinearConstraint(cost[np.newaxis, :], -np.inf, budget)]
    if max_per_niche is not None and niche_column in eligible.columns:
        constraints.append(LinearConstraint(_niche_rows(eligible[niche_column]), 0, max_per_niche))
    result = milp(-value, constraints=constraints, integrality=np.ones_like(value),
                  bounds=Bounds(0, 1), options={"mip_rel_gap": 0.0, "time_limit": 60})
    if result.x is None:
        raise ShortlistError(f"the optimiser found no feasible shortlist: {result.message}")
    picked = eligible[result.x > 0.5].sort_values("expected_conversions", ascending=False)
    gap = float(getattr(result, "mip_gap", 0.0) or 0.0)
    return Shortlist(picked, excluded, float(picked["cost"].sum()), float(picked["expected_conversions"].sum()),
                     budget, gap)
