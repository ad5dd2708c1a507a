"""Throughput and memory of the whole FeatureBuilder: a simulated world at 1x and 4x, and real kim2020 posts.

Two memory figures: the transform of tables held whole in memory (`in-memory`), and the streamed path that
batch scoring takes (`streamed`: the world's files partitioned into buckets of accounts on disk, each bucket
validated and transformed on its own, in a subprocess whose peak RSS is read from getrusage).

`python -m authfit_bench.features_speed --out results/bench-features.json` (the lead's `make bench-features`).
Not a test: it takes minutes. Figures are wall-clock on this machine, with whatever else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from authfit.features.build import FeatureBuilder, FeatureSettings
from authfit.features.comment_patterns import CommentScorer

_SPAM_WORDS = r"check my|dm |dm$|follow me|follow back|crypto|giveaway|promo|collab|link in"


def _process_pss_mb(pid: str) -> float:
    """Proportional set size: shared pages are split between the processes sharing them, so the sum over
    the parent and its forked workers is the memory actually in use."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:  # the worker ended between listing and reading
        pass
    return 0.0


def _own_peak_rss_mb() -> float:
    """This process's peak RSS since it started its program. Not getrusage: Linux carries ru_maxrss over
    exec from the forked parent, so a child started by a 3 GB parent would report at least 3 GB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_pids() -> list[str]:
    pids: list[str] = []
    for task in Path("/proc/self/task").iterdir():
        try:
            pids += (task / "children").read_text(encoding="ascii").split()
        except OSError:
            continue
    return pids


def rss_mb() -> float:
    """Memory in use by this process and its worker processes now (PSS from /proc, Linux)."""
    return _process_pss_mb("self") + sum(_process_pss_mb(pid) for pid in _child_pids())


@contextmanager
def peak_rss(interval_s: float = 0.1) -> Iterator[dict[str, float]]:
    """Samples RSS in a thread while the block runs; yields a dict filled with start/peak in MB."""
    result = {"start_mb": rss_mb(), "peak_mb": rss_mb()}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(interval_s):
            result["peak_mb"] = max(result["peak_mb"], rss_mb())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        result["peak_mb"] = max(result["peak_mb"], rss_mb())


def regex_spam_scorer(texts: pd.Series) -> np.ndarray:
    """A stand-in comment scorer (promotion phrases), used when no trained comment model is available."""
    return texts.str.lower().str.contains(_SPAM_WORDS, regex=True).to_numpy(dtype=np.float64, na_value=0.0)


def bundled_comment_scorer(path: Path) -> tuple[CommentScorer, str]:
    """The comment-spam model of a bundle (e.g. the shipped pretrained one): no training time per run."""
    from authfit.modeling.bundle import load_bundle
    from authfit.modeling.real_data_models import CommentModel

    bundle = load_bundle(path)
    return CommentModel(bundle).predict_proba, f"comment model of the bundle {bundle.path}"


def trained_comment_scorer() -> tuple[CommentScorer, str]:
    """The project's comment-spam model trained on the labelled comments, else the regex stand-in."""
    try:
        from authfit.datasets.labelled_comments import load_labelled_comments
        from authfit.modeling.comment_spam import CommentSpamSettings
        from authfit.training.comment_model import comment_groups

        # the model `authfit train` ships (its settings, both labelled sources), so the figure is the product's
        sources = ["uci-youtube-spam", "scamspot-ig-comments"]
        data = pd.concat([load_labelled_comments(name) for name in sources], ignore_index=True)
        groups = comment_groups(data)
        model = CommentSpamSettings().model(seed=0).fit(
            data["text"].astype("str"), data["label"].to_numpy(dtype=float), groups)
        return model.predict_proba_texts, f"stacked CommentSpamModel trained on {' + '.join(sources)}"
    except Exception as exc:  # noqa: BLE001 -- any failure falls back, and the report says which and why
        return regex_spam_scorer, f"regex stand-in ({type(exc).__name__}: {exc})"


def _cpu_seconds() -> float:
    """User + system seconds of this process and of its children that have ended (forked workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_builder(
    tables: dict[str, pd.DataFrame], settings: FeatureSettings, comment_scorer: CommentScorer | None,
    memory: bool = True,
) -> dict[str, float]:
    """Fit once, then time transform (the scoring path), then transform again under an RSS sampler. Timed
    and sampled apart because the sampler reads /proc/*/smaps_rollup of the parent and its forked workers,
    ~25 ms a sample at this size: every 0.1 s that took a quarter of a core from the two workers. Without
    `memory`, no second transform and no memory figures."""
    start = time.perf_counter()
    builder = FeatureBuilder(settings, comment_scorer=comment_scorer).fit(tables)
    fit_s = time.perf_counter() - start
    start, start_cpu = time.perf_counter(), _cpu_seconds()
    features = builder.transform(tables)
    transform_s, transform_cpu_s = time.perf_counter() - start, _cpu_seconds() - start_cpu
    n_comments, n_accounts = len(tables["comments"]), len(tables["accounts"])
    timing = {
        "n_accounts": n_accounts,
        "n_posts": len(tables["posts"]),
        "n_comments": n_comments,
        "n_features": features.shape[1],
        "fit_s": round(fit_s, 2),
        "transform_s": round(transform_s, 2),
        "comments_per_s": round(n_comments / transform_s),
        "influencers_per_s": round(n_accounts / transform_s, 1),
        # CPU seconds of this process and its finished workers: steadier than wall time on a busy machine
        "transform_cpu_s": round(transform_cpu_s, 2),
        "comments_per_cpu_s": round(n_comments / transform_cpu_s),
    }
    if not memory:
        return timing
    del features
    with peak_rss() as sampled:
        features = builder.transform(tables)
    return timing | {
        "rss_before_mb": round(sampled["start_mb"]),
        "peak_rss_mb": round(sampled["peak_mb"]),
        "peak_increase_mb": round(sampled["peak_mb"] - sampled["start_mb"]),
    }


def simulated_tables(n_influencers: int, seed: int) -> tuple[dict[str, pd.DataFrame], float]:
    """A validated simulated world and the seconds its generation and validation took."""
    from authfit.simulate.world_settings import SimulationSettings
    from authfit.simulate.world import generate_world
    from authfit.contract.validate import validate_tables

    start = time.perf_counter()
    world = generate_world(SimulationSettings(), n_influencers, seed)
    tables = validate_tables({k: v for k, v in world.items() if not k.startswith("truth")}).tables
    return tables, time.perf_counter() - start


def kim2020_tables(limit: int | None) -> dict[str, pd.DataFrame]:
    """Real kim2020 accounts (those with posts), posts and comments; no history or audience exists."""
    from authfit.datasets.kim2020 import read_kim2020_accounts, read_kim2020_posts

    posts, comments = read_kim2020_posts(limit=limit)
    accounts = read_kim2020_accounts()
    return {
        "accounts": accounts.loc[accounts["account_id"].isin(posts["account_id"])],
        "posts": posts,
        "comments": comments,
    }


def stream_features(world: Path, builder_path: Path, chunk_size: int, work: Path) -> dict[str, float]:
    """The streamed path in this process: partition `world` into buckets, validate each, and transform each
    with the fitted builder as of the latest time in the whole input. Returns seconds and peak RSS."""
    from authfit.scoring.batch_files import transform_piece
    from authfit.scoring.partition import load_bucket, partition_directory, validate_buckets

    with builder_path.open("rb") as stored:
        builder: FeatureBuilder = pickle.load(stored)
    # in pieces of at most half a bucket, as `authfit score` transforms its buckets
    builder.set_params(settings=builder.settings.model_copy(
        update={"chunk_size": transform_piece(builder.settings.chunk_size, chunk_size)}))
    loaded_mb = _own_peak_rss_mb()  # the interpreter, the libraries and the fitted builder
    start = time.perf_counter()
    partition = partition_directory(world, work, chunk_size)
    as_of = validate_buckets(partition)
    prepared = time.perf_counter()
    n_accounts = sum(len(builder.transform(load_bucket(partition, b).tables, as_of=as_of))
                     for b in range(partition.n_buckets))
    done = time.perf_counter()
    return {
        "n_accounts": n_accounts,
        "n_buckets": partition.n_buckets,
        "partition_and_validation_s": round(prepared - start, 2),
        "transform_s": round(done - prepared, 2),
        "influencers_per_s": round(n_accounts / (done - start), 1),
        # forked feature workers are children (getrusage reports KiB), whose peak is that of the largest one
        "rss_after_loading_builder_mb": round(loaded_mb),
        "peak_rss_mb": round(_own_peak_rss_mb()),
        "workers_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def streamed_run(tables: dict[str, pd.DataFrame], builder_path: Path, chunk_size: int, root: Path
                 ) -> dict[str, float]:
    """Write `tables` as Parquet files and run `stream_features` over them in a fresh subprocess."""
    from authfit.contract.io import write_tables

    world = root / "world"
    write_tables(tables, world)
    command = [sys.executable, "-m", "authfit_bench.features_speed", "--stream-child", str(world),
               "--builder", str(builder_path), "--bucket-size", str(chunk_size), "--work", str(root / "work")]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"streamed feature run failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_streamed(tables: dict[str, pd.DataFrame], four_times: dict[str, pd.DataFrame], settings: FeatureSettings,
                 scorer: CommentScorer | None, bucket_size: int) -> dict[str, object]:
    """Peak RSS of the streamed path at 1x and 4x the input, each in its own subprocess."""
    builder = FeatureBuilder(settings, comment_scorer=scorer).fit(tables)
    with tempfile.TemporaryDirectory(prefix="authfit-bench-") as tmp:
        root = Path(tmp)
        builder_path = root / "builder.pkl"
        with builder_path.open("wb") as stored:
            pickle.dump(builder, stored)
        one = streamed_run(tables, builder_path, bucket_size, root / "1x")
        four = streamed_run(four_times, builder_path, bucket_size, root / "4x")
    return {"bucket_size": bucket_size, "1x": one, "4x": four,
            "rss_ratio_4x": round(four["peak_rss_mb"] / one["peak_rss_mb"], 2)}


def streamed_page(runs: list[tuple[str, dict[str, object]]]) -> str:
    """A Markdown table of the streamed figures of `features_speed` outputs side by side (label, parsed JSON)."""
    rows = [("parent peak RSS, MB", "peak_rss_mb"), ("largest worker's peak RSS, MB", "workers_peak_rss_mb"),
            ("RSS after loading the builder, MB", "rss_after_loading_builder_mb"),
            ("partition and validation, s", "partition_and_validation_s"), ("transform, s", "transform_s")]
    streamed = [(label, report["details"]["simulated"]["streamed"]) for label, report in runs]
    sizes = [(label, size) for label, _ in runs for size in ("1x", "4x")]
    head = "| | " + " | ".join(f"{label} {size}" for label, size in sizes) + " |\n|---|" + "---:|" * len(sizes)
    body = [f"| {name} | " + " | ".join(f"{s[size][key]:,}" for _, s in streamed for size in ("1x", "4x")) + " |"
            for name, key in rows]
    influencers = "| influencers | " + " | ".join(f"{s[size]['n_accounts']:,}" for _, s in streamed
                                                  for size in ("1x", "4x")) + " |"
    ratio = "| **parent peak RSS, 4x over 1x** | " + " | ".join(
        f" | **{s['rss_ratio_4x']:.2f}**" for _, s in streamed).strip() + " |"
    return "\n".join([head, influencers, *body, ratio])


def run_simulated(
    n_influencers: int, seed: int, settings: FeatureSettings, scorer: CommentScorer | None,
    bucket_size: int = 1_000, in_memory: bool = True,
) -> dict[str, object]:
    tables, make_s = simulated_tables(n_influencers, seed)
    # 4x is a world of new influencers (another seed), not copies: copied texts would flatter every cache
    four_times, _ = simulated_tables(4 * n_influencers, seed + 1)
    out: dict[str, object] = {"world_generation_and_validation_s": round(make_s, 1)}
    if in_memory:
        one = time_builder(tables, settings, scorer)
        four = time_builder(four_times, settings, scorer)
        out |= {"1x": one, "4x": four, "time_ratio_4x": round(four["transform_s"] / one["transform_s"], 2)}
    out["streamed"] = run_streamed(tables, four_times, settings, scorer, bucket_size)
    return out


def run_kim2020(
    limit: int | None, settings: FeatureSettings, scorer: CommentScorer | None
) -> dict[str, object]:
    from authfit.datasets.paths import DatasetMissingError

    try:
        start = time.perf_counter()
        tables = kim2020_tables(limit)
        read_s = time.perf_counter() - start
    except DatasetMissingError as exc:
        return {"skipped": str(exc)}
    return {"read_s": round(read_s, 1), **time_builder(tables, settings, scorer)}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results") / "bench-features.json")
    parser.add_argument("--influencers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk-size", type=int, default=FeatureSettings().chunk_size)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--kim2020-limit", type=int, default=None, help="posts to read (default: all)")
    parser.add_argument("--skip-kim2020", action="store_true")
    parser.add_argument("--bucket-size", type=int, default=1_000, help="accounts per bucket, streamed path")
    parser.add_argument("--streamed-only", action="store_true", help="skip the in-memory 1x/4x transforms")
    parser.add_argument("--quick", action="store_true", help="the in-memory 1x transform only (A/B runs)")
    parser.add_argument("--comment-bundle", type=Path, default=None,
                        help="score comments with this bundle's model instead of training one")
    parser.add_argument("--streamed-page", nargs="+", metavar="LABEL=JSON",
                        help="print a Markdown table of the streamed figures of earlier outputs side by side")
    parser.add_argument("--stream-child", type=Path, help=argparse.SUPPRESS)  # internal: one streamed run
    parser.add_argument("--builder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.streamed_page:
        pairs = [item.split("=", 1) for item in args.streamed_page]
        print(streamed_page([(label, json.loads(Path(path).read_text())) for label, path in pairs]))
        return {}
    if args.stream_child is not None:
        result = stream_features(args.stream_child, args.builder, args.bucket_size, args.work)
        print(json.dumps(result))
        return result
    settings = FeatureSettings(chunk_size=args.chunk_size, n_jobs=args.n_jobs)
    scorer, scorer_name = (trained_comment_scorer() if args.comment_bundle is None
                           else bundled_comment_scorer(args.comment_bundle))
    if args.quick:
        one = time_builder(simulated_tables(args.influencers, args.seed)[0], settings, scorer, memory=False)
        return _write_report(args.out, {"comments_per_s": one["comments_per_s"],
                                        "comments_per_cpu_s": one["comments_per_cpu_s"],
                                        "details": {"simulated": {"1x": one}, "comment_scorer": scorer_name}})
    simulated = run_simulated(args.influencers, args.seed, settings, scorer, args.bucket_size,
                              in_memory=not args.streamed_only)
    streamed = simulated["streamed"]
    report = {
        "comments_per_s": simulated.get("1x", {}).get("comments_per_s"),
        "influencers_per_s": simulated.get("1x", {}).get("influencers_per_s"),
        "peak_rss_mb": simulated.get("4x", {}).get("peak_rss_mb"),
        "time_ratio_4x": simulated.get("time_ratio_4x"),
        "streamed_peak_rss_mb_1x": streamed["1x"]["peak_rss_mb"],
        "streamed_peak_rss_mb_4x": streamed["4x"]["peak_rss_mb"],
        "streamed_rss_ratio_4x": streamed["rss_ratio_4x"],
        "details": {
            "simulated": simulated,
            "kim2020": {"skipped": "--skip-kim2020"}
            if args.skip_kim2020
            else run_kim2020(args.kim2020_limit, settings, scorer),
            "comment_scorer": scorer_name,
            "chunk_size": args.chunk_size,
            "n_jobs": args.n_jobs,
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "measured_at": pd.Timestamp.now(tz="UTC").isoformat(),
        },
    }
    return _write_report(args.out, report)


def _write_report(out: Path, report: dict[str, object]) -> dict[str, object]:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
