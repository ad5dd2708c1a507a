"""Adapters for the labelled spam / scam comment data sets, read as they are into one flat frame.

Every loader returns the columns `text`, `label` (1 = spam or scam), `source`, `group` (the video or
post the comment sits under, for grouped cross-validation; missing when unknown) and `comment_key`
(a stable id, unique within the frame).

Deduplication (on by default) keys on `dedupe_key`, a light normal form of the text (case, invisible
characters and whitespace ignored). The first copy of each text is kept; texts that carry both labels
are dropped entirely, because neither label can be trusted and keeping one would teach the model noise.
Deduplication matters for honest cross-validation: bots post the same text many times, and a copy in
the training fold makes its twin in the test fold trivially easy.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from authfit.datasets.paths import dataset_dir

COLUMNS = ["text", "label", "source", "group", "comment_key"]
UCI_YOUTUBE = "uci-youtube-spam"
SCAMSPOT = "scamspot-ig-comments"
SOURCES = (UCI_YOUTUBE, SCAMSPOT)

# The YouTube export sprinkles zero-width no-break spaces (BOMs) into 79% of comments, and far more often
# into ham than spam: left in, a model learns the crawl, not the comment.
_INVISIBLE = r"[\u200b-\u200f\u2060\ufeff]"
# ScamSpot's rated file is the JSON's rated comments, in order, lower-cased, with the first leading
# @mention cut and commas and quotes blanked; this undoes that much to check the rows line up.
_SCAMSPOT_FIRST_MENTION = r"^@\S+\s*"
_SCAMSPOT_BLANKED = r"[,'\"]"
_MIN_ALIGNED_SHARE = 0.95


class LabelledCommentsError(ValueError):
    """A labelled-comment file does not look the way its adapter expects."""


def load_labelled_comments(source: str, root: Path | None = None, dedupe: bool = True) -> pd.DataFrame:
    """Labelled comments of one source (`uci-youtube-spam` or `scamspot-ig-comments`)."""
    loaders = {UCI_YOUTUBE: _load_uci_youtube, SCAMSPOT: _load_scamspot}
    if source not in loaders:
        raise ValueError(f"unknown labelled-comment source {source!r}; expected one of {SOURCES}")
    frame = loaders[source](dataset_dir(source, root))
    return dedupe_labelled_comments(frame) if dedupe else frame


def load_unlabelled_comments(source: str = SCAMSPOT, root: Path | None = None) -> pd.DataFrame:
    """ScamSpot's unrated comments (`type == unknown`), same columns with `label` missing."""
    if source != SCAMSPOT:
        raise ValueError(f"only {SCAMSPOT!r} ships unlabelled comments, not {source!r}")
    extracted = _read_scamspot_json(dataset_dir(source, root))
    unknown = extracted[extracted["type"] == "unknown"]
    return _frame(unknown["text"], np.full(len(unknown), np.nan), SCAMSPOT, unknown["media"], unknown["id"])


def dedupe_key(text: pd.Series) -> pd.Series:
    """The text with case, invisible characters and runs of whitespace ignored."""
    cleaned = text.fillna("").str.replace(_INVISIBLE, "", regex=True).str.lower()
    return cleaned.str.replace(r"\s+", " ", regex=True).str.strip()


def dedupe_labelled_comments(frame: pd.DataFrame) -> pd.DataFrame:
    """First copy of each text; texts seen with both labels are dropped."""
    key = dedupe_key(frame["text"])
    conflicting = frame.groupby(key.to_numpy(), sort=False)["label"].transform("nunique").to_numpy() > 1
    keep = ~key.duplicated().to_numpy() & ~conflicting
    return frame.loc[keep].reset_index(drop=True)


def _load_uci_youtube(folder: Path) -> pd.DataFrame:
    files = sorted(folder.glob("Youtube0*.csv"))
    if not files:
        raise LabelledCommentsError(f"no Youtube0*.csv files in {folder}")
    parts = [pd.read_csv(path, dtype={"COMMENT_ID": "str", "CONTENT": "str"}).assign(video=path.stem)
             for path in files]
    raw = pd.concat(parts, ignore_index=True)
    _require_columns(raw, ["COMMENT_ID", "CONTENT", "CLASS"], folder)
    text = raw["CONTENT"].str.replace(_INVISIBLE, "", regex=True)
    return _frame(text, raw["CLASS"], UCI_YOUTUBE, raw["video"], raw["COMMENT_ID"])


def _load_scamspot(folder: Path) -> pd.DataFrame:
    """Labels from comments-rated-plus-reported.csv; raw text and post ids from the JSON where they align."""
    rated = pd.read_csv(folder / "comments-rated-plus-reported.csv", dtype={"msg": "str"})
    _require_columns(rated, ["scam", "msg"], folder)
    extracted = _read_scamspot_json(folder)
    in_json = extracted[extracted["type"].isin(["real", "scam"])].reset_index(drop=True)
    n_json = len(in_json)
    if not _scamspot_aligned(rated.iloc[:n_json], in_json):
        raise LabelledCommentsError(f"{folder}: rated CSV rows do not line up with the rated JSON comments")
    reported = rated.iloc[n_json:]
    # The 142 reported rows were never lower-cased like the rest; left as they are, case alone
    # would give their (always scam) label away.
    text = pd.concat([in_json["text"], reported["msg"].str.lower()], ignore_index=True)
    group = pd.concat([in_json["media"], pd.Series([None] * len(reported), dtype="str")], ignore_index=True)
    key = pd.concat([in_json["id"], "reported-" + _stable_hash(reported["msg"])], ignore_index=True)
    return _frame(text.str.replace(_INVISIBLE, "", regex=True), rated["scam"], SCAMSPOT, group, key)


def _scamspot_aligned(rated: pd.DataFrame, in_json: pd.DataFrame) -> bool:
    if len(rated) != len(in_json):
        return False
    labels_match = ((in_json["type"] == "scam").astype(int).to_numpy() == rated["scam"].to_numpy()).all()
    redone = in_json["text"].str.lower().str.replace(_SCAMSPOT_FIRST_MENTION, "", regex=True)
    redone = redone.str.replace(_SCAMSPOT_BLANKED, " ", regex=True)
    text_share = float((redone.to_numpy() == rated["msg"].fillna("").to_numpy()).mean())
    return bool(labels_match) and text_share >= _MIN_ALIGNED_SHARE


def _read_scamspot_json(folder: Path) -> pd.DataFrame:
    with (folder / "comments_extracted.json").open(encoding="utf-8") as handle:
        records = json.load(handle)
    frame = pd.DataFrame.from_dict(records, orient="index")
    _require_columns(frame, ["text", "media", "type"], folder)
    frame = frame.rename_axis("id").reset_index()
    return frame.astype({"id": "str", "text": "str", "media": "str", "type": "str"})


def _stable_hash(text: pd.Series) -> pd.Series:
    hashed = pd.util.hash_pandas_object(text.fillna(""), index=False).to_numpy()
    return pd.Series([f"{value:016x}" for value in hashed], index=text.index, dtype="str")


def _frame(text, label, source: str, group, key) -> pd.DataFrame:
    frame = pd.DataFrame({
        "text": pd.Series(text).astype("str").to_numpy(),
        "label": pd.Series(label).astype("float64").to_numpy(),
        "source": source,
        "group": pd.Series(group).astype("str").to_numpy(),
        "comment_key": pd.Series(key).astype("str").to_numpy(),
    })
    frame = frame.astype({"text": "str", "source": "str", "group": "str", "comment_key": "str"})
    return frame.assign(comment_key=_unique_keys(frame["comment_key"]))


def _unique_keys(key: pd.Series) -> pd.Series:
    """Repeated source ids (UCI has three) get `#1`, `#2`... so keys stay unique without dedupe."""
    nth = key.groupby(key.to_numpy(), sort=False).cumcount()
    suffix = pd.Series(np.where(nth.to_numpy() > 0, "#" + nth.astype("str"), ""), index=key.index)
    return key + suffix.astype("str")


def _require_columns(frame: pd.DataFrame, columns: list[str], folder: Path) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise LabelledCommentsError(f"{folder}: missing columns {missing}")
