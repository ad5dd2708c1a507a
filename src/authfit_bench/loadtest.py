"""Bounded load test of the HTTP service (`make bench-load`).

Starts `authfit serve` on 127.0.0.1 as a subprocess (API key on, access log to a file), warms it up, sends
a fixed number of requests from several concurrent keep-alive clients under a time limit, stops it, and
writes to JSON: counts, errors (non-200, transport errors, and 200s whose body does not answer the request
row for row), latency overall and per endpoint, and the server's resident memory after warm-up, during
and after the run (read from /proc, Linux).

The traffic is a realistic mix of every POST endpoint: account profiles in batches of a few rows
(/v1/accounts/score), precomputed feature rows in batches of a few rows (/v1/features/score), and, at a
steady share, full influencer payloads (profile, 120 days of follower history, 30 posts x 20 comments,
100 audience profiles; /v1/influencers/score). The payloads are synthetic and deterministic; the feature
rows are the model's own features of the synthetic influencers. The client is aiohttp: httpx spent
~2.2 ms of CPU per request on this 2-core machine against ~0.26 ms, CPU the server then lacked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ACCOUNTS, FEATURES, INFLUENCERS = "/v1/accounts/score", "/v1/features/score", "/v1/influencers/score"
API_KEY = "load-key"
NICHES = ("travel", "food", "fitness", "beauty", "gaming", "fashion", "tech", "parenting")
ORGANIC = ("love this shot of {t}!", "where was this taken?", "the colours here 😍", "saving this for my trip",
           "you always find the best {t} spots", "how long did this take?", "such a calm vibe", "need this recipe")
GENERIC = ("nice pic 🔥", "great post", "follow back pls", "check my page!!", "😍😍😍", "awesome", "dm for collab",
           "nice", "💯💯")


@dataclass(frozen=True)
class Request:
    """One prepared request: its endpoint, JSON body, and what a correct answer must echo."""

    path: str
    body: bytes
    ids: tuple[str, ...]


# ------------------------------------------------------------------ synthetic payloads


def account_rows(rng: np.random.Generator, prefix: str, n: int) -> list[dict[str, Any]]:
    """Follower-like profiles, some bot-like (digit-heavy names, no picture, mass following)."""
    rows = []
    for j in range(n):
        bot = rng.random() < 0.3
        name = f"{rng.choice(['anna', 'leo', 'mia', 'sam', 'kai', 'zoe'])}{'_' if rng.random() < 0.5 else ''}"
        username = name + (str(rng.integers(10**5, 10**8)) if bot else rng.choice(["travels", "eats", "", "x"]))
        row: dict[str, Any] = {
            "follower_id": f"{prefix}-{j}", "username": username,
            "follower_count": int(rng.lognormal(3 if bot else 6, 1)),
            "following_count": int(rng.lognormal(8 if bot else 6, 0.6)),
            "media_count": int(rng.poisson(1 if bot else 80)),
            "has_profile_pic": bool(rng.random() < (0.3 if bot else 0.95)),
        }
        if rng.random() < 0.7:  # optional columns are often absent in exports
            row["full_name"] = "" if bot else f"{name.strip('_').title()} {rng.choice(['Silva', 'Lee', 'Novak'])}"
            row["biography"] = "" if bot else rng.choice(["coffee & mountains ☕", "food lover | lisbon",
                                                          "photos: www.example.com", "#travel #food"])
        if rng.random() < 0.5:
            row["is_private"] = bool(rng.random() < 0.2)
        rows.append(row)
    return rows


def influencer_payload(seed: int, n_posts: int = 30, n_comments: int = 20, n_audience: int = 100,
                       n_days: int = 120) -> dict[str, Any]:
    """One influencer with history, posts, comments and an audience sample; every third buys engagement
    (a follower spike, generic comments from a small pool of commenters)."""
    rng = np.random.default_rng(seed)
    bought = seed % 3 == 0
    niche = NICHES[seed % len(NICHES)]
    followers = int(rng.lognormal(9.5, 0.8))
    end = np.datetime64("2025-06-30")
    growth = np.cumsum(rng.normal(0.002, 0.001, n_days))
    counts = followers * np.exp(growth - growth[-1])
    if bought:
        counts[n_days // 2:] *= 1.35
    history = [{"date": str(end - np.timedelta64(n_days - 1 - d, "D")), "follower_count": int(c)}
               for d, c in enumerate(counts)]
    posts = []
    for k in range(n_posts):
        posted = end - np.timedelta64(int(3 * (n_posts - k)), "D")
        comments = []
        for j in range(n_comments):
            generic = rng.random() < (0.7 if bought else 0.15)
            text = rng.choice(GENERIC) if generic else rng.choice(ORGANIC).format(t=niche)
            commenter = f"pod{rng.integers(12)}" if generic and bought else f"fan{rng.integers(5000)}"
            comments.append({"comment_id": f"i{seed}-p{k}-c{j}", "commenter_id": commenter,
                             "created_at": f"{posted}T{10 + j % 12:02d}:{j:02d}:00Z", "text": str(text)})
        posts.append({"post_id": f"i{seed}-p{k}", "posted_at": f"{posted}T09:00:00Z",
                      "caption": f"a day of {niche} in {rng.choice(['lisbon', 'porto', 'madrid'])} #{niche}",
                      "like_count": int(followers * rng.uniform(0.01, 0.05) * (2.5 if bought else 1)),
                      "comment_count": n_comments, "is_sponsored": bool(rng.random() < 0.1), "comments": comments})
    account = {"account_id": f"load-inf-{seed}", "username": f"{niche}_by_{seed}", "full_name": f"Creator {seed}",
               "follower_count": int(counts[-1]), "following_count": int(rng.integers(200, 900)),
               "media_count": 300 + seed, "biography": f"{niche} stories ✈️", "category": niche, "country": "PT"}
    return {"influencers": [{"account": account, "follower_history": history, "posts": posts,
                             "audience": account_rows(rng, f"aud{seed}", n_audience)}]}


def feature_rows(model: str, influencers: list[dict[str, Any]]) -> list[dict[str, float | None]]:
    """The fake-engagement model's features of the synthetic influencers, as /v1/features/score rows."""
    from authfit.scoring import Scorer
    from authfit.serve.schemas import InfluencersRequest, influencer_tables
    from authfit.contract.validate import validate_tables

    scorer = Scorer.load(model)
    merged = InfluencersRequest.model_validate({"influencers": [p["influencers"][0] for p in influencers]})
    X = scorer.features(validate_tables(influencer_tables(merged)).tables)[list(scorer.fake.features)]
    return [{k: (None if np.isnan(v) else float(v)) for k, v in row.items()} for row in X.to_dict("records")]


def request_pool(model: str, size: int = 64, n_influencers: int = 8, seed: int = 0
                 ) -> dict[str, list[Request]]:
    """Distinct prepared bodies per endpoint (serialised once: the client should spend its CPU sending)."""
    rng = np.random.default_rng(seed)
    influencers = [influencer_payload(seed + i) for i in range(n_influencers)]
    base = feature_rows(model, influencers)
    pool: dict[str, list[Request]] = {ACCOUNTS: [], FEATURES: [], INFLUENCERS: []}
    for i in range(size):
        rows = account_rows(rng, f"acc{i}", int(rng.integers(1, 6)))
        pool[ACCOUNTS].append(Request(ACCOUNTS, json.dumps({"accounts": rows}).encode(),
                                      tuple(r["follower_id"] for r in rows)))
        picked = [base[k] for k in rng.integers(len(base), size=int(rng.integers(1, 6)))]
        jittered = [{k: (None if v is None else v * float(rng.uniform(0.9, 1.1))) for k, v in row.items()}
                    for row in picked]
        pool[FEATURES].append(Request(FEATURES, json.dumps({"rows": jittered}).encode(),
                                      tuple(str(n) for n in range(len(jittered)))))
    for payload in influencers:
        pool[INFLUENCERS].append(Request(INFLUENCERS, json.dumps(payload).encode(),
                                         (payload["influencers"][0]["account"]["account_id"],)))
    return pool


def schedule(pool: dict[str, list[Request]], n: int, influencer_every: int, accounts_share: float,
             seed: int) -> list[Request]:
    """The i-th request: every `influencer_every`-th a full influencer, the rest accounts or features."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        if influencer_every and i % influencer_every == influencer_every - 1:
            kind = INFLUENCERS
        else:
            kind = ACCOUNTS if rng.random() < accounts_share else FEATURES
        out.append(pool[kind][int(rng.integers(len(pool[kind])))])
    return out


def answers(request: Request, body: bytes) -> bool:
    """Whether a 200's body answers this request row for row (catches rows lost or mixed between requests)."""
    data = json.loads(body)
    if request.path == ACCOUNTS:
        return tuple(a["follower_id"] for a in data["accounts"]) == request.ids
    if request.path == FEATURES:
        return len(data["fake_engagement_probability"]) == len(request.ids)
    return tuple(i["account_id"] for i in data["influencers"]) == request.ids


# ------------------------------------------------------------------ driving the service


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (the service's worker processes), from /proc."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo += [int(child) for child in task.read_text().split()]
    return tree


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process and its descendants have used (/proc/PID/stat fields 14, 15)."""
    total = 0
    for member in process_tree(pid):
        fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of the process and its descendants."""
    total = 0.0
    for member in process_tree(pid):
        lines = [line for line in Path(f"/proc/{member}/status").read_text().splitlines() if line.startswith("VmRSS:")]
        if not lines:
            raise RuntimeError(f"no VmRSS for process {member}")
        total += int(lines[0].split()[1]) / 1024.0
    return total


async def drive(base: str, requests: list[Request], clients: int, time_limit_s: float,
                rss: tuple[int, float] | None = None) -> tuple[list[tuple[str, str, float]], float, list[float]]:
    """Send `requests` in order from `clients` concurrent connections; each result is (endpoint, outcome,
    seconds) with outcome "ok", an HTTP status, "wrong body" or a transport error's name. With `rss`
    (pid, every_s), the server's RSS is sampled during the run."""
    import aiohttp

    results: list[tuple[str, str, float]] = []
    samples: list[float] = []
    next_index = iter(range(len(requests)))
    start = time.monotonic()
    deadline = start + time_limit_s
    headers = {"x-api-key": API_KEY, "content-type": "application/json"}
    timeout = aiohttp.ClientTimeout(total=60)

    async def client(session: aiohttp.ClientSession) -> None:
        for i in next_index:
            if time.monotonic() >= deadline:
                return
            request = requests[i]
            sent = time.perf_counter()
            try:
                async with session.post(request.path, data=request.body, headers=headers) as response:
                    body = await response.read()
                    outcome = str(response.status) if response.status != 200 else (
                        "ok" if answers(request, body) else "wrong body")
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                outcome = type(exc).__name__
            results.append((request.path, outcome, time.perf_counter() - sent))

    async def sampler(done: asyncio.Event) -> None:
        assert rss is not None
        while not done.is_set():
            samples.append(rss_mb(rss[0]))
            try:
                await asyncio.wait_for(done.wait(), rss[1])
            except asyncio.TimeoutError:
                pass

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as session:
        done = asyncio.Event()
        watch = asyncio.create_task(sampler(done)) if rss else None
        await asyncio.gather(*(client(session) for _ in range(clients)))
        done.set()
        if watch:
            await watch
    return results, time.monotonic() - start, samples


def _wait_ready(base: str, process: subprocess.Popen, timeout_s: float = 120.0) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{base}/v1/health", timeout=2.0) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError("the service did not become ready in time")


def _latency(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    if not ms.size:
        return {}
    return {"p50": round(float(np.percentile(ms, 50)), 1), "p90": round(float(np.percentile(ms, 90)), 1),
            "p99": round(float(np.percentile(ms, 99)), 1), "max": round(float(ms.max()), 1)}


def summarise(results: list[tuple[str, str, float]], elapsed: float) -> dict[str, Any]:
    per_endpoint = {}
    for path in (ACCOUNTS, FEATURES, INFLUENCERS):
        mine = [r for r in results if r[0] == path]
        per_endpoint[path] = {"requests": len(mine), "errors": sum(1 for r in mine if r[1] != "ok"),
                              "latency_ms": _latency([r[2] for r in mine])}
    overall = _latency([r[2] for r in results])
    return {"requests_sent": len(results), "errors": sum(1 for r in results if r[1] != "ok"),
            "error_kinds": sorted({r[1] for r in results if r[1] != "ok"}),
            "elapsed_s": round(elapsed, 1), "requests_per_s": round(len(results) / elapsed, 1),
            "latency_ms_p50": overall.get("p50"), "latency_ms_p99": overall.get("p99"),
            "per_endpoint": per_endpoint}


def run(model: str, requests: int, clients: int, warmup: int, time_limit_s: float, influencer_every: int,
        accounts_share: float = 0.5, seed: int = 0, workers: int = 1) -> dict[str, Any]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    pool = request_pool(model, seed=seed)
    with tempfile.TemporaryDirectory(prefix="authfit-load-") as tmp:
        config = Path(tmp) / "serve.yaml"
        config.write_text(f"api_key_env: AUTHFIT_LOADTEST_KEY\nmodel: {model}\nport: {port}\nhost: 127.0.0.1\n"
                          f"workers: {workers}\n")
        log_path = Path(tmp) / "server.log"
        env = dict(os.environ, AUTHFIT_LOADTEST_KEY=API_KEY)
        with log_path.open("wb") as log:  # the access log has a line per request: keep it off the terminal
            process = subprocess.Popen([sys.executable, "-m", "authfit", "serve", "--config", str(config)],
                                       env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(base, process)
            warm, _, _ = asyncio.run(drive(base, schedule(pool, warmup, influencer_every, accounts_share, seed + 1),
                                           clients, time_limit_s))
            rss_warm, cpu_warm = rss_mb(process.pid), cpu_s(process.pid)
            plan = schedule(pool, requests, influencer_every, accounts_share, seed + 2)
            results, elapsed, samples = asyncio.run(drive(base, plan, clients, time_limit_s,
                                                          rss=(process.pid, 15.0)))
            rss_after, server_cpu = rss_mb(process.pid), cpu_s(process.pid) - cpu_warm
            log_lines = sum(1 for _ in log_path.open("rb"))
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    figures = {
        "requests_planned": requests, "clients": clients, "server_workers": workers, "warmup_requests": len(warm),
        "warmup_errors": sum(1 for r in warm if r[1] != "ok"),
        **summarise(results, elapsed),
        "rss_mb_after_warmup": round(rss_warm, 1), "rss_mb_after_run": round(rss_after, 1),
        "rss_mb_max_during_run": round(max(samples, default=rss_after), 1),
        "rss_growth_pct": round(100 * (rss_after - rss_warm) / rss_warm, 2),
        "rss_mb_samples": [round(x, 1) for x in samples],
        "server_cpu_s": round(server_cpu, 1),
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(len(results), 1), 2),
        "influencer_requests_share": round(1 / influencer_every, 3) if influencer_every else 0.0,
        "mix": (f"{1 / influencer_every:.0%} full influencer payloads (30 posts x 20 comments, 120 days of "
                f"history, 100 audience profiles); of the rest {accounts_share:.0%} account batches and "
                f"{1 - accounts_share:.0%} feature batches of 1-5 rows") if influencer_every else "",
        "server_log_lines": log_lines, "time_limit_s": time_limit_s, "hit_time_limit": len(results) < requests,
        "cpus": os.cpu_count(), "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
        "machine_note": "2 cores shared with other jobs; the load generator runs on the same machine: "
                        "throughput and latency are noisy",
    }
    figures["target_met"] = (figures["errors"] == 0 and figures["warmup_errors"] == 0
                             and figures["requests_sent"] >= requests and abs(figures["rss_growth_pct"]) <= 10.0)
    return figures


def versus_baseline(figures: dict[str, Any], baseline: dict[str, Any], source: str) -> dict[str, Any]:
    """This run's requests/s and accounts p50 beside those of the same test on other code."""
    def accounts_p50(run: dict[str, Any]) -> float | None:
        return run.get("per_endpoint", {}).get(ACCOUNTS, {}).get("latency_ms", {}).get("p50")

    return {"source": source, "requests_per_s": baseline.get("requests_per_s"),
            "requests_per_s_ratio": round(figures["requests_per_s"] / baseline["requests_per_s"], 2)
            if baseline.get("requests_per_s") else None,
            "accounts_p50_ms": accounts_p50(baseline), "server_workers": baseline.get("server_workers", 1),
            "server_cpu_ms_per_request": baseline.get("server_cpu_ms_per_request")}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/latest")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2_500,
                        help="requests before the memory baseline (RSS levels off after ~2,000 here)")
    parser.add_argument("--time-limit", type=float, default=540.0, help="seconds for the measured run")
    parser.add_argument("--influencer-every", type=int, default=100,
                        help="one request in N scores a full influencer payload (0: none)")
    parser.add_argument("--accounts-share", type=float, default=0.5,
                        help="share of the other requests that score accounts (the rest: feature rows)")
    parser.add_argument("--workers", type=int, default=2, help="service worker processes (configs/serve.yaml: 2)")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a bench-load JSON of the same test on other code (e.g. main): its requests/s "
                             "is reported beside this run's")
    parser.add_argument("--out", type=Path, default=Path("results/bench-load.json"))
    args = parser.parse_args(argv)
    if not args.model.startswith("models:/"):
        from authfit.modeling.bundle import resolve_model_set

        try:
            resolve_model_set(Path(args.model))
        except Exception as exc:  # noqa: BLE001 - any reason is reported the same way
            parser.error(f"no model set at {args.model} ({exc}); run `make demo` first, or pass --model")
    figures = run(args.model, args.requests, args.clients, args.warmup, args.time_limit, args.influencer_every,
                  args.accounts_share, workers=args.workers)
    if args.baseline is not None:
        figures["baseline"] = versus_baseline(figures, json.loads(args.baseline.read_text()), str(args.baseline))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
