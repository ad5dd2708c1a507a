"""Reasons: the strongest contributions in the verdict's direction, as sentences, never 'nan'."""

from __future__ import annotations

import numpy as np
import pandas as pd

from authfit.scoring.reasons import MISSING, TEMPLATES, FeatureColumns, top_reasons


def test_picks_the_strongest_contributions_in_the_verdicts_direction():
    features = pd.DataFrame({"generic_comment_share": [0.41, 0.05], "spam_share": [0.3, 0.0],
                             "likes_cv": [0.2, 0.9]}, index=["a", "b"])
    contributions = np.array([[2.0, 0.5, -1.0, 0.1],    # a: flagged; generic comments push hardest
                              [0.3, -0.2, -3.0, 0.1]])  # b: clean; likes_cv pulls hardest the other way
    reasons = top_reasons(contributions, features, positive=np.array([True, False]), k=2)
    assert reasons["a"] == ["41% of comments are generic", "30% of comments look like spam or bots"]
    assert reasons["b"][0] == "likes vary across posts by 90%"


def test_missing_values_and_constant_templates_never_become_text():
    features = pd.DataFrame({"spike_like_gap": [0.7, 0.1], "spam_share": [np.nan, 0.2]})
    contributions = np.array([[1.0, 0.9, 0.0], [1.0, 0.9, 0.0]])
    reasons = top_reasons(contributions, features, positive=np.array([True, True]), k=2)
    assert reasons.iloc[0] == ["likes did not keep up when followers jumped"]
    assert "nan" not in " ".join(reasons.iloc[1])


def test_every_template_renders_a_sentence_per_row():
    frame = pd.DataFrame({name: [0.5, 2.0] for name in TEMPLATES} | {"_as_of": pd.Timestamp("2025-06-01", tz="UTC")})
    for name, template in TEMPLATES.items():
        out = pd.Series(np.broadcast_to(template(FeatureColumns(frame)), (len(frame),)), index=frame.index)
        assert out.map(lambda s: isinstance(s, str) and len(s) > 5).all(), name


def test_missing_features_do_not_crowd_out_the_reasons_that_have_values():
    # Few posts: the step statistics are NaN, yet LightGBM still gives them the largest contributions.
    features = pd.DataFrame({"likes_step_t": [np.nan], "likes_per_comment_step_t": [np.nan],
                             "spam_share": [0.3], "generic_comment_share": [0.41],
                             "_as_of": [pd.Timestamp("2025-06-01", tz="UTC")]})  # the Scorer's helper column
    contributions = np.array([[3.0, 2.0, 0.5, 0.4, 0.1]])
    reasons = top_reasons(contributions, features, positive=np.array([True]), k=2)
    assert reasons.iloc[0] == ["30% of comments look like spam or bots", "41% of comments are generic"]


def test_numbers_in_sentences_round_half_to_even_with_separators_and_missing_stays_missing():
    frame = pd.DataFrame({"log_media": np.log1p([1_234_567.5, 2.5, np.nan]),
                          "generic_comment_share": [0.125, 0.135, np.nan],
                          "engagement_vs_benchmark": [0.25, 1.0, np.nan]}, index=[7, 3, 5])
    columns = FeatureColumns(frame)
    media = TEMPLATES["log_media"](columns)
    share = TEMPLATES["generic_comment_share"](columns)
    ratio = TEMPLATES["engagement_vs_benchmark"](columns)
    assert media[0] == "1,234,568 posts published" and media[1] == "2 posts published"
    assert share.tolist()[:2] == ["12% of comments are generic", "14% of comments are generic"]
    assert ratio[0] == "engagement is 0.2x the usual rate for this follower count"
    assert ratio[1] == "engagement is 1.0x the usual rate for this follower count"
    assert all(s[2] is MISSING for s in (media, share, ratio))


def test_a_missing_number_inside_a_sentence_keeps_the_sentence_missing():
    frame = pd.DataFrame({"full_name_length": [3.0, 0.0], "audience_fake_share_corrected": [0.2, 0.3],
                          "audience_fake_share_corrected_lo": [0.1, np.nan],
                          "audience_fake_share_corrected_hi": [0.3, 0.4]})
    columns = FeatureColumns(frame)
    assert TEMPLATES["full_name_length"](columns).tolist() == ["display name has 3 characters", "no display name"]
    corrected = TEMPLATES["audience_fake_share_corrected"](columns)
    assert corrected[0] == "an estimated 20% of followers are fake (10% to 30%)"
    assert corrected[1] is MISSING
    # a later row alone gets the same sentence as within the frame
    assert TEMPLATES["full_name_length"](columns.take(np.array([1]))).tolist() == ["no display name"]


def test_a_sentence_whose_number_is_unknown_is_dropped_from_the_list():
    # the fake-share sentence also states its interval; without the interval it has no sentence
    features = pd.DataFrame({"audience_fake_share_corrected": [0.2, 0.3], "spam_share": [0.1, 0.2],
                             "audience_fake_share_corrected_lo": [0.1, np.nan],
                             "audience_fake_share_corrected_hi": [0.3, 0.4]})
    contributions = np.array([[2.0, 1.0, 0.0, 0.0, 0.1], [2.0, 1.0, 0.0, 0.0, 0.1]])
    reasons = top_reasons(contributions, features, positive=np.array([True, True]), k=2)
    assert reasons.tolist() == [["an estimated 20% of followers are fake (10% to 30%)",
                                 "10% of comments look like spam or bots"],
                                ["20% of comments look like spam or bots"]]
    assert all(isinstance(s, str) for row in reasons for s in row)
