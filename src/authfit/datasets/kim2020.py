"""Kim et al. (WWW 2020) Instagram influencers, read as they are into the `accounts`, `posts` and `comments`
contract tables.

Files in the data-set folder:

- `influencers.txt`: tab-separated `Username, Category, #Followers, #Followees, #Posts`, with a line of `=`
  under the header. Two rows carry typo categories (`fasion`, `fashion 0.5`); both are fashion.
- `post_data.tar.gz`: one Instagram GraphQL JSON per post, named `post_data/<username>-<post id>.info`.
  It is read straight from the archive in streaming mode, never unpacked.

How the owner of a post is identified: the file name's username is the name in `influencers.txt` (all of
them are listed), while `owner.username` inside the JSON is the account's name when the post was crawled,
which differs for ~660 renamed accounts. So `account_id` is the file name's username. In 177 files the JSON
holds a different post than the file name says (another account's post, which is also stored under its own
name); those misfiled copies are skipped, so `post_id` stays unique and owned by the right account.

Comments are the top-level comment nodes: `edge_media_to_parent_comment` (newer crawls) or
`edge_media_to_comment` (older crawls), 517,412 nodes in all, a few of them listed twice on the same post
(kept once). Threaded replies are not included. `commenter_id` is the commenter's username, the same kind
of identifier as `account_id` here, so an influencer answering on their own post can be recognised.
`is_sponsored` is 1 when the post carries a paid-partnership sponsor tag (`edge_media_to_sponsor_user`)
or `is_ad` is set.
"""

from __future__ import annotations

import csv
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from authfit.datasets.paths import DatasetMissingError, dataset_dir
from authfit.contract.validate import coerce_table

KIM2020 = "kim2020-instagram-influencers"
POST_ARCHIVE = "post_data.tar.gz"
INFLUENCERS_FILE = "influencers.txt"
PLATFORM = "instagram"
CATEGORY_FIXES = {"fasion": "fashion"}
_MEMBER_NAME = re.compile(r"(?:^|/)(?P<user>[^/]+)-(?P<post>\d+)\.info$")
_POST_FIELDS = ("post_id", "account_id", "posted_at", "caption", "like_count", "comment_count",
                "is_sponsored")
_COMMENT_FIELDS = ("comment_id", "post_id", "commenter_id", "created_at", "text")
_COMMENT_EDGES = ("edge_media_to_parent_comment", "edge_media_to_comment")


def kim2020_file(name: str, path: Path | None = None) -> Path:
    """A file of the data set; `path` is the data-set folder (default: from `$AUTHFIT_DATASETS`)."""
    folder = dataset_dir(KIM2020) if path is None else Path(path)
    target = folder / name
    if not target.is_file():
        raise DatasetMissingError(f"{KIM2020}: {target} not found; point $AUTHFIT_DATASETS at the data sets")
    return target


def _typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    return coerce_table(frame, table)[0].reset_index(drop=True)


def normalise_category(raw: pd.Series) -> pd.Series:
    """Lower-case first word of the category, with the file's typos repaired (`fashion 0.5` -> `fashion`)."""
    first = raw.astype("str").str.strip().str.lower().str.split(" ").str[0]
    return first.replace(CATEGORY_FIXES)


def read_kim2020_accounts(path: Path | None = None) -> pd.DataFrame:
    """`influencers.txt` as a typed `accounts` table (account_id = username)."""
    raw = pd.read_csv(kim2020_file(INFLUENCERS_FILE, path), sep="\t", dtype=str, keep_default_na=False,
                      skiprows=[1], quoting=csv.QUOTE_NONE, encoding="utf-8")
    username, category, followers, following, media = (raw.iloc[:, i] for i in range(5))
    frame = pd.DataFrame({
        "account_id": username.str.strip(),
        "username": username.str.strip(),
        "platform": PLATFORM,
        "follower_count": pd.to_numeric(followers, errors="coerce"),
        "following_count": pd.to_numeric(following, errors="coerce"),
        "media_count": pd.to_numeric(media, errors="coerce"),
        "category": normalise_category(category),
    })
    return _typed(frame.drop_duplicates("account_id"), "accounts")


def _iter_documents(archive: Path, step: int = 1) -> Iterator[tuple[str, dict]]:
    """(member name, parsed JSON) for every `step`-th post file, streamed from the gzip archive."""
    with tarfile.open(archive, mode="r|gz") as stream:
        seen = 0
        for member in stream:
            if not (member.isfile() and member.name.endswith(".info")):
                continue  # the folder entry and a stray macOS alias file
            seen += 1
            if (seen - 1) % step:
                continue
            handle = stream.extractfile(member)
            try:
                yield member.name, json.loads(handle.read())
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue


def _post_record(name: str, doc: dict) -> tuple | None:
    """One post's contract fields, or None for a misfiled copy of another account's post."""
    match = _MEMBER_NAME.search(name)
    post_id = str(doc.get("id", ""))
    if match is not None and match["post"] != post_id:
        return None
    owner = match["user"] if match is not None else doc.get("owner", {}).get("username")
    caption_edges = doc.get("edge_media_to_caption", {}).get("edges") or [{}]
    comments = next((doc[k] for k in _COMMENT_EDGES if k in doc), {})
    sponsored = bool(doc.get("edge_media_to_sponsor_user", {}).get("edges")) or bool(doc.get("is_ad"))
    return (post_id, owner, doc.get("taken_at_timestamp"), caption_edges[0].get("node", {}).get("text"),
            doc.get("edge_media_preview_like", {}).get("count"), comments.get("count"), float(sponsored))


def _comment_records(post_id: str, doc: dict) -> list[tuple]:
    """(comment_id, post_id, commenter, created_at, text) per top-level comment; only these small fields
    are kept, so a chunk does not hold on to the full JSON of its comments."""
    edges = next((doc[k].get("edges") or [] for k in _COMMENT_EDGES if k in doc), [])
    nodes = [edge["node"] for edge in edges if "node" in edge]
    return [(str(n.get("id", "")), post_id, n.get("owner", {}).get("username"), n.get("created_at"),
             n.get("text")) for n in nodes]


def _chunk_frames(records: list[tuple], comment_records: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed posts and comments of one chunk, each built once from the collected rows."""
    posts = pd.DataFrame.from_records(records, columns=list(_POST_FIELDS))
    posts["posted_at"] = _from_epoch(posts["posted_at"])
    comments = pd.DataFrame.from_records(comment_records, columns=list(_COMMENT_FIELDS))
    comments["created_at"] = _from_epoch(comments["created_at"])
    return _typed(posts, "posts"), _typed(comments.drop_duplicates("comment_id"), "comments")


def _from_epoch(seconds: pd.Series) -> pd.Series:
    return pd.to_datetime(pd.to_numeric(seconds, errors="coerce"), unit="s", utc=True)


def iter_kim2020_chunks(path: Path | None = None, posts_per_chunk: int = 5000, limit: int | None = None,
                        step: int = 1) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Typed (posts, comments) chunks of at most `posts_per_chunk` posts, streamed from the archive.

    `limit` caps the number of posts; `step` keeps every step-th post file, which spreads a small sample
    over the whole (alphabetical) archive instead of taking its first accounts."""
    if posts_per_chunk < 1 or step < 1:
        raise ValueError("posts_per_chunk and step must be >= 1")
    records: list[tuple] = []
    comments: list[tuple] = []
    taken = 0
    for name, doc in _iter_documents(kim2020_file(POST_ARCHIVE, path), step):
        if limit is not None and taken >= limit:
            break
        record = _post_record(name, doc)
        if record is None:
            continue
        records.append(record)
        comments.extend(_comment_records(record[0], doc))
        taken += 1
        if len(records) == posts_per_chunk:
            yield _chunk_frames(records, comments)
            records, comments = [], []
    if records:
        yield _chunk_frames(records, comments)


def read_kim2020_posts(path: Path | None = None, limit: int | None = None, posts_per_chunk: int = 5000,
                       step: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All (or `limit`) posts and their comments as two typed tables."""
    chunks = list(iter_kim2020_chunks(path, posts_per_chunk=posts_per_chunk, limit=limit, step=step))
    if not chunks:
        return _typed(pd.DataFrame(), "posts"), _typed(pd.DataFrame(), "comments")
    posts = pd.concat([c[0] for c in chunks], ignore_index=True)
    comments = pd.concat([c[1] for c in chunks], ignore_index=True)
    return posts, comments
