"""The docs' `authfit` commands, run as written through the installed entry point on the small trained
model set, so a guide cannot drift from what the code does. Only the placeholders a reader replaces
(`my-data`, `my-candidates`, output folders) are pointed at test directories. Registry URIs
(models:/authfit-...@champion) are run as written, in a project directory whose embedded MLflow store
registers the trained set, with no $MLFLOW_TRACKING_URI: the way a user runs them after `authfit train`.

Commands not run here, and where they are covered instead: `authfit train` (the session's `trained`
fixture trains on the same configs/train.yaml with CV folds cut down; a run with the full config takes
minutes), `authfit serve` (a long-running server: tests/integration/test_end_to_end.py and the reliability HTTP
tests drive the same app) and a Dask `--scheduler tcp://HOST:...` (needs a cluster:
tests/integration/test_dask_engine.py runs the engine on a LocalCluster). They run in the order the docs give
them, so the guide's `score` writes the scores its `shortlist` and `report` read.

One size is scaled down: a `simulate --influencers N` above MAX_SIMULATED runs with MAX_SIMULATED (the
realism guide's 2,000 took ~25 s; the same code path runs on fewer). The command as written, options and
all, is still checked by tests/docs/test_readme_commands.py."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from doc_commands import doc_commands

BIN = Path(sys.executable).parent
AUTHFIT = [c for c in doc_commands() if shlex.split(c.command)[0] in ("authfit", ".venv/bin/authfit")]
MAX_SIMULATED = 300


def _covered_elsewhere(words: list[str]) -> str | None:
    if words[0] == "train":
        return "trained by the `trained` fixture from the same config"
    if words[0] == "serve":
        return "a long-running server; its app is tested in-process"
    if "--scheduler" in words:
        return "needs a Dask cluster; test_dask_engine.py uses a LocalCluster"
    return None


def _scaled(words: list[str]) -> list[str]:
    """The words with a `simulate --influencers` above MAX_SIMULATED cut to MAX_SIMULATED."""
    if words[0] != "simulate" or "--influencers" not in words:
        return words
    at = words.index("--influencers") + 1
    return [*words[:at], str(min(int(words[at]), MAX_SIMULATED)), *words[at + 1:]]


def _substitute(words: list[str], places: dict[str, str]) -> list[str]:
    out = []
    for word in words:
        for placeholder, real in places.items():
            if word == placeholder or word.startswith(placeholder + "/"):
                word = real + word[len(placeholder):]
                break
        out.append(word)
    return out


@pytest.fixture(scope="module")
def places(trained, tmp_path_factory) -> dict[str, str]:
    from authfit.config import load_settings
    from authfit.simulate import SimulationSettings, write_world

    root = tmp_path_factory.mktemp("docs-run")
    candidates = root / "candidates"
    write_world(load_settings(Path("configs/simulate.yaml"), SimulationSettings), 60, 23, candidates)
    models = str(trained.models / "latest")
    return {"my-data": str(trained.world), "my-candidates": str(candidates), "results": str(root / "results"),
            "data/realism": str(root / "realism"), "data/contract-example": str(root / "contract-example"),
            "models/latest": models}


def test_the_guides_have_commands_to_run(places):
    unmapped = [c.command for c in AUTHFIT for w in shlex.split(c.command)
                if re.match(r"^(data|results|my-[a-z]+)/?", w) and not any(
                    w == p or w.startswith(p + "/") for p in places)]
    assert not unmapped, f"point these doc paths at test directories in `places`: {unmapped}"
    run = [c for c in AUTHFIT if not _covered_elsewhere(shlex.split(c.command)[1:])]
    commands = {shlex.split(c.command)[1] for c in run}
    assert commands >= {"validate", "score", "shortlist", "report", "simulate"}


@pytest.mark.parametrize("doc_command", AUTHFIT, ids=lambda c: f"{c.doc}: {c.command[:60]}")
def test_documented_authfit_command_runs(doc_command, places, registered, tmp_path):
    words = shlex.split(doc_command.command)[1:]
    reason = _covered_elsewhere(words)
    if reason:
        pytest.skip(reason)
    args = _substitute(_scaled(words), places)
    registry = any(w.startswith("models:/") for w in args)
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    result = subprocess.run([str(BIN / "authfit"), *args], capture_output=True, text=True, timeout=600,
                            check=False, env=env, cwd=registered.project if registry else None)
    where = f"{doc_command.doc}: {doc_command.command}, run as: authfit {shlex.join(args)}"
    assert result.returncode == 0, f"{where}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    assert not (Path(registered.project) / "mlflow.db").exists(), "MLflow's default store was created"
    for option in ("--out", "--rejects"):
        if option in args and words[0] != "validate":  # validate writes rejects only when rows were rejected
            assert Path(args[args.index(option) + 1]).exists(), f"{doc_command.command}: nothing at {option}"
