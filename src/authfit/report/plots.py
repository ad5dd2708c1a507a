"""The audit report's charts, drawn with matplotlib's Figure API (no pyplot state, safe in threads and
servers) and returned as base64 PNG so the HTML needs no external file."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

SPIKE_COLOUR, PURGE_COLOUR, HIGHLIGHT = "#d62728", "#1f77b4", "#ff7f0e"


def figure_png(fig: Figure, dpi: int = 96) -> str:
    """The figure as a base64 PNG string (for a data: URI)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def follower_chart(days: pd.DatetimeIndex, followers: np.ndarray, spikes: np.ndarray, purges: np.ndarray,
                   title: str) -> Figure:
    """Daily follower count with the days of detected spikes (up) and purges (down) marked."""
    fig = Figure(figsize=(7.5, 2.8))
    ax = fig.subplots()
    ax.plot(days, followers, color="#333333", linewidth=1.2, label="followers")
    for mask, colour, marker, label in ((spikes, SPIKE_COLOUR, "^", "spike"), (purges, PURGE_COLOUR, "v", "purge")):
        if mask.any():
            ax.scatter(days[mask], followers[mask], color=colour, marker=marker, s=36, zorder=3,
                       label=f"{label} ({int(mask.sum())} days)")
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("followers")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.autofmt_xdate()
    return fig


def engagement_chart(curve_followers: np.ndarray, curve_rate: np.ndarray, population: pd.DataFrame,
                     chosen: pd.DataFrame, tier_bounds: tuple[float, ...]) -> Figure:
    """Engagement rate against followers (log-log): the benchmark curve, the scored population in grey
    and the audited influencers highlighted; dotted lines are the tier boundaries."""
    fig = Figure(figsize=(7.5, 3.4))
    ax = fig.subplots()
    ok = (population["followers"] > 0) & (population["engagement_rate"] > 0)
    ax.scatter(population.loc[ok, "followers"], population.loc[ok, "engagement_rate"], s=8, color="#bbbbbb",
               label="scored population")
    ax.plot(curve_followers, curve_rate, color="#2ca02c", linewidth=2, label="tier benchmark")
    mine = (chosen["followers"] > 0) & (chosen["engagement_rate"] > 0)
    ax.scatter(chosen.loc[mine, "followers"], chosen.loc[mine, "engagement_rate"], s=60, color=HIGHLIGHT,
               edgecolor="black", zorder=3, label="audited")
    for _, row in chosen[mine].iterrows():  # a handful of audited accounts, not a hot path
        ax.annotate(str(row["account_id"]), (row["followers"], row["engagement_rate"]), fontsize=7,
                    xytext=(4, 4), textcoords="offset points")
    for bound in tier_bounds:
        ax.axvline(bound, color="#999999", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("followers")
    ax.set_ylabel("engagement rate")
    ax.grid(alpha=0.3, which="major")
    ax.legend(fontsize=8)
    return fig


def comment_mix_chart(mix: pd.Series, title: str) -> Figure:
    """Horizontal bars: the share of comments showing each pattern."""
    fig = Figure(figsize=(5.5, 2.2))
    ax = fig.subplots()
    colours = ["#2ca02c" if name == "authentic" else "#d62728" for name in mix.index]
    values = mix.fillna(0.0).to_numpy(dtype=float)
    ax.barh(mix.index[::-1], values[::-1], color=colours[::-1])
    for y, value in enumerate(mix.to_numpy(dtype=float)[::-1]):
        ax.text(min(np.nan_to_num(value), 0.9) + 0.01, y, "n/a" if np.isnan(value) else f"{value:.0%}",
                va="center", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of comments")
    ax.set_title(title, fontsize=10)
    return fig


def fake_share_chart(share: float, lo: float, hi: float, title: str) -> Figure:
    """The estimated fake-follower share as a point with its confidence interval on a 0-100% axis."""
    fig = Figure(figsize=(5.5, 1.3))
    ax = fig.subplots()
    if np.isfinite(share):
        low = share - lo if np.isfinite(lo) else 0.0
        high = hi - share if np.isfinite(hi) else 0.0
        ax.errorbar([share], [0], xerr=[[max(low, 0.0)], [max(high, 0.0)]], fmt="o", color=SPIKE_COLOUR,
                    capsize=6, markersize=8)
    ax.set_xlim(0, 1)
    ax.set_yticks([])
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, axis="x")
    return fig
