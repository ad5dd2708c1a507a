"""Bounded load test of the HTTP service (`make bench-load`): start `authfit serve` on 127.0.0.1, warm it
up, send a fixed number of requests from several concurrent async clients under a time limit, stop it,
and write the counts, errors, latencies and the server's memory before and after to JSON.

Memory is the server process's resident set size read from /proc (Linux)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no VmRSS for process {pid}")


def payloads(i: int, influencer_every: int = 4) -> tuple[str, dict]:
    """A varied, deterministic request mix: one in `influencer_every` scores a small influencer (history,
    posts, comments, audience), the rest score a few account profiles."""
    if i % influencer_every == 0:
        return "/v1/influencers/score", {"influencers": [{
            "account": {"account_id": f"inf{i % 500}", "follower_count": 1000 + i % 9000, "following_count": 300,
                        "biography": "travel and food 🍜", "category": "travel"},
            "follower_history": [{"date": f"2025-0{m}-01", "follower_count": 900 + 40 * m + i % 50}
                                 for m in range(1, 7)],
            "posts": [{"post_id": f"p{i}-{k}", "posted_at": f"2025-06-{10 + k}T12:00:00Z", "caption": "sunset in lisbon",
                       "like_count": 40 + k, "comment_count": 2,
                       "comments": [{"comment_id": f"c{i}-{k}-{j}", "text": ["love it 🔥", "follow back pls"][j]}
                                    for j in range(2)]} for k in range(3)],
            "audience": [{"follower_id": f"f{j}", "follower_count": 10 * j, "following_count": 500 + j}
                         for j in range(5)],
        }]}
    return "/v1/accounts/score", {"accounts": [
        {"follower_id": f"u{i}-{j}", "username": f"user{i % 97}_{j}", "follower_count": (i * 7 + j) % 5000,
         "following_count": (i * 13 + j) % 7000, "media_count": j, "has_profile_pic": bool(j % 2)}
        for j in range(3)]}


async def _client(base: str, queue: asyncio.Queue, results: list, deadline: float, headers: dict,
                  influencer_every: int) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30.0, headers=headers) as client:
        while time.monotonic() < deadline:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            path, body = payloads(i, influencer_every)
            start = time.perf_counter()
            try:
                status = (await client.post(path, json=body)).status_code
            except httpx.HTTPError as exc:
                status = f"{type(exc).__name__}"
            results.append((status, time.perf_counter() - start))


async def drive(base: str, n: int, clients: int, time_limit_s: float, headers: dict,
                influencer_every: int) -> tuple[list, float]:
    queue: asyncio.Queue = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    results: list = []
    start = time.monotonic()
    await asyncio.gather(*(_client(base, queue, results, start + time_limit_s, headers, influencer_every) for _ in range(clients)))
    return results, time.monotonic() - start


def _wait_ready(base: str, process: subprocess.Popen, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with {process.returncode} before it was ready")
        try:
            if httpx.get(f"{base}/v1/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the service did not become ready in time")


def run(model: str, requests: int, clients: int, warmup: int, time_limit_s: float, influencer_every: int = 4
        ) -> dict:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, AUTHFIT_LOADTEST_KEY="load-key")
    config = Path("results/.bench-load-serve.yaml")
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"api_key_env: AUTHFIT_LOADTEST_KEY\nmodel: {model}\nport: {port}\n")
    process = subprocess.Popen([sys.executable, "-m", "authfit", "serve", "--config", str(config)], env=env)
    headers = {"x-api-key": "load-key"}
    try:
        _wait_ready(base, process)
        warm, _ = asyncio.run(drive(base, warmup, clients, time_limit_s, headers, influencer_every))
        rss_warm = rss_mb(process.pid)
        results, elapsed = asyncio.run(drive(base, requests, clients, time_limit_s, headers, influencer_every))
        rss_after = rss_mb(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        config.unlink(missing_ok=True)
    statuses = [s for s, _ in results]
    latencies = np.array([t for _, t in results]) * 1000
    errors = sum(1 for s in statuses if s != 200)
    return {
        "requests_planned": requests, "requests_sent": len(results), "clients": clients, "warmup_requests": len(warm),
        "errors": errors, "error_kinds": sorted({str(s) for s in statuses if s != 200}),
        "elapsed_s": round(elapsed, 1), "requests_per_s": round(len(results) / elapsed, 1),
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 1),
        "latency_ms_p99": round(float(np.percentile(latencies, 99)), 1),
        "rss_mb_after_warmup": round(rss_warm, 1), "rss_mb_after_run": round(rss_after, 1),
        "rss_growth_pct": round(100 * (rss_after - rss_warm) / rss_warm, 2),
        "influencer_requests_share": round(1 / influencer_every, 3), "time_limit_s": time_limit_s, "hit_time_limit": len(results) < requests,
        "machine_note": "2 shared cores, other jobs running: throughput and latency are noisy",
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models/latest")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=1_000)
    parser.add_argument("--time-limit", type=float, default=1_500.0)
    parser.add_argument("--influencer-every", type=int, default=20,
                        help="one request in N scores a whole influencer (slow); the rest score accounts")
    parser.add_argument("--out", type=Path, default=Path("results/bench-load.json"))
    args = parser.parse_args(argv)
    if not args.model.startswith("models:/"):
        from authfit.modeling.bundle import resolve_model_set

        try:
            resolve_model_set(Path(args.model))
        except Exception as exc:  # noqa: BLE001 - any reason is reported the same way
            parser.error(f"no model set at {args.model} ({exc}); run `make demo` first, or pass --model")
    figures = run(args.model, args.requests, args.clients, args.warmup, args.time_limit, args.influencer_every)
    figures["target_met"] = (figures["errors"] == 0 and not figures["hit_time_limit"]
                             and abs(figures["rss_growth_pct"]) <= 10.0)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
