"""Local influence: the audience share in the campaign's target country, per influencer x campaign."""

from __future__ import annotations

import numpy as np
import pandas as pd

from authfit.features.local import LOCAL_SHARE, local_influence


def test_share_of_followers_with_a_known_country_in_the_target_country():
    audience = pd.DataFrame({
        "influencer_id": ["a", "a", "a", "a", "a", "b", "b", "c"],
        "follower_id": ["f1", "f2", "f3", "f4", "f1", "g1", "g2", "h1"],  # f1 observed twice: counted once
        "country": ["ch", "CH", "DE", None, "CH", "FR", "FR", None],
    })
    campaigns = pd.DataFrame({"campaign_id": ["swiss", "french", "nowhere"], "target_country": ["CH", "fr", None]})
    pairs = pd.DataFrame({"campaign_id": ["swiss", "french", "swiss", "swiss", "nowhere", "swiss"],
                          "account_id": ["a", "a", "b", "c", "a", "unknown"]})
    share = local_influence(audience, campaigns, pairs)[LOCAL_SHARE].to_numpy()
    np.testing.assert_allclose(share[:3], [2 / 3, 0.0, 0.0])  # a: f1, f2 in CH of f1, f2, f3 with a country
    assert np.isnan(share[3]) and np.isnan(share[4]) and np.isnan(share[5])  # no country / no target / no sample


def test_audience_without_a_country_column_gives_nan():
    audience = pd.DataFrame({"influencer_id": ["a"], "follower_id": ["f"]})
    campaigns = pd.DataFrame({"campaign_id": ["x"], "target_country": ["CH"]})
    out = local_influence(audience, campaigns, pd.DataFrame({"campaign_id": ["x"], "account_id": ["a"]}))
    assert out[LOCAL_SHARE].isna().all()
