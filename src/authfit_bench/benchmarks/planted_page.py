"""docs/planted-benchmark.md, generated from the planted part's rows of a benchmark.json:

    python -m authfit_bench.benchmarks.planted_page results/benchmark.json --out docs/planted-benchmark.md

Apart from the part's code (`planted.py`), which the report module runs and judges.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from authfit_bench.benchmarks.audience import write_page
from authfit_bench.benchmarks.planted import COMMENT_DATASET, GROWTH_DATASET, WITHIN
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
        verdict = comment_verdict(part) if dataset == COMMENT_DATASET else ""
        lines += [verdict, "", COMMENT_LIMITS, ""] if verdict else []
    return "\n".join(lines)


COMMENT_LIMITS = (
    "What limits it: most posts hold one crawl page of 24 comments, so +-0.05 asks for the bots to be "
    "counted to one comment. Bots that arrive in a burst, repeat one text or promote an account stand out "
    "comment by comment (real comments come a median of hours after the post); an emoji or a short praise "
    "posted at a real comment's delay is the same as a real fan's, real posts hold many of those and their "
    "number varies from post to post, so such posts stay off by a comment or two. The detector also learns "
    "the generator's own bot texts: with one kind left out of its fit it finds that kind on far fewer posts "
    "(the unseen rows), so its figures are an upper bound for bots that write otherwise. Real comments hold "
    "spam already, which the `untouched real posts` rows estimate.")


def comment_verdict(part: Sequence[dict[str, object]]) -> str:
    """The best estimator's headline against its target (by how much), its worst bot kind, its recovery
    over the untouched posts and its range with a kind unseen in the fit ("" without estimator rows)."""
    values = {(str(r["task"]), str(r["metric"])): float(r["value"]) for r in part if r["value"] is not None}
    metric = f"share_within_{WITHIN}"
    heads = [task for task, m in values if m == "mean_abs_error" and (task, metric) in values]
    if not heads:
        return ""
    best = max(heads, key=lambda task: values[(task, metric)])
    value = values[(best, metric)]
    target = target_of(next(r for r in part if r["task"] == best and r["metric"] == metric))
    kinds = {task[len(best) + 2:].removesuffix(" bots"): v for (task, m), v in values.items()
             if m == metric and task.startswith(f"{best}, ") and task.endswith(" bots")}
    worst = min(kinds, key=kinds.get)
    unseen = [v for (task, m), v in values.items() if task.startswith(f"{best}, ") and m.startswith("unseen")]
    gap = "" if target is None else (f" (target {target[0]:.2f}: " + (
        "met" if value >= target[0] else f"missed by {target[0] - value:.3f}") + ")")
    recovery = values.get((f"{best}, recovery over the same post's untouched version",
                           f"recovery_within_{WITHIN}"))
    return (f"Best estimator: `{best.removeprefix('bot share per post, ')}`, {value:.3f} of the report posts "
            f"within +-{WITHIN} of the planted share in the worst seed{gap}; worst bot kind: {worst} "
            f"({kinds[worst]:.3f})"
            + ("" if recovery is None else f"; over the same post's untouched version: {recovery:.3f}")
            + ("" if not unseen else f"; with a bot kind unseen in its fit: {min(unseen):.3f} to "
               f"{max(unseen):.3f}") + ".")


def main(argv: list[str] | None = None) -> None:
    write_page(argv, "planted benchmark", PAGE, planted_markdown)


if __name__ == "__main__":
    main()
