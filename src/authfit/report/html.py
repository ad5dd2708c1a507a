"""The audit report as one self-contained HTML file: inline CSS, charts as base64 PNG data URIs, no
script and no external URL, so it can be mailed, archived or opened offline."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from authfit.features.audience import share_sentences
from authfit.report.audit import AuditData, reasons_list
from authfit.report.phrases import plain_reason
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
td.bad{background:#fdecea;color:#b00020;font-weight:600}td.warn{background:#fff4e5;color:#8a4b00;font-weight:600}
td.good{color:#1b5e20}.bar{display:flex;height:14px;border-radius:3px;overflow:hidden;max-width:420px}
.bar span{display:block;height:100%}
"""

# Colour bands of the summary (red, amber; anything else is green). A fake-follower share of a quarter or
# more is what audit services call a suspicious audience; authenticity is the 0-100 score.
AUTHENTICITY_BANDS = (50.0, 70.0)  # below the first: red; below the second: amber
FAKE_SHARE_BANDS = (0.25, 0.15)  # at or above the first: red; at or above the second: amber
SPLIT_COLOURS = {"real": "#2e7d32", "mass_follower": "#f9a825", "suspicious": "#c62828"}
SPLIT_NAMES = {"real": "real", "mass_follower": "mass followers", "suspicious": "suspicious"}

# Column headers short enough for the summary table to fit the page.
SHORT_NAMES = {
    "account_id": "influencer", "authenticity_score": "authenticity", "fake_engagement_probability": "P(fake eng.)",
    "fake_follower_share": "fake followers", "engagement_rate": "eng. rate",
    "engagement_rate_vs_benchmark": "eng. vs benchmark", "expected_conversions": "expected conversions",
    "expected_cost_per_conversion": "cost per conversion", "fit_score": "fit", "reachability": "reachability",
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


def _table(frame: pd.DataFrame, kinds: dict[str, str], classes: pd.DataFrame | None = None) -> str:
    """An HTML table; `classes` (same shape and labels as `frame`) gives a CSS class per cell, or ''."""
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    rows = []
    for label, row in frame.iterrows():
        cells = []
        for c, v in row.items():
            css = classes.at[label, c] if classes is not None and c in classes else ""
            cells.append(f'<td class="{css}">' if css else "<td>")
            cells[-1] += f"{_fmt(v, kinds.get(c, 'num'))}</td>"
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _band(values: pd.Series, red: float, amber: float, higher_is_worse: bool) -> pd.Series:
    """'bad', 'warn' or 'good' per value ('' when unknown)."""
    x = pd.to_numeric(values, errors="coerce")
    worse = (lambda limit: x >= limit) if higher_is_worse else (lambda limit: x < limit)
    return pd.Series(np.select([x.isna(), worse(red), worse(amber)], ["", "bad", "warn"], "good"), index=x.index)


def _flags(scores: pd.DataFrame) -> pd.Series:
    flag = scores.get("fake_engagement_flag", pd.Series(False, index=scores.index))
    if not pd.api.types.is_bool_dtype(flag):
        flag = flag.astype("string").str.strip().str.lower().isin(["true", "1"])
    return flag.astype(bool)


def verdicts(scores: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """A one-phrase verdict per influencer and its colour: flagged for fake engagement (red), a suspicious
    audience (red) or low authenticity (amber), else ok (green)."""
    share = pd.to_numeric(scores.get("fake_follower_share", pd.Series(np.nan, index=scores.index)), errors="coerce")
    score = pd.to_numeric(scores.get("authenticity_score", pd.Series(np.nan, index=scores.index)), errors="coerce")
    flagged = _flags(scores)
    conditions = [flagged.to_numpy(), (share >= FAKE_SHARE_BANDS[0]).to_numpy(),
                  (score < AUTHENTICITY_BANDS[0]).to_numpy(), (share >= FAKE_SHARE_BANDS[1]).to_numpy(),
                  (score < AUTHENTICITY_BANDS[1]).to_numpy()]
    text = np.select(conditions, ["fake engagement", "suspicious audience", "low authenticity",
                                  "some fake followers", "check"], "ok")
    colour = np.select(conditions, ["bad", "bad", "bad", "warn", "warn"], "good")
    return pd.Series(text, index=scores.index), pd.Series(colour, index=scores.index)


def _summary(data: AuditData) -> str:
    s = data.scores
    columns = [c for c in ("tier", "niche", "authenticity_score", "fake_engagement_probability",
                           "fake_follower_share", "reachability", "engagement_rate",
                           "engagement_rate_vs_benchmark") if c in s]
    text, colour = verdicts(s)
    frame = s[columns].assign(verdict=text).reset_index().rename(columns=SHORT_NAMES)
    classes = pd.DataFrame("", index=frame.index, columns=frame.columns)
    classes["verdict"] = colour.to_numpy()
    if "authenticity_score" in s:
        classes[SHORT_NAMES["authenticity_score"]] = _band(s["authenticity_score"], *AUTHENTICITY_BANDS,
                                                           higher_is_worse=False).to_numpy()
    if "fake_follower_share" in s:
        classes[SHORT_NAMES["fake_follower_share"]] = _band(s["fake_follower_share"], *FAKE_SHARE_BANDS,
                                                            higher_is_worse=True).to_numpy()
    if "fake_engagement_probability" in s:
        classes[SHORT_NAMES["fake_engagement_probability"]] = np.where(_flags(s), "bad", "good")
    kinds = {SHORT_NAMES[c]: "pct" for c in ("fake_engagement_probability", "fake_follower_share",
                                             "engagement_rate", "reachability")}
    scored = len(data.population)
    of = f" of the {scored} in the scores file" if scored > len(data.accounts) else ""
    return (f'<section id="summary"><h2>Summary</h2><p>{len(data.accounts)} influencer(s) audited{of}'
            f'{", campaign " + _e(data.campaign) if data.campaign else ""}.</p>{_table(frame, kinds, classes)}'
            '<p class="note">Red: flagged for fake engagement, a fake-follower share of '
            f'{FAKE_SHARE_BANDS[0]:.0%} or more, or authenticity below {AUTHENTICITY_BANDS[0]:g}; amber: a share of '
            f'{FAKE_SHARE_BANDS[1]:.0%} or more or authenticity below {AUTHENTICITY_BANDS[1]:g}. Reachability: the '
            'share of sampled followers who follow at most 1,500 accounts, so that they can see a post.</p>'
            '</section>')


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


def _fake_share_section(data: AuditData, account: str) -> str:
    row = data.scores.loc[account]
    share, lo, hi = (float(row.get(c, np.nan)) for c in
                     ("fake_follower_share", "fake_follower_share_lo", "fake_follower_share_hi"))
    if not np.isfinite(share):
        sample = data.audience.at[account, "sample"] if data.audience is not None else np.nan
        why = ("no audience sample" if not sample > 0 else
               f"the model set has no account model to score its {int(sample)} sampled followers")
        return ('<section class="fake-followers"><h3>Estimated fake-follower share</h3>'
                f'<p>Not estimated ({why}).</p></section>')
    png = figure_png(fake_share_chart(share, lo, hi, f"{account}: fake-follower share"))
    return (f'<section class="fake-followers"><h3>Estimated fake-follower share</h3>{_img(png, "fake share")}'
            f'<p>{_e(_share_text(row, share, lo, hi))}</p></section>')


def _share_text(row: pd.Series, share: float, lo: float, hi: float) -> str:
    """The scorer's sentence on the share and its interval; scores files written before it had one get it
    built here (at the default 95%)."""
    text = row.get("fake_follower_share_text")
    if isinstance(text, str) and text:
        return text
    built = share_sentences(pd.Series([share]), pd.Series([lo]), pd.Series([hi])).iloc[0]
    return built if isinstance(built, str) else f"An estimated {_fmt(share, 'pct')} of followers are fake."


def _reasons_section(data: AuditData, account: str) -> str:
    row = data.scores.loc[account]
    reasons = reasons_list(row.get("reasons"))
    flagged = bool(row.get("fake_engagement_flag", False))
    verdict = ('<span class="flag">flagged for fake engagement</span>' if flagged
               else '<span class="ok">not flagged</span>')
    reasons = [plain_reason(r, list(data.specs), data.topics) for r in reasons]
    items = "".join(f"<li>{_e(r)}</li>" for r in reasons) or "<li>no reasons recorded</li>"
    # reasons explain the verdict (see authfit.scoring.reasons), so say which way they pushed
    direction = "what raised the fake-engagement probability most" if flagged else (
        "what lowered the fake-engagement probability most")
    return (f'<section class="reasons"><h3>Top reasons</h3><p>Authenticity {_fmt(row.get("authenticity_score"))}'
            f'/100, {verdict}. The reasons below are {direction}:</p><ul>{items}</ul></section>')


def _audience_section(data: AuditData, account: str) -> str:
    """The audience sample split into real, mass-follower and suspicious accounts, as one bar."""
    split = data.audience.loc[account] if data.audience is not None else None
    if split is None or not split["sample"] > 0:
        return '<section class="audience"><h3>Audience</h3><p>No audience sample.</p></section>'
    parts = [(k, float(split[k])) for k in ("real", "mass_follower", "suspicious") if np.isfinite(split[k])]
    bar = "".join(f'<span style="width:{100 * v:.1f}%;background:{SPLIT_COLOURS[k]}" title="{SPLIT_NAMES[k]}">'
                  "</span>" for k, v in parts)
    words = ", ".join(f"<b>{v:.0%}</b> {SPLIT_NAMES[k]}" for k, v in parts)
    missing = "" if np.isfinite(split["suspicious"]) else " (suspicious accounts not scored: no account model)"
    reach = data.scores.loc[account].get("reachability", np.nan)
    return (f'<section class="audience"><h3>Audience</h3><div class="bar">{bar}</div><p>Of '
            f'{int(split["sample"])} sampled followers: {words}{missing}. Reachability {_fmt(reach, "pct")}.</p>'
            '<p class="note">Suspicious: followers the account model flags as fake (in the sample, before the '
            'error-rate correction of the fake-follower estimate). Mass followers: the others who follow more '
            'than 1,500 accounts and so rarely see a post. Real: the rest.</p></section>')


def _account(data: AuditData, account: str) -> str:
    row = data.scores.loc[account]
    title = f"{account} ({_e(row.get('tier', ''))}, {_e(row.get('niche', ''))})"
    return (f'<div class="account" id="account-{_e(account)}"><h2>{title}</h2>'
            + _follower_section(data, account) + _comment_section(data, account)
            + _audience_section(data, account) + _fake_share_section(data, account) + _reasons_section(data, account) + "</div>")


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
    frame = s[columns].copy()
    local = f"followers in {data.target_country}" if data.target_country else "followers in target country"
    if data.local is not None:
        frame[local] = data.local.reindex(frame.index).to_numpy()
    money = {"cost": f"cost ({data.currency})",
             "expected_cost_per_conversion": f"cost per conversion ({data.currency})"}
    if "cost_source" in s:  # an estimated fee is marked as such
        frame["cost"] = [f"{_fmt(c, 'money')} (estimate)" if str(src).startswith("estimate") else c
                         for c, src in zip(s["cost"], s["cost_source"], strict=True)]
    frame = frame.reset_index().rename(columns={**SHORT_NAMES, **money})
    total_conv = float(s["expected_conversions"].sum()) if "expected_conversions" in s else np.nan
    total_cost = float(pd.to_numeric(s["cost"], errors="coerce").sum()) if "cost" in s else np.nan
    per = total_cost / total_conv if total_conv > 0 else np.nan
    kinds = {money["cost"]: "money", money["expected_cost_per_conversion"]: "money", local: "pct"}
    return (f'<section id="campaign"><h2>Campaign {_e(data.campaign)}</h2>{_table(frame, kinds)}'
            f'<p>Together: <b>{_fmt(total_conv)}</b> expected conversions for {_fmt(total_cost, "money")} '
            f'{_e(data.currency)}, <b>{_fmt(per, "money")} {_e(data.currency)}</b> per conversion.</p>'
            '<p class="note">fit is the cosine between the topics of the campaign brief and of the influencer\'s '
            'captions; features are taken as of the campaign\'s start date, so fit is n/a for an influencer with '
            f'no post before it. "{_e(local)}" is the local influence: the share of sampled followers with a '
            'known country who live in the campaign\'s target country (n/a when the sample has no country).</p>'
            '</section>')


def render_html(data: AuditData, title: str = "authfit audit") -> str:
    """The whole report as one HTML string."""
    created = datetime.now(UTC).isoformat(timespec="seconds")
    versions = sorted(set(data.scores["model_version"].astype(str))) if "model_version" in data.scores else []
    body = (_summary(data) + _campaign(data) + _engagement(data)
            + "".join(_account(data, a) for a in data.accounts))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f'<style>{CSS}</style></head><body><h1>{_e(title)}</h1><p class="note">generated {created}; '
            f'model {_e(", ".join(versions) or "unknown")}</p>{body}</body></html>')
