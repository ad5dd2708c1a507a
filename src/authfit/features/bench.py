"""Throughput and memory of the whole FeatureBuilder: a simulated world at 1x and 4x, and real kim2020 posts.

`python -m authfit.features.bench --out results/bench-features.json` (the lead's `make bench-features`).
Not a test: it takes minutes. Figures are wall-clock on this machine, with whatever else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from authfit.features.build import FeatureBuilder, FeatureSettings
from authfit.features.comments import CommentScorer

_ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("account_id",),
    "follower_history": ("account_id",),
    "posts": ("post_id", "account_id"),
    "comments": ("comment_id", "post_id", "commenter_id"),
    "audience": ("influencer_id", "follower_id"),
    "outcomes": ("account_id",),
    "labels": ("account_id",),
}
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


def trained_comment_scorer() -> tuple[CommentScorer, str]:
    """The project's comment-spam model trained on the labelled comments, else the regex stand-in."""
    try:
        from authfit.datasets.labelled_comments import load_labelled_comments
        from authfit.features.comment_text import CommentSpamModel

        data = load_labelled_comments("uci-youtube-spam")
        model = CommentSpamModel().fit(data["text"], data["label"])
        return model.predict_proba_texts, "CommentSpamModel trained on uci-youtube-spam"
    except Exception as exc:  # noqa: BLE001 -- any failure falls back, and the report says which and why
        return regex_spam_scorer, f"regex stand-in ({type(exc).__name__}: {exc})"


def replicate(tables: dict[str, pd.DataFrame], copies: int) -> dict[str, pd.DataFrame]:
    """`copies` disjoint copies of the world (ids suffixed), for an exact k-times larger input."""
    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        columns = _ID_COLUMNS.get(name)
        if columns is None:
            out[name] = frame
            continue
        parts = [
            frame.assign(**{c: frame[c] + f"~{k}" for c in columns}) if k else frame for k in range(copies)
        ]
        out[name] = pd.concat(parts, ignore_index=True)
    return out


def time_builder(
    tables: dict[str, pd.DataFrame], settings: FeatureSettings, comment_scorer: CommentScorer | None
) -> dict[str, float]:
    """Fit once, then time transform (the scoring path) under an RSS sampler."""
    start = time.perf_counter()
    builder = FeatureBuilder(settings, comment_scorer=comment_scorer).fit(tables)
    fit_s = time.perf_counter() - start
    with peak_rss() as memory:
        start = time.perf_counter()
        features = builder.transform(tables)
        transform_s = time.perf_counter() - start
    n_comments, n_accounts = len(tables["comments"]), len(tables["accounts"])
    return {
        "n_accounts": n_accounts,
        "n_posts": len(tables["posts"]),
        "n_comments": n_comments,
        "n_features": features.shape[1],
        "fit_s": round(fit_s, 2),
        "transform_s": round(transform_s, 2),
        "comments_per_s": round(n_comments / transform_s),
        "influencers_per_s": round(n_accounts / transform_s, 1),
        "rss_before_mb": round(memory["start_mb"]),
        "peak_rss_mb": round(memory["peak_mb"]),
        "peak_increase_mb": round(memory["peak_mb"] - memory["start_mb"]),
    }


def simulated_tables(n_influencers: int, seed: int) -> tuple[dict[str, pd.DataFrame], float]:
    """A validated simulated world and the seconds its generation and validation took."""
    from authfit.simulate.settings import SimulationSettings
    from authfit.simulate.world import generate_world
    from authfit.validate import validate_tables

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


def run_simulated(
    n_influencers: int, seed: int, settings: FeatureSettings, scorer: CommentScorer | None
) -> dict[str, object]:
    tables, make_s = simulated_tables(n_influencers, seed)
    one = time_builder(tables, settings, scorer)
    four = time_builder(replicate(tables, 4), settings, scorer)
    return {
        "world_generation_and_validation_s": round(make_s, 1),
        "1x": one,
        "4x": four,
        "time_ratio_4x": round(four["transform_s"] / one["transform_s"], 2),
    }


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
    args = parser.parse_args(argv)
    settings = FeatureSettings(chunk_size=args.chunk_size, n_jobs=args.n_jobs)
    scorer, scorer_name = trained_comment_scorer()
    simulated = run_simulated(args.influencers, args.seed, settings, scorer)
    report = {
        "comments_per_s": simulated["1x"]["comments_per_s"],
        "influencers_per_s": simulated["1x"]["influencers_per_s"],
        "peak_rss_mb": simulated["4x"]["peak_rss_mb"],
        "time_ratio_4x": simulated["time_ratio_4x"],
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
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
