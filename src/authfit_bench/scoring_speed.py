"""Scoring benchmark: `python -m authfit_bench.scoring_speed --out results/bench-scoring.json` (`make bench-scoring`).

Trains (or reuses, from the work directory) a small model set on a simulated world with MLflow tracking, then
measures, in one run:

- the Scorer on precomputed features against LightGBM's own `Booster.predict` on the same features;
- raw data to scores (`authfit score`, partitioned into buckets of accounts on disk, in a subprocess) in
  influencers/s, and the peak RSS of that subprocess at 1x and 4x the input (and their ratio);
- the HTTP service (uvicorn on 127.0.0.1) with a bounded async httpx client: one influencer with 30 posts x 20
  comments (raw), and one row of precomputed features (`/v1/features/score`);
- `mlflow models serve --env-manager local` of the same fake-engagement pyfunc on the same features row.

All traffic stays on 127.0.0.1, bounded in count and time. Timings on a shared machine are noisy: every
throughput figure is the best of `repeats` runs, latencies are percentiles over hundreds of requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from authfit.features.build import FeatureSettings
from authfit.contract.io import read_raw_tables
from authfit.contract.validate import validate_tables

TRAIN_INFLUENCERS, TRAIN_SEED = 300, 11
CANDIDATE_SEED, RAW_SEED = 12, 21
OUTSIDE_STAGES = "start, imports, printing (wall minus the stages)"


# ------------------------------------------------------------------ model set


def train_model_set(work: Path, config_dir: Path) -> dict[str, str]:
    """A small model set trained with tracking on (the pyfunc is what `mlflow models serve` serves); reused
    when the work directory already holds one."""
    record = work / "model-set.json"
    if record.exists():
        from authfit.modeling.bundle import BundleError
        from authfit.scoring.scorer import Scorer

        kept = json.loads(record.read_text())
        try:
            Scorer.load(kept["models"])
            return kept
        except BundleError as exc:  # e.g. written by an older bundle format: train a fresh set
            print(f"retraining the bench model set: {exc}", file=sys.stderr)
    from authfit.config import load_settings
    from authfit.features.build import FeatureSettings
    from authfit.simulate import SimulationSettings, write_world
    from authfit.training.pipeline import train_all
    from authfit.training.train_settings import FAKE_ENGAGEMENT_MODEL, TrainSettings, working_copy

    world = work / "train-world"
    write_world(load_settings(config_dir / "simulate.yaml", SimulationSettings), TRAIN_INFLUENCERS, TRAIN_SEED, world)
    settings = working_copy(load_settings(config_dir / "train.yaml", TrainSettings), world, work, tracking=True,
                            quick=True)
    summary = train_all(settings, load_settings(config_dir / "features.yaml", FeatureSettings))
    tracked = summary.tracking.get(FAKE_ENGAGEMENT_MODEL)
    out = {"models": str(work / "models" / "latest"),
           "pyfunc_uri": tracked.model_uri if tracked else "", "tracking_uri": tracked.tracking_uri if tracked else ""}
    record.write_text(json.dumps(out, indent=1))
    return out


def simulated_world(work: Path, config_dir: Path, n: int, seed: int) -> Path:
    from authfit.config import load_settings
    from authfit.simulate import SimulationSettings, write_world

    path = work / f"world-{n}-{seed}"
    if not (path / "accounts.parquet").exists() and not (path / "accounts.csv").exists():
        write_world(load_settings(config_dir / "simulate.yaml", SimulationSettings), n, seed, path)
    return path


# ------------------------------------------------------------------ batch, precomputed features


def _best_rate(fn: Any, rows: int, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return rows / min(times)


def precomputed_throughput(scorer: Any, X: pd.DataFrame, rows: int, repeats: int) -> dict[str, Any]:
    """Scorer.score_features against Booster.predict on the same rows, in this process, interleaved."""
    big = X.iloc[np.resize(np.arange(len(X)), rows)].reset_index(drop=True)
    booster = scorer.fake.boosters["model"]
    frame = scorer.fake.feature_frame(big)
    booster_rate = _best_rate(lambda: booster.predict(frame), rows, repeats)
    scorer_rate = _best_rate(lambda: scorer.score_features(big), rows, repeats)
    booster_rate = max(booster_rate, _best_rate(lambda: booster.predict(frame), rows, repeats))
    small = big.iloc[:min(rows, 5000)]
    reasons_rate = _best_rate(lambda: scorer.score_features(small, reasons=True), len(small), max(1, repeats - 1))
    raw = booster.predict(frame)
    calibrated = scorer.fake.calibrator.transform(raw) if scorer.fake.calibrator else raw
    agree = float(np.max(np.abs(scorer.score_features(big)["fake_engagement_probability"].to_numpy()
                                - np.clip(calibrated, 0, 1))))
    return {"rows": rows, "n_features": len(scorer.fake.features), "n_trees": booster.num_trees(),
            "booster_rows_per_s": booster_rate, "scorer_rows_per_s": scorer_rate,
            "scorer_with_reasons_rows_per_s": reasons_rate, "max_abs_difference": agree,
            "ratio": scorer_rate / booster_rate}


# ------------------------------------------------------------------ batch, raw data


def timed_score_run(models: str, world: Path, out: Path, chunk_size: int) -> dict[str, float]:
    """`authfit score` in a subprocess under /usr/bin/time -v: wall seconds and peak RSS."""
    out.unlink(missing_ok=True)
    shutil.rmtree(out.with_name(out.name + ".parts"), ignore_errors=True)
    command = [sys.executable, "-m", "authfit", "score", "--model", models, "--data", str(world), "--out", str(out),
               "--chunk-size", str(chunk_size), "--top", "1"]
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"authfit score failed: {done.stderr[-2000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([0-9.]+)", done.stderr).group(1))
              for kind in ("User", "System"))
    rows = len(pd.read_parquet(out))
    stages = re.search(r"stage seconds: (.*)", done.stdout)
    stage_seconds = {name: float(value) for name, value in re.findall(r"([^,]+?(?:\([^)]*\))?) ([0-9.]+)(?:, |$)",
                                                                   stages.group(1))} if stages else {}
    # what the command timed itself leaves out: interpreter start, imports, and the CLI's printing after it
    stage_seconds[OUTSIDE_STAGES] = seconds - sum(stage_seconds.values())
    return {"influencers": rows, "seconds": seconds, "influencers_per_s": rows / seconds, "peak_rss_mb": rss_kb / 1024,
            "cpu_seconds": cpu, "stage_seconds": stage_seconds}


def feature_transform_rate(models: str, world: Path, chunk_size: int) -> dict[str, float]:
    """Influencers/s of the feature transform alone (`Scorer.features`) on the validated tables of `world`,
    in chunks of `chunk_size` accounts as `authfit score` builds them."""
    from authfit.scoring import Scorer

    scorer = Scorer.load(models)
    scorer.builder.set_params(settings=(scorer.builder.settings or FeatureSettings()).model_copy(
        update={"chunk_size": chunk_size}))
    tables = validate_tables(read_raw_tables(world)).tables
    started, cpu = time.perf_counter(), time.process_time()
    rows = len(scorer.features(tables))
    seconds = time.perf_counter() - started
    return {"influencers": rows, "seconds": seconds, "influencers_per_s": rows / seconds,
            "cpu_seconds": time.process_time() - cpu}


def batch_runs(models: str, work: Path, config_dir: Path, rss_base: int, influencers: int, chunk_size: int
               ) -> dict[str, Any]:
    """`authfit score` on the 1x and 4x worlds (4x: more, other influencers, not copies) and the feature
    transform alone on the 1x world, all in this run."""
    one = simulated_world(work, config_dir, rss_base, RAW_SEED)
    four = simulated_world(work, config_dir, 4 * rss_base, RAW_SEED)
    runs = {"raw_1x": timed_score_run(models, one, work / "scores-1x.parquet", chunk_size),
            "raw_4x": timed_score_run(models, four, work / "scores-4x.parquet", chunk_size),
            "features_only_1x": feature_transform_rate(models, one, chunk_size)}
    full = four if 4 * rss_base == influencers else simulated_world(work, config_dir, influencers, RAW_SEED)
    runs["raw_full"] = (runs["raw_4x"] if full == four else
                        timed_score_run(models, full, work / "scores-full.parquet", chunk_size))
    return runs


def batch_summary(details: dict[str, Any]) -> dict[str, Any]:
    one, four = details["raw_1x"], details["raw_4x"]
    return {
        "raw_influencers_per_s": details["raw_full"]["influencers_per_s"],
        # end-to-end batch (partition, validate, features, scores, output) over the feature transform alone, on
        # the same 1x world in this run
        "end_to_end_vs_features_ratio": one["influencers_per_s"] / details["features_only_1x"]["influencers_per_s"],
        # the same from CPU seconds (the command's user + system, the transform's process time): steadier than
        # wall time when other jobs share the machine
        "end_to_end_vs_features_cpu_ratio": details["features_only_1x"]["cpu_seconds"] / one["cpu_seconds"],
        "batch_stage_seconds_1x": one["stage_seconds"],
        "batch_stage_seconds_4x": four["stage_seconds"],
        # wall time of `authfit score` at 4x over 1x, the whole command (start and imports included)
        "batch_time_ratio_4x": four["seconds"] / one["seconds"],
        "batch_cpu_ratio_4x": four["cpu_seconds"] / one["cpu_seconds"],
        "peak_rss_mb_1x": one["peak_rss_mb"],
        "peak_rss_mb_4x": four["peak_rss_mb"],
        # authfit score partitions its input into buckets of --chunk-size accounts (authfit.scoring.partition), so
        # this ratio should stay near 1: memory follows the bucket, not the input
        "peak_rss_ratio_4x": four["peak_rss_mb"] / one["peak_rss_mb"],
    }


def batch_page(runs: list[tuple[str, dict[str, Any]]]) -> str:
    """Markdown tables of `--batch-only` outputs side by side (label, parsed JSON): the ratios, then the
    seconds of each stage at 1x and 4x, which add up to the wall time of the command."""
    head = "| | " + " | ".join(label for label, _ in runs) + " |\n|---|" + "---:|" * len(runs) + "\n"
    ratios = [("end-to-end over features-only influencers/s, 1x", "end_to_end_vs_features_ratio", "{:.2f}"),
              ("the same from CPU seconds", "end_to_end_vs_features_cpu_ratio", "{:.2f}"),
              ("`authfit score` wall time, 4x over 1x", "batch_time_ratio_4x", "{:.2f}"),
              ("peak RSS 1x, MB", "peak_rss_mb_1x", "{:,.0f}"), ("peak RSS 4x, MB", "peak_rss_mb_4x", "{:,.0f}"),
              ("peak RSS 4x over 1x", "peak_rss_ratio_4x", "{:.2f}")]
    cpu = "| `authfit score` CPU seconds, 4x over 1x | " + " | ".join(
        f"{r['details']['raw_4x']['cpu_seconds'] / r['details']['raw_1x']['cpu_seconds']:.2f}" for _, r in runs)
    lines = [head + "".join(f"| {name} | " + " | ".join(fmt.format(r[key]) for _, r in runs) + " |\n"
                            for name, key, fmt in ratios) + cpu + " |\n"]
    for size in ("1x", "4x"):
        stages = list(dict.fromkeys(k for _, r in runs for k in r[f"batch_stage_seconds_{size}"]))
        rows = [f"| {stage} | " + " | ".join(f"{r[f'batch_stage_seconds_{size}'].get(stage, float('nan')):.1f}"
                                             for _, r in runs) + " |\n" for stage in stages]
        wall = "| **wall time of the command** | " + " | ".join(
            f"**{r['details'][f'raw_{size}']['seconds']:.1f}**" for _, r in runs) + " |\n"
        lines.append(f"Seconds per stage of `authfit score`, {size}:\n\n" + head + "".join(rows) + wall)
    return "\n".join(lines)


# ------------------------------------------------------------------ HTTP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running(command: list[str], url: str, timeout_s: float, env: dict[str, str] | None = None) -> Iterator[int]:
    """Start a server process, wait until `url` answers 200, and stop it (its own process group) afterwards.
    Its log goes to a temporary file: a pipe nobody reads fills after about a thousand access-log lines,
    and the server then blocks on its next log line (requests time out after ~1,000 calls)."""
    import tempfile

    import httpx

    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{command[:4]} exited: {log.read().decode(errors='replace')[-2000:]}")
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout_s} s")
            time.sleep(0.3)
        yield process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


async def _load(url: str, payload: dict, requests: int, concurrency: int, time_limit_s: float
                ) -> tuple[list[float], float, int]:
    """`requests` POSTs, at most `concurrency` in flight; latencies (ms), wall seconds, non-200 count."""
    import httpx

    body = json.dumps(payload).encode()
    headers = {"content-type": "application/json"}
    latencies: list[float] = []
    failures = 0
    gate = asyncio.Semaphore(concurrency)
    deadline = time.monotonic() + time_limit_s

    async with httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(max_connections=concurrency)) as client:
        async def one() -> None:
            nonlocal failures
            async with gate:
                if time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                latencies.append((time.perf_counter() - started) * 1000.0)
                failures += response.status_code != 200

        for _ in range(5):  # warm-up, not counted
            await client.post(url, content=body, headers=headers)
        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(requests)))
        wall = time.perf_counter() - started
    return latencies, wall, failures


def _sequential(url: str, payload: dict, requests: int, time_limit_s: float) -> tuple[list[float], int]:
    """One request at a time on a kept-alive connection: latencies (ms) and the non-200 count. A plain
    client, because httpx's async client alone added ~6 ms per request here, more than the service."""
    import httpx

    body = json.dumps(payload).encode()
    headers = {"content-type": "application/json"}
    latencies: list[float] = []
    failures = 0
    deadline = time.monotonic() + time_limit_s
    with httpx.Client(timeout=30.0) as client:
        for _ in range(5):  # warm-up, not counted
            client.post(url, content=body, headers=headers)
        for _ in range(requests):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            response = client.post(url, content=body, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000.0)
            failures += response.status_code != 200
    return latencies, failures


def measure_endpoint(url: str, payload: dict, requests: int, time_limit_s: float, concurrency: int = 4
                     ) -> dict[str, float]:
    """Latency percentiles from one request at a time, then throughput from the bounded async client
    with `concurrency` requests in flight."""
    latencies, failures = _sequential(url, payload, requests, time_limit_s)
    _, wall, more_failures = asyncio.run(_load(url, payload, requests, concurrency, time_limit_s))
    values = np.asarray(latencies)
    return {"requests": len(values), "p50_ms": float(np.percentile(values, 50)),
            "p99_ms": float(np.percentile(values, 99)), "mean_ms": float(values.mean()),
            "rps": requests / wall, "rps_concurrency": concurrency, "non_200": failures + more_failures}


def raw_payload(tables: dict[str, pd.DataFrame], n_posts: int = 30, n_comments: int = 20,
                n_audience: int = 100) -> dict[str, Any]:
    """One influencer with `n_posts` posts of `n_comments` comments each, built from a simulated world
    (comments are reused across posts, under new ids, where a post has fewer)."""
    posts, comments = tables["posts"], tables["comments"]
    account_id = posts["account_id"].value_counts().index[0]
    account = tables["accounts"].loc[tables["accounts"]["account_id"] == account_id].iloc[0]
    mine = posts[posts["account_id"] == account_id].sort_values("posted_at").tail(n_posts)
    pool = comments[comments["post_id"].isin(mine["post_id"])].reset_index(drop=True)
    texts = pool["text"].fillna("nice").tolist() or ["nice"]
    profile_columns = ["username", "full_name", "follower_count", "following_count", "media_count", "biography",
                       "category", "country"]

    def clean(record: dict[str, Any]) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in record.items()}

    post_items = []
    for i, post in enumerate(mine.itertuples(index=False)):
        post_items.append(clean({
            "post_id": str(post.post_id), "posted_at": pd.Timestamp(post.posted_at).isoformat(),
            "caption": post.caption, "like_count": float(post.like_count),
            "comment_count": float(post.comment_count),
            "comments": [{"comment_id": f"{post.post_id}-{j}", "commenter_id": f"u{(i * n_comments + j) % 997}",
                          "created_at": (pd.Timestamp(post.posted_at) + pd.Timedelta(minutes=j + 1)).isoformat(),
                          "text": texts[(i * n_comments + j) % len(texts)]} for j in range(n_comments)]}))
    history = tables["follower_history"]
    history = history[history["account_id"] == account_id].tail(120)
    audience = tables["audience"]
    audience = audience[audience["influencer_id"] == account_id].head(n_audience)
    account_record = {"account_id": str(account_id),
                      **{c: account[c] for c in profile_columns if c in account and pd.notna(account[c])}}
    return {"influencers": [{
        "account": clean(account_record),
        "follower_history": [clean({"date": pd.Timestamp(r.date).isoformat(), "follower_count": float(r.follower_count)})
                             for r in history.itertuples(index=False)],
        "posts": post_items,
        "audience": [clean({"follower_id": str(r.follower_id), "username": r.username,
                            "follower_count": float(r.follower_count), "following_count": float(r.following_count)})
                     for r in audience.itertuples(index=False)],
    }]}


def features_row(X: pd.DataFrame, columns: tuple[str, ...]) -> dict[str, float | None]:
    row = X.iloc[0][list(columns)].astype("float64")
    return {k: (None if np.isnan(v) else float(v)) for k, v in row.items()}


def service_figures(models: str, tables: dict[str, pd.DataFrame], row: dict[str, float | None],
                    requests: int, raw_requests: int, time_limit_s: float) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "authfit", "serve", "--model", models, "--port", str(port), "--host", "127.0.0.1"]
    with running(command, f"{base}/v1/health", timeout_s=120):
        features = measure_endpoint(f"{base}/v1/features/score", {"rows": [row]}, requests, time_limit_s)
        raw = measure_endpoint(f"{base}/v1/influencers/score", raw_payload(tables), raw_requests, time_limit_s,
                               concurrency=2)
    return {"features": features, "raw_30_posts_x_20_comments": raw}


def mlflow_figures(model_uri: str, tracking_uri: str, row: dict[str, float | None], requests: int,
                   time_limit_s: float) -> dict[str, Any]:
    port = free_port()
    env = dict(os.environ, MLFLOW_TRACKING_URI=tracking_uri,
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    command = [str(Path(sys.executable).parent / "mlflow"), "models", "serve", "-m", model_uri, "--env-manager",
               "local", "--host", "127.0.0.1", "--port", str(port)]
    payload = {"dataframe_split": {"columns": list(row), "data": [list(row.values())]}}
    with running(command, f"http://127.0.0.1:{port}/ping", timeout_s=180, env=env):
        import httpx

        answer = httpx.post(f"http://127.0.0.1:{port}/invocations", json=payload, timeout=30).json()
        figures = measure_endpoint(f"http://127.0.0.1:{port}/invocations", payload, requests, time_limit_s)
    figures["prediction"] = answer
    return figures


# ------------------------------------------------------------------ stages of one request


# Functions timed inside the two big stages of a raw request, wrapped where the caller looks them up.
INNER_STAGES = {
    "authfit.contract.validate": ("_coerce", "_foreign_key_problems", "_duplicate_key_problems",
                                  "_time_order_problems", "_reject_rows"),
    "authfit.features.build": ("_profile_features", "growth_features", "engagement_features",
                               "audience_features", "comment_pattern_features", "content_features",
                               "caption_tokens", "chunk_positions", "take_chunk", "restrict_to_as_of"),
}


@contextmanager
def timed_functions(timer: Any, spent: dict[str, float]) -> Iterator[None]:
    """Add the milliseconds of every call of each INNER_STAGES function to `spent[name]`, while inside."""
    import importlib

    saved = []
    for module_name, names in INNER_STAGES.items():
        module = importlib.import_module(module_name)
        for name in names:
            original = getattr(module, name)

            def wrapper(*args: Any, __f: Any = original, __name: str = name, **kwargs: Any) -> Any:
                started = timer()
                try:
                    return __f(*args, **kwargs)
                finally:
                    spent[__name] = spent.get(__name, 0.0) + (timer() - started) * 1e3

            saved.append((module, name, original))
            setattr(module, name, wrapper)
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def request_stages(models: str, requests: int = 11, seed: int = 0, cpu: bool = False) -> dict[str, dict[str, float]]:
    """Milliseconds per stage of the service's two raw endpoints, in this process (no HTTP): one influencer
    (30 posts x 20 comments, 120 days of history, 100 audience profiles, as `authfit_bench.loadtest` builds
    it) through what `/v1/influencers/score` runs, and 1-5 account rows through `/v1/accounts/score`'s
    scoring. Each stage: the first call after `Scorer.load` and `warm` (as the service loads), and the
    median of the next `requests - 1` (distinct bodies, so no cache is flattered). With `cpu`, each stage is
    this process's CPU time rather than wall time: less disturbed by other jobs on a shared machine."""
    timer = time.process_time if cpu else time.perf_counter
    from authfit.scoring import Scorer
    from authfit.serve.api import accounts_json, profile_frame, warm
    from authfit.serve.schemas import (AccountsRequest, InfluencersRequest, InfluencersResponse, influencer_tables,
                                       records)
    from authfit_bench.loadtest import account_rows, influencer_payload

    started = time.perf_counter()
    scorer = Scorer.load(models)
    load_ms = (time.perf_counter() - started) * 1e3
    started = time.perf_counter()
    warm(scorer)  # as the service does at load
    warm_ms = (time.perf_counter() - started) * 1e3
    rng = np.random.default_rng(seed)
    raw_bodies = [json.dumps(influencer_payload(seed + i)).encode() for i in range(requests)]
    account_bodies = [json.dumps({"accounts": account_rows(rng, f"a{i}", int(rng.integers(1, 6)))}).encode()
                      for i in range(requests)]

    def clock(stages: dict[str, float], name: str, since: float) -> float:
        now = timer()
        stages[name] = (now - since) * 1e3
        return now

    def raw(body: bytes) -> dict[str, float]:
        t: dict[str, float] = {}
        s = timer()
        request = InfluencersRequest.model_validate_json(body)
        s = clock(t, "parse JSON into the request model", s)
        tables = influencer_tables(request)
        s = clock(t, "request -> contract tables", s)
        fixed = scorer.at(pd.Timestamp.now(tz="UTC"))
        inner: dict[str, float] = {}
        with timed_functions(timer, inner):
            s = timer()
            checked = validate_tables(tables)
            s = clock(t, "validate_tables", s)
            X = fixed.features(checked.tables)
            s = clock(t, "features (FeatureBuilder.transform)", s)
        for module_name, names in INNER_STAGES.items():  # inside the two stages above
            stage = "validate_tables" if module_name.endswith("validate") else "features"
            t.update({f"  {stage}: {name}": inner.get(name, 0.0) for name in names})
        fixed.predict_features(X)
        s = clock(t, "predict (booster + calibrator)", s)
        fixed.explain(X, fixed.predict_features(X), pd.Timestamp.now(tz="UTC"))
        s = clock(t, "reasons (pred_contrib + wording)", s)
        result = fixed.score_influencers(checked.tables)
        s = clock(t, "score_influencers (features again + predict + reasons)", s)
        InfluencersResponse(model_version=scorer.model_version, influencers=records(result), campaign=None,
                            rejects=records(checked.rejects)).model_dump_json()
        clock(t, "response model + JSON", s)
        t["request total (parse + tables + validate + score_influencers + response)"] = sum(
            v for k, v in t.items() if not k.startswith(("features", "predict", "reasons", " ")))
        return t

    def accounts(body: bytes) -> dict[str, float]:
        t: dict[str, float] = {}
        s = timer()
        request = AccountsRequest.model_validate_json(body)
        frame = profile_frame(request)  # as the endpoint
        s = clock(t, "parse JSON + frame", s)
        X = scorer.account.features(frame)
        s = clock(t, "account_profile_features", s)
        scored = scorer.account_scores(frame)  # what the endpoint runs
        s = clock(t, "account_scores (features again + predict + reasons)", s)
        accounts_json(scorer.model_version, request, scored)
        clock(t, "response JSON", s)
        t["request total (parse + account_scores + response)"] = sum(
            v for k, v in t.items() if not k.startswith("account_profile"))
        del X
        return t

    out: dict[str, dict[str, float]] = {"load": {"Scorer.load": load_ms, "warm": warm_ms}}
    for name, fn, bodies in (("raw influencer", raw, raw_bodies), ("accounts 1-5", accounts, account_bodies)):
        runs = [fn(body) for body in bodies]
        for stage in runs[0]:
            out.setdefault(name, {})[f"{stage} | first"] = runs[0][stage]
            out[name][f"{stage} | median"] = float(np.median([r[stage] for r in runs[1:]]))
    return out


def service_latency_ratios(models: str, work: Path, config_dir: Path, requests: int = 300,
                           raw_requests: int = 40, time_limit_s: float = 90.0) -> dict[str, float]:
    """The issue-18 ratios from one `authfit serve` process: the first raw-influencer request after start
    (the bench's 30 posts x 20 comments payload), then sequential `/v1/accounts/score` calls of 1 and of 5
    rows (distinct bodies), then the precomputed-features and raw-influencer endpoints as `service_figures`
    measures them."""
    import httpx

    from authfit.scoring import Scorer
    from authfit_bench.loadtest import account_rows, cpu_s

    scorer = Scorer.load(models)
    candidates = validate_tables(read_raw_tables(simulated_world(work, config_dir, 400, CANDIDATE_SEED))).tables
    row = features_row(scorer.features(candidates), scorer.fake.features)
    raw = raw_payload(candidates)
    rng = np.random.default_rng(1)
    accounts = {n: [json.dumps({"accounts": account_rows(rng, f"acc{n}-{i}", n)}).encode() for i in range(50)]
                for n in (1, 5)}
    headers = {"content-type": "application/json"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "authfit", "serve", "--model", models, "--port", str(port), "--host", "127.0.0.1"]
    p50: dict[int, float] = {}
    cpu: dict[str, float] = {}  # the server's CPU ms per call: steadier than latency on a busy machine
    with running(command, f"{base}/v1/health", timeout_s=120) as pid:
        with httpx.Client(timeout=60.0) as client:
            started = time.perf_counter()
            client.post(f"{base}/v1/influencers/score", json=raw).raise_for_status()
            first_ms = (time.perf_counter() - started) * 1e3
            for n, bodies in accounts.items():
                latencies = []
                spent = cpu_s(pid)
                for i in range(requests // 2 + 5):
                    started = time.perf_counter()
                    client.post(f"{base}/v1/accounts/score", content=bodies[i % len(bodies)],
                                headers=headers).raise_for_status()
                    latencies.append((time.perf_counter() - started) * 1e3)
                cpu[f"accounts_{n}"] = (cpu_s(pid) - spent) * 1e3 / len(latencies)
                p50[n] = float(np.percentile(latencies[5:], 50))
        spent = cpu_s(pid)
        features = measure_endpoint(f"{base}/v1/features/score", {"rows": [row]}, requests, time_limit_s)
        cpu["features"] = (cpu_s(pid) - spent) * 1e3 / (2 * requests + 10)  # sequential, then concurrent
        spent = cpu_s(pid)
        influencer = measure_endpoint(f"{base}/v1/influencers/score", raw, raw_requests, time_limit_s, concurrency=2)
        cpu["raw"] = (cpu_s(pid) - spent) * 1e3 / (2 * raw_requests + 10)
    precomputed = features["p50_ms"]
    return {"service_p50_ms": precomputed, "service_raw_p50_ms": influencer["p50_ms"],
            "service_raw_p99_ms": influencer["p99_ms"], "service_raw_first_ms": first_ms,
            "service_accounts_1_row_p50_ms": p50[1], "service_accounts_5_rows_p50_ms": p50[5],
            "raw_p50_over_precomputed_p50": influencer["p50_ms"] / precomputed,
            "raw_p99_over_raw_p50": influencer["p99_ms"] / influencer["p50_ms"],
            "raw_first_over_raw_p50": first_ms / influencer["p50_ms"],
            "accounts_1_row_p50_over_precomputed_p50": p50[1] / precomputed,
            "accounts_5_rows_p50_over_precomputed_p50": p50[5] / precomputed,
            **{f"server_cpu_ms_per_call_{name}": ms for name, ms in cpu.items()},
            "server_cpu_accounts_1_over_precomputed": cpu["accounts_1"] / cpu["features"],
            "server_cpu_accounts_5_over_precomputed": cpu["accounts_5"] / cpu["features"],
            "server_cpu_raw_over_precomputed": cpu["raw"] / cpu["features"],
            "load_avg_at_end": os.getloadavg()[0]}


def _save(path: Path | None, figures: dict[str, Any]) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(figures, indent=2))


def print_stages(stages: dict[str, dict[str, float]]) -> None:
    for name, figures in stages.items():
        print(f"{name}: stage | first ms | median ms")
        for key in [k for k in figures if not k.endswith("| median")]:
            stage = key.removesuffix(" | first")
            median = figures.get(f"{stage} | median", float("nan"))
            print(f"  {stage} | {figures[key]:.1f} | {median:.1f}")


# ------------------------------------------------------------------ the run


def run(out: Path, work: Path, config_dir: Path, influencers: int, rss_base: int, chunk_size: int, rows: int,
        requests: int, raw_requests: int, repeats: int, time_limit_s: float) -> dict[str, Any]:
    from authfit.scoring import Scorer

    work.mkdir(parents=True, exist_ok=True)
    model_set = train_model_set(work, config_dir)
    scorer = Scorer.load(model_set["models"])
    candidates = validate_tables(read_raw_tables(simulated_world(work, config_dir, 400, CANDIDATE_SEED))).tables
    X = scorer.features(candidates)
    details: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()},
                               "model_set": model_set}
    details["precomputed"] = precomputed_throughput(scorer, X, rows, repeats)
    details |= batch_runs(model_set["models"], work, config_dir, rss_base, influencers, chunk_size)
    row = features_row(X, scorer.fake.features)
    details["service"] = service_figures(model_set["models"], candidates, row, requests, raw_requests, time_limit_s)
    details["request_stages"] = request_stages(model_set["models"], cpu=True)
    ours = scorer.score_features(pd.DataFrame([row]).astype("float64"))["fake_engagement_probability"].iloc[0]
    if model_set["pyfunc_uri"]:
        details["mlflow_serve"] = mlflow_figures(model_set["pyfunc_uri"], model_set["tracking_uri"], row, requests,
                                                 time_limit_s)
        details["mlflow_serve"]["our_prediction"] = float(ours)
    mlflow_p50 = details.get("mlflow_serve", {}).get("p50_ms", float("nan"))
    service = details["service"]["features"]
    result = {
        "scorer_vs_booster_throughput_ratio": details["precomputed"]["ratio"],
        "scorer_with_reasons_rows_per_s": details["precomputed"]["scorer_with_reasons_rows_per_s"],
        **batch_summary(details),
        "service_p50_ms": service["p50_ms"], "service_p99_ms": service["p99_ms"], "service_rps": service["rps"],
        "service_raw_p50_ms": details["service"]["raw_30_posts_x_20_comments"]["p50_ms"],
        "service_raw_p99_ms": details["service"]["raw_30_posts_x_20_comments"]["p99_ms"],
        "service_raw_rps": details["service"]["raw_30_posts_x_20_comments"]["rps"],
        "mlflow_serve_p50_ms": mlflow_p50,
        "latency_ratio_vs_mlflow": mlflow_p50 / service["p50_ms"],
        # CPU ms per stage of one raw influencer and one 1-5-row accounts call, in process (speed_page renders it)
        "request_stages": details["request_stages"],
        "details": details,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/bench-scoring.json"))
    parser.add_argument("--work", type=Path, default=Path("results/bench-scoring-work"),
                        help="model set and simulated worlds, reused by later runs")
    parser.add_argument("--configs", type=Path, default=Path("configs"))
    parser.add_argument("--influencers", type=int, default=10_000, help="raw-data run size")
    parser.add_argument("--rss-base", type=int, default=2_500, help="1x input for the memory runs (4x too)")
    parser.add_argument("--chunk-size", type=int, default=1_000)
    parser.add_argument("--rows", type=int, default=200_000, help="rows for the precomputed-features runs")
    parser.add_argument("--requests", type=int, default=400, help="requests per precomputed-features measurement")
    parser.add_argument("--raw-requests", type=int, default=40, help="requests per raw-payload measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per load run, at most")
    parser.add_argument("--stages", metavar="MODELS", default=None,
                        help="only print the stage timings of one raw influencer and one accounts request, "
                             "in process, with the model set at MODELS (e.g. models/latest)")
    parser.add_argument("--cpu", action="store_true", help="with --stages: CPU time per stage, not wall time")
    parser.add_argument("--service-ratios", metavar="MODELS", default=None,
                        help="only print the issue-18 latency ratios of one `authfit serve` of MODELS")
    parser.add_argument("--save", type=Path, default=None,
                        help="with --stages or --service-ratios: also write the figures to this JSON file "
                             "(docs/speed-stages.md is generated from it: python -m authfit_bench.speed_page)")
    parser.add_argument("--batch-only", action="store_true",
                        help="only the batch figures (authfit score at 1x and 4x, the feature transform alone)")
    parser.add_argument("--batch-page", nargs="+", metavar="LABEL=JSON",
                        help="print Markdown tables of --batch-only outputs side by side")
    args = parser.parse_args(argv)
    if args.batch_page:
        pairs = [item.split("=", 1) for item in args.batch_page]
        print(batch_page([(label, json.loads(Path(path).read_text())) for label, path in pairs]))
        return
    if args.batch_only:
        models = train_model_set(args.work, args.configs)["models"]
        details = batch_runs(models, args.work, args.configs, args.rss_base, args.influencers, args.chunk_size)
        print(json.dumps(batch_summary(details) | {"details": details}, indent=2))
        return
    if args.service_ratios:
        ratios = service_latency_ratios(args.service_ratios, args.work, args.configs)
        print(json.dumps(ratios, indent=2))
        _save(args.save, {"service_ratios": ratios})
        return
    if args.stages:
        stages = request_stages(args.stages, cpu=args.cpu)
        print_stages(stages)
        _save(args.save, {"request_stages": stages, "clock": "cpu" if args.cpu else "wall",
                          "load_avg_at_end": os.getloadavg()[0]})
        return
    result = run(args.out, args.work, args.configs, args.influencers, args.rss_base, args.chunk_size, args.rows,
                 args.requests, args.raw_requests, args.repeats, args.time_limit)
    print(json.dumps({k: v for k, v in result.items() if k != "details"}, indent=2))


if __name__ == "__main__":
    main()
