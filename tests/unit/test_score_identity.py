"""The before/after check of speed changes: it must pass equal outputs and catch a moved probability, a
changed reason or a lost reject."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from authfit_bench.score_identity import compare


def _write(directory: Path, probability: float, reason: str, rejects: int) -> Path:
    directory.mkdir()
    pd.DataFrame({"account_id": ["a", "b"], "fake_engagement_probability": [probability, float("nan")],
                  "scored_at": ["2026-01-01", "2026-02-02"]}).to_parquet(directory / "world.parquet")
    raw = [{"influencers": [{"account_id": "a", "reasons": [reason]}],
            "rejects": [{"table": "posts", "row": r + 1, "reason": "x"} for r in range(rejects)]}]
    (directory / "service.json").write_text(json.dumps({"raw": raw, "accounts": []}))
    return directory


def test_equal_outputs_pass_whatever_their_scoring_time(tmp_path: Path) -> None:
    before = _write(tmp_path / "before", 0.25, "few comments", 2)
    after = _write(tmp_path / "after", 0.25 + 1e-14, "few comments", 2)
    assert compare(before, after) == []


def test_a_moved_probability_a_changed_reason_and_a_lost_reject_are_each_caught(tmp_path: Path) -> None:
    before = _write(tmp_path / "before", 0.25, "few comments", 2)
    moved = compare(before, _write(tmp_path / "moved", 0.25 + 1e-9, "few comments", 2))
    assert len(moved) == 1 and "world.parquet" in moved[0]
    assert any("reasons" in p for p in compare(before, _write(tmp_path / "reason", 0.25, "many comments", 2)))
    assert any("rejects" in p for p in compare(before, _write(tmp_path / "lost", 0.25, "few comments", 1)))
