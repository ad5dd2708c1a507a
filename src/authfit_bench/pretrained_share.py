"""The fake-follower share of the shipped pretrained account model on the demo's candidate worlds.

Without the real data sets, `make demo` scores its 400 candidates (`authfit simulate --influencers 400
--seed 8`) with the pretrained account bundle copied from models/pretrained. This measures that path: the
bundle's scorer and error rates go through `features.audience.audience_features`, as `FeatureBuilder` does in
`authfit score`, and the estimate is compared with each candidate's true sample share
(`truth_influencers.audience_sample_fake_share`, the share of bot-farm accounts among its sampled followers).
Nothing is chosen here: the bundle is measured as shipped, on the demo world and two more seeds, and the
page reports the minimum coverage over them.

    python -m authfit_bench.pretrained_share --label after --json results/pretrained-share.json \
        --doc docs/pretrained-share.md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from authfit.features.audience import AudienceSettings, audience_features
from authfit.modeling.bundle import load_bundle
from authfit.modeling.quantification import ErrorRates
from authfit.modeling.real_data_models import AccountModel
from authfit.simulate import SimulationSettings, generate_world
from authfit.training.pretrained import pretrained_bundle
from authfit.training.train_settings import ACCOUNT_MODEL
from authfit_bench.benchmarks.audience_simulated import interval_errors

# The demo's candidate world (Makefile: DEMO_SEED + 1, 400 influencers) first, then two more seeds.
DEMO_SEEDS = (8, 9, 10)
DEMO_INFLUENCERS = 400
COVERAGE_TARGET = 0.90


def world_figures(model: AccountModel, rates: ErrorRates, world: SimulationSettings,
                  audience: AudienceSettings, influencers: int, seed: int) -> dict[str, float]:
    """MAE, bias, 90%/95% coverage and mean 95% width of the share on one simulated candidate world, and
    the share of candidates whose 95% interval reaches 100% (an upper bound that says nothing)."""
    tables = generate_world(world, influencers, seed)
    truth = tables["truth_influencers"].set_index("account_id")["audience_sample_fake_share"]
    upper = audience_features(tables["audience"], model.predict_proba, rates, audience.model_copy(
        update={"confidence": 0.95}))["audience_fake_share_corrected_hi"]
    return interval_errors(tables["audience"], model, rates, audience, truth) | {
        "mean_true_share": float(truth.mean()), "upper_at_100": float((upper >= 0.995).mean())}


def measure(bundle: Path, world: SimulationSettings, audience: AudienceSettings, influencers: int,
            seeds: tuple[int, ...], only: list[str] | None = None) -> dict[str, object]:
    """One run: the bundle's version and rate sources (restricted to `only` when given: a comparison, not
    what the bundle ships), and the figures on each seed's world."""
    model = AccountModel(load_bundle(bundle))
    rates = model.error_rates or ErrorRates()
    rates = rates.only(only) if only else rates
    return {"version": model.bundle.metadata.version, "method": rates.method, "spread": rates.spread,
            "threshold": rates.threshold, "rate_sources": list(rates.sources), "restricted": bool(only),
            "influencers": influencers, "worlds": {
                str(seed): world_figures(model, rates, world, audience, influencers, seed) for seed in seeds}}


def run_lines(label: str, run: dict[str, object]) -> list[str]:
    """The page's table for one run, the worst world in its last row."""
    worlds = pd.DataFrame(run["worlds"]).T
    rates = (f"error rates of {', '.join(run['rate_sources'])}"
             + (" only (a comparison: the bundle ships more)" if run.get("restricted") else ""))
    lines = [f"### {label}: bundle {run['version']}", "",
             f"The {rates}; method {run['method']}, spread {run['spread']}, flagged at "
             f"{run['threshold']:.2f}; worlds of {run['influencers']} candidates.", "",
             "| world seed | MAE | bias | 90% coverage | 95% coverage | mean 95% width | upper bound 100% "
             "| mean true share |", "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {seed}{' (demo)' if int(seed) == DEMO_SEEDS[0] else ''} | {r['mae']:.3f} | "
              f"{r['bias']:+.3f} | {r['coverage_90']:.2f} | {r['coverage_95']:.2f} | {r['width_95']:.2f} | "
              f"{r['upper_at_100']:.2f} | {r['mean_true_share']:.3f} |" for seed, r in worlds.iterrows()]
    worst = worlds["coverage_95"].min()
    verdict = "met" if worst >= COVERAGE_TARGET else "**missed**"
    lines += [f"| worst | {worlds['mae'].max():.3f} | {worlds['bias'].abs().max():.3f} (abs) | "
              f"{worlds['coverage_90'].min():.2f} | {worst:.2f} {verdict} | {worlds['width_95'].max():.2f} | "
              f"{worlds['upper_at_100'].max():.2f} | |", ""]
    return lines


def markdown(runs: dict[str, dict[str, object]]) -> str:
    """docs/pretrained-share.md from the runs of the JSON file."""
    lines = ["# Fake-follower share of the pretrained account model (generated by "
             "`python -m authfit_bench.pretrained_share`)", "",
             "Without the real data sets, `make demo` scores its candidates with the shipped pretrained "
             "account model (models/pretrained). Each run below scores the audience samples of simulated "
             "candidate worlds (configs/simulate.yaml; seed 8 is the demo's 400 candidates) through the "
             "audience features, as `authfit score` does, against each candidate's true share of fake "
             "accounts in its sample. 'Upper bound 100%': the share of candidates whose interval reaches "
             "100%, where only its lower bound says something.", "",
             f"Target (issue #14): 95% coverage >= {COVERAGE_TARGET:.2f} on the demo candidates, with the "
             "width beside it. The worst row: the lowest coverage and the largest error over the worlds. "
             "Each run is one `--label` in the JSON file; an earlier bundle (from git history) is measured "
             "with `--bundle`, and `--only` measures the shipped model with some of its sources' rates "
             "(compared, not shipped).", ""]
    for label, run in runs.items():
        lines += run_lines(label, run)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from authfit.config import load_settings
    from authfit.features.build import FeatureSettings
    from authfit_bench.pages import sync_page

    parser = argparse.ArgumentParser(description="The pretrained account model's share on demo worlds.")
    parser.add_argument("--bundle", type=Path, default=None,
                        help="default: the newest under models/pretrained")
    parser.add_argument("--label", default="shipped", help="key of this run in the JSON file")
    parser.add_argument("--json", type=Path, default=Path("results/pretrained-share.json"),
                        help="runs by label; this run is added or replaced")
    parser.add_argument("--doc", type=Path, default=None, help="also write the page from the JSON file")
    parser.add_argument("--only", nargs="+", default=None,
                        help="measure with the bundle's rates of these sources only (a comparison)")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEMO_SEEDS))
    parser.add_argument("--influencers", type=int, default=DEMO_INFLUENCERS)
    parser.add_argument("--simulate-config", type=Path, default=Path("configs/simulate.yaml"))
    parser.add_argument("--features-config", type=Path, default=Path("configs/features.yaml"))
    args = parser.parse_args(argv)
    bundle = args.bundle or pretrained_bundle(Path("models/pretrained"), ACCOUNT_MODEL)
    if bundle is None:
        parser.error("no pretrained account bundle under models/pretrained; pass --bundle")
    world = load_settings(args.simulate_config, SimulationSettings)
    audience = load_settings(args.features_config, FeatureSettings).audience
    run = measure(bundle, world, audience, args.influencers, tuple(args.seeds), args.only)
    runs = json.loads(args.json.read_text(encoding="utf-8")) if args.json.is_file() else {}
    runs[args.label] = run
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(runs, indent=1) + "\n", encoding="utf-8")
    print("\n".join(run_lines(args.label, run)))
    return sync_page(args.doc, markdown(runs), False, "") if args.doc else 0


if __name__ == "__main__":
    raise SystemExit(main())
