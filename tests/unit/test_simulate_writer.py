"""Writing worlds to disk: chunking, formats, and agreement with the in-memory world."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from authfit.contract.io import read_raw_tables
from authfit.simulate import CONTRACT_TABLES, SimulationSettings, generate_world, write_world

SETTINGS = SimulationSettings(block_size=20)


def _read(out: Path) -> dict[str, pd.DataFrame]:
    tables = read_raw_tables(out)
    tables["truth_influencers"] = pd.read_parquet(out / "truth" / "influencers.parquet")
    tables["truth_outcomes"] = pd.read_parquet(out / "truth" / "outcomes.parquet")
    return tables


def test_files_do_not_depend_on_chunk_size_and_match_generate_world(tmp_path: Path):
    small = write_world(SETTINGS, 50, 4, tmp_path / "a", chunk_size=7)
    large = write_world(SETTINGS, 50, 4, tmp_path / "b", chunk_size=1000)
    a, b = _read(tmp_path / "a"), _read(tmp_path / "b")
    memory = generate_world(SETTINGS, 50, 4)
    assert set(a) == set(memory)
    for name, frame in memory.items():
        pd.testing.assert_frame_equal(a[name], b[name])
        pd.testing.assert_frame_equal(a[name], frame, check_dtype=False)
    assert small.rows == large.rows == {name: len(frame) for name, frame in memory.items()}
    assert small.files["truth_influencers"] == tmp_path / "a" / "truth" / "influencers.parquet"


def test_same_seed_same_world_other_seed_other_world():
    one, again, other = (generate_world(SETTINGS, 30, s) for s in (1, 1, 2))
    for name in one:
        pd.testing.assert_frame_equal(one[name], again[name])
    assert not one["posts"]["like_count"].equals(other["posts"]["like_count"])


def test_csv_output_has_every_contract_table(tmp_path: Path):
    summary = write_world(SETTINGS, 25, 0, tmp_path, chunk_size=10, fmt="csv")
    for name in CONTRACT_TABLES:
        frame = pd.read_csv(tmp_path / f"{name}.csv")
        assert len(frame) == summary.rows[name] > 0
    assert (tmp_path / "truth" / "influencers.parquet").is_file()
    assert not list(tmp_path.glob(".*partial"))
    assert "25 influencers" in str(summary)


def test_bad_arguments_are_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="fmt"):
        write_world(SETTINGS, 5, 0, tmp_path, fmt="xlsx")
    with pytest.raises(ValueError):
        generate_world(SETTINGS, 0, 0)
