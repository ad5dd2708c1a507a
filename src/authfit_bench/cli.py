"""The measuring commands, offered under `authfit` through the entry-point group `authfit.commands`
(pyproject.toml): `authfit benchmark` and `authfit realism`. The product CLI loads them when this package is
installed and never names them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

PARTS_HELP = "accounts, transfer, comments, simulated, audience, audience-simulated, planted"


def benchmark(
    out: Annotated[Path, typer.Option(help="Directory for benchmark.json, benchmark.md, transfer_matrix.png; they "
                                           "join every part saved under DIR/parts/, the latest run of each.")] = Path(
        "results"),
    repeats: Annotated[int | None, typer.Option(min=1, help="CV repeats (default 5; 1 with --quick).")] = None,
    folds: Annotated[int | None, typer.Option(min=2, help="CV folds (default 10; 3 with --quick).")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="CI size: 1x3-fold CV and small simulated worlds.")] = False,
    part: Annotated[list[str] | None, typer.Option(
        help=f"Run only this part ({PARTS_HELP}); repeat for several.")] = None,
    influencers: Annotated[int | None, typer.Option(min=50, help="Simulated training world size.")] = None,
    test_influencers: Annotated[int | None, typer.Option(min=50, help="Simulated evaluation world size.")] = None,
    resume: Annotated[bool, typer.Option(help="Reuse parts finished earlier with the same settings.")] = True,
    datasets: Annotated[Path | None, typer.Option(help="Real data sets (default $AUTHFIT_DATASETS).")] = None,
    train_config: Annotated[Path, typer.Option(help="Training settings.")] = Path("configs/train.yaml"),
    simulate_config: Annotated[Path, typer.Option(help="Base world parameters.")] = Path("configs/simulate.yaml"),
) -> None:
    """Real-data and simulated-world benchmark against the published anchors."""
    from authfit.cli import feature_settings
    from authfit.config import load_settings
    from authfit.simulate import SimulationSettings
    from authfit.training.train_settings import TrainSettings
    from authfit_bench.benchmarks.report import PARTS, BenchmarkPlan, PartInputs, describe_run, part_runner
    from authfit_bench.benchmarks.report import run_benchmark
    from authfit_bench.benchmarks.report import write_report as write_benchmark

    plan = BenchmarkPlan.quick(tuple(part or PARTS)) if quick else BenchmarkPlan(parts=tuple(part or PARTS))
    sizes = {k: v for k, v in (("train_influencers", influencers), ("test_influencers", test_influencers)) if v}
    plan = plan.model_copy(update={k: v for k, v in (("repeats", repeats), ("folds", folds)) if v is not None}
                           | {"simulated": plan.simulated.model_copy(update=sizes)})
    train = load_settings(train_config, TrainSettings)
    inputs = PartInputs(datasets, load_settings(simulate_config, SimulationSettings), train,
                        feature_settings(train, train_config), out / "work")
    rows, status = run_benchmark(BenchmarkPlan.model_validate(plan.model_dump()), out, part_runner(inputs), resume,
                                 inputs.fingerprint)
    paths = write_benchmark(rows, out, describe_run(plan, status))
    typer.echo(f"{len(rows)} rows; " + ", ".join(str(p) for p in paths.values()))
    for name, text in status.items():
        typer.echo(f"  {name}: {text}")


def realism(
    world: Annotated[Path, typer.Argument(help="Directory of a simulated world (`authfit simulate --out`).")],
) -> None:
    """Compare a simulated world with the real data sets: activity statistics, and the fraud-relevant ones
    against their pass/fail bounds."""
    from authfit.datasets.paths import datasets_root
    from authfit.contract.io import read_raw_tables
    from authfit.contract.validate import validate_tables
    from authfit_bench.realism import fraud_checks, fraud_markdown, fraud_samples, real_fraud_tables
    from authfit_bench.realism import realism_markdown, realism_report

    root = datasets_root()
    if not root.is_dir():
        typer.echo(f"realism report skipped: no real data sets at {root} (set $AUTHFIT_DATASETS)")
        return
    tables = validate_tables(read_raw_tables(world)).tables
    typer.echo(realism_markdown(realism_report(tables, root)))
    typer.echo("\nFraud-relevant statistics against their bounds:\n")
    typer.echo(fraud_markdown(fraud_checks(fraud_samples(tables), fraud_samples(real_fraud_tables(root)))))
