"""Adapters for the labelled account sets, on tiny synthetic look-alikes of each source's files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from authfit.datasets import labelled_accounts as la
from authfit.datasets.paths import DatasetMissingError
from authfit.features.account_profile import PASSTHROUGH_FEATURES


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _instafake_record(followers: int, fake: int, digits: int = 0) -> dict[str, int]:
    return {"userFollowerCount": followers, "userFollowingCount": 10 * followers + 1, "userBiographyLength": 4,
            "userMediaCount": 2, "userHasProfilPic": 1, "userIsPrivate": 0, "usernameDigitCount": digits,
            "usernameLength": 8, "isFake": fake}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    fake = [_instafake_record(5, 1, 3), _instafake_record(5, 1, 3), _instafake_record(7, 1)]
    real = [_instafake_record(300, 0), _instafake_record(5, 0, 3)]
    _write(tmp_path / "instafake-v1/fake-v1.0/fakeAccountData.json", json.dumps(fake))
    _write(tmp_path / "instafake-v1/fake-v1.0/realAccountData.json", json.dumps(real))
    _write_instafake_automated(tmp_path / "instafake-automated-derived")
    _write(tmp_path / "srf2017-labelled-followers/labelled_1000_inclprivate.csv",
           '"Profile.URL","rating","Username","Number.of.posts","Number.of.people.they.follow",'
           '"Number.of.followers","has_profile_picture","Private.account"\n'
           '"https://instagram.com/Zed_1","TRUE","Zed_1",0,4000,3,"FALSE",FALSE\n'
           '"https://instagram.com/mia.k","FALSE","mia.k",40,300,280,"TRUE",TRUE\n')
    _write(tmp_path / "kaggle-insta-fake-spammer/train.csv",
           "profile pic,nums/length username,fullname words,nums/length fullname,name==username,"
           "description length,external URL,private,#posts,#followers,#follows,fake\n"
           "1,0.25,2,0,0,30,1,0,50,900,400,0\n0,0.5,0,0,1,0,0,0,0,3,900,1\n")
    _write_purba(tmp_path / "purba2020-ijece-instagram")
    _write_mib(tmp_path / "cresci2015-mib-E13-INT", ("users.csv", "fusers.csv"), "updated")
    _write_mib(tmp_path / "cresci2017-users", ("genuine_users.csv", "spam_user.csv"), "crawled_at")
    _write_gilani(tmp_path / "gilani2017-stweeler-twitter-bots")
    return tmp_path


def _write_instafake_automated(folder: Path) -> None:
    columns = {"nmedia": [10, 0], "biol": [20, 0], "url": [1, 0], "nfollowing": [50, 900], "nfollower": [80, 3],
               "erl": [0.1, 0.0], "erc": [0.01, 0.0], "avgtime": [30.0, 0.0], "mediaLikeNumbers": [10.0, 0.0],
               "mediaHashtagNumbers": [2.0, 0.0], "followerToFollowing": [1.6, 0.003],
               "mediaCommentNumbers": [1.0, 0.0], "mediaCommentsAreDisabled": [0.0, 0.0],
               "mediaHasLocationInfo": [0.5, 0.0], "hasMedia": [1, 0], "userHasHighlighReels": [1, 0],
               "userTagsCount": [4, 0], "usernameLength": [9, 12], "usernameDigitCount": [0, 4], "fake": [1, 0]}
    frame = pd.DataFrame(columns)
    folder.mkdir(parents=True)
    frame.iloc[:1].to_json(folder / "instafake_df_train.json")
    frame.iloc[1:].to_json(folder / "instafake_df_val.json")


def _write_purba(folder: Path) -> None:
    header = "pos,flw,flg,bl,pic,lin,cl,cz,ni,erl,erc,lt,hc,pr,fo,cs,pi,class\n"
    _write(folder / "user_fake_authentic_4class.csv", header +
           "20,500,400,30,1,0,80,0.1,0.2,12.5,0.5,0.3,0.2,0,0,0.05,300.0,r\n"
           "0,10,3000,0,1,0,0,0,0,0,0,0,0,0,0,0,0,i\n"
           "30,300,2000,10,1,1,90,0.2,0,4.0,0.2,0,1.5,0.5,0,0.4,90.0,s\n"
           "30,300,2000,10,1,1,90,0.2,0,4.0,0.2,0,1.5,0.5,0,0.4,90.0,s\n")
    _write(folder / "IJECE_df_val.csv",
           ",nmedia,nfollower,nfollowing,biol,pic,url,cl,cz,ni,erl,erc,lt,mediaHashtagNumbers,pr,fo,cs,"
           "avgtime,followerToFollowing,hasMedia,fake\n"
           "0,6.0,105.0,564.0,106.0,1.0,0.0,373.0,0.0,0.0,88.0,1.0,0.0,7.5,0.0,0.3,0.1,1500.0,0.18,1,1\n"
           "1,25.0,569.0,676.0,21.0,1.0,0.0,301.0,0.0,0.7,9.0,0.4,0.4,0.1,0.0,0.05,0.04,317.0,0.84,1,0\n")


def _write_mib(folder: Path, files: tuple[str, str], observed: str) -> None:
    header = f'"id","name","screen_name","statuses_count","followers_count","friends_count","favourites_count",' \
             f'"listed_count","created_at","url","default_profile","default_profile_image","geo_enabled",' \
             f'"protected","verified","description","{observed}","dataset"\n'
    human = '"1","Ann Lee","annlee","900","300","200","50","3","Fri Apr 06 10:58:22 +0000 2007",' \
            '"http://a.example","1",,"1",,"1","Tea #fan","2007-04-16 10:58:22","H"\n'
    fake = '"2","bot","xq7711","2","1","600","0","0","Thu Sep 08 13:20:35 +0000 2011",,,"1",,,,,' \
           '"2011-09-09 13:20:35","F"\n'
    _write(folder / files[0], header + human)
    _write(folder / files[1], header + fake)


def _write_gilani(folder: Path) -> None:
    header = "screen_name,user_tweeted,user_retweeted,user_favourited,user_replied,likes_per_tweet," \
             "retweets_per_tweet,lists_per_user,follower_friend_ratio,tweet_frequency,favourite_tweet_ratio," \
             "age_of_account_in_days,sources_count,urls_count,cdn_content_in_kb,source_identity\n"
    _write(folder / "humans/humans.1k.csv", header + "amy_b, 6, 14, 40.5, 16, 0.0, 0.0, 0.01, 2.0, 6.1, 0.0, "
                                                     "1697.3, 1, 14, 2.7,[2]\n")
    _write(folder / "bots/bots.1M.csv", header + "newsbot9, 900, 2, 0.0, 0, 0.1, 0.2, 0.5, 0.5, 300.0, 0.0, "
                                                 "400.0, 3, 800, 0.0,[2;0]\n")


def _check_schema(frame: pd.DataFrame) -> None:
    assert list(frame.columns[: len(la.PROFILE_NAMES) + 4]) == [*la.PROFILE_NAMES, *la.META_COLUMNS]
    others = frame.columns[len(la.PROFILE_NAMES) + 4:]
    assert all(c.startswith("extra_") or c in PASSTHROUGH_FEATURES for c in others), list(others)
    for name in ("follower_count", "following_count", "media_count", "has_profile_pic", "label", *others):
        assert frame[name].dtype == "float64", name
    assert str(frame["observed_at"].dtype) == "datetime64[ns, UTC]"
    assert frame["account_key"].notna().all() and set(frame["label"]) <= {0.0, 1.0}


@pytest.mark.parametrize("source", la.SOURCES)
def test_every_source_lands_in_the_account_schema(root: Path, source: str) -> None:
    frame = la.load_labelled_accounts(source, root)
    _check_schema(frame)
    assert (frame["source"] == source).all() and frame["label"].nunique() == 2


def test_instafake_fake_drops_exact_duplicates_and_keys_equal_values_together(root: Path) -> None:
    frame = la.load_labelled_accounts(la.INSTAFAKE_FAKE, root)
    assert len(frame) == 4  # one exact duplicate of five rows
    assert frame["username"].isna().all() and frame["platform"].eq("instagram").all()
    same_values = frame[(frame["follower_count"] == 5)]
    assert sorted(same_values["label"]) == [0.0, 1.0]
    assert same_values["account_key"].nunique() == 1  # identical values, different labels: one group
    assert frame["account_key"].nunique() == 3
    assert frame.loc[frame["follower_count"] == 7, "username_digit_count"].item() == 0.0


def test_instafake_fake_rejects_a_label_that_contradicts_its_file(root: Path) -> None:
    path = root / "instafake-v1/fake-v1.0/realAccountData.json"
    path.write_text(json.dumps([_instafake_record(3, 1)]), encoding="utf-8")
    with pytest.raises(la.LabelledAccountsError):
        la.load_labelled_accounts(la.INSTAFAKE_FAKE, root)


def test_instafake_automated_keeps_raw_aggregates_and_blanks_rates_without_posts(root: Path) -> None:
    frame = la.load_labelled_accounts(la.INSTAFAKE_AUTOMATED, root).sort_values("label")
    assert "extra_followerToFollowing" not in frame and "hasMedia" not in frame
    assert frame["extra_engagement_rate_like"].tolist()[1] == pytest.approx(0.1)
    assert np.isnan(frame["extra_engagement_rate_like"].tolist()[0])  # no posts: rate unknown, not 0
    assert frame["extra_user_tags_count"].tolist() == [0.0, 4.0]  # profile-level, kept even without posts
    assert frame["label_detail"].tolist() == ["nonautomated", "automated"]
    assert frame["has_external_url"].tolist() == [0.0, 1.0]


def test_srf2017_parses_text_flags_and_keys_by_username(root: Path) -> None:
    frame = la.load_labelled_accounts(la.SRF2017, root).set_index("username")
    assert frame.loc["Zed_1", "label"] == 1.0 and frame.loc["mia.k", "label"] == 0.0
    assert frame.loc["Zed_1", "has_profile_pic"] == 0.0 and frame.loc["mia.k", "is_private"] == 1.0
    assert frame.loc["Zed_1", "account_key"] == "instagram:zed_1"
    assert frame.loc["Zed_1", "following_count"] == 4000.0


def test_kaggle_maps_derived_columns_to_feature_names(root: Path) -> None:
    frame = la.load_labelled_accounts(la.KAGGLE, root).sort_values("label")
    assert frame["username_digit_share"].tolist() == [0.25, 0.5]
    assert frame["name_equals_username"].tolist() == [0.0, 1.0]
    assert frame["full_name_words"].tolist() == [2.0, 0.0]
    assert frame["bio_length"].tolist() == [30.0, 0.0]
    assert frame["following_count"].tolist() == [400.0, 900.0]


def test_purba_binarises_classes_rescales_percent_rates_and_dedupes(root: Path) -> None:
    frame = la.load_labelled_accounts(la.PURBA2020, root).set_index("label_detail")
    assert len(frame) == 3 and frame.loc["real", "label"] == 0.0 and frame.loc["spammer", "label"] == 1.0
    assert frame.loc["real", "extra_engagement_rate_like"] == pytest.approx(0.125)
    assert frame.loc["real", "extra_post_interval_hours"] == 300.0
    assert np.isnan(frame.loc["inactive_fake", "extra_caption_length"])  # 0 posts
    assert frame.loc["spammer", "has_external_url"] == 1.0


def test_purba_rejects_unknown_classes(root: Path) -> None:
    path = root / "purba2020-ijece-instagram/user_fake_authentic_4class.csv"
    path.write_text(path.read_text().replace(",r\n", ",x\n"), encoding="utf-8")
    with pytest.raises(la.LabelledAccountsError):
        la.load_labelled_accounts(la.PURBA2020, root)


def test_purba_ijece_split_uses_the_same_names_and_units(root: Path) -> None:
    frame = la.load_labelled_accounts(la.PURBA2020_IJECE, root).sort_values("label")
    assert frame["extra_engagement_rate_like"].tolist() == pytest.approx([0.09, 0.88])
    assert frame["extra_hashtags_per_post"].tolist() == pytest.approx([0.1, 7.5])
    assert "extra_followerToFollowing" not in frame


@pytest.mark.parametrize("source", [la.CRESCI2015, la.CRESCI2017])
def test_mib_twitter_flags_text_and_account_age(root: Path, source: str) -> None:
    frame = la.load_labelled_accounts(source, root).set_index("username")
    human, bot = frame.loc["annlee"], frame.loc["xq7711"]
    assert human["label"] == 0.0 and bot["label"] == 1.0 and human["platform"] == "twitter"
    assert human["has_profile_pic"] == 1.0 and bot["has_profile_pic"] == 0.0  # default image flag inverted
    assert human["is_verified"] == 1.0 and bot["is_verified"] == 0.0 and bot["is_private"] == 0.0
    assert human["has_external_url"] == 1.0 and bot["has_external_url"] == 0.0
    assert human["extra_account_age_days"] == pytest.approx(10.0) and bot["extra_account_age_days"] == 1.0
    assert human["biography"] == "Tea #fan" and bot["bio_length"] == 0.0 and pd.isna(bot["biography"])
    assert human["media_count"] == 900.0 and human["full_name"] == "Ann Lee"


def test_gilani_labels_by_folder_and_converts_the_follower_ratio(root: Path) -> None:
    frame = la.load_labelled_accounts(la.GILANI2017, root).set_index("username")
    assert frame.loc["amy_b", "label"] == 0.0 and frame.loc["newsbot9", "label"] == 1.0
    assert frame.loc["newsbot9", "label_detail"] == "bots.1M"
    assert frame.loc["amy_b", "follow_ratio_log"] == pytest.approx(-np.log(2.0))
    assert frame.loc["newsbot9", "extra_urls_count"] == 800.0
    assert np.isnan(frame.loc["amy_b", "follower_count"])  # the source has only the ratio


def test_unknown_source_and_missing_folder_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown labelled-account source"):
        la.load_labelled_accounts("nope", tmp_path)
    with pytest.raises(DatasetMissingError):
        la.load_labelled_accounts(la.SRF2017, tmp_path)
