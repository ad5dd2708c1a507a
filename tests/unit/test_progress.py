"""Stage progress for long commands: every stage announced with its number, and its time when done."""

from __future__ import annotations

import logging

from authfit.progress import Stages


def test_stages_log_each_start_and_end(caplog):
    caplog.set_level(logging.INFO, logger="authfit.progress")
    stages = Stages("train", ("account model", "comment model"), bar=False)
    stages.advance()
    stages.advance()
    stages.finish()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "train 1/2: account model" and lines[2] == "train 2/2: comment model"
    assert lines[1].startswith("train 1/2: account model done in") and lines[3].endswith(" s")


def test_the_bar_goes_to_stderr_with_timestamped_stage_lines(capsys):
    stages = Stages("train", ("a", "b"), bar=True)
    stages.advance()
    stages.advance()
    stages.finish()
    err = capsys.readouterr().err
    assert "train 2/2: b done in" in err and "stage" in err  # tqdm's unit
    stage_lines = [line.split("\r")[-1] for line in err.splitlines() if "train 1/2: a" in line]
    assert stage_lines and all(line[:4].isdigit() for line in stage_lines), err


def test_training_reports_its_stages():
    from authfit.training.pipeline import TRAIN_STAGES

    assert len(TRAIN_STAGES) == 5 and TRAIN_STAGES[0] == "account model"
