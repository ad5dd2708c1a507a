"""The streamed-memory table of `authfit_bench.features_speed --streamed-page`: one column per run and size,
every row as wide as the header, and the 4x/1x ratio under each run's 4x column."""

from __future__ import annotations

from authfit_bench.features_speed import streamed_page


def _report(peak_1x: int, peak_4x: int) -> dict[str, object]:
    def size(n: int, peak: int) -> dict[str, float]:
        return {"n_accounts": n, "peak_rss_mb": peak, "workers_peak_rss_mb": 600, "rss_after_loading_builder_mb": 300,
                "partition_and_validation_s": 1.5, "transform_s": 2.5}

    return {"details": {"simulated": {"streamed": {"1x": size(100, peak_1x), "4x": size(400, peak_4x),
                                                   "rss_ratio_4x": round(peak_4x / peak_1x, 2)}}}}


def test_every_row_has_a_cell_per_run_and_size_and_ratios_sit_under_4x():
    page = streamed_page([("old", _report(800, 1_100)), ("new", _report(800, 840))])
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in page.splitlines()]
    assert rows[0] == ["", "old 1x", "old 4x", "new 1x", "new 4x"]
    assert all(len(row) == 5 for row in rows)
    peaks = next(row for row in rows if row[0].startswith("parent peak RSS, MB"))
    assert peaks[1:] == ["800", "1,100", "800", "840"]
    assert rows[-1][1:] == ["", "**1.38**", "", "**1.05**"]
