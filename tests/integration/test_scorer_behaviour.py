"""Behaviour of the trained models through the one scorer: directional, invariance and known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from authfit.config import load_settings
from authfit.contract.io import read_raw_tables
from authfit.modeling.bundle import BundleError, load_bundle
from authfit.simulate import SimulationSettings, generate_world
from authfit.simulate.vocabulary import niche_words
from authfit.training.train_settings import FAKE_ENGAGEMENT_MODEL, MODEL_NAMES
from authfit.contract.validate import validate_tables


@pytest.fixture(scope="module")
def world(trained) -> dict[str, pd.DataFrame]:
    return validate_tables(read_raw_tables(trained.world)).tables


@pytest.fixture(scope="module")
def baseline(scorer, world) -> pd.DataFrame:
    return scorer.score_influencers(world).set_index("account_id")


def _authentic_lowest(baseline: pd.DataFrame, trained, n: int = 15) -> list[str]:
    truth = pd.read_parquet(trained.world / "truth" / "influencers.parquet").set_index("account_id")
    honest = baseline.loc[truth.index[~truth["is_buyer"]].intersection(baseline.index)]
    return honest.nsmallest(n, "fake_engagement_probability").index.tolist()


def _only(world: dict[str, pd.DataFrame], ids: list[str]) -> dict[str, pd.DataFrame]:
    posts = world["posts"][world["posts"]["account_id"].isin(ids)]
    return {"accounts": world["accounts"][world["accounts"]["account_id"].isin(ids)],
            "follower_history": world["follower_history"][world["follower_history"]["account_id"].isin(ids)],
            "posts": posts, "comments": world["comments"][world["comments"]["post_id"].isin(posts["post_id"])],
            "audience": world["audience"][world["audience"]["influencer_id"].isin(ids)]}


def test_every_model_is_bundled_and_latest_points_at_the_set(trained):
    bundles = trained.summary.bundles
    expected = set(MODEL_NAMES) if len(bundles) == 4 else {FAKE_ENGAGEMENT_MODEL, "campaign-conversion"}
    assert expected <= set(bundles)
    for path in bundles.values():
        # every bundle sits in the set's version; one copied from models/pretrained (no data sets) keeps the
        # signed metadata it was shipped with, and only then may its own version differ
        assert Path(path).name == trained.summary.version
        version = load_bundle(path).metadata.version
        assert version == trained.summary.version or version.startswith("pretrained-"), version


def _with_purchase(tables: dict[str, pd.DataFrame], step: float = 0.6) -> dict[str, pd.DataFrame]:
    """Followers jump by `step` at mid-window, then a tenth of them are purged a month later."""
    history = tables["follower_history"]
    mid = history["date"].min() + (history["date"].max() - history["date"].min()) / 2
    bought = history["follower_count"].where(history["date"] < mid, history["follower_count"] * (1 + step))
    purged = bought.where(history["date"] < mid + pd.Timedelta(days=30), bought * 0.9)
    grown = tables["accounts"]["follower_count"] * (1 + step) * 0.9
    return {**tables, "follower_history": history.assign(follower_count=purged.round()),
            "accounts": tables["accounts"].assign(follower_count=grown.round())}


def _with_fake_audience(tables: dict[str, pd.DataFrame], share: float = 0.4) -> dict[str, pd.DataFrame]:
    """Replace a share of each audience sample with bought, empty-looking profiles."""
    audience = tables["audience"]
    fake = np.random.default_rng(0).random(len(audience)) < share
    blank = {"username": [f"user{n}8{n % 97}{n % 13}" for n in range(int(fake.sum()))], "full_name": None,
             "biography": None, "has_profile_pic": 0.0, "media_count": 0.0, "follower_count": 3.0,
             "following_count": 4200.0}
    replaced = audience.copy()
    for column, value in blank.items():
        replaced.loc[fake, column] = value
    return {**tables, "audience": replaced}


def _probabilities(scorer, tables) -> pd.Series:
    return scorer.score_influencers(tables).set_index("account_id")["fake_engagement_probability"]


def test_purchased_follower_step_never_lowers_and_on_average_raises_risk(scorer, world, baseline, trained):
    ids = _authentic_lowest(baseline, trained)
    before = _probabilities(scorer, _only(world, ids))
    after = _probabilities(scorer, _with_purchase(_only(world, ids))).reindex(before.index)
    # The purchase also lowers the engagement rate, which the model may read either way (bought likes raise
    # it), so tiny drops happen on the most honest accounts (seen: 0.00086 -> 0.00065). A drop worth half a
    # point of the 0-100 authenticity score would be a real regression (e.g. a sign flip in growth features).
    assert (after >= before - 0.005).all(), (before - after).max()
    assert after.mean() > before.mean()


def test_bought_followers_in_history_and_audience_flag_the_account(scorer, world, baseline, trained):
    ids = _authentic_lowest(baseline, trained)
    before = _probabilities(scorer, _only(world, ids))
    after = _probabilities(scorer, _with_fake_audience(_with_purchase(_only(world, ids)))).reindex(before.index)
    if scorer.account is None:
        pytest.skip("no account-authenticity model in this set (real labelled data absent)")
    assert after.mean() > before.mean() + 0.1
    assert (after > before).mean() >= 0.8


def test_bot_comment_wave_raises_fake_probability(scorer, world, baseline, trained):
    ids = _authentic_lowest(baseline, trained)
    tables = _only(world, ids)
    posts = tables["posts"]
    wave = posts.loc[posts.index.repeat(25), ["post_id", "posted_at"]].reset_index(drop=True)
    wave = wave.assign(comment_id=[f"bot_{i}" for i in range(len(wave))],
                       commenter_id=[f"botacct_{i % 12}" for i in range(len(wave))],
                       created_at=wave["posted_at"] + pd.to_timedelta(np.arange(len(wave)) % 5 + 1, unit="min"),
                       text=np.where(np.arange(len(wave)) % 2, "nice pic 🔥🔥", "check my page for free followers!!"))
    tables["comments"] = pd.concat([tables["comments"], wave.drop(columns="posted_at")], ignore_index=True)
    before = _probabilities(scorer, _only(world, ids))
    after = _probabilities(scorer, tables).reindex(before.index)
    assert after.mean() > before.mean() + 0.1
    assert (after > before).mean() >= 0.8


def test_better_topic_fit_raises_expected_conversions(scorer, world):
    fitness = world["accounts"].loc[world["accounts"]["category"] == "fitness", "account_id"].tolist()
    assert len(fitness) >= 5
    tables = _only(world, fitness)
    words = {n: " ".join(niche_words(n)[:12]) for n in ("fitness", "interior")}
    campaigns = pd.DataFrame({
        "campaign_id": ["match", "mismatch"], "brand": ["B", "B"], "category": ["fitness", "interior"],
        "brief": [f"Looking for creators who love {words['fitness']}", f"Looking for creators who love {words['interior']}"],
        "target_country": [None, None], "start_date": pd.Timestamp("2025-12-01", tz="UTC"),
        "end_date": pd.Timestamp("2025-12-31", tz="UTC")})
    tables["campaigns"] = campaigns
    match = scorer.score_campaign(tables, "match").set_index("account_id")["expected_conversions"]
    mismatch = scorer.score_campaign(tables, "mismatch").set_index("account_id")["expected_conversions"]
    assert (match > mismatch.reindex(match.index)).mean() >= 0.8


def test_row_order_does_not_change_scores(scorer, world):
    ids = world["accounts"]["account_id"].head(40).tolist()
    tables = _only(world, ids)
    shuffled = {name: frame.sample(frac=1.0, random_state=3) for name, frame in tables.items()}
    a = scorer.score_influencers(tables).set_index("account_id").sort_index()
    b = scorer.score_influencers(shuffled).set_index("account_id").sort_index()
    np.testing.assert_allclose(a["fake_engagement_probability"], b["fake_engagement_probability"], atol=1e-6)


def test_known_answers_on_a_new_world(scorer):
    settings = load_settings(Path("configs/simulate.yaml"), SimulationSettings)
    fresh = generate_world(settings, 150, seed=4242)
    result = scorer.score({k: v for k, v in fresh.items() if not k.startswith("truth")})
    truth = fresh["truth_influencers"].set_index("account_id")["is_buyer"]
    scores = result.influencers.set_index("account_id")["fake_engagement_probability"]
    # a 150-influencer world drawn from the randomised priors, where honest accounts overlap with buyers:
    # the 300-influencer session model reaches about 0.81; a label mix-up or a broken join gives about 0.5
    assert roc_auc_score(truth.reindex(scores.index), scores) > 0.72
    assert np.isfinite(scores).all() and scores.between(0, 1).all()
    assert result.influencers["reasons"].map(len).gt(0).all()


def test_bad_rows_are_rejected_and_the_rest_scored(scorer, world):
    ids = world["accounts"]["account_id"].head(5).tolist()
    tables = _only(world, ids)
    broken = pd.concat([tables["accounts"], tables["accounts"].head(1).assign(account_id="x", follower_count=-3)])
    result = scorer.score({**tables, "accounts": broken})
    assert set(result.influencers["account_id"]) == set(ids)
    assert result.rejects["reason"].str.contains("value must be >= 0").any()
    assert len(result.influencers) + (result.rejects["table"] == "accounts").sum() == len(broken)


def test_a_tampered_bundle_is_refused(trained, tmp_path):
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(trained.models, copy)
    booster = next((copy / FAKE_ENGAGEMENT_MODEL).glob("*/boosters/model.txt"))
    booster.write_text(booster.read_text().replace("num_leaves", "num_leaveZ", 1))
    from authfit import Scorer

    with pytest.raises(BundleError, match="modified"):
        Scorer.load(copy / "latest")


def test_campaign_whose_every_influencer_is_rejected_gives_an_empty_ranking(scorer, world):
    # found by the HTTP fuzzer: empty pairs reached the conversion model, which refused them (a 500)
    tables = _only(world, world["accounts"]["account_id"].head(2).tolist())
    tables["accounts"] = tables["accounts"].assign(follower_count=-1)
    tables["campaigns"] = pd.DataFrame({"campaign_id": ["c1"], "brand": ["B"], "category": ["fitness"],
                                        "brief": ["gym"], "target_country": [None],
                                        "start_date": pd.Timestamp("2025-12-01", tz="UTC"),
                                        "end_date": pd.Timestamp("2025-12-31", tz="UTC")})
    result = scorer.score(tables, campaign="c1")
    assert result.influencers.empty and result.campaign is not None and result.campaign.empty
    assert {"expected_conversions", "rank", "cost"} <= set(result.campaign.columns)
    assert (result.rejects["table"] == "accounts").sum() == 2
