"""Expectations on the real influencer-activity data sets, read through their adapters.

Skipped with the reason when the data sets are not under $AUTHFIT_DATASETS. The full pass over the kim2020
archive (~40 s) is also marked slow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from authfit.datasets.frost2023 import (
    FROST2023,
    frost2023_follower_history,
    read_frost2023_accounts,
    read_frost2023_series,
)
from authfit.datasets.hypeauditor import (
    COUNTRY_CODES,
    HYPEAUDITOR,
    hypeauditor_accounts,
    hypeauditor_follower_history,
    read_hypeauditor_snapshots,
)
from authfit.datasets.kim2020 import KIM2020, iter_kim2020_chunks, read_kim2020_accounts, read_kim2020_posts
from authfit.datasets.paths import DatasetMissingError, dataset_dir
from authfit_bench.realism import metric_samples, quantile_table
from authfit.contract.validate import validate_tables

pytestmark = pytest.mark.realdata
KIM_CATEGORIES = {"beauty", "family", "fashion", "fitness", "food", "interior", "pet", "travel", "other"}


@pytest.fixture(scope="module")
def kim_sample() -> dict[str, pd.DataFrame]:
    """Accounts and ~1,500 posts spread over the archive (every 20th file), read once for the module."""
    try:
        folder = dataset_dir(KIM2020)
    except DatasetMissingError as exc:
        pytest.skip(str(exc))
    posts, comments = read_kim2020_posts(folder, limit=1500, step=20)
    return {"accounts": read_kim2020_accounts(folder), "posts": posts, "comments": comments}


def test_kim2020_accounts_match_the_published_counts(kim_sample: dict[str, pd.DataFrame]) -> None:
    accounts = kim_sample["accounts"]
    assert len(accounts) == 33_935 and accounts["account_id"].is_unique
    assert set(accounts["category"]) == KIM_CATEGORIES
    assert (accounts["category"] == "fashion").sum() == 11_913  # 11,911 + the two typo rows
    assert accounts["follower_count"].notna().all() and (accounts["follower_count"] >= 0).all()


def test_kim2020_post_sample_is_contract_valid_and_owned_by_listed_accounts(kim_sample) -> None:
    posts, comments = kim_sample["posts"], kim_sample["comments"]
    assert len(posts) >= 1_450 and posts["post_id"].is_unique
    assert posts["account_id"].isin(kim_sample["accounts"]["account_id"]).all()
    years = posts["posted_at"].dt.year
    assert years.between(2010, 2019).all()
    assert comments["post_id"].isin(posts["post_id"]).all() and comments["comment_id"].is_unique
    assert 5 < len(comments) / len(posts) < 25  # the data set lists ~13 comment nodes per post on average
    result = validate_tables(kim_sample)
    assert result.problems.empty, result.problems.head()


@pytest.mark.slow
def test_kim2020_full_archive_has_every_post_and_comment_node(real_dataset) -> None:
    folder = real_dataset(KIM2020)
    posts = comments = 0
    sponsored = 0.0
    for chunk_posts, chunk_comments in iter_kim2020_chunks(folder, posts_per_chunk=10_000):
        posts, comments = posts + len(chunk_posts), comments + len(chunk_comments)
        sponsored += chunk_posts["is_sponsored"].sum()
    assert posts == 39_907 - 177  # less the misfiled copies of other accounts' posts
    assert comments == 515_124  # 517,412 nodes less the duplicates listed twice on one post
    assert 190 <= sponsored <= 210  # ~199 posts carry a paid-partnership tag


def test_frost2023_history_rebuilds_the_observed_totals(real_dataset) -> None:
    folder = real_dataset(FROST2023)
    series = read_frost2023_series(folder)
    weekly = frost2023_follower_history(series)
    monthly = frost2023_follower_history(series, source="monthly")
    assert weekly["account_id"].nunique() == 199
    assert weekly.groupby("account_id").size().median() > 200  # ~228-259 weekly points each
    matched = pd.merge_asof(monthly.sort_values("date"), weekly.sort_values("date"), on="date",
                            by="account_id", direction="nearest", tolerance=pd.Timedelta(days=4),
                            suffixes=("", "_weekly"))
    error = (matched["follower_count_weekly"] / matched["follower_count"] - 1).abs().dropna()
    assert len(error) > 9_000 and error.quantile(0.95) < 0.01
    accounts = read_frost2023_accounts(folder)
    assert weekly["account_id"].isin(accounts["account_id"]).all()
    result = validate_tables({"accounts": accounts.drop(columns=["business_category", "size_tier"]),
                              "follower_history": weekly})
    assert result.problems.empty, result.problems.head()


def test_hypeauditor_snapshots_five_months_of_top_accounts(real_dataset) -> None:
    snapshots = read_hypeauditor_snapshots(real_dataset(HYPEAUDITOR))
    per_month = snapshots.groupby("date").size()
    assert len(per_month) == 5 and (per_month >= 950).all()
    assert (snapshots["follower_count"] >= 1e6).all()  # a top-1000 ranking: all mega accounts
    assert snapshots["country"].dropna().isin(set(COUNTRY_CODES.values())).all()
    assert snapshots["country"].notna().mean() > 0.95
    ratio = snapshots["authentic_engagement"] / snapshots["avg_engagement"]
    assert ratio.dropna().between(0.05, 1.0 + 1e-9).mean() > 0.99  # authentic is a part of the average
    history = hypeauditor_follower_history(snapshots)
    accounts = hypeauditor_accounts(snapshots)
    assert accounts["account_id"].is_unique
    assert validate_tables({"accounts": accounts, "follower_history": history}).problems.empty


def test_real_quantiles_are_in_the_published_ranges(kim_sample, real_dataset) -> None:
    history = frost2023_follower_history(read_frost2023_series(real_dataset(FROST2023)))
    table = quantile_table(metric_samples({**kim_sample, "follower_history": history}))
    median = table[(table["tier"] == "all") & (table["quantile"] == "p50")].set_index("metric")["value"]
    assert 0.01 < median["engagement_rate"] < 0.08  # HypeAuditor/Markerly: ~1.5-4% for these tiers
    assert 10 <= median["comment_length"] <= 40
    assert 0.001 < median["weekly_follower_volatility"] < 0.05
    likes = table[(table["metric"] == "likes_per_post") & (table["quantile"] == "p50")].set_index("tier")
    median_likes = likes["value"]
    assert (median_likes["micro_1k_10k"] < median_likes["micro_10k_100k"] < median_likes["mid_100k_1m"]
            < median_likes["macro_1m_plus"])
    assert np.isfinite(table["value"]).all()
