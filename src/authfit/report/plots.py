"""The audit report's charts, drawn with matplotlib's Figure API (no pyplot state, safe in threads and
servers) and returned as base64 PNG so the HTML needs no external file."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

SPIKE_COLOUR, PURGE_COLOUR, HIGHLIGHT = "#d62728", "#1f77b4", "#ff7f0e"


def count_label(value: float) -> str:
    """A follower count as people say it: 950, 12k, 1.5M (log axes otherwise show 10^5)."""
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def percent_label(value: float) -> str:
    """A rate as a percentage with as many decimals as small rates need (0.5%, 2%, 10%)."""
    return f"{value:.1%}" if 0 < abs(value) < 0.01 else f"{value:.0%}"


# Label offsets tried in turn (points from the marker): right-above, right-below, left-above, left-below, ...
LABEL_OFFSETS = ((4, 4), (4, -10), (-4, 4), (-4, -10), (4, 13), (4, -19), (-4, 13), (-4, -19))


def place_labels(ax, xs: np.ndarray, ys: np.ndarray, texts: list[str], fontsize: float = 7) -> None:
    """Annotate each marker with its text at the first offset whose box overlaps no label placed before
    (greedy, in display space; a handful of audited accounts, not a hot path), so names stay readable."""
    fig = ax.get_figure()
    fig.draw_without_rendering()  # settles the log scales and limits that transData depends on
    points = ax.transData.transform(np.column_stack([xs, ys])) * 72.0 / fig.dpi  # in points, like the offsets
    placed: list[tuple[float, float, float, float]] = []
    for x, y, (px, py), text in zip(xs, ys, points, texts, strict=True):
        width, height = 0.6 * fontsize * len(text), fontsize
        for dx, dy in LABEL_OFFSETS:
            left = px + dx - (width if dx < 0 else 0.0)
            box = (left, py + dy, left + width, py + dy + height)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                break
        placed.append(box)
        ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                    ha="right" if dx < 0 else "left", va="bottom")


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
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
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
    for bound in tier_bounds:
        ax.axvline(bound, color="#999999", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: count_label(v)))
    # less than a decade of rates shows only minor ticks; label those, as percentages, at 1-2-5 steps
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: percent_label(v)))
    ax.yaxis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: percent_label(v)))
    ax.tick_params(axis="y", which="minor", labelsize=8)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("followers")
    ax.set_ylabel("engagement rate")
    ax.grid(alpha=0.3, which="major")
    ax.legend(fontsize=8)
    shown = chosen[mine]  # labelled last, once the axes' scales and limits are final
    place_labels(ax, shown["followers"].to_numpy(dtype=float), shown["engagement_rate"].to_numpy(dtype=float),
                 shown["account_id"].astype(str).tolist())
    return fig


def comment_mix_chart(mix: pd.Series, title: str, typical: pd.Series | None = None,
                      typical_label: str = "typical") -> Figure:
    """Horizontal bars: the share of comments showing each pattern, with a black mark at the typical share
    (authentic accounts show some of every pattern too, so the bar alone does not say what is unusual)."""
    fig = Figure(figsize=(5.5, 2.2))
    ax = fig.subplots()
    colours = ["#2ca02c" if name == "authentic" else "#d62728" for name in mix.index]
    values = mix.fillna(0.0).to_numpy(dtype=float)
    ax.barh(mix.index[::-1], values[::-1], color=colours[::-1])
    for y, value in enumerate(mix.to_numpy(dtype=float)[::-1]):
        ax.text(min(np.nan_to_num(value), 0.9) + 0.01, y, "n/a" if np.isnan(value) else f"{value:.0%}",
                va="center", fontsize=8)
    if typical is not None:
        marks = typical.reindex(mix.index).to_numpy(dtype=float)[::-1]
        rows = np.flatnonzero(np.isfinite(marks))
        ax.scatter(marks[rows], rows, marker="|", s=260, linewidths=2.5, color="black", zorder=3,
                   label=typical_label)
        ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(1.01, 0.0))  # outside: bars reach any x
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
                    capsize=6, markersize=8, clip_on=False)  # a 0% share sits on the axis, whole
    ax.set_xlim(0, 1)
    ax.set_yticks([])
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, axis="x")
    return fig
