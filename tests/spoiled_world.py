"""A small simulated world with bad rows of every kind the validator finds, spread over many accounts, for
the partitioned-validation and partitioned-scoring tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from authfit.config import load_settings
from authfit.contract.io import read_raw_tables, write_tables
from authfit.simulate import SimulationSettings, write_world


def _add(frame: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    return pd.concat([frame, pd.DataFrame(rows, columns=frame.columns).astype("str")], ignore_index=True)


def spoil(raw: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Bad rows of every kind the validator finds across tables, on accounts that land in different buckets."""
    t = {name: frame.copy() for name, frame in raw.items()}
    accounts, posts, comments = t["accounts"], t["posts"], t["comments"]
    ids = accounts["account_id"].tolist()
    # an account with an unparseable follower count: its posts become orphans, and their comments too
    accounts.loc[3, "follower_count"] = "lots"
    # the same account twice (the second row is the duplicate), and an id written with spaces around it
    t["accounts"] = accounts = _add(accounts, [accounts.iloc[5].to_dict() | {"username": "again"}])
    posts.loc[posts["account_id"] == ids[7], "account_id"] = f"  {ids[7]} "
    # a post id reused by another account (in another bucket), once for a valid post and once for a bad one
    first_of = {a: posts.index[posts["account_id"].str.strip() == a][0] for a in (ids[1], ids[9], ids[11])}
    posts.loc[first_of[ids[11]], "posted_at"] = "not a date"
    t["posts"] = posts = _add(posts, [
        posts.loc[first_of[ids[1]]].to_dict() | {"account_id": ids[2], "caption": "copy"},
        posts.loc[first_of[ids[11]]].to_dict() | {"account_id": ids[12], "posted_at": posts["posted_at"].iloc[0]},
        posts.iloc[0].to_dict() | {"post_id": "p-lost", "account_id": "nobody"},
        posts.iloc[0].to_dict() | {"post_id": "p-future", "posted_at": "2031-05-01T00:00:00Z"},
    ])
    on_bad_post = comments.index[comments["post_id"] == posts.loc[first_of[ids[11]], "post_id"]][:1]
    comments.loc[comments.index[10], "created_at"] = "2001-01-01T00:00:00Z"  # before its post
    reused = comments.iloc[20].to_dict()
    other_post = posts.loc[first_of[ids[9]], "post_id"]
    t["comments"] = _add(comments, [
        reused | {"post_id": other_post, "text": "same comment id, another account's post"},
        reused | {"comment_id": "c-orphan", "post_id": "no-such-post"},
        reused | {"comment_id": "c-blank", "post_id": "   "},
        comments.loc[on_bad_post[0]].to_dict() | {"comment_id": "c-on-bad-post"} if len(on_bad_post) else reused,
    ])
    history = t["follower_history"]
    history.loc[history.index[4], "follower_count"] = "-5"
    t["follower_history"] = _add(history, [history.iloc[6].to_dict()])  # duplicate (account, date)
    t["audience"] = _add(t["audience"], [t["audience"].iloc[0].to_dict() | {"influencer_id": "nobody"}])
    campaigns = t["campaigns"]
    campaigns.loc[campaigns.index[0], "end_date"] = "2000-06-01"  # ends before it starts
    if "outcomes" in t:
        t["outcomes"] = _add(t["outcomes"], [t["outcomes"].iloc[0].to_dict() | {"campaign_id": "nope"}])
    t["offers"] = pd.DataFrame({"campaign_id": [campaigns["campaign_id"].iloc[0], campaigns["campaign_id"].iloc[1]],
                                "account_id": [ids[0], ids[4]], "cost": ["100", "x"]}).astype("str")
    return t



def write_spoiled(root: Path, n_influencers: int, seed: int) -> Path:
    """The spoiled world as CSV files in `root / "csv"`."""
    write_world(load_settings(Path("configs/simulate.yaml"), SimulationSettings), n_influencers, seed, root / "clean")
    clean = read_raw_tables(root / "clean")
    as_text = {name: frame.astype("str").where(frame.notna()) for name, frame in clean.items()}
    write_tables(spoil(as_text), root / "csv", fmt="csv")
    return root / "csv"
