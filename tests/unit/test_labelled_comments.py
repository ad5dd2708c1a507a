"""Adapters for the labelled comment sets, on tiny synthetic look-alike folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from authfit.datasets.labelled_comments import (
    COLUMNS,
    SCAMSPOT,
    UCI_YOUTUBE,
    LabelledCommentsError,
    load_labelled_comments,
    load_unlabelled_comments,
)
from authfit.datasets.paths import DatasetMissingError

BOM = "\ufeff"


def _write_uci(root: Path) -> None:
    folder = root / UCI_YOUTUBE
    folder.mkdir(parents=True)
    pd.DataFrame({
        "COMMENT_ID": ["a1", "a2", "a3", "a4"],
        "AUTHOR": ["x", "y", "z", "w"],
        "DATE": ["2014-01-01T00:00:00", None, "2014-01-02T00:00:00", "2014-01-03T00:00:00"],
        "CONTENT": ["Check out my channel" + BOM, "great song" + BOM, "CHECK OUT  my channel", "ambiguous"],
        "CLASS": [1, 0, 1, 1],
    }).to_csv(folder / "Youtube01-Alpha.csv", index=False)
    pd.DataFrame({
        "COMMENT_ID": ["b1", "b1", "b2"],
        "AUTHOR": ["p", "p", "q"],
        "DATE": ["2014-02-01T00:00:00"] * 3,
        "CONTENT": ["subscribe to me", "subscribe to me", "Ambiguous"],
        "CLASS": [1, 1, 0],
    }).to_csv(folder / "Youtube02-Beta.csv", index=False)


def _write_scamspot(root: Path, break_alignment: bool = False) -> None:
    folder = root / SCAMSPOT
    folder.mkdir(parents=True)
    extracted = {
        "101": {"text": "@ann great advice, thanks", "media": "m1", "account": "acc", "type": "real"},
        "102": {"text": "dm @trader_joe to earn $500", "media": "m1", "account": "acc", "type": "scam"},
        "103": {"text": "what's the fee?", "media": "m2", "account": "acc", "type": "unknown"},
        "104": {"text": "i don't agree", "media": "m2", "account": "acc", "type": "real"},
    }
    (folder / "comments_extracted.json").write_text(json.dumps(extracted), encoding="utf-8")
    # The rated CSV is the rated JSON comments in order, with the first @mention cut and commas/quotes
    # blanked, followed by reported scams that were never lower-cased.
    msgs = ["great advice  thanks", "dm @trader_joe to earn $500", "i don t agree", "DM ME NOW", "Dm me now"]
    scam = [0, 1, 0, 1, 1]
    if break_alignment:
        scam[0] = 1
    pd.DataFrame({"number": [0, 1, 2, 0, 0], "scam": scam, "msg_length": [len(m) for m in msgs],
                  "msg": msgs}).to_csv(folder / "comments-rated-plus-reported.csv", index=False)


def test_uci_columns_types_groups_and_invisible_characters(tmp_path: Path) -> None:
    _write_uci(tmp_path)
    frame = load_labelled_comments(UCI_YOUTUBE, tmp_path, dedupe=False)
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 7
    assert frame["text"].dtype == "str" and frame["label"].dtype == np.float64
    assert not frame["text"].str.contains(BOM).any()
    assert set(frame["group"]) == {"Youtube01-Alpha", "Youtube02-Beta"}
    assert (frame["source"] == UCI_YOUTUBE).all()
    # The source repeats comment id b1; keys must stay unique and stable.
    assert frame["comment_key"].is_unique
    assert {"b1", "b1#1"} <= set(frame["comment_key"])


def test_uci_dedupe_keeps_first_copy_and_drops_conflicting_texts(tmp_path: Path) -> None:
    _write_uci(tmp_path)
    frame = load_labelled_comments(UCI_YOUTUBE, tmp_path)
    texts = frame["text"].str.lower().tolist()
    # "Check out my channel" and "CHECK OUT  my channel" are one text; the first copy is kept.
    assert texts.count("check out my channel") == 1
    assert frame.loc[frame["text"].str.lower() == "check out my channel", "comment_key"].item() == "a1"
    assert texts.count("subscribe to me") == 1
    # "ambiguous" carries both labels across copies, so neither survives.
    assert "ambiguous" not in texts
    assert sorted(frame["label"].tolist()) == [0.0, 1.0, 1.0]


def test_scamspot_joins_post_ids_and_lowercases_reported_rows(tmp_path: Path) -> None:
    _write_scamspot(tmp_path)
    frame = load_labelled_comments(SCAMSPOT, tmp_path, dedupe=False)
    assert frame["label"].tolist() == [0.0, 1.0, 0.0, 1.0, 1.0]
    # Rated rows get the raw JSON text (mention and punctuation intact) and the post id.
    assert frame["text"].iloc[0] == "@ann great advice, thanks"
    assert frame["group"].iloc[:3].tolist() == ["m1", "m1", "m2"]
    assert frame["comment_key"].iloc[:3].tolist() == ["101", "102", "104"]
    # Reported rows: no post, lower-cased so case cannot give their label away, keys unique.
    assert frame["group"].iloc[3:].isna().all()
    assert frame["text"].iloc[3:].tolist() == ["dm me now", "dm me now"]
    assert frame["comment_key"].is_unique
    deduped = load_labelled_comments(SCAMSPOT, tmp_path)
    assert deduped["text"].tolist().count("dm me now") == 1


def test_scamspot_refuses_misaligned_files(tmp_path: Path) -> None:
    _write_scamspot(tmp_path, break_alignment=True)
    with pytest.raises(LabelledCommentsError, match="line up"):
        load_labelled_comments(SCAMSPOT, tmp_path)


def test_unlabelled_scamspot_comments(tmp_path: Path) -> None:
    _write_scamspot(tmp_path)
    frame = load_unlabelled_comments(SCAMSPOT, tmp_path)
    assert frame["text"].tolist() == ["what's the fee?"]
    assert frame["label"].isna().all() and frame["group"].tolist() == ["m2"]


def test_unknown_source_and_missing_folder_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown labelled-comment source"):
        load_labelled_comments("nope", tmp_path)
    with pytest.raises(DatasetMissingError, match=UCI_YOUTUBE):
        load_labelled_comments(UCI_YOUTUBE, tmp_path)
