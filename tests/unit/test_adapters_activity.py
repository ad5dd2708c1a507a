"""Unit tests for the kim2020, frost2023 and hypeauditor adapters on tiny synthetic look-alike files."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from authfit.datasets.frost2023 import (
    frost2023_follower_history,
    read_frost2023_accounts,
    read_frost2023_follower_history,
    read_frost2023_series,
)
from authfit.datasets.hypeauditor import (
    hypeauditor_accounts,
    hypeauditor_follower_history,
    parse_count,
    read_hypeauditor_snapshots,
)
from authfit.datasets.kim2020 import iter_kim2020_chunks, read_kim2020_accounts, read_kim2020_posts
from authfit.datasets.paths import DatasetMissingError
from authfit.contract.validate import validate_tables

UTC = "UTC"


# ---------------------------------------------------------------- kim2020 fixtures

def _node(cid: str, user: str, ts: int, text: str) -> dict:
    return {"node": {"id": cid, "text": text, "created_at": ts, "did_report_as_spam": False,
                     "owner": {"id": f"9{cid}", "username": user, "is_verified": False}}}


def _post(post_id: str, owner: str, ts: int, likes: int, comments: list[dict], *, caption: str | None,
          sponsor: bool = False, old_style: bool = False) -> dict:
    doc = {
        "id": post_id, "shortcode": "Xy" + post_id, "taken_at_timestamp": ts, "is_video": False,
        "is_ad": False,
        "owner": {"id": "77" + post_id, "username": owner, "is_verified": False},
        "edge_media_preview_like": {"count": likes, "edges": []},
        "edge_media_to_caption": {"edges": [{"node": {"text": caption}}] if caption is not None else []},
        "edge_media_to_sponsor_user": {"edges": [{"node": {"sponsor": {"username": "brandx", "id": "5"}}}]
                                       if sponsor else []},
    }
    key = "edge_media_to_comment" if old_style else "edge_media_to_parent_comment"
    doc[key] = {"count": len(comments) + 3, "page_info": {"has_next_page": False}, "edges": comments}
    return doc


def _add(tar: tarfile.TarFile, name: str, payload: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))


def write_kim_fixture(folder: Path) -> Path:
    """Three post files in the archive's layout: a renamed owner with a duplicated comment and a sponsor
    tag, an old-style post without caption, a misfiled copy of the second post, and a stray binary file."""
    folder.mkdir(parents=True, exist_ok=True)
    alice = _post("111", "alice_new_name", 1_500_000_000, 250,
                  [_node("c1", "fan_one", 1_500_000_600, "love it 😍 #goals"),
                   _node("c2", "alice", 1_500_000_900, "thanks!"),
                   _node("c2", "alice", 1_500_000_900, "thanks!")],
                  caption="Morning run #fitness #run #Zürich", sponsor=True)
    bob = _post("222", "bob", 1_400_000_000, 40, [_node("c3", "fan_two", 1_400_003_600, "nice")],
                caption=None, old_style=True)
    with tarfile.open(folder / "post_data.tar.gz", "w:gz") as tar:
        _add(tar, "post_data/alice-111.info", json.dumps(alice).encode())
        _add(tar, "post_data/alice-111.info alias", b"book\x00\x00mark\x00\xff")
        _add(tar, "post_data/bob-222.info", json.dumps(bob).encode())
        _add(tar, "post_data/carol-333.info", json.dumps(bob).encode())
    (folder / "influencers.txt").write_text(
        "Username\tCategory\t#Followers\t#Followees\t#Posts\n" + "=" * 40 + "\n"
        "alice\tfitness\t12000\t300\t410\nbob\tfashion 0.5\t900\t80\t55\ncarol\tfasion\t5000\t10\t9\n",
        encoding="utf-8")
    return folder


@pytest.fixture
def kim_dir(tmp_path: Path) -> Path:
    return write_kim_fixture(tmp_path / "kim")


def test_kim2020_posts_take_owner_from_file_name_and_skip_misfiled_copies(kim_dir: Path) -> None:
    posts, _ = read_kim2020_posts(kim_dir)
    by_id = posts.set_index("post_id")
    assert sorted(by_id.index) == ["111", "222"]
    assert by_id.loc["111", "account_id"] == "alice"  # not the JSON's later name alice_new_name
    assert by_id.loc["222", "account_id"] == "bob"
    assert by_id.loc["111", "posted_at"] == pd.Timestamp(1_500_000_000, unit="s", tz=UTC)
    assert by_id["like_count"].tolist() == [250.0, 40.0]
    assert by_id["comment_count"].tolist() == [6.0, 4.0]  # the platform's count, not the listed nodes
    assert by_id["is_sponsored"].tolist() == [1.0, 0.0]
    assert by_id.loc["111", "caption"] == "Morning run #fitness #run #Zürich"
    assert pd.isna(by_id.loc["222", "caption"])
    assert str(posts["posted_at"].dtype) == "datetime64[ns, UTC]"


def test_kim2020_comments_cover_both_comment_layouts_once_each(kim_dir: Path) -> None:
    _, comments = read_kim2020_posts(kim_dir)
    by_id = comments.set_index("comment_id")
    assert sorted(by_id.index) == ["c1", "c2", "c3"]
    assert by_id["post_id"].to_dict() == {"c1": "111", "c2": "111", "c3": "222"}
    assert by_id.loc["c2", "commenter_id"] == "alice"
    assert by_id.loc["c3", "created_at"] == pd.Timestamp(1_400_003_600, unit="s", tz=UTC)
    assert by_id.loc["c1", "text"] == "love it 😍 #goals"


def test_kim2020_chunks_limit_and_step(kim_dir: Path) -> None:
    chunks = list(iter_kim2020_chunks(kim_dir, posts_per_chunk=1))
    assert [len(p) for p, _ in chunks] == [1, 1]
    assert [len(c) for _, c in chunks] == [2, 1]  # each post's comments travel with it
    assert read_kim2020_posts(kim_dir, limit=1)[0]["post_id"].tolist() == ["111"]
    # every 2nd post file: alice (1st) and carol (3rd, a misfiled copy, skipped)
    assert read_kim2020_posts(kim_dir, step=2)[0]["post_id"].tolist() == ["111"]
    with pytest.raises(ValueError):
        next(iter_kim2020_chunks(kim_dir, posts_per_chunk=0))


def test_kim2020_accounts_and_tables_pass_the_contract(kim_dir: Path) -> None:
    accounts = read_kim2020_accounts(kim_dir)
    assert accounts["account_id"].tolist() == ["alice", "bob", "carol"]
    assert accounts["category"].tolist() == ["fitness", "fashion", "fashion"]
    assert accounts["follower_count"].tolist() == [12000.0, 900.0, 5000.0]
    assert accounts["media_count"].tolist() == [410.0, 55.0, 9.0]
    assert (accounts["platform"] == "instagram").all()
    posts, comments = read_kim2020_posts(kim_dir)
    result = validate_tables({"accounts": accounts, "posts": posts, "comments": comments})
    assert result.problems.empty, result.problems


def test_kim2020_missing_files_raise_dataset_missing(tmp_path: Path) -> None:
    with pytest.raises(DatasetMissingError):
        read_kim2020_accounts(tmp_path)
    with pytest.raises(DatasetMissingError):
        next(iter_kim2020_chunks(tmp_path))


# ---------------------------------------------------------------- frost2023 fixtures

def _series_rows(user: str, series: str, dates: pd.DatetimeIndex, values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"username": user, "series": series,
                         "timestamp_ms": (dates - pd.Timestamp(0, tz=UTC)) // pd.Timedelta(milliseconds=1)
                         + 5 * 3_600_000,  # 05:00 UTC like Social Blade
                         "date": dates.strftime("%Y-%m-%d"), "value": values})


def write_frost_fixture(folder: Path) -> Path:
    """Account `ann` gains 10 followers a week by its weekly series, but its totals rise by 20 a week:
    the drift Social Blade shows. Account `ben` has weekly gains and only recent totals."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    weeks = pd.date_range("2023-01-02", periods=13, freq="7D", tz=UTC)
    ends = weeks[[0, 12]]
    rows = [
        _series_rows("ann", "weekly_followers_gained", weeks, np.full(13, 10)),
        _series_rows("ann", "weekly_following_gained", weeks, np.zeros(13)),
        _series_rows("ann", "total_followers_monthly", ends, np.array([1000, 1240])),
        _series_rows("ann", "total_following_monthly", ends, np.array([50, 50])),
        _series_rows("ben", "weekly_followers_gained", weeks, np.r_[np.full(12, -5), 500]),
        _series_rows("ben", "weekly_following_gained", weeks, np.ones(13)),
        _series_rows("ben", "total_followers_recent", weeks[[6]], np.array([2000])),
        _series_rows("ben", "total_following_recent", weeks[[6]], np.array([100])),
    ]
    pd.concat(rows).to_csv(folder / "socialblade_series_DERIVED.csv", index=False)
    (folder / "data" / "profiles_v2.csv").write_text(
        "Username,followers_old,size_old,found,UserID,is_private,mediacount,followers_new,followees,"
        "external_url,is_business_account,business_category_name,biography,full_name,is_verified,"
        "profile_pic_url,size_new\n"
        "ann,900,nano,TRUE,1,FALSE,41,1240,50,None,FALSE,None,NA,Ann A,TRUE,https://cdn.example/a.jpg,mikro\n"
        "ben,1900,mikro,TRUE,2,TRUE,12,2000,100,https://ben.example,TRUE,Creators & Celebrities,"
        "\"hi\nthere\","
        "Ben,FALSE,None,mikro\n"
        "gone,5000,mikro,FALSE,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA\n", encoding="utf-8")
    (folder / "data" / "topics_account.csv").write_text("label,account\nHair,ann\nCooking,ben\n",
                                                       encoding="utf-8")
    (folder / "data" / "final_users_list_created.csv").write_text(
        ",Username,created\n0,ann,October 2016\n1,ben,bogus\n", encoding="utf-8")
    return folder


@pytest.fixture
def frost_dir(tmp_path: Path) -> Path:
    return write_frost_fixture(tmp_path / "frost")


def test_frost2023_weekly_levels_pass_through_totals_and_keep_weekly_shape(frost_dir: Path) -> None:
    history = read_frost2023_follower_history(frost_dir)
    ann = history[history["account_id"] == "ann"].set_index("date")
    assert len(ann) == 13
    assert ann["follower_count"].iloc[0] == 1000.0 and ann["follower_count"].iloc[-1] == 1240.0
    assert np.allclose(np.diff(ann["follower_count"].to_numpy()), 20.0)  # gains rescaled onto the totals
    assert (ann["following_count"] == 50.0).all()
    ben = history[history["account_id"] == "ben"]
    assert ben["follower_count"].iloc[6] == 2000.0  # the single total anchors the whole series
    assert np.allclose(np.diff(ben["follower_count"].to_numpy()), np.r_[np.full(11, -5), 500])
    assert ben["following_count"].iloc[6] == 100.0
    assert str(history["date"].dtype) == "datetime64[ns, UTC]"
    assert (history["date"].dt.hour == 0).all()


def test_frost2023_monthly_source_and_bad_source(frost_dir: Path) -> None:
    series = read_frost2023_series(frost_dir)
    monthly = frost2023_follower_history(series, source="monthly")
    assert monthly["account_id"].tolist() == ["ann", "ann"]
    assert monthly["follower_count"].tolist() == [1000.0, 1240.0]
    with pytest.raises(ValueError):
        frost2023_follower_history(series, source="daily")


def test_frost2023_accounts_profiles_topics_and_creation(frost_dir: Path) -> None:
    accounts = read_frost2023_accounts(frost_dir).set_index("account_id")
    assert accounts.loc["ann", "category"] == "Hair" and accounts.loc["ben", "category"] == "Cooking"
    assert accounts.loc["ann", "created_at"] == pd.Timestamp("2016-10-01", tz=UTC)
    assert pd.isna(accounts.loc["ben", "created_at"])
    assert accounts["follower_count"].tolist()[:2] == [1240.0, 2000.0]
    assert accounts.loc["ann", "is_verified"] == 1.0 and accounts.loc["ben", "is_private"] == 1.0
    assert accounts.loc["ann", "has_external_url"] == 0.0 and accounts.loc["ben", "has_external_url"] == 1.0
    assert accounts.loc["ben", "has_profile_pic"] == 0.0
    assert pd.isna(accounts.loc["ann", "biography"]) and accounts.loc["ben", "biography"] == "hi\nthere"
    assert accounts.loc["ben", "business_category"] == "Creators & Celebrities"
    assert accounts.loc["gone", ["is_private", "has_profile_pic", "media_count"]].isna().all()
    assert accounts.loc["gone", "follower_count"] == 5000.0  # the earlier count when the profile is gone
    assert accounts.loc["gone", "size_tier"] == "mikro"  # falls back to the old tier


def test_frost2023_missing_raises(tmp_path: Path) -> None:
    with pytest.raises(DatasetMissingError):
        read_frost2023_series(tmp_path)


# ---------------------------------------------------------------- hypeauditor fixtures

def test_parse_count_handles_suffixes_separators_and_junk() -> None:
    raw = pd.Series(["12.5M", "350K", "1,234", "2B", " 3.6m ", "0", "", "N/A", "abc", None, "1.2.3M",
                     "16.6M"])
    parsed = parse_count(raw)
    expected = [12.5e6, 350e3, 1234, 2e9, 3.6e6, 0, np.nan, np.nan, np.nan, np.nan, np.nan, 16_600_000]
    assert np.array_equal(parsed.to_numpy(), expected, equal_nan=True)  # exact: counts must be whole


DEC_HEADER = ("Rank,name,instagram name,Category_1,Category_2,followers,followers,country,Eng. (Auth.),"
              "Eng. (Auth.),Eng. (Avg.),Eng. (Avg.)\n")
JUNE_HEADER = "instagram name,influencer name ,Category_1,Category_2,Subscribers count,Subscribers count," \
              "Views avg.,Likes avg,Likes avg,Comments avg.,Comments avg.\n"


def write_hype_fixture(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "social media influencers-INSTAGRAM - -DEC 2022.csv").write_text(
        DEC_HEADER
        + "1,star_one,Star One,Music,Lifestyle,12.5M,12500000,United States,350K,350000,400.1K,400100\n"
        + "2,star_two,Star Two,,,3M,3000000,N/A,0,0,90K,90000\n"
        + "2,star_two,Star Two,,,3M,3000000,N/A,0,0,90K,90000\n", encoding="utf-8")
    (folder / "social media influencers-instagram june 2022 - june 2022.csv").write_text(
        JUNE_HEADER
        + "star_one,Star One,Music,,11M,11000000,Germany,300K,300000,310K,310000\n"
        + "star_two,Star Two,Shows,,2.9M,2900000,1.1M,1.1M,1100000,,0\n", encoding="utf-8")
    return folder


def test_hypeauditor_snapshots_read_each_layout_and_repair_shifted_rows(tmp_path: Path) -> None:
    snaps = read_hypeauditor_snapshots(write_hype_fixture(tmp_path / "hype"))
    assert len(snaps) == 4  # the duplicated December row is kept once
    one = snaps[snaps["account_id"] == "star_one"].set_index("date")
    june, dec = pd.Timestamp("2022-06-01", tz=UTC), pd.Timestamp("2022-12-01", tz=UTC)
    assert one.loc[june, "country"] == "DE" and one.loc[dec, "country"] == "US"
    assert one.loc[dec, ["follower_count", "authentic_engagement", "avg_engagement"]].tolist() == \
        [12.5e6, 350e3, 400.1e3]
    assert one.loc[june, "authentic_engagement"] == 300e3  # June's mislabelled "Likes avg" column
    assert one.loc[dec, "category"] == "Music" and one.loc[dec, "category_2"] == "Lifestyle"
    two = snaps[snaps["account_id"] == "star_two"].set_index("date")
    assert pd.isna(two.loc[june, "country"])  # the country cell held a count: shifted row
    assert two.loc[june, ["authentic_engagement", "avg_engagement"]].tolist() == [1.1e6, 1.1e6]
    assert pd.isna(two.loc[dec, "authentic_engagement"]) and two.loc[dec, "avg_engagement"] == 90e3
    assert two.loc[dec, "rank"] == 2.0


def test_hypeauditor_accounts_and_history(tmp_path: Path) -> None:
    snaps = read_hypeauditor_snapshots(write_hype_fixture(tmp_path / "hype"))
    accounts = hypeauditor_accounts(snaps).set_index("account_id")
    assert accounts.loc["star_one", "follower_count"] == 12.5e6  # the latest month
    assert accounts.loc["star_two", "category"] == "Shows"  # latest month that has one
    assert accounts.loc["star_one", "observed_at"] == pd.Timestamp("2022-12-01", tz=UTC)
    history = hypeauditor_follower_history(snaps)
    assert history.groupby("account_id")["follower_count"].apply(list).to_dict() == {
        "star_one": [11e6, 12.5e6], "star_two": [2.9e6, 3e6]}
    result = validate_tables({"accounts": hypeauditor_accounts(snaps), "follower_history": history})
    assert result.problems.empty


def test_hypeauditor_missing_raises(tmp_path: Path) -> None:
    with pytest.raises(DatasetMissingError):
        read_hypeauditor_snapshots(tmp_path)
