"""Stream a world to disk chunk by chunk, so memory is bounded by the chunk, not the world."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from authfit.simulate.world_settings import SimulationSettings
from authfit.simulate.world import CONTRACT_TABLES, TRUTH_TABLES, iter_blocks, plan_world

FORMATS = ("parquet", "csv")


@dataclass
class WorldSummary:
    out_dir: Path
    n_influencers: int
    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    def __str__(self) -> str:
        counts = ", ".join(f"{name}={count:,}" for name, count in self.rows.items())
        return f"{self.n_influencers:,} influencers (seed {self.seed}): {counts}"


def table_file(out_dir: Path, name: str, fmt: str) -> Path:
    """Contract tables at the top of out_dir; truth tables under out_dir/truth/ (always Parquet)."""
    if name in TRUTH_TABLES:
        return out_dir / "truth" / f"{name.removeprefix('truth_')}.parquet"
    return out_dir / f"{name}.{fmt}"


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """Column by column, so UTC timestamps keep their zone (pyarrow's from_pandas goes through the
    deprecated tz-dropping `Series.values` on pandas 3)."""
    columns = {}
    for name, series in frame.items():
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            naive = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
            columns[name] = pa.array(naive, type=pa.timestamp("ns", tz="UTC"))
        else:
            columns[name] = pa.array(series.array if series.dtype == "str" else series.to_numpy())
    return pa.table(columns)


class _TableSink:
    """Appends frames to one file: Parquet row groups, or CSV with a single header."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.partial")
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0

    def append(self, frame: pd.DataFrame) -> None:
        if self.path.suffix == ".csv":
            frame.to_csv(self.tmp, mode="a", header=self.rows == 0, index=False)
        else:
            table = to_arrow(frame)
            if self.writer is None:
                self.writer = pq.ParquetWriter(self.tmp, table.schema)
            self.writer.write_table(table)
        self.rows += len(frame)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.tmp.replace(self.path)  # only a finished file gets the real name


def _flush(sinks: dict[str, _TableSink], pending: dict[str, list[pd.DataFrame]]) -> None:
    for name, frames in pending.items():
        if frames:
            sinks[name].append(pd.concat(frames, ignore_index=True))
    pending.clear()


def write_world(settings: SimulationSettings, n_influencers: int, seed: int, out_dir: Path,
                chunk_size: int = 2000, fmt: str = "parquet") -> WorldSummary:
    """Generate and write the world in chunks of about `chunk_size` influencers. The files hold the same
    rows whatever the chunk size (generation runs in fixed blocks); only row-group sizes change."""
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    if n_influencers < 1 or chunk_size < 1:
        raise ValueError("n_influencers and chunk_size must be at least 1")
    out_dir = Path(out_dir)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    plan = plan_world(settings, n_influencers, seed)
    names = (*CONTRACT_TABLES, *TRUTH_TABLES)
    sinks = {name: _TableSink(table_file(out_dir, name, fmt)) for name in names}
    sinks["campaigns"].append(plan.campaigns.table)
    pending: dict[str, list[pd.DataFrame]] = {}
    held = 0
    for tables in iter_blocks(plan):
        for name, frame in tables.items():
            pending.setdefault(name, []).append(frame)
        held += len(tables["accounts"])
        if held >= chunk_size:
            _flush(sinks, pending)
            held = 0
    _flush(sinks, pending)
    for sink in sinks.values():
        sink.close()
    return WorldSummary(out_dir, n_influencers, seed, {n: s.rows for n, s in sinks.items()},
                        {n: s.path for n, s in sinks.items()})
