"""The fake share of a follower sample from an account classifier: quantification under prior shift.

A classifier's share of flagged followers is biased wherever the true share differs from what it was
trained on, and its error rates differ from one population to the next. `ErrorRates` holds the classifier's
out-of-source rates, one pair per labelled source, measured on predictions of models that never saw that
source (leave-one-source-out), at the same threshold the followers are flagged at. The estimate adjusts the
apparent share with the typical rates (adjusted classify-and-count, ACC; or its probabilistic form, PACC,
with mean probabilities instead of flags); the interval draws both the sample (a Beta posterior of the
apparent share) and the rates of a new source (a normal or Student t on the logit scale with the sources'
mean and spread, widened for the few sources it is estimated from), so a population unlike every training
source widens the interval instead of silently biasing it. EMQ (Saerens-Latinne-Decaestecker) re-weights the
probabilities to the sample's own prior; its bias and interval come from its residuals on samples drawn
from each training source's out-of-source probabilities, kept by the samples' true share. The estimate and
its interval invert those residuals (a Neyman belt): a share is in the interval if some training source,
or a population that only shifts the prior as EMQ assumes (`spread` normal), or a random-effects prediction
of one more source (`spread` t), puts the raw EMQ estimate within its residual range at that share. Kept
by true share, the residuals do not depend on how shares were spread in the samples they were measured on,
so a population of mostly small shares is not pulled towards the middle of that spread (bundles before
kept them by estimate; `residuals_by` says which).
The point is the raw EMQ estimate: the sources' median residuals differ in sign from one source to the
next, and subtracting their mean (or median) moved every estimate by what the most unlike source did
(+0.07 to +0.10 on the simulated world and on instafake and kaggle held out, from cresci2015's -0.39).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.special import expit, logit
from scipy.stats import beta, norm
from scipy.stats import t as student_t

Method = Literal["acc", "pacc", "emq"]
Spread = Literal["normal", "t"]
# Below this gap between the rates a draw carries next to no information; it is floored, not divided by.
MIN_GAP = 0.05
_EDGE = 1e-3
RESIDUAL_EDGES = (0.0, 0.1, 0.2, 0.35, 0.5, 1.0)
RESIDUAL_LEVELS = (0.025, 0.05, 0.1, 0.5, 0.9, 0.95, 0.975)
# The shares the belt is evaluated at: an estimate's interval ends on this grid.
BELT_GRID = np.linspace(0.0, 1.0, 201)


class ErrorRates(BaseModel):
    """The account scorer's out-of-source rates per labelled source, at `threshold`: `tpr` is the mean of
    the method's statistic (flag for acc, probability for pacc) over the source's fakes, `fpr` over its
    real accounts. `spread`: how a new source's rates are drawn (normal or Student t on the logit scale)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Method = "acc"
    threshold: float = Field(0.5, ge=0, le=1, description="fake probability at or above which one is flagged")
    sources: tuple[str, ...] = ("perfect",)
    tpr: tuple[float, ...] = (1.0,)
    fpr: tuple[float, ...] = (0.0,)
    spread: Spread = "normal"
    draws: int = Field(400, ge=50, description="bootstrap draws of the interval")
    train_prior: float = Field(
        0.5, gt=0, lt=1, description="fake share the probabilities are calibrated at (emq)")
    residual_edges: tuple[float, ...] = Field(
        RESIDUAL_EDGES, description="emq: bins (of the true share, or the estimate) the residuals are kept by")
    residual_levels: tuple[float, ...] = RESIDUAL_LEVELS
    residuals: tuple[tuple[tuple[float, ...], ...], ...] = Field(
        (), description="emq: per source, per bin, the residual (estimate - truth) quantiles at the levels")
    residuals_by: Literal["truth", "estimate"] = Field(
        "estimate", description="emq: what the residuals are binned by; bundles before the belt: estimate")

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        """Bundles before per-source rates stored one in-source pair, flagged at 0.5."""
        if isinstance(data, dict) and set(data) == {"sensitivity", "specificity"}:
            return {"sources": ("in-source",), "tpr": (data["sensitivity"],),
                    "fpr": (1.0 - data["specificity"],), "threshold": 0.5}
        return data

    @model_validator(mode="after")
    def _check(self) -> ErrorRates:
        if not (len(self.sources) == len(self.tpr) == len(self.fpr) >= 1):
            raise ValueError("sources, tpr and fpr need one value each per source")
        rates = np.r_[self.tpr, self.fpr]
        if not (np.isfinite(rates).all() and ((rates >= 0) & (rates <= 1)).all()):
            raise ValueError("tpr and fpr must lie in [0, 1]")
        if self.method == "emq" and len(self.residuals) != len(self.sources):
            raise ValueError("emq needs one residual table per source")
        if np.mean(self.tpr) - np.mean(self.fpr) <= 0:
            raise ValueError("mean tpr must exceed mean fpr, else the scorer carries no information")
        return self

    def only(self, keep: list[str]) -> ErrorRates:
        """The same rates restricted to the sources in `keep` (in their stored order)."""
        at = [i for i, s in enumerate(self.sources) if s in keep]
        if not at:
            raise ValueError(f"none of {keep} is among the sources {list(self.sources)}")
        pick = lambda values: tuple(values[i] for i in at) if values else values  # noqa: E731
        return self.model_copy(update={"sources": pick(self.sources), "tpr": pick(self.tpr),
                                       "fpr": pick(self.fpr), "residuals": pick(self.residuals)})

    def statistic(self, p: np.ndarray) -> np.ndarray:
        """Per account: 1.0 if flagged (acc) or the probability itself (pacc); NaN stays NaN."""
        p = np.asarray(p, dtype=np.float64)
        if self.method == "pacc":
            return p
        return np.where(np.isnan(p), np.nan, (p >= self.threshold).astype(np.float64))

    def estimate(self, codes: np.ndarray, p: np.ndarray, confidence: float = 0.95
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Point estimate and `confidence` interval of the fake share of each group of accounts (`codes`
        0..g-1, every code present) from their fake probabilities `p` (no NaN)."""
        n = np.bincount(codes).astype(np.float64)
        if self.method != "emq":
            return estimate_shares(np.bincount(codes, weights=self.statistic(p), minlength=len(n)), n, self,
                                   confidence)
        raw = emq_shares(p, codes, self.train_prior)
        if self.residuals_by == "truth":
            return self.invert_belt(raw, confidence)
        lo_q, hi_q = self.residual_bounds(raw, confidence)
        median = self.residual_bounds(raw, 0.0)[0]
        return (np.clip(raw - median, 0.0, 1.0), np.clip(raw - hi_q, 0.0, 1.0),
                np.clip(raw - lo_q, 0.0, 1.0))

    def _residuals_at(self, shares: np.ndarray, level: float) -> np.ndarray:
        """Per source, the residual quantile at `level` at each true share (source x share): linear between
        the bins' middles, and beyond them along the nearest two (EMQ's errors grow with the share; a flat
        extension would let a source that sees few fakes accept every share above the sampled ones)."""
        table = np.asarray(self.residuals, dtype=np.float64)  # source x bin x level
        by_bin = np.apply_along_axis(lambda q: np.interp(level, self.residual_levels, q), 2, table)
        edges = np.asarray(self.residual_edges)
        middles = (edges[:-1] + edges[1:]) / 2
        return np.stack([_linear(shares, middles, row) for row in by_bin])

    def belt(self, confidence: float) -> tuple[np.ndarray, np.ndarray]:
        """On BELT_GRID, the raw estimate's `confidence` range at each true share: per source and for a
        population where EMQ errs only by sampling (`spread` normal), or for one more source (`spread` t,
        one row)."""
        k = len(self.residuals)
        low, high = self._residuals_at(BELT_GRID, (1 - confidence) / 2), \
            self._residuals_at(BELT_GRID, (1 + confidence) / 2)
        if self.spread == "t" and k > 1:
            median = self._residuals_at(BELT_GRID, 0.5)
            within = ((self._residuals_at(BELT_GRID, 0.975) - self._residuals_at(BELT_GRID, 0.025))
                      / (2 * norm.ppf(0.975))) ** 2
            half = student_t.ppf((1 + confidence) / 2, k - 1) * np.sqrt(
                median.var(axis=0, ddof=1) * (1 + 1 / k) + within.mean(axis=0))
            low, high = (median.mean(axis=0) - half)[None], (median.mean(axis=0) + half)[None]
        else:  # and one more row: no bias beyond the sample's (EMQ's own assumption), the sources' mean spread
            median = self._residuals_at(BELT_GRID, 0.5)
            low = np.vstack([low, (low - median).mean(axis=0)[None]])
            high = np.vstack([high, (high - median).mean(axis=0)[None]])
        return BELT_GRID + low, BELT_GRID + high

    def invert_belt(self, raw: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Point and interval of the true share from raw EMQ estimates (module doc). The interval holds
        every share some belt row accepts; an estimate no row accepts takes the shares nearest to one. The
        point is the raw estimate, moved into the interval if it lies outside."""
        raw = np.asarray(raw, dtype=np.float64)[:, None]
        gap = np.full((len(raw), len(BELT_GRID)), np.inf)  # group x share: distance to the nearest belt row
        for low, high in zip(*self.belt(confidence)):
            gap = np.minimum(gap, np.maximum(np.maximum(low[None] - raw, raw - high[None]), 0.0))
        accepted = gap <= gap.min(axis=1, keepdims=True) + 1e-12
        lo = BELT_GRID[accepted.argmax(axis=1)]
        hi = BELT_GRID[len(BELT_GRID) - 1 - accepted[:, ::-1].argmax(axis=1)]
        return np.clip(raw[:, 0], lo, hi), lo, hi

    def residual_bounds(self, estimate: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
        """Bundles whose residuals are kept by estimate: the lowest lower and the highest upper residual
        quantile over the sources, in each estimate's bin: a new population is assumed to err like the
        worst training source, not like their mean (confidence 0: the sources' mean median residual,
        subtracted from the estimate as its bias)."""
        table = np.asarray(self.residuals, dtype=np.float64)  # source x bin x level
        levels = np.asarray(self.residual_levels)
        at = [np.apply_along_axis(lambda q: np.interp(level, levels, q), 2, table)
              for level in ((1 - confidence) / 2, (1 + confidence) / 2)]
        k = table.shape[0]
        if confidence == 0.0:  # the sources' mean median residual: the estimate's bias correction
            low = high = at[0].mean(axis=0)
        elif self.spread == "t" and k > 1:
            low, high = self._predictive_bounds(table, levels, confidence)
        else:
            low, high = at[0].min(axis=0), at[1].max(axis=0)
        bins = np.searchsorted(self.residual_edges, estimate, side="right") - 1
        bins = np.clip(bins, 0, table.shape[1] - 1)
        return low[bins], high[bins]

    @staticmethod
    def _predictive_bounds(table: np.ndarray, levels: np.ndarray, confidence: float
                           ) -> tuple[np.ndarray, np.ndarray]:
        """Random-effects bounds per bin: the sources' median residuals as draws of a new source's bias
        (mean, spread tau), the within-source spread from each source's 2.5-97.5% range, and a Student t
        with k - 1 degrees of freedom: mean +- t * sqrt(tau^2 (1 + 1/k) + within^2)."""
        k = table.shape[0]
        at = lambda level: np.apply_along_axis(lambda q: np.interp(level, levels, q), 2, table)  # noqa: E731
        medians = at(0.5)
        within = ((at(0.975) - at(0.025)) / (2 * norm.ppf(0.975))) ** 2
        half = student_t.ppf((1 + confidence) / 2, k - 1) * np.sqrt(
            medians.var(axis=0, ddof=1) * (1 + 1 / k) + within.mean(axis=0))
        return medians.mean(axis=0) - half, medians.mean(axis=0) + half

    def centre(self) -> tuple[float, float]:
        """The typical source's (tpr, fpr): the mean of the sources' logits."""
        return float(expit(_logit(self.tpr).mean())), float(expit(_logit(self.fpr).mean()))

    def rate_draws(self) -> tuple[np.ndarray, np.ndarray]:
        """`draws` (tpr, fpr) pairs of a new source: its logits drawn around the sources' mean with their
        spread times sqrt(1 + 1/k) (the predictive spread of one more source among k)."""
        rng = np.random.default_rng(0)
        k = len(self.sources)
        if self.spread == "t" and k > 1:
            z = rng.standard_t(k - 1, size=(self.draws, 2))
        else:
            z = rng.standard_normal((self.draws, 2))
        out = []
        for values, column in ((self.tpr, 0), (self.fpr, 1)):
            logits = _logit(values)
            sd = logits.std(ddof=1) if k > 1 else 0.0
            out.append(expit(logits.mean() + sd * np.sqrt(1 + 1 / k) * z[:, column]))
        return out[0], out[1]


def _linear(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """np.interp inside xp, extended linearly by its first and last segments outside."""
    if len(xp) < 2:
        return np.full(np.shape(x), fp[0])
    inside = np.interp(x, xp, fp)
    left = fp[0] + (x - xp[0]) * (fp[1] - fp[0]) / (xp[1] - xp[0])
    right = fp[-1] + (x - xp[-1]) * (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
    return np.where(x < xp[0], left, np.where(x > xp[-1], right, inside))


def truth_edges(max_share: float) -> tuple[float, ...]:
    """RESIDUAL_EDGES below `max_share`, closed by it: bins of the true share that all hold samples."""
    return (*(e for e in RESIDUAL_EDGES if e < max_share), max_share)


def _logit(values: Any) -> np.ndarray:
    return logit(np.clip(np.asarray(values, dtype=np.float64), _EDGE, 1 - _EDGE))


def adjust(apparent: np.ndarray, tpr: np.ndarray | float, fpr: np.ndarray | float) -> np.ndarray:
    """The true share implied by an apparent one: (apparent - fpr) / (tpr - fpr), clipped to [0, 1]."""
    gap = np.maximum(np.asarray(tpr) - np.asarray(fpr), MIN_GAP)
    return np.clip((np.asarray(apparent) - fpr) / gap, 0.0, 1.0)


def estimate_shares(total: np.ndarray, n: np.ndarray, rates: ErrorRates, confidence: float = 0.95
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point estimate and `confidence` interval of the fake share per sample, from the statistic's sum
    `total` over `n` accounts. NaN where n is 0. The draws use fixed random numbers, so a sample gets the
    same interval whatever else is scored with it."""
    total, n = np.asarray(total, dtype=np.float64), np.asarray(n, dtype=np.float64)
    valid = n > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        apparent = total / n
    tpr0, fpr0 = rates.centre()
    point = adjust(apparent, tpr0, fpr0)
    tpr, fpr = rates.rate_draws()
    u = np.random.default_rng(1).uniform(size=rates.draws)
    a = np.where(valid, total, 0.0)[:, None] + 0.5
    b = np.where(valid, n - total, 0.0)[:, None] + 0.5
    draws = adjust(beta.ppf(u[None, :], a, b), tpr[None, :], fpr[None, :])
    lo, hi = np.quantile(draws, [(1 - confidence) / 2, (1 + confidence) / 2], axis=1)
    nan = np.full(len(n), np.nan)
    return np.where(valid, point, nan), np.where(valid, lo, nan), np.where(valid, hi, nan)


def measure_rates(y: np.ndarray, p: np.ndarray, sources: np.ndarray, threshold: float, method: Method,
                  spread: Spread = "normal", samples: SampleShape | None = None) -> ErrorRates:
    """Per-source rates of out-of-source probabilities `p` (each row predicted by a model that did not
    see its source) at `threshold`; for emq also each source's residuals on samples drawn from it."""
    frame = ErrorRates(threshold=threshold, method="pacc" if method == "pacc" else "acc")
    stat = frame.statistic(p)
    names = [str(s) for s in dict.fromkeys(sources)]
    tpr = tuple(float(np.nanmean(stat[(sources == s) & (y == 1)])) for s in names)
    fpr = tuple(float(np.nanmean(stat[(sources == s) & (y == 0)])) for s in names)
    prior = float(np.clip(np.mean(y), _EDGE, 1 - _EDGE))
    shape = samples or SampleShape()
    residuals = tuple(emq_residuals(y[sources == s], p[sources == s], prior, shape)
                      for s in names) if method == "emq" else ()
    return ErrorRates(method=method, threshold=threshold, sources=tuple(names), tpr=tpr, fpr=fpr,
                      spread=spread, train_prior=prior, residuals=residuals, residuals_by="truth",
                      residual_edges=truth_edges(shape.max_share))


@dataclass(frozen=True)
class SampleShape:
    """Follower samples drawn from labelled accounts: how many, their sizes and fake shares."""

    count: int = 300
    min_size: int = 50
    max_size: int = 200
    max_share: float = 0.7
    seed: int = 0


def draw_samples(y: np.ndarray, shape: SampleShape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row positions of `shape.count` samples of the labelled rows `y`, the sample code of each drawn row
    and each sample's true fake share (share uniform on 0..max_share, size uniform on min..max_size;
    drawn with replacement only where a class has fewer rows than the draw)."""
    rng = np.random.default_rng(shape.seed)
    fakes, reals = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    sizes = rng.integers(shape.min_size, shape.max_size + 1, shape.count)
    n_fake = np.rint(rng.uniform(0, shape.max_share, shape.count) * sizes).astype(int)
    picks = [part for size, k in zip(sizes, n_fake)
             for part in (rng.choice(fakes, k, replace=k > len(fakes)),
                          rng.choice(reals, size - k, replace=size - k > len(reals)))]
    return np.concatenate(picks), np.repeat(np.arange(shape.count), sizes), n_fake / sizes


def emq_residuals(y: np.ndarray, p: np.ndarray, train_prior: float, shape: SampleShape
                  ) -> tuple[tuple[float, ...], ...]:
    """EMQ's residual quantiles (at RESIDUAL_LEVELS) per bin of the true share (`truth_edges`) on samples
    drawn from one source's out-of-source probabilities; a bin with under 10 samples takes the source's
    overall ones."""
    rows, codes, truth = draw_samples(y, shape)
    estimate = emq_shares(p[rows], codes, train_prior)
    residual = estimate - truth
    edges = truth_edges(shape.max_share)
    bins = np.clip(np.searchsorted(edges, truth, side="right") - 1, 0, len(edges) - 2)
    overall = np.quantile(residual, RESIDUAL_LEVELS)
    return tuple(tuple(float(v) for v in (np.quantile(residual[bins == b], RESIDUAL_LEVELS)
                                          if (bins == b).sum() >= 10 else overall))
                 for b in range(len(edges) - 1))


def balanced_accuracy_by_source(y: np.ndarray, p: np.ndarray, sources: np.ndarray, cuts: np.ndarray
                                ) -> dict[str, np.ndarray]:
    """Per source, the balanced accuracy of flagging p >= cut, for every cut at once."""
    out = {}
    for source in dict.fromkeys(sources):
        fakes, reals = np.sort(p[(sources == source) & (y == 1)]), np.sort(p[(sources == source) & (y == 0)])
        sensitivity = 1 - np.searchsorted(fakes, cuts, side="left") / max(len(fakes), 1)
        specificity = np.searchsorted(reals, cuts, side="left") / max(len(reals), 1)
        out[str(source)] = (sensitivity + specificity) / 2
    return out


def worst_source_threshold(y: np.ndarray, p: np.ndarray, sources: np.ndarray) -> float:
    """The cut (on a 0.01 grid) that maximises the lowest per-source balanced accuracy of out-of-source
    probabilities; among equal ones, the middle."""
    cuts = np.round(np.arange(0.02, 0.99, 0.01), 2)
    worst = np.min(list(balanced_accuracy_by_source(y, p, sources, cuts).values()), axis=0)
    best = np.flatnonzero(worst >= worst.max() - 1e-12)
    return float(cuts[best[len(best) // 2]])


def emq_shares(p: np.ndarray, groups: np.ndarray, train_prior: float, iterations: int = 200
               ) -> np.ndarray:
    """EMQ (Saerens et al. 2002) per group: re-weights the posteriors `p` (calibrated at `train_prior`)
    to the group's prior until it is a fixed point. `groups` are codes 0..g-1."""
    n = np.bincount(groups).astype(np.float64)
    p = np.clip(np.asarray(p, dtype=np.float64), _EDGE, 1 - _EDGE)
    prior = np.bincount(groups, weights=p) / n
    for _ in range(iterations):
        w1, w0 = (prior / train_prior)[groups] * p, ((1 - prior) / (1 - train_prior))[groups] * (1 - p)
        prior = np.bincount(groups, weights=w1 / (w1 + w0)) / n
    return prior
