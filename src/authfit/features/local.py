"""Local influence: the share of an influencer's sampled followers who live in the campaign's target
country. A fit feature of each influencer x campaign pair, read from the audience sample's `country`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from authfit.features.registry import FeatureSpec

LOCAL_SHARE = "audience_target_country_share"
CAMPAIGN_FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec(
        LOCAL_SHARE,
        "campaign",
        "share of the sampled followers with a known country who live in the campaign's target country "
        "(local influence); NaN when no sampled follower has a country or the campaign has no target",
    ),
)


def audience_country_counts(audience: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Followers per (influencer, upper-case country), and followers with a known country per influencer."""
    if "country" not in audience or audience.empty:
        empty = pd.Series(dtype=np.float64)
        return empty.set_axis(pd.MultiIndex.from_arrays([[], []])), empty
    known = audience.loc[audience["country"].notna(), ["influencer_id", "follower_id", "country"]]
    known = known.drop_duplicates(["influencer_id", "follower_id"], keep="last")
    country = known["country"].astype("string").str.strip().str.upper()
    by_country = known.groupby([known["influencer_id"], country]).size().astype(np.float64)
    return by_country, known.groupby("influencer_id").size().astype(np.float64)


def local_influence(audience: pd.DataFrame, campaigns: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per (campaign_id, account_id) of `pairs` with the audience share in the campaign's target
    country."""
    by_country, known = audience_country_counts(audience)
    target = campaigns.set_index("campaign_id")["target_country"] if "target_country" in campaigns else \
        pd.Series(dtype="string")
    wanted = target.astype("string").str.strip().str.upper().reindex(pairs["campaign_id"]).to_numpy(dtype=object)
    accounts = pairs["account_id"].to_numpy(dtype=object)
    hits = by_country.reindex(pd.MultiIndex.from_arrays([accounts, wanted])).fillna(0.0).to_numpy()
    total = known.reindex(accounts).to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(pd.notna(wanted) & (total > 0), hits / total, np.nan)
    return pd.DataFrame({"campaign_id": pairs["campaign_id"].to_numpy(), "account_id": accounts, LOCAL_SHARE: share})
