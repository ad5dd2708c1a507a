"""Scores before and after a speed change: `write` scores a fixed set of inputs, `compare` checks two such
outputs are the same (probabilities to 1e-12, identical reasons, statuses and rejects).

    python -m authfit_bench.score_identity write --model MODELS --world WORLD --out DIR
    python -m authfit_bench.score_identity compare DIR_BEFORE DIR_AFTER

What is scored: the world through `score_directory` (what `authfit score` runs: partition, validate,
features, scores, campaign), as of a fixed time; raw influencer requests (`authfit_bench.loadtest`
payloads, some with bad rows) and 1-5-row account calls through the service's own steps. Run `write` with
the old code (e.g. `PYTHONPATH=old/src python path/to/score_identity.py write ...`) and the new one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

AS_OF = "2025-07-01T00:00:00+00:00"
VOLATILE = ("scored_at",)


def _bad_rows(tables: dict[str, pd.DataFrame], seed: int) -> dict[str, pd.DataFrame]:
    """The request's tables with a few broken rows, so the rejects path is compared too."""
    out = {name: frame.copy() for name, frame in tables.items()}
    posts, comments, history = out["posts"], out["comments"], out["follower_history"]
    if seed % 2 == 0 and len(posts) > 1:
        posts["like_count"] = posts["like_count"].astype(object)
        posts.loc[0, "like_count"] = -3
        posts.loc[1, "like_count"] = "many"
        comments["created_at"] = comments["created_at"].astype(object)
        comments.loc[0, "created_at"] = "2001-01-01T00:00:00Z"
    if seed % 3 == 0 and len(history) > 3:
        history["date"] = history["date"].astype(str)
        history.loc[2, "date"] = "09/07/2024"
        out["follower_history"] = pd.concat([history, history.iloc[[3]]], ignore_index=True)
    return out


def write(model: str, world: Path, out: Path, payloads: int, campaign: str | None) -> None:
    from authfit.scoring import Scorer
    from authfit.scoring.batch_files import score_directory
    from authfit.serve.schemas import AccountsRequest, InfluencersRequest, accounts_frame, influencer_tables, records
    from authfit_bench.loadtest import account_rows, influencer_payload

    out.mkdir(parents=True, exist_ok=True)
    score_directory(world, out / "world.parquet", model, campaign=campaign, chunk_size=150,
                    as_of=pd.Timestamp(AS_OF))
    scorer = Scorer.load(model)
    raw, accounts = [], []
    rng = np.random.default_rng(5)
    for seed in range(payloads):
        body = InfluencersRequest.model_validate(influencer_payload(seed))
        result = scorer.score(_bad_rows(influencer_tables(body), seed), as_of=pd.Timestamp(AS_OF))
        raw.append({"influencers": records(result.influencers.drop(columns=list(VOLATILE))),
                    "rejects": records(result.rejects)})
        frame = accounts_frame(AccountsRequest.model_validate(
            {"accounts": account_rows(rng, f"a{seed}", int(rng.integers(1, 6)))}))
        accounts.append(records(scorer.score_accounts(frame)))
    (out / "service.json").write_text(json.dumps({"raw": raw, "accounts": accounts}, default=str))


def _same(a: object, b: object, where: str, tol: float) -> list[str]:
    if isinstance(a, float) and isinstance(b, float):
        return [] if (np.isnan(a) and np.isnan(b)) or abs(a - b) <= tol else [f"{where}: {a!r} != {b!r}"]
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(a)} != {sorted(b)}"]
        return [p for k in a for p in _same(a[k], b[k], f"{where}.{k}", tol)]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items != {len(b)}"]
        return [p for i, (x, y) in enumerate(zip(a, b)) for p in _same(x, y, f"{where}[{i}]", tol)]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def _frame_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    frame = frame.drop(columns=[c for c in VOLATILE if c in frame])
    return json.loads(frame.to_json(orient="records", double_precision=15))


def compare(before: Path, after: Path, tol: float = 1e-12) -> list[str]:
    """Every difference between two `write` outputs (empty when they are the same)."""
    problems: list[str] = []
    names = sorted({p.name for p in before.iterdir()} | {p.name for p in after.iterdir()})
    for name in names:
        a, b = before / name, after / name
        if name.endswith(".json"):
            problems += _same(json.loads(a.read_text()), json.loads(b.read_text()), name, tol)
        elif name.endswith((".parquet", ".csv")):
            problems += _same(_frame_records(a), _frame_records(b), name, tol)
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("--model", required=True)
    w.add_argument("--world", type=Path, required=True)
    w.add_argument("--out", type=Path, required=True)
    w.add_argument("--payloads", type=int, default=12)
    w.add_argument("--campaign", default="cmp_0000")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "write":
        write(args.model, args.world, args.out, args.payloads, args.campaign)
        return
    problems = compare(args.before, args.after)
    for line in problems[:40]:
        print(line)
    print(f"{len(problems)} difference(s)" if problems else "identical: probabilities within 1e-12, same reasons "
          "and rejects")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
