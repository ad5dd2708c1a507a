"""docs/benchmark.md is rendered from benchmark.json; `--check` catches a doc that no longer matches."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from authfit_bench.benchmarks.docs import BANNER, main, render_benchmark_markdown

FIXTURE = Path(__file__).parent / "fixtures" / "benchmark-tiny.json"


def _rows() -> list[dict]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _table_line(text: str, dataset: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"| {dataset} |"))


def test_every_row_is_rendered_with_its_figures_and_target() -> None:
    text = render_benchmark_markdown(_rows())
    assert text.startswith(BANNER)
    insta = _table_line(text, "instafake-fake-v1.0")
    assert "| 0.951 | 0.020 | 0.940 [A1] | ≥ 0.95 met |" in insta
    assert "| 0.930 |  |  |  |" in _table_line(text, "kaggle-insta-fake-spammer")
    assert "| transfer:" not in text  # transfer rows are shown as the train x test matrix
    assert "| train \\ test | kaggle |" in text and "| srf2017 | 0.89 |" in text
    assert "- **A1** Akyon 2019" in text


def test_a_target_met_on_the_mean_but_missed_by_one_world_is_missed() -> None:
    line = _table_line(render_benchmark_markdown(_rows()),
                       "simulated world (out of distribution, minimum over worlds)")
    assert "| 0.920 |" in line and "≥ 0.90 MISSED (worst 0.880)" in line


def test_check_fails_once_the_json_and_the_doc_disagree(tmp_path) -> None:
    source, doc = tmp_path / "benchmark.json", tmp_path / "docs" / "benchmark.md"
    shutil.copy(FIXTURE, source)
    args = ["--json", str(source), "--out", str(doc)]
    assert main([*args, "--check"]) == 1  # no doc yet
    assert main(args) == 0 and main([*args, "--check"]) == 0
    rows = _rows()
    rows[0]["value"] = 0.949
    source.write_text(json.dumps(rows), encoding="utf-8")
    assert main([*args, "--check"]) == 1
    main(args)
    assert "≥ 0.95 MISSED" in _table_line(doc.read_text(encoding="utf-8"), "instafake-fake-v1.0")
