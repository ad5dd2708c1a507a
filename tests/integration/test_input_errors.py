"""What a new user's files meet: no silent success, and errors that name the file and say what to do."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from authfit.cli import app, rejected_summary
from authfit.config import load_settings
from authfit.contract.io import (
    OutputFormatError,
    TableNotFoundError,
    TableReadError,
    read_raw_tables,
    table_path,
    write_atomic,
)
from authfit.training.train_settings import TrainSettings

runner = CliRunner()
ACCOUNTS = "account_id,follower_count\na,5\nb,7\n"


def test_an_empty_directory_is_an_error_not_all_rows_valid(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path), "--rejects", str(tmp_path / "r.csv")])
    assert result.exit_code != 0
    assert "all rows valid" not in result.output
    assert "no contract tables found" in str(result.exception)


def test_table_file_names_match_without_regard_to_case(tmp_path):
    (tmp_path / "Accounts.csv").write_text(ACCOUNTS)
    assert table_path(tmp_path, "accounts") == tmp_path / "Accounts.csv"
    assert len(read_raw_tables(tmp_path)["accounts"]) == 2


def test_two_files_for_one_table_are_an_error(tmp_path):
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "Accounts.CSV.gz").write_bytes(gzip.compress(ACCOUNTS.encode()))
    with pytest.raises(TableReadError, match="more than one file"):
        read_raw_tables(tmp_path)


def test_files_meant_as_tables_are_named_in_a_warning(tmp_path, caplog):
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "posst.csv").write_text("post_id\n")
    (tmp_path / "comments.xlsx").write_bytes(b"PK")
    (tmp_path / "truth_outcomes.parquet").write_bytes(b"")  # the simulator's ground truth: not mentioned
    read_raw_tables(tmp_path)
    assert "did you mean posts?" in caplog.text and "not .xlsx" in caplog.text
    assert "truth_outcomes" not in caplog.text


@pytest.mark.parametrize("name", ["scores.xlsx", "scores.json", "scores"])
def test_an_output_suffix_authfit_cannot_write_is_refused(tmp_path, name):
    with pytest.raises(OutputFormatError, match=r"\.parquet, \.csv or \.csv\.gz"):
        write_atomic(pd.DataFrame({"a": [1]}), tmp_path / name)
    assert not (tmp_path / name).exists()


def test_csv_gz_output_is_gzip(tmp_path):
    path = write_atomic(pd.DataFrame({"a": [1, 2]}), tmp_path / "out.csv.gz")
    assert gzip.decompress(path.read_bytes()).decode().splitlines() == ["a", "1", "2"]


def test_score_refuses_xlsx_before_any_work(tmp_path):
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    result = runner.invoke(app, ["score", "--data", str(tmp_path), "--out", str(tmp_path / "y.xlsx"),
                                 "--model", str(tmp_path / "no-model")])
    assert isinstance(result.exception, OutputFormatError)  # not the missing model: the suffix is checked first


def test_a_cp1252_file_is_named_with_what_to_do(tmp_path):
    (tmp_path / "accounts.csv").write_bytes("account_id,bio\na,caf\xe9\n".encode("cp1252"))
    with pytest.raises(TableReadError) as caught:
        read_raw_tables(tmp_path)
    assert "accounts.csv" in str(caught.value) and "UTF-8" in str(caught.value)


def test_a_semicolon_separated_file_gets_a_hint(tmp_path):
    (tmp_path / "accounts.csv").write_text("account_id;follower_count\na;5\n")
    with pytest.raises(TableReadError, match="';' as separator") as caught:
        read_raw_tables(tmp_path)
    assert "accounts.csv" in str(caught.value)


def test_a_file_instead_of_a_directory_is_said_as_such(tmp_path):
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    with pytest.raises(TableNotFoundError, match="is a file, not a directory"):
        read_raw_tables(tmp_path / "accounts.csv")


def test_the_partitioned_score_path_names_the_file_too(tmp_path):
    from authfit.scoring.partition import partition_directory

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "accounts.csv").write_bytes("account_id,bio\na,caf\xe9\n".encode("cp1252"))
    with pytest.raises(TableReadError, match="accounts.csv"):
        partition_directory(tmp_path / "data", tmp_path / "work", chunk_size=10)


def test_rejected_rows_are_counted_per_table():
    rejects = pd.DataFrame({"table": ["comments"] * 50 + ["posts"] * 30, "reason": "x"})
    assert rejected_summary(rejects) == "80 rejected input rows (comments 50, posts 30)"


def test_config_paths_are_relative_to_the_config_file(tmp_path, monkeypatch):
    copied = tmp_path / "elsewhere" / "cfg"
    shutil.copytree("configs", copied)
    monkeypatch.chdir(tmp_path)  # outside the repository
    settings = load_settings(copied / "train.yaml", TrainSettings)
    assert settings.features_config == copied / "features.yaml"
    assert settings.models_dir == tmp_path / "elsewhere" / "models"
    from authfit.features.build import FeatureSettings

    load_settings(settings.features_config, FeatureSettings)  # found from any working directory


def test_repository_train_config_means_the_same_from_any_directory(tmp_path, monkeypatch):
    repo = Path.cwd()
    here = load_settings(Path("configs/train.yaml"), TrainSettings)
    monkeypatch.chdir(tmp_path)
    there = load_settings(repo / "configs" / "train.yaml", TrainSettings)
    assert here == there
    assert there.models_dir == repo / "models" and there.pretrained_dir == repo / "models" / "pretrained"


def test_simulate_runs_outside_the_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["simulate", "--influencers", "5", "--out", "world"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "world" / "accounts.parquet").is_file()


def _logging_run(verbose: bool) -> subprocess.CompletedProcess:
    flags = ["-v"] if verbose else []
    code = ("import logging, warnings\n"
            "from authfit.cli import app\n"  # the root callback sets logging up before --help exits
            f"app({flags + ['validate', '--help']!r}, standalone_mode=False)\n"
            "import matplotlib.font_manager as fm\n"
            "logging.getLogger('matplotlib.font_manager').debug('findfont: scoring DejaVu')\n"
            "logging.getLogger('authfit.x').info('hello from authfit')\n"
            "warnings.warn('Mean of empty slice', RuntimeWarning)\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


def test_verbose_logging_has_timestamps_and_no_font_debug_lines():
    proc = _logging_run(True)
    lines = proc.stderr.splitlines()
    assert any("hello from authfit" in line for line in lines), proc.stderr
    assert all(line[:4].isdigit() and line[4] == "-" for line in lines if line.strip()), proc.stderr
    assert "findfont" not in proc.stderr
    assert "Mean of empty slice" in proc.stderr  # shown with -v, through logging


def test_library_warnings_do_not_leak_without_verbose():
    proc = _logging_run(False)
    assert "hello from authfit" in proc.stderr
    assert "Mean of empty slice" not in proc.stderr and "RuntimeWarning" not in proc.stderr


def test_training_says_which_class_is_short():
    import numpy as np

    from authfit.training.pipeline import TrainingError, influencer_training_set

    features = pd.DataFrame({"x": np.arange(30.0)}, index=[f"a{i}" for i in range(30)])
    labels = pd.DataFrame({"account_id": [f"a{i}" for i in range(30)] + ["ghost"],
                           "fake_engagement": [0] * 30 + [1]})
    with pytest.raises(TrainingError, match=r"got 0 labelled fake \(fake_engagement=1\) and 30 labelled authentic"
                       ) as caught:
        influencer_training_set(features, labels)
    assert "1 labels name no known influencer" in str(caught.value)


def test_serve_prints_a_startup_line_with_its_url(monkeypatch, caplog):
    import logging
    from types import SimpleNamespace

    import uvicorn

    from authfit.scoring import scorer as scorer_module
    from authfit.serve import run
    from authfit.serve.schemas import ServiceSettings

    monkeypatch.setattr(scorer_module.Scorer, "load", classmethod(lambda cls, where: SimpleNamespace(
        model_version="v7")))
    monkeypatch.setattr("authfit.serve.api.create_app", lambda holder, settings, api_key=None: object())
    monkeypatch.setattr("authfit.serve.api.warm", lambda scorer: scorer)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    monkeypatch.setattr(run.signal, "signal", lambda *a: None)
    caplog.set_level(logging.INFO, logger="authfit.serve.run")
    run.serve(ServiceSettings(host="127.0.0.1", port=8123))
    assert "serving model v7 at http://127.0.0.1:8123" in caplog.text
    assert run.service_url("::1", 80) == "http://[::1]:80"


def test_report_refuses_a_non_html_name(tmp_path):
    result = runner.invoke(app, ["report", "--scores", str(tmp_path / "s.csv"), "--data", str(tmp_path),
                                 "--out", str(tmp_path / "report.pdf")])
    assert result.exit_code == 2 and "name the file .html" in result.output
    assert not (tmp_path / "report.pdf").exists()


def test_a_lone_copied_train_config_names_its_missing_feature_file_or_uses_the_built_in_settings(tmp_path):
    import yaml

    from authfit.cli import feature_settings
    from authfit.config import ConfigError
    from authfit.features.build import FeatureSettings

    raw = yaml.safe_load(Path("configs/train.yaml").read_text(encoding="utf-8"))
    alone = tmp_path / "train.yaml"
    alone.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"features_config of .*train.yaml .*features.yaml.*null"):
        feature_settings(load_settings(alone, TrainSettings), alone)
    alone.write_text(yaml.safe_dump(raw | {"features_config": None}), encoding="utf-8")
    assert feature_settings(load_settings(alone, TrainSettings), alone) == FeatureSettings()


def test_an_upper_case_parquet_table_is_scored_as_parquet(tmp_path):
    from authfit.scoring.partition import partition_directory

    (tmp_path / "data").mkdir()
    pd.DataFrame({"account_id": ["a", "b"], "follower_count": [5, 7]}).to_parquet(
        tmp_path / "data" / "Accounts.PARQUET")
    partition = partition_directory(tmp_path / "data", tmp_path / "work", chunk_size=10)
    assert partition.tables == ("accounts",)
