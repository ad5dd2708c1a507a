"""The model card's prose: intended use, training data, limitations and out-of-source results, filled from
a bundle's metadata (its name, sources with row counts, metrics). `authfit.modeling.bundle.render_model_card`
adds these sections to the card every bundle carries."""

from __future__ import annotations

import re
from typing import Any, Protocol

from authfit.datasets.licences import licence_of


class BundleMetadata(Protocol):
    """What the card reads of a bundle's metadata (`authfit.modeling.bundle.BundleMetadata`)."""

    name: str
    data_fingerprint: str
    metrics: dict[str, float]
    extra: dict[str, Any]

INTENDED_USE = {
    "account-authenticity": "Scores single accounts (an influencer's sampled followers, or commenters) from "
    "their public profile counts and names: the probability that the account is fake. Its main use is the "
    "audience estimate: the share of an influencer's followers that are fake, corrected for this model's "
    "error rates. Use it on samples of accounts, not to judge one person.",
    "comment-authenticity": "Scores comment texts: the probability that a comment is spam or written by a bot. "
    "It feeds the comment features of the fake-engagement model (spam share, mean spam probability).",
    "fake-engagement": "Ranks influencers by the probability that their engagement is bought or inflated "
    "(bought followers, likes, comments, engagement pods), to screen candidates before a campaign. A flag is "
    "a reason to look closer, with the reasons and the audit report, not a verdict to publish.",
    "campaign-conversion": "Predicts the conversions an influencer will bring to a campaign (per follower "
    "exposed), to rank candidates and to spend a budget with `authfit shortlist`.",
}
LIMITATIONS = {
    "account-authenticity": [
        "Trained on labelled follower sets from a few studies (mostly 2015-2019); fake-account tactics change, "
        "and the out-of-source results below are the honest measure of how well it transfers.",
        "It sees profile counts and names only, not activity; dormant real accounts look like fakes.",
        "Its error rates, used to correct the audience share, are measured on the labelled sources named "
        "below; an audience unlike all of them can lie outside the share's interval.",
    ],
    "comment-authenticity": [
        "Trained on YouTube and Instagram comments in English mostly; other languages score less reliably.",
        "Short genuine comments ('love it!') share the vocabulary of bot comments.",
    ],
    "fake-engagement": [
        "Labels come from the `labels` table of the training data; on the demo that is a simulated world, so "
        "its metrics describe the simulator, not real influencers.",
        "Signals need history: an account with few posts or no follower history gets wide uncertainty.",
    ],
    "campaign-conversion": [
        "Learned from past outcomes of the campaigns in the training data; a new category or market is "
        "outside what it has seen.",
        "Costs without an offer are estimated from past fees and marked as estimates.",
    ],
}
GENERAL_LIMITATIONS = ["Scores are evidence for a person to weigh, not proof of fraud about anyone."]
OUT_OF_SOURCE = re.compile(r"^out_of_source_(roc_auc|pr_auc|sensitivity|specificity|balanced_accuracy|f1)_(.+)$")


def training_data_lines(meta: BundleMetadata) -> list[str]:
    """One row per source with its rows, licence and citation (known sources), else the fingerprint only."""
    sources = meta.extra.get("sources") or {}
    if not sources:
        return [f"Trained on the contract tables with fingerprint `{meta.data_fingerprint}` "
                "(influencers with labels or campaign outcomes).", ""]
    lines = ["| source | rows | licence | citation |", "|---|---|---|---|"]
    for source, rows in sources.items():
        known = licence_of(source)
        licence, citation = (known.licence, f"{known.citation} ({known.url})") if known else ("see SOURCE.txt", "")
        lines.append(f"| {source} | {rows} | {licence} | {citation} |")
    return [*lines, ""]


def out_of_source_lines(meta: BundleMetadata) -> list[str]:
    """Metrics of models that never saw the tested source, one row per source; or what is known instead."""
    table: dict[str, dict[str, float]] = {}
    for key, value in meta.metrics.items():
        match = OUT_OF_SOURCE.match(key)
        if match:
            table.setdefault(match.group(2), {})[match.group(1)] = value
    if table:
        metrics = sorted({m for row in table.values() for m in row})
        lines = ["Each source scored by a model trained on the other sources only:", "",
                 "| held-out source | " + " | ".join(metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
        lines += [f"| {source} | " + " | ".join(f"{row.get(m, float('nan')):.3f}" for m in metrics) + " |"
                  for source, row in sorted(table.items())]
        return [*lines, ""]
    within = {k.removeprefix("roc_auc_"): v for k, v in meta.metrics.items() if k.startswith("roc_auc_")}
    if within:
        return ["Not measured for this bundle. Out-of-fold ROC-AUC within each source (folds never split an "
                "account, but every source is also in training, so this overstates transfer):", "",
                *(f"- {source}: {value:.3f}" for source, value in sorted(within.items())), ""]
    return ["Not measured for this bundle: its metrics above are out of fold on its own training data.", ""]


def verdict_lines(meta: BundleMetadata) -> list[str]:
    """How the verdict threshold and the fitting recipe were chosen, where the bundle records them."""
    rule, recipe = meta.extra.get("threshold_rule"), meta.extra.get("recipe")
    if not rule and not recipe:
        return []
    lines = ["## Verdict threshold and recipe", ""]
    if rule:
        threshold = meta.metrics.get("threshold", float("nan"))
        lines.append(f"- The verdict (`is_fake`) is a probability of at least {threshold:.2f}: the cut with the "
                     f"{rule}.")
    if recipe:
        monotone = ", ".join(recipe.get("monotone_increasing") or []) or "none"
        lines.append(f"- Recipe: {recipe.get('features')} profile features, {recipe.get('weighting')} weights, "
                     f"monotone increasing in: {monotone}. It is the candidate with the best worst-source "
                     "balanced accuracy out of source (docs/account-model.md states the candidates).")
    return [*lines, ""]


def share_rate_lines(meta: BundleMetadata) -> list[str]:
    """The sources the audience share's error rates come from, with their rates, where a bundle has them."""
    rates = meta.extra.get("error_rates")
    if not rates:
        return []
    rule = meta.extra.get("error_rates_rule") or (
        "each source scored by models trained on the other sources (leave-one-source-out)"
        if len(rates["sources"]) > 1 else "out of fold within the one training source, so the interval does "
        "not carry how other populations differ")
    lines = ["## Error rates of the fake-follower share", "",
             f"Measured at {rates['threshold']:.2f} ({rates['method']}): {rule}. The share's interval draws "
             f"a new audience's rates around these sources' ({rates['spread']} spread), so it allows for an "
             "audience unlike the training data as far as these sources differ from each other.", "",
             "| source | tpr | fpr |", "|---|---|---|"]
    lines += [f"| {s} | {t:.3f} | {f:.3f} |" for s, t, f in zip(rates["sources"], rates["tpr"], rates["fpr"])]
    return [*lines, ""]


def card_sections(meta: BundleMetadata) -> list[str]:
    """The Markdown lines of the sections: use, data, limitations, out-of-source results, verdict."""
    use = INTENDED_USE.get(meta.name, "See the authfit README for what this model scores.")
    limits = [*LIMITATIONS.get(meta.name, []), *GENERAL_LIMITATIONS]
    return ["## Intended use", "", use, "",
            "## Training data", "", *training_data_lines(meta),
            "## Limitations", "", *(f"- {item}" for item in limits), "",
            "## Out-of-source results", "", *out_of_source_lines(meta), *verdict_lines(meta),
            *share_rate_lines(meta)]
