"""Adapters for the labelled fake / bot / real account data sets, read as they are into one account schema.

Every loader returns the profile columns of `authfit.contract.schema.PROFILE_COLUMNS` in their typed form (counts and
flags float64, NaN where the source does not have them), then:

- `label`: 1 = fake, bot, spammer or automated; 0 = real;
- `label_detail`: the source's own class name (e.g. Purba's four classes, Gilani's follower band);
- `source`: one of `SOURCES`;
- `account_key`: a stable id per account for grouped cross-validation. `<platform>:<lower-case username>`
  where the source has usernames, else `<source>:<hash of the row's values>`, so rows with identical values
  (whatever their label) share a key and land in the same fold. Exact duplicate rows are dropped.
- derived profile numbers that some sources ship *instead of* the raw text (username length and digit
  count, bio length, ...). They carry the names of the features `authfit.features.account_profile`
  computes (`PASSTHROUGH_FEATURES` there), so every source lines up on the same features.
- `extra_<name>`: numeric signals that exist in the raw data but not in the contract's profile columns.
  Where two sources measure the same thing the name and the unit are the same:

  | column | meaning | sources |
  |---|---|---|
  | extra_engagement_rate_like | mean likes per (listed) post / followers, a fraction | instafake-automated, purba2020(*) |
  | extra_engagement_rate_comment | mean comments per post / followers, a fraction | instafake-automated, purba2020(*) |
  | extra_post_interval_hours | mean hours between uploads | instafake-automated, purba2020(*) |
  | extra_hashtags_per_post | mean hashtags per post | instafake-automated, purba2020(*) |
  | extra_location_share | share of posts with a location tag | instafake-automated, purba2020(*) |
  | extra_comments_per_post | mean comments per post | instafake-automated |
  | extra_likes_per_comment | total likes / total comments over the listed posts | instafake-automated |
  | extra_comments_disabled_share | share of posts with comments disabled | instafake-automated |
  | extra_has_highlight_reels | 1 if the profile has highlight reels | instafake-automated |
  | extra_user_tags_count | times the user was tagged | instafake-automated |
  | extra_caption_length | mean caption length (characters) | purba2020(*) |
  | extra_zero_caption_share | share of posts without a caption | purba2020(*) |
  | extra_non_image_share | share of non-image posts | purba2020(*) |
  | extra_promo_keyword_share | share of captions with promotional keywords | purba2020(*) |
  | extra_follower_keyword_share | share of captions with follower-hunting keywords | purba2020(*) |
  | extra_caption_similarity | mean cosine similarity between captions | purba2020(*) |
  | extra_favourites_count, extra_listed_count | Twitter likes given, lists the user is on | cresci2015, cresci2017 |
  | extra_default_profile, extra_geo_enabled | Twitter profile flags | cresci2015, cresci2017 |
  | extra_account_age_days | days from account creation to observation | cresci2015, cresci2017, gilani2017 |
  | extra_<gilani column> | Gilani's per-account activity aggregates, names as published | gilani2017 |

  (*) both Purba files. Purba publishes the engagement rates in percent; they are divided by 100 here.
  Post-derived extras are set to NaN for accounts without posts, where the sources wrote a placeholder 0.

Nothing is invented: a value the source does not give stays NaN.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from authfit.datasets.paths import dataset_dir
from authfit.contract.schema import PROFILE_COLUMNS, Column
from authfit.contract.validate import parse_column

INSTAFAKE_FAKE = "instafake-fake"
INSTAFAKE_AUTOMATED = "instafake-automated"
SRF2017 = "srf2017"
KAGGLE = "kaggle"
PURBA2020 = "purba2020"
PURBA2020_IJECE = "purba2020-ijece"
CRESCI2015 = "cresci2015"
CRESCI2017 = "cresci2017"
GILANI2017 = "gilani2017"
SOURCES: tuple[str, ...] = (
    INSTAFAKE_FAKE, INSTAFAKE_AUTOMATED, SRF2017, KAGGLE, PURBA2020, PURBA2020_IJECE,
    CRESCI2015, CRESCI2017, GILANI2017,
)
SOURCE_FOLDERS: dict[str, str] = {
    INSTAFAKE_FAKE: "instafake-v1",
    INSTAFAKE_AUTOMATED: "instafake-automated-derived",
    SRF2017: "srf2017-labelled-followers",
    KAGGLE: "kaggle-insta-fake-spammer",
    PURBA2020: "purba2020-ijece-instagram",
    PURBA2020_IJECE: "purba2020-ijece-instagram",
    CRESCI2015: "cresci2015-mib-E13-INT",
    CRESCI2017: "cresci2017-users",
    GILANI2017: "gilani2017-stweeler-twitter-bots",
}
PROFILE_NAMES: tuple[str, ...] = tuple(c.name for c in PROFILE_COLUMNS)
META_COLUMNS: tuple[str, ...] = ("label", "label_detail", "source", "account_key")
PURBA_CLASSES: dict[str, str] = {"r": "real", "a": "active_fake", "i": "inactive_fake", "s": "spammer"}

# Purba's post aggregates: raw column -> extra name (engagement rates handled apart, they are percents).
_PURBA_EXTRAS = {
    "cl": "extra_caption_length", "cz": "extra_zero_caption_share", "ni": "extra_non_image_share",
    "lt": "extra_location_share", "hc": "extra_hashtags_per_post", "pr": "extra_promo_keyword_share",
    "fo": "extra_follower_keyword_share", "cs": "extra_caption_similarity", "pi": "extra_post_interval_hours",
}
_INSTAFAKE_AUTOMATED_EXTRAS = {
    "erl": "extra_engagement_rate_like", "erc": "extra_engagement_rate_comment",
    "avgtime": "extra_post_interval_hours", "mediaHashtagNumbers": "extra_hashtags_per_post",
    "mediaHasLocationInfo": "extra_location_share", "mediaCommentNumbers": "extra_comments_per_post",
    "mediaLikeNumbers": "extra_likes_per_comment",
    "mediaCommentsAreDisabled": "extra_comments_disabled_share",
}
_GILANI_EXTRAS = (
    "user_tweeted", "user_retweeted", "user_favourited", "user_replied", "likes_per_tweet",
    "retweets_per_tweet", "lists_per_user", "tweet_frequency", "favourite_tweet_ratio", "sources_count",
    "urls_count", "cdn_content_in_kb",
)
_TWITTER_TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"


class LabelledAccountsError(ValueError):
    """A labelled-account file does not look the way its adapter expects."""


def load_labelled_accounts(source: str, root: Path | None = None) -> pd.DataFrame:
    """Labelled accounts of one source in `SOURCES`, in the account schema described in the module doc."""
    if source not in _LOADERS:
        raise ValueError(f"unknown labelled-account source {source!r}; expected one of {SOURCES}")
    loader, platform = _LOADERS[source]
    raw = loader(dataset_dir(SOURCE_FOLDERS[source], root))
    return finalise_accounts(raw, source, platform)


def finalise_accounts(partial: pd.DataFrame, source: str, platform: str) -> pd.DataFrame:
    """Type the profile columns, add the missing ones, drop exact duplicates and key every account."""
    typed = {c.name: parse_column(partial[c.name], c) if c.name in partial else _null_column(c, len(partial))
             for c in PROFILE_COLUMNS}
    frame = pd.DataFrame(typed, index=partial.index)
    frame["platform"] = pd.Series(platform, index=partial.index, dtype="str")
    frame["label"] = partial["label"].astype("float64")
    frame["label_detail"] = partial["label_detail"].astype("str")
    frame["source"] = pd.Series(source, index=partial.index, dtype="str")
    numeric = sorted(c for c in partial.columns if c not in frame.columns and c not in META_COLUMNS)
    for name in numeric:
        frame[name] = pd.to_numeric(partial[name], errors="coerce").astype("float64")
    frame = frame.drop_duplicates().reset_index(drop=True)
    frame["account_key"] = account_keys(frame, source)
    return frame[[*PROFILE_NAMES, *META_COLUMNS, *numeric]]


def account_keys(frame: pd.DataFrame, source: str) -> pd.Series:
    """`platform:username` where the username is known, else a hash of the row's values (label excluded)."""
    values = frame.drop(columns=["label", "label_detail", "account_key"], errors="ignore")
    hashed = pd.util.hash_pandas_object(values, index=False).to_numpy().astype("uint64")
    fallback = pd.Series([f"{source}:{h:016x}" for h in hashed], index=frame.index, dtype="str")
    named = frame["platform"].str.cat(frame["username"].str.lower(), sep=":")
    return named.where(frame["username"].notna(), fallback).astype("str")


def _null_column(column: Column, length: int) -> pd.Series:
    return parse_column(pd.Series([None] * length, dtype="object"), column)


def _flag_from_text(raw: pd.Series) -> pd.Series:
    text = raw.astype("str").str.strip().str.upper()
    return pd.Series(np.select([text.isin(["TRUE", "1"]), text.isin(["FALSE", "0"])], [1.0, 0.0], np.nan),
                     index=raw.index)


def _number(raw: pd.Series) -> pd.Series:
    return pd.to_numeric(raw, errors="coerce").astype("float64")


def _labelled(frame: pd.DataFrame, label: pd.Series | np.ndarray, detail: pd.Series | np.ndarray
              ) -> pd.DataFrame:
    return frame.assign(label=np.asarray(label, dtype="float64"),
                        label_detail=np.asarray(detail, dtype=object))


def _without_posts_to_nan(frame: pd.DataFrame, has_posts: pd.Series, columns: list[str]) -> pd.DataFrame:
    """The sources write 0 for rates of accounts without posts; a rate over no posts is unknown."""
    out = frame.copy()
    out.loc[~has_posts.to_numpy(dtype=bool), columns] = np.nan
    return out


def _read_json_records(path: Path) -> pd.DataFrame:
    with path.open(encoding="utf-8") as handle:
        return pd.DataFrame(json.load(handle))


def _instafake_profile(raw: pd.DataFrame) -> pd.DataFrame:
    """Columns shared by every instafake file: counts, flags and the derived username/bio numbers."""
    names = {
        "userFollowerCount": "follower_count", "userFollowingCount": "following_count",
        "userMediaCount": "media_count", "userHasProfilPic": "has_profile_pic", "userIsPrivate": "is_private",
        "userHasExternalUrl": "has_external_url", "userBiographyLength": "bio_length",
        "usernameLength": "username_length", "usernameDigitCount": "username_digit_count",
    }
    present = {k: v for k, v in names.items() if k in raw}
    return raw[list(present)].rename(columns=present).apply(_number)


def _load_instafake_fake(folder: Path) -> pd.DataFrame:
    parts = []
    for name, label in (("fakeAccountData.json", 1), ("realAccountData.json", 0)):
        raw = _read_json_records(folder / "fake-v1.0" / name)
        if "isFake" not in raw or (raw["isFake"] != label).any():
            raise LabelledAccountsError(f"{name}: isFake does not agree with the file it is in")
        parts.append(_labelled(_instafake_profile(raw), raw["isFake"], np.where(label, "fake", "real")))
    return pd.concat(parts, ignore_index=True)


def _load_instafake_automated(folder: Path) -> pd.DataFrame:
    raw = pd.concat([pd.read_json(folder / f"instafake_df_{split}.json") for split in ("train", "val")],
                    ignore_index=True)
    profile = raw.rename(columns={
        "nmedia": "media_count", "nfollower": "follower_count", "nfollowing": "following_count",
        "url": "has_external_url", "biol": "bio_length", "usernameLength": "username_length",
        "usernameDigitCount": "username_digit_count",
    })
    extras = raw[list(_INSTAFAKE_AUTOMATED_EXTRAS)].rename(columns=_INSTAFAKE_AUTOMATED_EXTRAS)
    extras = _without_posts_to_nan(extras, raw["hasMedia"] > 0, list(extras.columns))
    extras["extra_has_highlight_reels"] = raw["userHasHighlighReels"]
    extras["extra_user_tags_count"] = raw["userTagsCount"]
    keep = ["media_count", "follower_count", "following_count", "has_external_url", "bio_length",
            "username_length", "username_digit_count"]
    frame = pd.concat([profile[keep], extras], axis=1).apply(_number)
    return _labelled(frame, raw["fake"], np.where(raw["fake"] == 1, "automated", "nonautomated"))


def _load_srf2017(folder: Path) -> pd.DataFrame:
    raw = pd.read_csv(folder / "labelled_1000_inclprivate.csv", dtype="str", keep_default_na=False,
                      na_values=[""])
    frame = pd.DataFrame({
        "username": raw["Username"],
        "media_count": _number(raw["Number.of.posts"]),
        "following_count": _number(raw["Number.of.people.they.follow"]),
        "follower_count": _number(raw["Number.of.followers"]),
        "has_profile_pic": _flag_from_text(raw["has_profile_picture"]),
        "is_private": _flag_from_text(raw["Private.account"]),
    })
    label = _flag_from_text(raw["rating"])
    if label.isna().any():
        raise LabelledAccountsError("srf2017: some ratings are neither TRUE nor FALSE")
    return _labelled(frame, label, np.where(label == 1, "fake", "real"))


def _load_kaggle(folder: Path) -> pd.DataFrame:
    raw = pd.read_csv(folder / "train.csv")
    names = {
        "profile pic": "has_profile_pic", "nums/length username": "username_digit_share",
        "fullname words": "full_name_words", "nums/length fullname": "full_name_digit_share",
        "name==username": "name_equals_username", "description length": "bio_length",
        "external URL": "has_external_url", "private": "is_private", "#posts": "media_count",
        "#followers": "follower_count", "#follows": "following_count",
    }
    frame = raw[list(names)].rename(columns=names).apply(_number)
    return _labelled(frame, raw["fake"], np.where(raw["fake"] == 1, "fake", "genuine"))


def _purba_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """Purba's columns under the shared names (both files use the 4-class file's short names here)."""
    frame = pd.DataFrame({
        "media_count": raw["pos"], "follower_count": raw["flw"], "following_count": raw["flg"],
        "bio_length": raw["bl"], "has_profile_pic": raw["pic"], "has_external_url": raw["lin"],
        "extra_engagement_rate_like": raw["erl"] / 100.0, "extra_engagement_rate_comment": raw["erc"] / 100.0,
    }).apply(_number)
    extras = raw[list(_PURBA_EXTRAS)].rename(columns=_PURBA_EXTRAS).apply(_number)
    frame = pd.concat([frame, extras], axis=1)
    post_columns = [*extras.columns, "extra_engagement_rate_like", "extra_engagement_rate_comment"]
    return _without_posts_to_nan(frame, frame["media_count"] > 0, post_columns)


def _load_purba(folder: Path) -> pd.DataFrame:
    raw = pd.read_csv(folder / "user_fake_authentic_4class.csv")
    unknown = set(raw["class"].unique()) - set(PURBA_CLASSES)
    if unknown:
        raise LabelledAccountsError(f"purba2020: unknown classes {sorted(unknown)}")
    return _labelled(_purba_frame(raw), raw["class"] != "r", raw["class"].map(PURBA_CLASSES))


def _load_purba_ijece(folder: Path) -> pd.DataFrame:
    raw = pd.read_csv(folder / "IJECE_df_val.csv", index_col=0).rename(columns={
        "nmedia": "pos", "nfollower": "flw", "nfollowing": "flg", "biol": "bl", "url": "lin",
        "mediaHashtagNumbers": "hc", "avgtime": "pi",
    })
    return _labelled(_purba_frame(raw), raw["fake"], np.where(raw["fake"] == 1, "fake", "real"))


def _mib_flag(raw: pd.Series) -> pd.Series:
    """MIB exports write Twitter's `true` as 1 and leave `false` empty."""
    return (_number(raw) == 1).astype("float64")


def _twitter_profile(raw: pd.DataFrame, observed_column: str) -> pd.DataFrame:
    observed = pd.to_datetime(raw[observed_column], utc=True, errors="coerce")
    created = pd.to_datetime(raw["created_at"], format=_TWITTER_TIME_FORMAT, utc=True, errors="coerce")
    return pd.DataFrame({
        "username": raw["screen_name"], "full_name": raw["name"], "biography": raw["description"],
        # The export has the field, so an empty one is a known empty bio, not an unknown one.
        "bio_length": raw["description"].str.len().fillna(0.0),
        "follower_count": _number(raw["followers_count"]), "following_count": _number(raw["friends_count"]),
        "media_count": _number(raw["statuses_count"]),
        "has_profile_pic": 1.0 - _mib_flag(raw["default_profile_image"]),
        "is_private": _mib_flag(raw["protected"]), "is_verified": _mib_flag(raw["verified"]),
        "has_external_url": raw["url"].notna().astype("float64"),
        "observed_at": observed,
        "extra_favourites_count": _number(raw["favourites_count"]),
        "extra_listed_count": _number(raw["listed_count"]),
        "extra_default_profile": _mib_flag(raw["default_profile"]),
        "extra_geo_enabled": _mib_flag(raw["geo_enabled"]),
        "extra_account_age_days": (observed - created).dt.total_seconds() / 86400.0,
    })


def _read_mib(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype="str", keep_default_na=False, na_values=["", "NULL"])


def _load_cresci2015(folder: Path) -> pd.DataFrame:
    parts = []
    for name, label in (("users.csv", 0), ("fusers.csv", 1)):
        raw = _read_mib(folder / name)
        # `updated` is when MIB last refreshed the profile, the nearest thing to an observation time.
        parts.append(_labelled(_twitter_profile(raw, "updated"), np.full(len(raw), label), raw["dataset"]))
    return pd.concat(parts, ignore_index=True)


def _load_cresci2017(folder: Path) -> pd.DataFrame:
    parts = []
    files = (("genuine_users.csv", 0, "genuine"), ("spam_user.csv", 1, "social_spambots_1"))
    for name, label, detail in files:
        raw = _read_mib(folder / name)
        parts.append(_labelled(_twitter_profile(raw, "crawled_at"), np.full(len(raw), label),
                               np.full(len(raw), detail)))
    return pd.concat(parts, ignore_index=True)


def _load_gilani2017(folder: Path) -> pd.DataFrame:
    parts = []
    for kind, label in (("humans", 0), ("bots", 1)):
        for path in sorted((folder / kind).glob(f"{kind}.*.csv")):
            raw = pd.read_csv(path, skipinitialspace=True, dtype={"screen_name": "str"})
            parts.append(_labelled(_gilani_frame(raw), np.full(len(raw), label),
                                   np.full(len(raw), f"{kind}.{path.stem.split('.', 1)[1]}")))
    if not parts:
        raise LabelledAccountsError(f"no humans/*.csv or bots/*.csv in {folder}")
    return pd.concat(parts, ignore_index=True)


def _gilani_frame(raw: pd.DataFrame) -> pd.DataFrame:
    ratio = _number(raw["follower_friend_ratio"])
    frame = pd.DataFrame({f"extra_{name}": _number(raw[name]) for name in _GILANI_EXTRAS})
    frame["username"] = raw["screen_name"]
    frame["extra_account_age_days"] = _number(raw["age_of_account_in_days"])
    # followers/friends -> log(following/followers), the feature's own scale (its +1s ignored).
    frame["follow_ratio_log"] = -np.log(ratio.where((ratio > 0) & np.isfinite(ratio)))
    return frame


_LOADERS: dict[str, tuple[Callable[[Path], pd.DataFrame], str]] = {
    INSTAFAKE_FAKE: (_load_instafake_fake, "instagram"),
    INSTAFAKE_AUTOMATED: (_load_instafake_automated, "instagram"),
    SRF2017: (_load_srf2017, "instagram"),
    KAGGLE: (_load_kaggle, "instagram"),
    PURBA2020: (_load_purba, "instagram"),
    PURBA2020_IJECE: (_load_purba_ijece, "instagram"),
    CRESCI2015: (_load_cresci2015, "twitter"),
    CRESCI2017: (_load_cresci2017, "twitter"),
    GILANI2017: (_load_gilani2017, "twitter"),
}
