"""The `authfit` command line. Every command is a thin shell over library functions."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

app = typer.Typer(
    name="authfit",
    help="Which influencers are authentic, and which will convert.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
log = logging.getLogger("authfit")

DataDir = Annotated[Path, typer.Argument(help="Directory holding one CSV or Parquet file per contract table.")]


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(levelname)s %(message)s")


@app.callback()
def _root(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail.")] = False) -> None:
    _configure_logging(verbose)


@app.command()
def validate(
    data: DataDir,
    rejects: Annotated[Path, typer.Option(help="Where to write rejected rows with their reasons.")] = Path(
        "results/rejects.csv"
    ),
    now: Annotated[str | None, typer.Option(help="Reference time for 'in the future' checks (ISO 8601).")] = None,
) -> None:
    """Check every contract table in DATA; report each problem with its table, column and row."""
    from authfit.io import read_raw_tables, write_atomic
    from authfit.validate import summarise_problems, validate_tables

    reference = pd.Timestamp(now, tz="UTC") if now else None
    result = validate_tables(read_raw_tables(data), now=reference)
    if not result.counts.empty:
        typer.echo(result.counts.to_string(index=False))
    else:
        typer.echo(f"no contract tables found in {data}")
    if result.ok:
        typer.echo("all rows valid")
        return
    typer.echo("\nproblems (example rows are 1-based data rows of each file):")
    typer.echo(summarise_problems(result.problems).to_string(index=False))
    write_atomic(result.rejects, rejects)
    typer.echo(f"\n{len(result.rejects)} rejected rows written to {rejects}")
    raise typer.Exit(code=1)


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Directory to write the world's tables into.")] = Path("data/demo"),
    influencers: Annotated[int, typer.Option(min=1, help="Number of influencers.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same world.")] = 0,
    config: Annotated[Path, typer.Option(help="Simulation parameters.")] = Path("configs/simulate.yaml"),
    chunk_size: Annotated[int, typer.Option(min=1, help="Influencers generated per chunk.")] = 2000,
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv")] = "parquet",
    realism_report: Annotated[bool, typer.Option("--realism-report", help="Compare with real data sets.")] = False,
) -> None:
    """Generate a synthetic influencer world with known ground truth."""
    from authfit.config import load_settings
    from authfit.simulate import SimulationSettings, write_world

    settings = load_settings(config, SimulationSettings)
    summary = write_world(settings, influencers, seed, out, chunk_size=chunk_size, fmt=fmt)
    typer.echo(f"wrote {summary} to {out}")
    if realism_report:
        _print_realism_report(out)


def _print_realism_report(world: Path) -> None:
    from authfit.io import read_raw_tables
    from authfit.realism import realism_markdown, realism_report
    from authfit.datasets.paths import datasets_root

    root = datasets_root()
    if not root.is_dir():
        typer.echo(f"realism report skipped: no real data sets at {root} (set $AUTHFIT_DATASETS)")
        return
    from authfit.validate import validate_tables

    tables = validate_tables(read_raw_tables(world)).tables
    typer.echo(realism_markdown(realism_report(tables, root)))


def main() -> None:
    """Console entry point: errors reach the user as one clear line, never as a traceback."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence for users
        if os.environ.get("AUTHFIT_DEBUG"):
            raise
        typer.echo(f"error: {exc}", err=True)
        typer.echo("(set AUTHFIT_DEBUG=1 to see the traceback)", err=True)
        sys.exit(2)
