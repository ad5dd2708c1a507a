"""docs/speed-stages.md from the JSON of `authfit_bench.scoring_speed` (issue 18): where the milliseconds of
one raw influencer request and of one 1-5-row accounts call go, stage by stage, and the service's latency
ratios of each run given.

    python -m authfit_bench.scoring_speed --stages MODELS --cpu --save results/speed/stages.json
    python -m authfit_bench.scoring_speed --service-ratios MODELS --save results/speed/ratios-new-1.json
    python -m authfit_bench.speed_page --json results/speed/*.json --doc docs/speed-stages.md [--check]

A file may also be the whole `make bench-scoring` output: its headline figures get a row, its
`request_stages` a profile. Ratio runs are labelled by
their file name, in the order given.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from authfit_bench.pages import sync_page

RATIO_COLUMNS = (
    ("load_avg_at_end", "load avg", "{:.1f}"),
    ("service_p50_ms", "precomputed p50 ms", "{:.2f}"),
    ("service_accounts_1_row_p50_ms", "accounts 1 row p50 ms", "{:.1f}"),
    ("service_accounts_5_rows_p50_ms", "accounts 5 rows p50 ms", "{:.1f}"),
    ("service_raw_p50_ms", "raw p50 ms", "{:.0f}"),
    ("accounts_1_row_p50_over_precomputed_p50", "accounts 1 / precomputed (<= 3)", "{:.1f}"),
    ("accounts_5_rows_p50_over_precomputed_p50", "accounts 5 / precomputed (<= 3)", "{:.1f}"),
    ("raw_p50_over_precomputed_p50", "raw / precomputed (<= 10)", "{:.0f}"),
    ("raw_p99_over_raw_p50", "raw p99 / p50 (<= 3)", "{:.2f}"),
    ("raw_first_over_raw_p50", "raw first / p50 (<= 2)", "{:.2f}"),
    ("server_cpu_accounts_1_over_precomputed", "server CPU per call: accounts 1 / precomputed", "{:.1f}"),
    ("server_cpu_accounts_5_over_precomputed", "server CPU: accounts 5 / precomputed", "{:.1f}"),
    ("server_cpu_raw_over_precomputed", "server CPU: raw / precomputed", "{:.0f}"),
)


def stage_table(title: str, figures: dict[str, float]) -> list[str]:
    """One markdown table of a request's stages: first call after load and the median of the next ones."""
    lines = [f"| {title}: stage | first call, ms | median of the next 10, ms |", "|---|---:|---:|"]
    for key in [k for k in figures if k.endswith(" | first")]:
        stage = key.removesuffix(" | first")
        name = f"- {stage.strip()}" if stage.startswith(" ") else stage
        median = figures.get(f"{stage} | median", float("nan"))
        lines.append(f"| {name} | {figures[key]:.1f} | {median:.1f} |")
    return lines


def ratio_table(runs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    header = "| run | " + " | ".join(label for _, label, _ in RATIO_COLUMNS) + " |"
    lines = [header, "|---|" + "---:|" * len(RATIO_COLUMNS)]
    for name, ratios in runs:
        cells = [form.format(ratios[key]) if key in ratios else "" for key, _, form in RATIO_COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


# The headline figures of a whole `make bench-scoring` output and the target for each.
HEADLINE_COLUMNS = (
    ("service_p50_ms", "precomputed p50 ms (< 5)", "{:.2f}"),
    ("service_p99_ms", "precomputed p99 ms (< 20)", "{:.2f}"),
    ("latency_ratio_vs_mlflow", "mlflow serve p50 / ours (>= 10)", "{:.1f}"),
    ("scorer_vs_booster_throughput_ratio", "Scorer / Booster (>= 0.8)", "{:.2f}"),
    ("service_raw_p50_ms", "raw p50 ms", "{:.0f}"),
    ("raw_p50_over_precomputed_p50", "raw / precomputed (<= 10)", "{:.0f}"),
    ("end_to_end_vs_features_ratio", "end-to-end / features (>= 0.6)", "{:.3f}"),
    ("end_to_end_vs_features_cpu_ratio", "the same by CPU", "{:.3f}"),
    ("batch_time_ratio_4x", "4x time (<= 4.4)", "{:.2f}"),
    ("peak_rss_ratio_4x", "4x peak memory (<= 1.2)", "{:.2f}"),
)


def headline_table(runs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """One row per whole `make bench-scoring` output: the figures the issue sets targets for."""
    lines = ["| run | " + " | ".join(label for _, label, _ in HEADLINE_COLUMNS) + " |",
             "|---|" + "---:|" * len(HEADLINE_COLUMNS)]
    for name, figures in runs:
        figures = {**figures, "raw_p50_over_precomputed_p50": figures["service_raw_p50_ms"] / figures["service_p50_ms"]}
        cells = [form.format(figures[key]) if key in figures else "" for key, _, form in HEADLINE_COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def load_table(runs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The load test's runs (`authfit_bench.loadtest` JSON): throughput, server CPU and p50 per endpoint."""
    endpoints = ("/v1/accounts/score", "/v1/features/score", "/v1/influencers/score")
    lines = ["| run | workers | requests | requests/s | server CPU ms per request | "
             + " | ".join(f"{e.split('/')[2]} p50 ms" for e in endpoints) + " | errors | RSS growth % |",
             "|---|---:|---:|---:|---:|" + "---:|" * len(endpoints) + "---:|---:|"]
    for name, d in runs:
        p50 = [f"{d['per_endpoint'].get(e, {}).get('latency_ms', {}).get('p50', float('nan')):.0f}" for e in endpoints]
        lines.append(f"| {name} | {d['server_workers']} | {d['requests_sent']} | {d['requests_per_s']:.1f} | "
                     f"{d['server_cpu_ms_per_request']:.1f} | " + " | ".join(p50)
                     + f" | {d['errors']} | {d['rss_growth_pct']:.1f} |")
    return lines


def render(files: list[Path]) -> str:
    profiles: list[tuple[str, dict[str, Any], str]] = []
    runs: list[tuple[str, dict[str, Any]]] = []
    loads: list[tuple[str, dict[str, Any]]] = []
    whole: list[tuple[str, dict[str, Any]]] = []
    for path in files:
        data = json.loads(path.read_text())
        if "end_to_end_vs_features_ratio" in data and "service_raw_p50_ms" in data:
            whole.append((path.stem, data))
        if "requests_per_s" in data:
            loads.append((path.stem, data))
        if "request_stages" in data:
            profiles.append((path.stem, data["request_stages"], data.get("clock", "cpu")))
        if "service_ratios" in data:
            runs.append((path.stem, data["service_ratios"]))
    lines = ["# One request, stage by stage (issue 18)", "",
             "Generated by `python -m authfit_bench.speed_page` from the JSON of `authfit_bench.scoring_speed`; "
             "do not edit by hand. How the figures were made: `docs/speed-profile.md`.", ""]
    for label, stages, clock in profiles:
        what = "CPU" if clock == "cpu" else "wall"
        lines += [f"## Stage profile: {label}", "",
                  f"In process (the handlers' own steps, no HTTP), {what} milliseconds per stage. Indented "
                  "stages are inside the stage above them (`_coerce` includes `_duplicate_key_problems`).", ""]
        for name, title in (("raw influencer", "one raw influencer (30 posts x 20 comments, 100 audience)"),
                            ("accounts 1-5", "one accounts call of 1-5 rows")):
            if name in stages:
                lines += [*stage_table(title, stages[name]), ""]
        if "load" in stages:
            lines += [f"Loading the model set took {stages['load'].get('Scorer.load', float('nan')):.0f} "
                      f"ms and warming it {stages['load'].get('warm', float('nan')):.0f} ms.", ""]
    if whole:
        lines += ["## Whole `make bench-scoring` runs", "",
                  "Each row one run of `python -m authfit_bench.scoring_speed` (what `make bench-scoring` runs); "
                  "targets in brackets.", "", *headline_table(whole), ""]
    if runs:
        lines += ["## Through HTTP", "",
                  "`--service-ratios`: one `authfit serve` per run, sequential calls; targets in brackets.", "",
                  *ratio_table(runs), ""]
    if loads:
        lines += ["## Under load", "", "`python -m authfit_bench.loadtest` (8 clients; the mix of `make bench-load`), "
                  "one run per row:", "", *load_table(loads), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, nargs="+", required=True)
    parser.add_argument("--doc", type=Path, default=Path("docs/speed-stages.md"))
    parser.add_argument("--check", action="store_true", help="exit 1 if the page differs from its rendering")
    args = parser.parse_args(argv)
    return sync_page(args.doc, render(args.json), args.check,
                     f"{args.doc} is stale: rerun python -m authfit_bench.speed_page")


if __name__ == "__main__":
    raise SystemExit(main())
