"""The audit report as one self-contained HTML file: inline CSS, charts as base64 PNG data URIs, no
script and no external URL, so it can be mailed, archived or opened offline."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from authfit.report.audit import AuditData, reasons_list
from authfit.report.plots import (
    comment_mix_chart,
    engagement_chart,
    fake_share_chart,
    figure_png,
    follower_chart,
)

SECTIONS = ("summary", "follower-history", "engagement", "comment-mix", "fake-followers", "reasons", "campaign")
CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:980px;color:#222}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}
h3{font-size:15px;margin:16px 0 6px}table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f4f4f4}td:first-child{text-align:left}
.flag{color:#b00020;font-weight:600}.ok{color:#1b5e20;font-weight:600}.note{color:#666;font-size:12px}
img{max-width:100%}.account{border:1px solid #e4e4e4;border-radius:6px;padding:4px 14px;margin:14px 0}
"""

# Column headers short enough for the summary table to fit the page.
SHORT_NAMES = {
    "account_id": "influencer", "authenticity_score": "authenticity", "fake_engagement_probability": "P(fake eng.)",
    "fake_follower_share": "fake followers", "engagement_rate": "eng. rate",
    "engagement_rate_vs_benchmark": "eng. vs benchmark", "expected_conversions": "expected conversions",
    "expected_cost_per_conversion": "cost per conversion", "fit_score": "fit",
}


def _e(value: object) -> str:
    return html.escape(str(value))


def _fmt(value: object, kind: str = "num") -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _e(value)
    if not np.isfinite(number):
        return "n/a"
    if kind == "pct":
        return f"{number:.1%}"
    if kind == "money":
        return f"{number:,.0f}"
    return f"{number:,.3g}" if abs(number) < 1000 else f"{number:,.0f}"


def _img(png: str, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{png}">'


def _table(frame: pd.DataFrame, kinds: dict[str, str]) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_fmt(v, kinds.get(c, 'num'))}</td>" for c, v in row.items()) + "</tr>"
        for _, row in frame.iterrows())
    return f"<table><tr>{head}</tr>{rows}</table>"


def _summary(data: AuditData) -> str:
    s = data.scores
    columns = [c for c in ("tier", "niche", "authenticity_score", "fake_engagement_probability",
                           "fake_follower_share", "engagement_rate", "engagement_rate_vs_benchmark") if c in s]
    frame = s[columns].reset_index().rename(columns=SHORT_NAMES)
    kinds = {SHORT_NAMES[c]: "pct" for c in ("fake_engagement_probability", "fake_follower_share",
                                             "engagement_rate")}
    scored = len(data.population)
    of = f" of the {scored} in the scores file" if scored > len(data.accounts) else ""
    return (f'<section id="summary"><h2>Summary</h2><p>{len(data.accounts)} influencer(s) audited{of}'
            f'{", campaign " + _e(data.campaign) if data.campaign else ""}.</p>{_table(frame, kinds)}</section>')


def _follower_section(data: AuditData, account: str) -> str:
    series = data.series[account]
    if len(series.followers) < 2:
        return '<section class="follower-history"><h3>Follower history</h3><p>No follower history.</p></section>'
    png = figure_png(follower_chart(series.days, series.followers, series.spikes, series.purges,
                                    f"{account}: followers per day"))
    return (f'<section class="follower-history"><h3>Follower history</h3>{_img(png, "follower history")}'
            f'<p class="note">Spikes and purges are days whose follower change has a robust z-score beyond the '
            f'growth features\' spike threshold.</p></section>')


def _comment_section(data: AuditData, account: str) -> str:
    mix = data.mix.loc[account]
    if mix.isna().all():
        return '<section class="comment-mix"><h3>Comment mix</h3><p>No comments observed.</p></section>'
    typical = data.typical_mix if data.reference_size else None
    label = f"median of {data.reference_size} scored"
    png = figure_png(comment_mix_chart(mix, f"{account}: comment mix", typical, label))
    reference = (f' Black marks: the median over {data.reference_size} of the scored influencers, for '
                 'comparison; authentic accounts show some of every pattern too.' if typical is not None else '')
    return (f'<section class="comment-mix"><h3>Comment mix</h3>{_img(png, "comment mix")}<p class="note">'
            'Share of comments showing each pattern; a comment can show several, so "authentic" is a lower '
            f'bound (comments showing none).{reference}</p></section>')


FAKE_SHARE_MEANING = (
    "The interval allows for the follower sample being small and for the account model erring on this "
    "audience as differently as it did on labelled sources it had never seen; a wide interval means the "
    "data cannot say more, not that the audience is unusual.")


def _fake_share_section(data: AuditData, account: str) -> str:
    row = data.scores.loc[account]
    share, lo, hi = (float(row.get(c, np.nan)) for c in
                     ("fake_follower_share", "fake_follower_share_lo", "fake_follower_share_hi"))
    if not np.isfinite(share):
        return ('<section class="fake-followers"><h3>Estimated fake-follower share</h3>'
                '<p>Not estimated (no audience sample).</p></section>')
    png = figure_png(fake_share_chart(share, lo, hi, f"{account}: fake-follower share"))
    return (f'<section class="fake-followers"><h3>Estimated fake-follower share</h3>{_img(png, "fake share")}'
            f'<p><b>{_fmt(share, "pct")}</b> (95% interval {_fmt(lo, "pct")} to {_fmt(hi, "pct")}). '
            f'{FAKE_SHARE_MEANING}</p></section>')


def _reasons_section(data: AuditData, account: str) -> str:
    row = data.scores.loc[account]
    reasons = reasons_list(row.get("reasons"))
    flagged = bool(row.get("fake_engagement_flag", False))
    verdict = ('<span class="flag">flagged for fake engagement</span>' if flagged
               else '<span class="ok">not flagged</span>')
    items = "".join(f"<li>{_e(r)}</li>" for r in reasons) or "<li>no reasons recorded</li>"
    # reasons explain the verdict (see authfit.scoring.reasons), so say which way they pushed
    direction = "what raised the fake-engagement probability most" if flagged else (
        "what lowered the fake-engagement probability most")
    return (f'<section class="reasons"><h3>Top reasons</h3><p>Authenticity {_fmt(row.get("authenticity_score"))}'
            f'/100, {verdict}. The reasons below are {direction}:</p><ul>{items}</ul></section>')


def _account(data: AuditData, account: str) -> str:
    row = data.scores.loc[account]
    title = f"{account} ({_e(row.get('tier', ''))}, {_e(row.get('niche', ''))})"
    return (f'<div class="account" id="account-{_e(account)}"><h2>{title}</h2>'
            + _follower_section(data, account) + _comment_section(data, account)
            + _fake_share_section(data, account) + _reasons_section(data, account) + "</div>")


def _engagement(data: AuditData) -> str:
    x, rate = data.curve
    chosen = data.population.set_index("account_id").loc[data.accounts].reset_index()
    png = figure_png(engagement_chart(x, rate, data.population, chosen, data.tier_bounds))
    return (f'<section id="engagement"><h2>Engagement rate against the tier benchmark</h2>'
            f'{_img(png, "engagement vs benchmark")}<p class="note">The green curve is the engagement rate '
            'expected at each follower count, fitted on the training data; dotted lines are tier '
            'boundaries.</p></section>')


def _campaign(data: AuditData) -> str:
    if data.campaign is None:
        return ('<section id="campaign"><h2>Campaign</h2><p>These scores are not for a campaign '
                '(run <code>authfit score --campaign ID</code> to add expected conversions).</p></section>')
    s = data.scores
    columns = [c for c in ("expected_conversions", "cost", "expected_cost_per_conversion", "fit_score") if c in s]
    frame = s[columns].reset_index().rename(columns=SHORT_NAMES)
    total_conv = float(s["expected_conversions"].sum()) if "expected_conversions" in s else np.nan
    total_cost = float(s["cost"].sum()) if "cost" in s else np.nan
    per = total_cost / total_conv if total_conv > 0 else np.nan
    kinds = {"cost": "money", SHORT_NAMES["expected_cost_per_conversion"]: "money"}
    return (f'<section id="campaign"><h2>Campaign {_e(data.campaign)}</h2>{_table(frame, kinds)}'
            f'<p>Together: <b>{_fmt(total_conv)}</b> expected conversions for {_fmt(total_cost, "money")}, '
            f'<b>{_fmt(per, "money")}</b> per conversion.</p><p class="note">fit is the cosine between the '
            'topics of the campaign brief and of the influencer\'s captions; features are taken as of the campaign\'s '
            'start date, so fit is n/a for an influencer with no post before it.</p></section>')


def render_html(data: AuditData, title: str = "authfit audit") -> str:
    """The whole report as one HTML string."""
    created = datetime.now(UTC).isoformat(timespec="seconds")
    versions = sorted(set(data.scores["model_version"].astype(str))) if "model_version" in data.scores else []
    body = (_summary(data) + _campaign(data) + _engagement(data)
            + "".join(_account(data, a) for a in data.accounts))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f'<style>{CSS}</style></head><body><h1>{_e(title)}</h1><p class="note">generated {created}; '
            f'model {_e(", ".join(versions) or "unknown")}</p>{body}</body></html>')
