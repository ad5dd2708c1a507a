"""docs/planted-benchmark.md, generated from the planted part's rows of a benchmark.json:

    python -m authfit_bench.benchmarks.planted_page results/benchmark.json --out docs/planted-benchmark.md

Apart from the part's code (`planted.py`), which the report module runs and judges.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from authfit_bench.benchmarks.audience import write_page
from authfit_bench.benchmarks.planted import COMMENT_DATASET, GROWTH_DATASET
from authfit_bench.benchmarks.report import clean_row, meets_target, target_of

PAGE = Path("docs/planted-benchmark.md")


def planted_markdown(rows: Sequence[dict[str, object]]) -> str:
    """The planted part's rows of a benchmark.json as a Markdown page (docs/planted-benchmark.md)."""
    lines = ["# Planted fraud on real backgrounds", "",
             "Generated from `benchmark.json` by `authfit_bench.benchmarks.planted_page.planted_markdown` "
             "(`python -m authfit_bench.benchmarks.planted_page results/benchmark.json --out "
             "docs/planted-benchmark.md`); do not edit by hand. What is planted and how it is measured: the "
             "docstring of `authfit_bench/benchmarks/planted.py`. Value: the worst over the seeds; spread: their "
             "standard deviation.",
             ""]
    for dataset in (GROWTH_DATASET, COMMENT_DATASET):
        part = [clean_row(r) for r in rows if r["dataset"] == dataset]
        if not part:
            continue
        lines += [f"## {dataset}", "", "| task | metric | value | spread | target |", "|---|---|---|---|---|"]
        for r in part:
            target, met = target_of(r), meets_target(r)
            shown = "" if target is None else (f"{'≥' if target[1] else '≤'} {target[0]:.2f} "
                                               f"{'met' if met else 'MISSED'}")
            value, spread = ("" if r[k] is None else f"{r[k]:.3f}" for k in ("value", "spread"))
            lines.append(f"| {r['task']} | {r['metric']} | {value} | {spread} | {shown} |")
        protocols = list(dict.fromkeys(str(r["protocol"]) for r in part))
        lines += ["", "Protocol: " + " / ".join(protocols), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    write_page(argv, "planted benchmark", PAGE, planted_markdown)


if __name__ == "__main__":
    main()
