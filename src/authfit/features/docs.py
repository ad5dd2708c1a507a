"""data/FEATURES.md, generated from the feature registries so that the document cannot drift from the code.

Regenerate with `python -m authfit.features.docs --out data/FEATURES.md`; add
`--config configs/features.yaml` to rewrite the settings file from the FeatureSettings defaults too.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from pathlib import Path

import yaml

from authfit.features.registry import FeatureSpec

# Modules whose `FEATURES` the FeatureBuilder emits, in its column order, then the pair-level ones.
INFLUENCER_MODULES: tuple[str, ...] = (
    "account_profile",
    "growth",
    "engagement",
    "audience",
    "comment_patterns",
    "topics",
)
CAMPAIGN_REGISTRIES: tuple[tuple[str, str], ...] = (
    ("engagement", "CAMPAIGN_FEATURES"),
    ("local", "CAMPAIGN_FEATURES"),
    ("topics", "BRAND_FIT_FEATURES"),
)
DEFAULT_OUT = Path("data") / "FEATURES.md"


def _registry(module: str, attribute: str) -> tuple[FeatureSpec, ...]:
    return tuple(getattr(importlib.import_module(f"authfit.features.{module}"), attribute, ()))


def influencer_specs(n_topics: int | None = None) -> list[FeatureSpec]:
    """Every influencer-level feature spec, in the order the builder emits the families; the content
    family has one column per topic, so it depends on `n_topics` (None = the topic model's default)."""
    specs: list[FeatureSpec] = []
    for module in INFLUENCER_MODULES:
        if module == "topics" and n_topics is not None:
            specs += importlib.import_module("authfit.features.topics").content_feature_specs(n_topics)
        else:
            specs += _registry(module, "FEATURES")
    return specs


def campaign_specs() -> list[FeatureSpec]:
    """Feature specs that describe an influencer x campaign pair."""
    return [spec for module, attribute in CAMPAIGN_REGISTRIES for spec in _registry(module, attribute)]


def _table(specs: Sequence[FeatureSpec]) -> list[str]:
    lines = ["| feature | definition |", "|---|---|"]
    lines += [f"| `{s.name}` | {s.definition.replace('|', '/')} |" for s in specs]
    return lines


def render_features_md(influencer: Sequence[FeatureSpec], campaign: Sequence[FeatureSpec]) -> str:
    """The markdown document: one table per family, then the influencer x campaign features."""
    lines = [
        "# authfit features",
        "",
        "Generated from the registries in `src/authfit/features/` by `python -m authfit.features.docs`;",
        "do not edit by hand. Every feature is computed as of a date from data at or before it, is float64,",
        "and is NaN where it is undefined (e.g. no posts, no follower sample, no scorer).",
        "",
    ]
    for family in dict.fromkeys(s.family for s in influencer):
        lines += [f"## {family}", "", *_table([s for s in influencer if s.family == family]), ""]
    if campaign:
        lines += [
            "## influencer x campaign",
            "",
            "Added by `FeatureBuilder.campaign_features` to the influencer features above.",
            "",
            *_table(campaign),
            "",
        ]
    return "\n".join(lines)


def current_features_md() -> str:
    """The document as the code defines it now."""
    return render_features_md(influencer_specs(), campaign_specs())


_CONFIG_HEADER = """\
# Feature settings: parsed once into authfit.features.build.FeatureSettings
# (load_settings(Path("configs/features.yaml"), FeatureSettings)). Every key mirrors a model field and its
# default; tests/unit/test_features_build.py checks that they stay equal. Regenerate with
# `python -m authfit.features.docs --config configs/features.yaml` after changing a default.
# as_of: features use data at or before this UTC time; null = the latest time in the data.
# chunk_size / n_jobs: accounts transformed together / chunks in parallel threads (speed and memory only).
# growth: daily follower grid and robust spike detection; engagement: recent-post window, tiers, benchmark;
# audience: interval coverage, mass-follow limit (the fake threshold travels with the account model);
# comments/content/topics: comment patterns, content features and the NMF topic model.
"""


class _FlowListDumper(yaml.SafeDumper):
    """Lists on one (wrapped) line, mappings as blocks: word lists stay short, sections stay readable."""


_FlowListDumper.add_representer(
    list, lambda dumper, value: dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)
)


def render_default_config() -> str:
    """configs/features.yaml as the FeatureSettings defaults define it."""
    from authfit.features.build import FeatureSettings  # build imports every family; only needed here

    body = yaml.dump(
        FeatureSettings().model_dump(mode="json"),
        Dumper=_FlowListDumper,
        sort_keys=False,
        width=110,
        allow_unicode=True,
    )
    return _CONFIG_HEADER + body


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the feature documentation from the registries.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--config", type=Path, default=None, help="also write the default settings YAML here")
    args = parser.parse_args(argv)
    targets = [(args.out, current_features_md())]
    if args.config is not None:
        targets.append((args.config, render_default_config()))
    for path, text in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
