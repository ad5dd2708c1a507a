"""Expectations on a simulated world: the contract holds, each mechanism shows, and honest accounts overlap
with buyers on every signal (no latent variable separates the classes by a boundary)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from authfit.contract.schema import TABLES
from authfit.simulate import CONTRACT_TABLES, SimulationSettings, generate_world
from authfit.simulate import vocabulary as vocab
from authfit.simulate.world import block_settings
from authfit.contract.validate import validate_tables

SETTINGS = SimulationSettings()
END = pd.Timestamp(SETTINGS.end_date, tz="UTC")


@pytest.fixture(scope="module")
def world() -> dict[str, pd.DataFrame]:
    return generate_world(SETTINGS, 400, seed=11)


@pytest.fixture(scope="module")
def truth(world) -> pd.DataFrame:
    return world["truth_influencers"].set_index("account_id")


@pytest.fixture(scope="module")
def likes_world() -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Many buyers of likes alone, half of whom stop: enough of them to measure per account."""
    mechanisms = SETTINGS.mechanisms.model_copy(update={
        "buyer_share": 0.6, "like_inflation_prob": 0.95, "bot_comments_prob": 0.05, "pod_prob": 0.05,
        "stop_prob": 0.5})
    settings = SETTINGS.model_copy(update={
        "mechanisms": mechanisms,
        "randomisation": SETTINGS.randomisation.model_copy(update={"enabled": False})})
    world = generate_world(settings, 200, seed=12)
    return world, world["truth_influencers"].set_index("account_id")


def test_every_contract_table_has_the_schema_columns_and_validates_cleanly():
    small = generate_world(SETTINGS, 60, seed=3)  # the validator is slow on big tables; any world will do
    for name in CONTRACT_TABLES:
        assert list(small[name].columns) == list(TABLES[name].column_names), name
        assert len(small[name]) > 0, name
    result = validate_tables({name: small[name] for name in CONTRACT_TABLES}, now=END)
    assert result.ok, result.problems.groupby(["table", "reason"]).size()
    assert (result.counts["rejected"] == 0).all()


def test_no_event_after_the_window_and_comments_follow_their_post(world):
    assert world["posts"]["posted_at"].max() <= END
    assert world["comments"]["created_at"].max() <= END
    assert world["follower_history"]["date"].min() >= pd.Timestamp(SETTINGS.start_date, tz="UTC")
    posted = world["comments"]["post_id"].map(world["posts"].set_index("post_id")["posted_at"])
    assert (world["comments"]["created_at"] > posted).all()


def test_last_snapshot_is_the_account_state(world):
    history = world["follower_history"].sort_values(["account_id", "date"]).groupby("account_id").last()
    accounts = world["accounts"].set_index("account_id").loc[history.index]
    assert (history["date"] == END).all()
    assert (history["follower_count"] == accounts["follower_count"]).all()
    assert (history["following_count"] == accounts["following_count"]).all()


def test_tier_engagement_rates_follow_the_configured_targets(world, truth):
    followers = world["accounts"].set_index("account_id")["follower_count"]
    posts = world["posts"].assign(followers=lambda p: p["account_id"].map(followers))
    per_post = (posts["like_count"] + posts["comment_count"]) / posts["followers"]
    rate = per_post.groupby(posts["account_id"]).mean()
    tier = np.digitize(followers.loc[rate.index], SETTINGS.engagement.tier_edges)
    means = rate.groupby(tier).mean()
    targets = np.asarray(SETTINGS.engagement.tier_targets)
    for k in range(4):  # the tiers that hold enough accounts in a small world
        assert abs(means[k] / targets[k] - 1) < 0.3, (k, means[k], targets[k])
    assert means[0] > means[1] > means[2] > means[3]


def test_fake_follower_shares_overlap_between_honest_accounts_and_buyers(truth):
    share = truth["fake_follower_share"]
    bought = share[truth["mech_fake_followers"] & ~truth["followers_cleaned_up"]]
    honest = share[~truth["is_buyer"]]
    assert bought.median() > honest.median() + 0.05  # buying still shows on average
    # ...but there is no boundary: some honest accounts sit above the median buyer, many buyers below the
    # honest 90th percentile (SRF Data 2017's continuum below its clusters)
    assert (honest > bought.median()).mean() > 0.03
    assert (bought < honest.quantile(0.9)).mean() > 0.15
    assert honest.max() > 0.3
    cleaned = share[truth["followers_cleaned_up"]]
    assert len(cleaned) >= 3 and cleaned.median() < bought.median()
    r = SETTINGS.randomisation
    assert r.buyer_share_range[0] - 0.05 < truth["is_buyer"].mean() < r.buyer_share_range[1] + 0.05


def test_audience_samples_show_the_fake_share_with_sampling_noise(world, truth):
    sampled = truth["audience_sample_fake_share"]
    gap = sampled[truth["mech_fake_followers"]].mean() - sampled[~truth["is_buyer"]].mean()
    assert gap > 0.05
    r = np.corrcoef(sampled, truth["fake_follower_share"])[0, 1]
    assert 0.7 < r < 0.99  # the sample shows the share, not exactly: noise and non-random samples
    # fake followers mostly look fake: the share following > 1,500 accounts tracks the fake share...
    audience = world["audience"]
    unreachable = (audience["following_count"] > 1500).groupby(audience["influencer_id"]).mean()
    assert np.corrcoef(unreachable, sampled.loc[unreachable.index])[0, 1] > 0.5
    # ...but not all: real users with bot-like profiles exist, so even a bot-free audience has some
    no_pic = (audience["has_profile_pic"] == 0).groupby(audience["influencer_id"]).mean()
    cleanest = sampled[sampled == 0].index.intersection(no_pic.index)
    assert len(cleanest) == 0 or no_pic[cleanest].mean() > 0.02
    sizes = audience.groupby("influencer_id").size()
    assert sizes.max() <= SETTINGS.audience.sample_range[1]


def test_purchased_followers_show_a_step_at_the_purchase(world, truth):
    history = world["follower_history"].sort_values(["account_id", "date"])
    jump = history.groupby("account_id")["follower_count"].pct_change()
    history = history.assign(jump=jump)
    buyers = truth[truth["first_purchase_at"].notna()]
    first = buyers["first_purchase_at"]
    after = history[history["account_id"].isin(buyers.index)]
    at_step = after[(after["date"] > after["account_id"].map(first))].groupby("account_id")["jump"].first()
    calm = truth[~truth["is_buyer"] & (truth["n_viral_jumps"] == 0) & (truth["lookalike"] == "none")]
    calm_max = history[history["account_id"].isin(calm.index)].groupby("account_id")["jump"].max()
    assert len(at_step) >= 20
    assert at_step.median() > 4 * calm_max.median()


def _after_start(frame: pd.DataFrame, truth: pd.DataFrame, time_column: str) -> pd.Series:
    """Rows dated while their account bought engagement (all rows for non-buyers)."""
    start = frame["account_id"].map(truth["cheat_start_at"])
    end = frame["account_id"].map(truth["cheat_end_at"])
    return start.isna() | ((frame[time_column] >= start) & (end.isna() | (frame[time_column] < end)))


def test_like_inflation_multiplies_likes_per_comment_by_the_factor(likes_world):
    world, truth = likes_world
    # bought comments would inflate the denominator too, so look at buyers of likes only
    only_likes = truth.index[truth["mech_like_inflation"] & ~truth["mech_bot_comments"] & ~truth["mech_pod"]]
    posts = world["posts"][world["posts"]["account_id"].isin(only_likes)]
    after = _after_start(posts, truth, "posted_at")
    sums = posts.groupby(["account_id", after])[["like_count", "comment_count"]].sum().unstack()
    ratio = sums["like_count"] / sums["comment_count"]
    enough = (sums["comment_count"] >= 20).all(axis=1)  # Poisson noise swamps ratios of a few comments
    measured = (ratio[True] / ratio[False])[enough]
    factor = truth.loc[measured.index, "like_inflation_factor"]
    assert len(measured) >= 8
    assert 0.75 < (measured / factor).median() < 1.3
    assert np.corrcoef(measured, factor)[0, 1] > 0.5


def test_follow_churn_shows_in_following_count(world, truth):
    history = world["follower_history"].sort_values(["account_id", "date"])
    swing = np.log1p(history["following_count"]).groupby(history["account_id"]).diff().abs()
    swing = swing.groupby(history["account_id"]).median()
    churners = swing[truth.index[truth["mech_follow_churn"]]]
    honest = swing[truth.index[~truth["is_buyer"] & (truth["lookalike"] == "none")]]
    assert churners.median() > 3 * honest.median()
    assert (churners < honest.quantile(0.95)).mean() > 0.03  # weak churners hide among noisy honest accounts


def test_some_honest_accounts_follow_thousands(world, truth):
    following = world["accounts"].set_index("account_id")["following_count"]
    plain = following[truth.index[~truth["is_buyer"] & (truth["lookalike"] == "none")]]
    churners = following[truth.index[truth["mech_follow_churn"]]]
    assert 0.03 < (plain > 1500).mean() < 0.3
    assert churners.median() > plain.median()
    assert (churners < plain.quantile(0.9)).mean() > 0.1  # no level of their own


def test_genuine_fans_comment_within_minutes(world, truth):
    comments = _comments_with_posts(world)
    plain = truth.index[~truth["is_buyer"] & (truth["lookalike"] == "none")]
    comments = comments[comments["account_id"].isin(plain) & ~_bot_like(comments["text"])]
    fast = (comments["created_at"] - comments["posted_at"]) < pd.Timedelta(minutes=20)
    per_account = fast.groupby(comments["account_id"]).mean()
    assert 0.03 < fast.mean() < 0.4
    assert per_account.quantile(0.9) > 2 * per_account.quantile(0.1)  # some accounts far more than others


def test_stopped_buyers_stop_inflating_likes(likes_world):
    world, truth = likes_world
    stopped = truth[truth["mech_like_inflation"] & truth["cheat_end_at"].notna() & ~truth["mech_bot_comments"]
                    & ~truth["mech_pod"]]
    posts = world["posts"][world["posts"]["account_id"].isin(stopped.index)]
    end = posts["account_id"].map(stopped["cheat_end_at"])
    start = posts["account_id"].map(stopped["cheat_start_at"])
    during = (posts["posted_at"] >= start) & (posts["posted_at"] < end)
    sums = posts.groupby(["account_id", during])[["like_count", "comment_count"]].sum().unstack()
    enough = (sums["comment_count"] >= 20).all(axis=1)
    ratio = (sums["like_count"] / sums["comment_count"])[enough]
    factor = truth.loc[ratio.index, "like_inflation_factor"]
    assert len(ratio) >= 8
    # likes per comment fall back once they stop (before the start counts as not buying too)
    assert 0.75 < (ratio[True] / ratio[False] / factor).median() < 1.3


def test_domain_randomisation_redraws_each_block_inside_its_priors():
    r = SETTINGS.randomisation
    drawn = [block_settings(SETTINGS, 11, b).mechanisms for b in range(6)]
    shares = [m.buyer_share for m in drawn]
    scales = [m.strength_scale for m in drawn]
    assert all(r.buyer_share_range[0] <= x <= r.buyer_share_range[1] for x in shares)
    assert all(r.strength_scale_range[0] <= x <= r.strength_scale_range[1] for x in scales)
    assert np.std(shares) > 0.02 and np.std(scales) > 0.05  # blocks differ
    assert block_settings(SETTINGS, 11, 2) == block_settings(SETTINGS, 11, 2)
    fixed = SETTINGS.model_copy(update={"randomisation": r.model_copy(update={"enabled": False})})
    assert block_settings(fixed, 11, 2) is fixed


def _bot_like(text: pd.Series) -> pd.Series:
    """Texts from the bot phrase pools (emoji stripped); organic and pod comments always carry words."""
    words = text.str.replace(r"[^\x00-\x7F]+", "", regex=True).str.strip()
    stems = tuple(p.rstrip("@") for p in vocab.BOT_PROMO)
    pooled = words.isin(vocab.BOT_GENERIC) | text.isin(vocab.BOT_DUPLICATES) | text.str.startswith(stems)
    return pooled | (words == "")


def _comments_with_posts(world) -> pd.DataFrame:
    return world["comments"].merge(world["posts"][["post_id", "account_id", "posted_at"]], on="post_id")


def test_bot_comments_are_generic_duplicated_and_bursty(world, truth):
    comments = _comments_with_posts(world)
    comments = comments[_after_start(comments, truth, "posted_at")]
    bot_share = _bot_like(comments["text"]).groupby(comments["account_id"]).mean()
    with_bots = bot_share[truth.index[truth["mech_bot_comments"]]]
    without = bot_share[truth.index[~truth["is_buyer"] & (truth["lookalike"] == "none")]]
    assert with_bots.mean() > 2 * without.mean()
    no_pod = truth.index[truth["mech_bot_comments"] & ~truth["mech_pod"]]  # pod comments dilute the share
    assert np.corrcoef(bot_share[no_pod], truth.loc[no_pod, "bot_comment_share"])[0, 1] > 0.8
    duplicated = comments.duplicated(["account_id", "text"]).groupby(comments["account_id"]).mean()
    assert duplicated[with_bots.index].mean() > duplicated[without.index].mean()
    delay = comments["created_at"] - comments["posted_at"]
    bot_like = _bot_like(comments["text"]) & comments["account_id"].isin(no_pod)
    assert delay[bot_like].median() < pd.Timedelta(hours=1) < delay[~bot_like].median()


def test_pod_members_comment_within_minutes_on_most_posts(world, truth):
    comments = _comments_with_posts(world)
    comments = comments[_after_start(comments, truth, "posted_at")]
    posts = world["posts"][_after_start(world["posts"], truth, "posted_at")]
    fast = comments[(comments["created_at"] - comments["posted_at"]) < pd.Timedelta(minutes=SETTINGS.mechanisms.pod_delay_minutes_max)]
    per_commenter = fast.groupby(["account_id", "commenter_id"])["post_id"].nunique()
    n_posts = posts.groupby("account_id").size()
    share = per_commenter / n_posts.reindex(per_commenter.index.get_level_values(0)).to_numpy()
    regulars = (share > 0.3).groupby(level=0).sum().reindex(truth.index, fill_value=0)
    pods = truth[truth["mech_pod"]]
    assert len(pods) >= 10
    assert (regulars[pods.index] / pods["pod_size"]).mean() > 0.4
    friends = truth.index[truth["lookalike"] == "close_friends"]
    assert (regulars[friends] > 0).mean() > 0.6
    plain = truth.index[~truth["mech_pod"] & (truth["lookalike"] != "close_friends")]
    # honest accounts have early regulars too (fans with notifications on), fewer than pods
    assert 0.1 < (regulars[plain] > 0).mean() < 0.6
    assert regulars[pods.index].mean() > 2 * regulars[plain].mean()


def test_conversions_rise_with_topic_fit_and_country_match(world):
    pairs = world["outcomes"].merge(world["truth_outcomes"], on=["campaign_id", "account_id"])
    high = pairs["fit"] > pairs["fit"].median()
    assert pairs.loc[high, "conversions"].mean() > 2 * pairs.loc[~high, "conversions"].mean()
    assert (pairs["conversions"] <= pairs["clicks"]).all() and (pairs["clicks"] <= pairs["impressions"]).all()
    target = pairs["campaign_id"].map(world["campaigns"].set_index("campaign_id")["target_country"])
    home = pairs["account_id"].map(world["accounts"].set_index("account_id")["country"])
    match = (target == home).to_numpy()
    # pairs of about the same fit: a home-market influencer is expected to convert more
    fit_band = pd.qcut(pairs["fit"], 4, labels=False)
    by_band = np.log(pairs["expected_conversions"]).groupby([fit_band, match]).median().unstack()
    assert (by_band[True] > by_band[False]).all(), by_band


def test_comment_texts_have_instagram_like_lengths(world):
    lengths = world["comments"]["text"].str.len()
    assert 15 <= lengths.median() <= 45
    assert world["comments"]["text"].notna().all()


def _calm(truth: pd.DataFrame) -> pd.Index:
    return truth[~truth["is_buyer"] & (truth["n_viral_jumps"] == 0) & (truth["lookalike"] == "none")].index


def test_purchases_are_followed_by_gradual_purges(world, truth):
    buyers = truth[truth["purchase_steps_in_window"].astype(bool) & truth["first_purchase_at"].notna()]
    # small, slow or shallow purges drown in organic growth: look at those losing > 0.2% of followers a week
    loss = buyers["bought_follower_share"] * (1 - buyers["purge_retained"]) * buyers["purge_rate_per_week"]
    visible = buyers.index[loss > 0.002]
    history = world["follower_history"].sort_values(["account_id", "date"])
    history = history.assign(change=history.groupby("account_id")["follower_count"].pct_change())
    first = history["account_id"].map(buyers.loc[visible, "first_purchase_at"])
    # the weeks after the step (the step itself excluded): the bought followers drain away week by week
    after = history[(history["date"] > first + pd.Timedelta(days=8))
                    & (history["date"] <= first + pd.Timedelta(days=70))]
    falling_after = after.groupby("account_id")["change"].apply(lambda c: (c < 0).mean())
    falling_calm = history[history["account_id"].isin(_calm(truth))].groupby("account_id")["change"].apply(
        lambda c: (c < 0).mean())
    assert len(falling_after) >= 10
    # at least half of those weeks lose followers (a one-week shift on 9 weeks moves this seed's median
    # between 0.50 and 0.56 with unrelated settings such as the size of organic viral jumps)
    assert falling_after.median() >= 0.5
    assert falling_after.median() > 2 * falling_calm.median()


def test_organic_viral_jumps_come_with_the_configured_like_boost(world, truth):
    low, high = SETTINGS.followers.viral_like_multiplier_range
    likes = world["posts"].groupby("account_id")["like_count"]
    peak = likes.max() / likes.median().clip(lower=1)
    viral = truth[(truth["n_viral_jumps"] > 0) & ~truth["is_buyer"] & (truth["lookalike"] == "none")].index
    assert len(viral) >= 20
    assert low <= peak.reindex(viral).median() <= high  # the viral post's likes over the account's usual
    assert peak.reindex(viral).median() > 2 * peak.reindex(_calm(truth)).median()


def test_expected_conversions_rise_with_reach_engagement_fit_and_home_market(world, truth):
    """Regress log mu on the story's terms with one intercept per campaign (its effect): each term pushes
    the way a marketer expects, size with diminishing returns, and piled-up sponsored posts convert less."""
    pairs = world["outcomes"].merge(world["truth_outcomes"], on=["campaign_id", "account_id"])
    traits = truth.reindex(pairs["account_id"])
    target = pairs["campaign_id"].map(world["campaigns"].set_index("campaign_id")["target_country"])
    terms = np.column_stack([
        np.log(np.maximum(traits["real_followers"].to_numpy(), 1.0)),
        np.log(traits["organic_engagement_rate"].to_numpy()),
        pairs["fit"].to_numpy(),
        (target.to_numpy() == traits["country"].to_numpy()).astype(float),
        -traits["sponsored_rate"].to_numpy(),
        pd.get_dummies(pairs["campaign_id"], dtype=float).to_numpy(),
    ])
    coef = np.linalg.lstsq(terms, np.log(pairs["expected_conversions"].to_numpy()), rcond=None)[0][:5]
    named = dict(zip(["size", "engagement", "fit", "country", "sponsored"], coef.round(3), strict=True))
    assert (coef > 0.1).all(), named  # every term matters, in the expected direction
    assert coef[0] < 1, named  # diminishing returns in size: conversions per follower fall with reach


def test_cost_grows_with_displayed_followers_but_less_than_in_proportion(world):
    accounts = world["accounts"].set_index("account_id")
    followers = accounts["follower_count"].reindex(world["outcomes"]["account_id"])
    slope = np.polyfit(np.log(followers.to_numpy()), np.log(world["outcomes"]["cost"].to_numpy()), 1)[0]
    assert 0.5 < slope < 1  # bigger accounts cost more, but less per follower (as rate cards do)
