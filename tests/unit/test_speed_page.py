"""docs/speed-stages.md's generator: every stage and ratio run of the JSON given appears, and --check
notices a stale page."""

from __future__ import annotations

import json

from authfit_bench.speed_page import main, render


def _write(path, data):
    path.write_text(json.dumps(data))
    return path


def test_the_page_lists_each_stage_with_its_inner_stages_and_each_ratio_run(tmp_path):
    stages = _write(tmp_path / "stages.json", {"clock": "cpu", "request_stages": {
        "load": {"Scorer.load": 300.0, "warm": 2500.0},
        "raw influencer": {"validate_tables | first": 40.0, "validate_tables | median": 38.5,
                           "  validate_tables: _coerce | first": 30.0, "  validate_tables: _coerce | median": 29.0},
        "accounts 1-5": {"score_accounts | first": 5.0, "score_accounts | median": 4.25}}})
    old = _write(tmp_path / "old-1.json", {"service_ratios": {"service_p50_ms": 1.5,
                                                                "accounts_1_row_p50_over_precomputed_p50": 9.0}})
    page = render([stages, old])
    assert "| validate_tables | 40.0 | 38.5 |" in page and "| - validate_tables: _coerce | 30.0 | 29.0 |" in page
    assert "| score_accounts | 5.0 | 4.2 |" in page and "CPU milliseconds" in page
    row = next(line for line in page.splitlines() if line.startswith("| old-1 |"))
    assert "1.50" in row and "9.0" in row


def test_check_fails_on_a_stale_page_and_passes_once_written(tmp_path):
    data = _write(tmp_path / "new-1.json", {"service_ratios": {"service_p50_ms": 1.2}})
    doc = tmp_path / "speed.md"
    assert main(["--json", str(data), "--doc", str(doc), "--check"]) == 1
    assert main(["--json", str(data), "--doc", str(doc)]) == 0
    assert main(["--json", str(data), "--doc", str(doc), "--check"]) == 0


def test_load_test_runs_get_a_row_each(tmp_path):
    run = _write(tmp_path / "load-new.json", {
        "server_workers": 2, "requests_sent": 3000, "requests_per_s": 107.7, "server_cpu_ms_per_request": 8.54,
        "errors": 0, "rss_growth_pct": 0.19,
        "per_endpoint": {"/v1/accounts/score": {"latency_ms": {"p50": 79.9}},
                         "/v1/features/score": {"latency_ms": {"p50": 48.2}}}})
    row = next(line for line in render([run]).splitlines() if line.startswith("| load-new |"))
    assert row == "| load-new | 2 | 3000 | 107.7 | 8.5 | 80 | 48 | nan | 0 | 0.2 |"


def test_a_whole_bench_run_gets_its_headline_figures_and_the_raw_ratio(tmp_path):
    run = _write(tmp_path / "bench-new.json", {
        "service_p50_ms": 1.6, "service_p99_ms": 2.4, "latency_ratio_vs_mlflow": 8.7,
        "scorer_vs_booster_throughput_ratio": 0.97, "service_raw_p50_ms": 48.0,
        "end_to_end_vs_features_ratio": 0.587, "end_to_end_vs_features_cpu_ratio": 0.594,
        "batch_time_ratio_4x": 3.06, "peak_rss_ratio_4x": 1.09})
    row = next(line for line in render([run]).splitlines() if line.startswith("| bench-new |"))
    assert row == "| bench-new | 1.60 | 2.40 | 8.7 | 0.97 | 48 | 30 | 0.587 | 0.594 | 3.06 | 1.09 |"
