"""The command line: clear output, exit codes, and no traceback for the user."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from authfit.cli import app

runner = CliRunner()


def _write(directory: Path, **tables: pd.DataFrame) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(directory / f"{name}.csv", index=False)
    return directory


def test_validate_reports_problems_writes_rejects_and_fails(tmp_path):
    data = _write(tmp_path / "d", accounts=pd.DataFrame({"account_id": ["a", "b"], "follower_count": [5, -1]}),
                  posts=pd.DataFrame({"post_id": ["p"], "account_id": ["ghost"], "posted_at": ["2021-01-01"]}))
    rejects = tmp_path / "rejects.csv"
    result = runner.invoke(app, ["validate", str(data), "--rejects", str(rejects)])
    assert result.exit_code == 1
    assert "value must be >= 0" in result.output and "not found in accounts" in result.output
    written = pd.read_csv(rejects)
    assert sorted(written["table"]) == ["accounts", "posts"]


def test_validate_passes_clean_data(tmp_path):
    data = _write(tmp_path / "d", accounts=pd.DataFrame({"account_id": ["a"], "follower_count": [5]}))
    result = runner.invoke(app, ["validate", str(data), "--rejects", str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.output
    assert "all rows valid" in result.output and not (tmp_path / "r.csv").exists()


def _commands(command, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], object]:
    """Every command and sub-command of the click tree by its path, the root included."""
    found = {prefix: command}
    for name, sub in getattr(command, "commands", {}).items():
        found.update(_commands(sub, (*prefix, name)))
    return found


def test_every_command_has_help():
    import typer

    commands = _commands(typer.main.get_command(app))
    # walked from the tree, so a new command is covered without editing this test
    assert {("validate",), ("simulate",), ("train",), ("report",), ("accounts", "score")} <= set(commands)
    for path, command in commands.items():
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.output and "--help" in result.output, path
        assert (command.help or "").strip(), f"authfit {' '.join(path)} has no help text"


def test_errors_reach_the_user_as_one_line_not_a_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "authfit", "validate", str(tmp_path / "missing")],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr + proc.stdout
