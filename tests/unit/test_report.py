"""The README Reliability section is regenerated from measured JSON, replacing (not duplicating) itself."""

from __future__ import annotations

import pandas as pd

from authfit_bench.reliability_report import HEADING, render, replace_section


def test_section_reports_the_measured_counts_and_replaces_itself():
    cases = pd.DataFrame([
        {"kind": "bad_input", "test": "validator", "tried": 50, "failed": 0},
        {"kind": "bad_input", "test": "validator", "tried": 50, "failed": 2},
        {"kind": "kill_resume", "run": 0, "kills": 2, "identical": True, "rows": 10, "duplicates": 0},
    ])
    load = {"clients": 8, "requests_sent": 20000, "requests_planned": 20000, "elapsed_s": 100.0,
            "requests_per_s": 200.0, "latency_ms_p50": 30.0, "latency_ms_p99": 90.0, "errors": 0,
            "rss_mb_after_warmup": 200.0, "rss_mb_after_run": 204.0, "rss_growth_pct": 2.0, "target_met": True}
    section = render(cases, load, {"status": "unreachable", "detail": "connection refused"})
    assert "100 cases tried, 2 failed" in section
    assert "1 runs with 2 kills; 1 of 1 final outputs identical" in section
    assert "20000 of 20000 requests" in section and "+2.00%" in section and "met" in section
    assert "unreachable: connection refused" in section
    readme = "# x\n\nintro\n\n## Development\n\n- dev\n"
    once = replace_section(readme, section)
    twice = replace_section(once, render(cases.iloc[:1], None, None))
    assert once.index(HEADING) < once.index("## Development")
    assert twice.count(HEADING) == 1 and "50 cases tried, 0 failed" in twice and "## Development\n\n- dev" in twice
