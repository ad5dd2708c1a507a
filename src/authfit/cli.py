"""The `authfit` command line. Every command is a thin shell over library functions."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer

if TYPE_CHECKING:
    from authfit.features.build import FeatureSettings
    from authfit.training.train_settings import TrainSettings

app = typer.Typer(
    name="authfit",
    help="Which influencers are authentic, and which will convert.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
log = logging.getLogger("authfit")

DEFAULT_SIMULATE_CONFIG = Path("configs/simulate.yaml")
DataDir = Annotated[Path, typer.Argument(help="Directory holding one CSV or Parquet file per contract table.")]
DATE_FORMAT_HELP = ("strftime format of dates that are not ISO 8601, e.g. %d/%m/%Y; without it, numeric "
                    "day/month dates such as 09/07/2018 are rejected as ambiguous, never guessed.")


# Loggers of libraries that log at DEBUG what no authfit user asks for (matplotlib's font search alone
# prints hundreds of lines under -v).
QUIET_ALWAYS = ("matplotlib", "PIL", "numba", "urllib3", "asyncio", "fsspec", "git", "filelock")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format=LOG_FORMAT,
                        datefmt="%Y-%m-%d %H:%M:%S")
    for noisy in QUIET_ALWAYS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Library warnings (pandas, numpy RuntimeWarning on an all-NaN column, ...) go through logging: shown
    # with -v as timestamped lines, hidden otherwise, since the user cannot act on them.
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").setLevel(logging.WARNING if verbose else logging.ERROR)
    if not verbose:  # MLflow's own chatter (DB migrations, download bars) drowns what the user needs to see
        for noisy in ("mlflow", "alembic", "distributed", "httpx"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        # distributed sets its loggers' levels from its config when imported, after this runs
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")


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
    date_format: Annotated[str | None, typer.Option(help=DATE_FORMAT_HELP)] = None,
) -> None:
    """Check every contract table in DATA; report each problem with its table, column and row."""
    from authfit.contract.io import output_format, read_raw_tables, write_atomic
    from authfit.contract.validate import summarise_problems, validate_tables

    output_format(rejects)
    reference = pd.Timestamp(now, tz="UTC") if now else None
    result = validate_tables(read_raw_tables(data), now=reference, date_format=date_format)
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
    typer.echo(f"\n{rejected_summary(result.rejects)} written to {rejects}")
    raise typer.Exit(code=1)


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Directory to write the world's tables into.")] = Path("data/demo"),
    influencers: Annotated[int, typer.Option(min=1, help="Number of influencers.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same world.")] = 0,
    config: Annotated[Path | None, typer.Option(
        help="Simulation parameters (default: configs/simulate.yaml when it exists here, else the built-in "
             "parameters, which that file lists).")] = None,
    chunk_size: Annotated[int, typer.Option(min=1, help="Influencers generated per chunk.")] = 2000,
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv")] = "parquet",
) -> None:
    """Generate a synthetic influencer world with known ground truth."""
    from authfit.config import load_settings
    from authfit.simulate import SimulationSettings, write_world

    if config is None and DEFAULT_SIMULATE_CONFIG.is_file():
        config = DEFAULT_SIMULATE_CONFIG
    settings = load_settings(config, SimulationSettings) if config is not None else SimulationSettings()
    log.info("simulation parameters: %s", config or "built-in (outside the repository: no configs/simulate.yaml)")
    summary = write_world(settings, influencers, seed, out, chunk_size=chunk_size, fmt=fmt)
    typer.echo(f"wrote {summary} to {out}")


@app.command()
def train(
    config: Annotated[Path, typer.Option(help="Training settings.")] = Path("configs/train.yaml"),
    data: Annotated[Path | None, typer.Option(help="Override the data directory in the config.")] = None,
    engine: Annotated[str | None, typer.Option(
        help="local or dask: where the influencer-level boosters are fitted (default from the config).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address (engine dask); without it a local cluster is started.")] = None,
) -> None:
    """Train the four models, write bundles under models/, log and register them in MLflow."""
    from authfit.config import load_settings
    from authfit.training.pipeline import train_all
    from authfit.training.train_settings import TrainSettings

    settings = with_engine(load_settings(config, TrainSettings), engine, scheduler)
    if settings.engine.kind == "dask":
        from authfit.modeling.dask_lgbm import quiet_lightgbm

        quiet_lightgbm()
    if data is not None:
        settings = settings.model_copy(update={"data": data})
    summary = train_all(settings, feature_settings(settings, config))
    typer.echo(f"trained model set {summary.version}")
    for name, path in summary.bundles.items():
        shown = {k: round(v, 4) for k, v in summary.metrics.get(name, {}).items()
                 if k in ("roc_auc", "pr_auc", "f1", "brier", "ece", "poisson_deviance", "spearman", "ndcg_at_10")}
        alias = f", registry: @{summary.promotion.alias}" if summary.promotion else ""
        timed = (f", fitted in {summary.fit_seconds[name]:.1f} s (engine {settings.engine.kind})"
                 if name in summary.fit_seconds else "")
        typer.echo(f"  {name}: {path}  {shown}{alias}{timed}")
    for note in summary.notes:
        typer.echo(f"  note: {note}")


def feature_settings(settings: TrainSettings, config: Path) -> FeatureSettings:
    """The feature settings a training config names (`features_config`), or the built-in ones when it is
    null; a missing file is said with the config that names it."""
    from authfit.config import ConfigError, load_settings
    from authfit.features.build import FeatureSettings

    if settings.features_config is None:
        return FeatureSettings()
    if not settings.features_config.is_file():
        raise ConfigError(f"features_config of {config} is {settings.features_config}, which does not exist: copy "
                          "configs/features.yaml there, or set features_config: null for the built-in settings")
    return load_settings(settings.features_config, FeatureSettings)


def with_engine(settings: TrainSettings, engine: str | None, scheduler: str | None) -> TrainSettings:
    """The settings with the command line's engine and scheduler, validated like the config's."""
    from authfit.modeling.model_settings import EngineSettings

    if scheduler is not None and (engine or settings.engine.kind) != "dask":
        raise typer.BadParameter("--scheduler needs --engine dask (or engine.kind: dask in the config)")
    update = {k: v for k, v in (("kind", engine), ("scheduler", scheduler)) if v is not None}
    chosen = EngineSettings.model_validate(settings.engine.model_dump() | update)
    return settings.model_copy(update={"engine": chosen})


@app.command()
def score(
    data: Annotated[Path, typer.Option(help="Directory of contract tables to score.")],
    out: Annotated[Path, typer.Option(help="Output file, .parquet or .csv.")],
    model: Annotated[str, typer.Option(help="models/latest, a models directory, or models:/authfit-...@alias")] = (
        "models/latest"),
    campaign: Annotated[str | None, typer.Option(help="Also predict conversions for this campaign id.")] = None,
    chunk_size: Annotated[int, typer.Option(min=1, help="Influencers per chunk (bounds memory).")] = 2000,
    engine: Annotated[str, typer.Option(help="local or dask")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (engine dask).")] = None,
    top: Annotated[int, typer.Option(help="Rows of the ranked table to print.")] = 10,
    as_of: Annotated[str | None, typer.Option(help=(
        "Score every influencer as of this time (ISO 8601, UTC when no zone), so a score does not depend on "
        "the rest of the input. Default: the latest time in the whole input."))] = None,
    date_format: Annotated[str | None, typer.Option(help=DATE_FORMAT_HELP)] = None,
) -> None:
    """Score every influencer in DATA in resumable chunks; rejected rows go to OUT's rejects file."""
    from authfit.contract.io import output_format, require_directory
    from authfit.scoring.batch_files import print_ranked, score_directory

    output_format(out)
    require_directory(data)
    when = pd.Timestamp(as_of) if as_of else None
    when = when.tz_localize("UTC") if when is not None and when.tzinfo is None else when
    summary = score_directory(data, out, model, campaign=campaign, chunk_size=chunk_size, engine=engine,
                              scheduler=scheduler, as_of=when, date_format=date_format)
    rejected = rejected_summary(pd.read_csv(summary.rejects)) if summary.rejects else "no input row rejected"
    typer.echo(f"scored {summary.rows} influencers into {summary.output} ({rejected}"
               f"{', see ' + str(summary.rejects) if summary.rejects else ''}; {summary.resumed_chunks} chunks resumed)")
    typer.echo("stage seconds: " + ", ".join(f"{name} {seconds:.2f}" for name, seconds in summary.stage_seconds.items()))
    typer.echo(print_ranked(summary.output, top))


accounts_app = typer.Typer(help="Score single accounts (followers, commenters).", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")


@accounts_app.command("score")
def accounts_score(
    in_: Annotated[Path, typer.Option("--in", help="CSV or Parquet of account rows (contract profile columns).")],
    out: Annotated[Path, typer.Option(help="Where to write the rows with fake_probability, is_fake, reasons.")],
    model: Annotated[str, typer.Option(help="models/latest or a models directory")] = "models/latest",
) -> None:
    """Fake probability, verdict and top reasons for each account row; any optional column may be absent."""
    from authfit.contract.io import output_format
    from authfit.scoring.batch_files import score_accounts_file

    output_format(out)
    written, rejected = score_accounts_file(in_, out, model)
    typer.echo(f"scored {written} accounts into {out}" + (f"; {rejected} rejected rows in {rejected_path(out)}"
                                                           if rejected else ""))


def rejected_summary(rejects: pd.DataFrame) -> str:
    """'80 rejected input rows (comments 50, posts 30)': which tables the rejected rows came from, so a
    count of comment rows is not read as a count of influencers."""
    if "table" not in rejects or rejects.empty:
        return f"{len(rejects)} rejected input rows"
    counts = rejects["table"].value_counts()
    return (f"{len(rejects)} rejected input rows (" + ", ".join(f"{t} {n}" for t, n in counts.items()) + ")")


def rejected_path(out: Path) -> Path:
    from authfit.scoring.chunks import rejects_path

    return rejects_path(out)


@app.command()
def shortlist(
    scores: Annotated[Path, typer.Option(help="Campaign scores written by `authfit score --campaign`.")],
    campaign: Annotated[str, typer.Option(help="Campaign id.")],
    budget: Annotated[float, typer.Option(help="Total budget, in the campaign's currency.")],
    max_per_niche: Annotated[int | None, typer.Option(help="At most this many influencers per niche.")] = None,
    min_authenticity: Annotated[float | None, typer.Option(help="Authenticity score gate (0-100).")] = None,
    out: Annotated[Path, typer.Option(help="Where to write the chosen set.")] = Path("results/shortlist.csv"),
    include_flagged: Annotated[bool, typer.Option(
        "--include-flagged", help="Also consider influencers flagged for fake engagement, and those without a "
                                  "verdict (insufficient data); both are excluded by default.")
    ] = False,
) -> None:
    """Pick the influencers that maximise expected conversions within the budget (exact knapsack).
    Influencers flagged for fake engagement are left out unless --include-flagged."""
    from authfit.contract.io import output_format
    from authfit.scoring.batch_files import run_shortlist

    output_format(out)
    typer.echo(run_shortlist(scores, campaign, budget, max_per_niche, min_authenticity, out, include_flagged))


@app.command()
def serve(
    model: Annotated[str | None, typer.Option(help="Model to serve (default from the config).")] = None,
    host: Annotated[str | None, typer.Option(help="Bind address; 127.0.0.1 unless told otherwise.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    config: Annotated[Path | None, typer.Option(help="Service settings (limits, API key variable).")] = Path(
        "configs/serve.yaml"),
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes, each with the model loaded "
                                                            "(default from the config).")] = None,
) -> None:
    """Serve the scorer over HTTP (FastAPI); OpenAPI at /openapi.json. SIGHUP reloads the model."""
    from authfit.serve.run import load_service_settings, serve as run_service

    run_service(load_service_settings(config if config and config.exists() else None, model=model, host=host,
                                      port=port, workers=workers))


@app.command()
def report(
    scores: Annotated[Path, typer.Option(help="Scores written by `authfit score` (or a shortlist CSV).")],
    data: Annotated[Path, typer.Option(help="Directory of the contract tables that were scored.")],
    out: Annotated[Path, typer.Option(help="Where to write the HTML report.")] = Path("results/report.html"),
    account: Annotated[list[str] | None, typer.Option(help="Influencer to audit; repeat for several.")] = None,
    top: Annotated[int, typer.Option(min=1, help="Without --account: audit the top N of the scores.")] = 5,
    model: Annotated[str, typer.Option(help="Model set whose feature builder scored the data.")] = "models/latest",
) -> None:
    """Write a self-contained HTML audit (charts embedded) for one influencer or a shortlist."""
    from authfit.report import write_report

    if not out.name.lower().endswith((".html", ".htm")):
        raise typer.BadParameter(f"the report is HTML; name the file .html (got {out.name})", param_hint="--out")
    typer.echo(f"report written to {write_report(scores, data, out, model, account or None, top)}")


PLUGIN_GROUP = "authfit.commands"


def add_plugin_commands(target: typer.Typer) -> None:
    """Commands that other installed packages offer under `authfit` through the entry-point group
    `authfit.commands` (authfit_bench's `benchmark` and `realism`). The product names none of them, so it
    runs, and is tested, without its measuring instruments."""
    from importlib.metadata import entry_points

    for entry in entry_points(group=PLUGIN_GROUP):
        target.command(name=entry.name)(entry.load())


add_plugin_commands(app)


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
