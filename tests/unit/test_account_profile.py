"""Account profile features on tiny typed frames built here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authfit.features.account_profile import (
    ACCOUNT_FEATURES,
    FEATURES,
    PASSTHROUGH_FEATURES,
    account_profile_features,
)


def _profiles(**columns: list) -> pd.DataFrame:
    """A typed profile frame: text columns as `str`, everything else float64."""
    text = {"username", "full_name", "biography", "platform"}
    return pd.DataFrame({k: pd.Series(v, dtype="str" if k in text else "float64") for k, v in columns.items()})


def test_output_columns_order_dtype_and_index() -> None:
    frame = _profiles(username=["a1", "b"], follower_count=[1.0, 2.0]).set_axis([10, 3])
    out = account_profile_features(frame)
    assert list(out.columns) == list(ACCOUNT_FEATURES) == [f.name for f in FEATURES]
    assert (out.dtypes == "float64").all() and list(out.index) == [10, 3]


def test_username_features_by_hand() -> None:
    out = account_profile_features(_profiles(username=["anna_99", "xkcdzt"])).iloc[0]
    assert out["username_length"] == 7 and out["username_digit_count"] == 2
    assert out["username_digit_share"] == pytest.approx(2 / 7)
    assert out["username_nonalnum_share"] == pytest.approx(1 / 7)
    assert out["username_trailing_digits"] == 2
    assert out["username_vowel_share"] == pytest.approx(2 / 7)
    assert out["username_max_consonant_run"] == 2
    assert out["username_distinct_char_share"] == pytest.approx(4 / 7)
    second = account_profile_features(_profiles(username=["anna_99", "xkcdzt"])).iloc[1]
    assert second["username_max_consonant_run"] == 6 and second["username_vowel_share"] == 0


def test_username_entropy_by_hand() -> None:
    names = ["aaaa", "abab", "anna_99", "@", None]
    out = account_profile_features(_profiles(username=names))["username_entropy"]
    # anna_99: a,n,9 twice each and _ once, over 7 characters
    expected = -(3 * (2 / 7) * np.log2(2 / 7) + (1 / 7) * np.log2(1 / 7))
    assert out.iloc[0] == 0.0 and out.iloc[1] == pytest.approx(1.0) and out.iloc[2] == pytest.approx(expected)
    assert np.isnan(out.iloc[3]) and np.isnan(out.iloc[4])  # "@" is empty once the @ is stripped


def test_count_features_and_mass_following() -> None:
    out = account_profile_features(_profiles(follower_count=[0.0, 99.0, np.nan],
                                             following_count=[1600.0, 0.0, 20.0], media_count=[0.0, 9.0, 1.0]))
    assert out["log_followers"].tolist()[:2] == pytest.approx([0.0, np.log(100)])
    assert out["follow_ratio_log"].iloc[0] == pytest.approx(np.log(1601))
    assert out["followers_per_post_log"].iloc[1] == pytest.approx(np.log(10))
    assert out["following_over_1500"].tolist() == [1.0, 0.0, 0.0]
    assert np.isnan(out["follow_ratio_log"].iloc[2])  # followers unknown
    assert np.isfinite(out.to_numpy()[~np.isnan(out.to_numpy())]).all()


def test_name_and_bio_features() -> None:
    frame = _profiles(username=["maria.rossi", "qq12", "ab"], full_name=["Maria Rossi", "John 2", None],
                      biography=["Shop now www.shop.com 🌸 #sale @brand", "just me", None])
    out = account_profile_features(frame)
    assert out["name_equals_username"].tolist()[:2] == [1.0, 0.0] and np.isnan(out["name_equals_username"][2])
    assert out["name_username_similarity"].iloc[0] == pytest.approx(1.0)
    assert out["name_username_similarity"].iloc[1] == pytest.approx(0.0)
    assert out["full_name_words"].tolist()[:2] == [2.0, 2.0]
    assert out["full_name_digit_share"].iloc[1] == pytest.approx(1 / 6)
    assert out[["bio_has_url", "bio_has_emoji", "bio_has_hashtag", "bio_has_mention"]].iloc[0].tolist() == [1] * 4
    assert out[["bio_has_url", "bio_has_emoji", "bio_has_hashtag", "bio_has_mention"]].iloc[1].tolist() == [0] * 4
    assert np.isnan(out["bio_length"].iloc[2]) and np.isnan(out["bio_has_url"].iloc[2])


def test_passthrough_fills_only_where_text_is_missing_and_feeds_the_share() -> None:
    frame = _profiles(username=["abc1", None], username_length=[99.0, 10.0], username_digit_count=[9.0, 4.0],
                      bio_length=[5.0, 7.0], biography=["hello world", None])
    out = account_profile_features(frame)
    assert out["username_length"].tolist() == [4.0, 10.0]  # text wins over the passthrough
    assert out["username_digit_share"].tolist() == pytest.approx([0.25, 0.4])  # share derived from counts
    assert out["bio_length"].tolist() == [11.0, 7.0]
    assert np.isnan(out["username_vowel_share"].iloc[1])  # cannot be derived without the text


def test_missing_and_all_null_columns_give_nan_not_errors() -> None:
    assert account_profile_features(pd.DataFrame(index=range(0))).shape == (0, len(ACCOUNT_FEATURES))
    absent = account_profile_features(pd.DataFrame(index=range(3)))
    nulls = account_profile_features(_profiles(username=[None] * 2, full_name=[None] * 2, biography=[None] * 2,
                                               follower_count=[np.nan] * 2))
    assert absent.isna().all().all() and nulls.isna().all().all()


def test_does_not_mutate_its_input() -> None:
    frame = _profiles(username=["Ann_1"], full_name=["Ann"], follower_count=[3.0], username_length=[5.0])
    before = frame.copy(deep=True)
    account_profile_features(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_passthrough_names_are_features() -> None:
    assert set(PASSTHROUGH_FEATURES) <= set(ACCOUNT_FEATURES)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=12), st.one_of(st.none(), st.text(max_size=12)),
                          st.floats(min_value=0, max_value=1e9), st.floats(min_value=0, max_value=1e9)),
                min_size=1, max_size=8))
def test_any_profile_gives_finite_or_nan(rows: list[tuple[str, str | None, float, float]]) -> None:
    frame = _profiles(username=[r[0] or None for r in rows], full_name=[r[1] for r in rows],
                      follower_count=[r[2] for r in rows], following_count=[r[3] for r in rows])
    values = account_profile_features(frame).to_numpy()
    assert not np.isinf(values).any()
    shares = account_profile_features(frame).filter(like="share").to_numpy()
    assert ((shares[~np.isnan(shares)] >= 0) & (shares[~np.isnan(shares)] <= 1)).all()


def test_request_rows_as_json_objects_give_the_typed_frames_features() -> None:
    """The service builds its frame from JSON objects (object columns of str, int, bool and None); the
    features must be those of the same profiles typed, including text that is not a string."""
    rows = [{"username": "leo_42", "follower_count": 10, "has_profile_pic": True, "biography": "hi #x"},
            {"username": None, "follower_count": None, "has_profile_pic": None, "biography": None},
            {"username": "mia", "follower_count": 3, "has_profile_pic": False, "biography": "@mia www.a.com"}]
    from_json = account_profile_features(pd.DataFrame(rows))
    typed = account_profile_features(_profiles(
        username=["leo_42", None, "mia"], follower_count=[10.0, np.nan, 3.0], has_profile_pic=[1.0, np.nan, 0.0],
        biography=["hi #x", None, "@mia www.a.com"]))
    pd.testing.assert_frame_equal(from_json, typed)
    numbers_as_names = account_profile_features(pd.DataFrame({"username": [12345, "ab1"]}))
    assert numbers_as_names["username_digit_count"].tolist() == [5.0, 1.0]


def test_text_classes_are_pythons_on_any_script() -> None:
    """\\d, \\w and \\s as Python's `re` has them: Arabic-Indic digits are digits, an ideographic space
    separates words, a hashtag of non-Latin letters is a hashtag."""
    out = account_profile_features(_profiles(
        username=["zoe\u0661\u0662"], full_name=["Ana\u3000Lima \u0663"], biography=["#\u00e9t\u00e9 \u2600"])).iloc[0]
    assert out["username_digit_count"] == 2 and out["username_trailing_digits"] == 2
    assert out["full_name_words"] == 3 and out["full_name_digit_share"] == pytest.approx(1 / 10)
    assert out["bio_has_hashtag"] == 1 and out["bio_has_emoji"] == 1 and out["bio_has_url"] == 0


def test_profile_numbers_of_every_dtype_read_as_to_numeric_reads_them():
    from authfit.features.account_profile import _numeric

    frame = pd.DataFrame({"ints": [3, 0, 7], "bools": [True, False, True],
                          "nullable": pd.array([5, None, 2], dtype="Int64"),
                          "objects": pd.Series([True, None, "12"], dtype=object),
                          "texts": pd.Series(["4", None, "x"], dtype="str")})
    for name in frame:
        expected = pd.to_numeric(frame[name], errors="coerce").astype("float64").to_numpy()
        got = _numeric(frame, name)
        assert got.dtype == np.float64 and np.array_equal(got, expected, equal_nan=True), name
