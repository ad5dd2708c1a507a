"""Regenerate the "## Reliability" section of docs/reliability.md from measured results (`make reliability-report`):
results/reliability-cases.jsonl (written by the reliability tests when $AUTHFIT_RELIABILITY_LOG is set),
results/bench-load.json (`make bench-load`) and results/pip-audit.json (`.ci/run`)."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pandas as pd

HEADING = "## Reliability"
TRUST = (
    "**Trust boundary.** A model bundle is trusted only after its manifest's SHA-256 checksums match every "
    "file; LightGBM models are stored as text and metadata as JSON, and the remaining joblib file (the "
    "fitted feature builder) is unpickled only after that check. Only load bundles you or your training "
    "pipeline wrote: the checksum proves integrity, not origin. The service loads the configured model at "
    "start (or on SIGHUP) and no request can name a path or model URI."
)


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def _cases(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(columns=["kind"])
    return pd.DataFrame([json.loads(line) for line in path.read_text().splitlines() if line.strip()])


def render(cases: pd.DataFrame, load: dict | None, audit: dict | None) -> str:
    lines = [HEADING, "", "Measured by the tests and benchmarks below; regenerate with `make reliability-report` "
             "(which reruns the reliability tests, slow ones included) after `make bench-load`.", ""]
    bad = cases[cases["kind"] == "bad_input"] if "test" in cases else pd.DataFrame()
    if len(bad):
        per = bad.groupby("test")[["tried", "failed"]].sum()
        lines += [f"**Bad input** (hypothesis property tests, HTTP fuzzing with schemathesis from the OpenAPI "
                  f"document, hostile bodies): {int(per['tried'].sum())} cases tried, "
                  f"{int(per['failed'].sum())} failed.", "", "| check | cases | failed |", "|---|---:|---:|"]
        lines += [f"| {name} | {int(r.tried)} | {int(r.failed)} |" for name, r in per.iterrows()]
        lines.append("")
    else:
        lines += ["**Bad input:** no case counts recorded yet.", ""]
    kills = cases[cases["kind"] == "kill_resume"] if "run" in cases else pd.DataFrame()
    if len(kills):
        lines += [f"**Kill and resume** (`authfit score` SIGKILLed at random moments, then rerun): "
                  f"{len(kills)} runs with {int(kills['kills'].sum())} kills; "
                  f"{int(kills['identical'].sum())} of {len(kills)} final outputs identical to an uninterrupted "
                  f"run (ignoring the `scored_at` time), {int(kills['duplicates'].sum())} duplicate rows.", ""]
    if load:
        mix = load.get("mix") or (f"{load.get('influencer_requests_share', 0):.0%} of requests score a whole "
                                   "influencer, the rest account profiles")
        endpoints = "; ".join(f"{path} {e['requests']} requests, p50 {e['latency_ms']['p50']} ms, "
                              f"p99 {e['latency_ms']['p99']} ms"
                              for path, e in load.get("per_endpoint", {}).items() if e.get("latency_ms"))
        lines += [f"**Load** (`make bench-load`, {load['clients']} async clients against `authfit serve` on "
                  f"127.0.0.1, {mix}{'; ' + endpoints if endpoints else ''}): {load['requests_sent']} of "
                  f"{load['requests_planned']} requests sent in {load['elapsed_s']} s "
                  f"({load['requests_per_s']}/s, p50 {load['latency_ms_p50']} ms, p99 {load['latency_ms_p99']} ms), "
                  f"{load['errors']} errors; server RSS {load['rss_mb_after_warmup']} MB after warm-up, "
                  f"{load['rss_mb_after_run']} MB after the run ({load['rss_growth_pct']:+.2f}%). "
                  f"Target (zero errors, all requests, growth within 10%): "
                  f"{'met' if load.get('target_met') else 'NOT met'}. {load.get('machine_note', '')}.", ""]
    else:
        lines += ["**Load:** not measured yet (`make bench-load`).", ""]
    if audit:
        status = audit["status"]
        detail = {"clean": f"no known vulnerabilities in {audit.get('packages')} locked packages",
                  "vulnerable": "; ".join(f"{v['package']} {v['version']} {v['id']}"
                                          for v in audit.get("vulnerabilities", [])),
                  }.get(status, audit.get("detail", ""))
        lines += [f"**Dependencies** (`pip-audit` over requirements.lock, run by `.ci/run`): {status}: {detail}.", ""]
    lines += [TRUST, ""]
    return "\n".join(lines)


def replace_section(readme: str, section: str) -> str:
    """Swap the existing section, or insert it before "## Development" (else at the end)."""
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(readme):
        return pattern.sub(lambda _: section, readme, count=1)
    marker = "\n## Development"
    if marker in readme:
        return readme.replace(marker, "\n" + section + marker, 1)
    return readme.rstrip("\n") + "\n\n" + section


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--doc", type=Path, default=Path("docs/reliability.md"))
    parser.add_argument("--results", type=Path, default=Path("results"))
    args = parser.parse_args(argv)
    section = render(_cases(args.results / "reliability-cases.jsonl"), _read_json(args.results / "bench-load.json"),
                     _read_json(args.results / "pip-audit.json"))
    args.doc.write_text(replace_section(args.doc.read_text(), section))
    print(section)


if __name__ == "__main__":
    main()
