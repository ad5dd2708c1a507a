"""Faults: `authfit score` killed with SIGKILL at random points and restarted gives the output of an
uninterrupted run; scoring from a local bundle never imports MLflow."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from authfit.scoring.chunks import parts_dir
from strategies import LOG_ENV

VOLATILE = ["scored_at"]  # the wall-clock time of scoring differs between any two runs by design


def _score_cmd(trained, out: Path) -> list[str]:
    return [sys.executable, "-m", "authfit", "score", "--model", str(trained.models / "latest"),
            "--data", str(trained.world), "--out", str(out), "--chunk-size", "15"]


def _stable(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path).drop(columns=VOLATILE).sort_values("account_id").reset_index(drop=True)


def _kill_and_resume(trained, tmp_path: Path, runs: int, seed: int, kills_per_run: int = 3) -> list[dict]:
    reference = tmp_path / "reference.parquet"
    subprocess.run(_score_cmd(trained, reference), check=True, capture_output=True, timeout=600)
    expected = _stable(reference)
    rng = random.Random(seed)
    outcomes = []
    for run in range(runs):
        out = tmp_path / f"killed-{run}.parquet"
        kills = 0
        for _ in range(kills_per_run):  # each kill at a random moment of a fresh start
            process = subprocess.Popen(_score_cmd(trained, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(1.0, 12.0))
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
                kills += 1
                # a killed run never leaves a final file that looks complete: it is absent or whole
                if out.exists():
                    pd.testing.assert_frame_equal(_stable(out), expected)
        subprocess.run(_score_cmd(trained, out), check=True, capture_output=True, timeout=600)
        got = _stable(out)
        identical = got.equals(expected)
        outcomes.append({"kind": "kill_resume", "run": run, "kills": kills, "identical": identical,
                         "rows": len(got), "duplicates": int(got["account_id"].duplicated().sum())})
        assert not parts_dir(out).exists()
        # a kill during a write may leave a temporary file, but only under a hidden .tmp name
        assert all(p.name.startswith(".") and p.name.endswith(".tmp") for p in tmp_path.glob("*.tmp*"))
        pd.testing.assert_frame_equal(got, expected)
    target = os.environ.get(LOG_ENV)
    if target:
        with Path(target).open("a") as log:
            log.writelines(json.dumps(o) + "\n" for o in outcomes)
    return outcomes


def test_sigkilled_batch_resumes_to_identical_output(trained, tmp_path):
    outcomes = _kill_and_resume(trained, tmp_path, runs=1, seed=1, kills_per_run=2)  # more under slow
    assert sum(o["kills"] for o in outcomes) >= 1


@pytest.mark.slow
def test_many_sigkilled_batches_resume_to_identical_output(trained, tmp_path):
    outcomes = _kill_and_resume(trained, tmp_path, runs=8, seed=2)
    assert sum(o["kills"] for o in outcomes) >= 8


def test_scoring_a_local_bundle_never_imports_mlflow(trained):
    code = ("import sys; from authfit import Scorer; from authfit.contract.io import read_raw_tables; "
            f"s = Scorer.load({str(trained.models / 'latest')!r}); "
            f"r = s.score(read_raw_tables(__import__('pathlib').Path({str(trained.world)!r}))); "
            "assert len(r.influencers) > 0; "
            "assert 'mlflow' not in sys.modules, 'mlflow was imported'")
    env = dict(os.environ, MLFLOW_TRACKING_URI="http://127.0.0.1:9")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300, env=env)
