"""The load test end to end on a small scale (the full run is `make bench-load`): a real `authfit serve`
subprocess takes every kind of request, answers each row for row, and the figures add up."""

from __future__ import annotations

import pytest

from authfit_bench.loadtest import ACCOUNTS, FEATURES, INFLUENCERS, run


@pytest.mark.slow
def test_small_load_run_has_no_errors_and_reports_every_endpoint(trained, scorer):
    if scorer.account is None:
        pytest.skip("the model set has no account model (it is trained on the real data sets in $AUTHFIT_DATASETS)")
    figures = run(str(trained.models / "latest"), requests=300, clients=4, warmup=50, time_limit_s=240,
                  influencer_every=25)
    assert figures["requests_sent"] == 300 and figures["errors"] == 0, figures["error_kinds"]
    per = figures["per_endpoint"]
    assert per[INFLUENCERS]["requests"] == 12
    assert per[ACCOUNTS]["requests"] + per[FEATURES]["requests"] == 288
    assert all(per[p]["latency_ms"]["p50"] > 0 for p in per)
    assert figures["server_log_lines"] >= 350  # every request reached the server (and its access log)
    # a server that kept part of each request would grow; the full run holds 10% over many more requests
    assert abs(figures["rss_growth_pct"]) <= 25.0, figures["rss_mb_samples"]
