"""Every parameter of the synthetic influencer world, mirrored one-to-one in configs/simulate.yaml."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

Range = tuple[float, float]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FollowerSettings(_Strict):
    """Observed follower counts at the end of the window: a lognormal mixture in log10 space."""

    tier_weights: list[float] = [0.18, 0.67, 0.15]
    tier_log10_means: list[float] = [2.65, 3.95, 5.25]
    tier_log10_sds: list[float] = [0.25, 0.45, 0.45]
    min_log10: float = 1.7
    max_log10: float = 6.8
    growth_mean: float = 0.25  # yearly growth of real followers, in log units
    growth_sd: float = 0.2
    weekly_noise_sd: float = 0.009  # random walk of log real followers between snapshots
    weekly_noise_spread: float = 0.6  # per-account sd is weekly_noise_sd * exp(N(0, spread))
    # above the reference size the sd falls as (followers / reference) ** -exponent (frost2023's large
    # accounts: weekly changes scatter less the larger the account); below it, weekly_noise_sd holds
    weekly_noise_reference: float = Field(50_000.0, gt=0)
    weekly_noise_size_exponent: float = Field(0.45, ge=0)
    viral_rate_per_year: float = 0.35
    viral_max_jumps: int = 2
    # log size of an organic jump: honest 100k-1M accounts then match frost2023's largest weekly jump
    viral_jump_log_range: Range = (0.01, 0.12)
    viral_like_multiplier_range: Range = (3.0, 10.0)


class HistorySettings(_Strict):
    snapshot_every_days: int = 7
    jitter_days: int = 2
    drop_prob: float = 0.15


class InfluencerProfileSettings(_Strict):
    """The influencers' own profile fields (their followers' profiles are under `profiles`)."""

    account_age_days_range: Range = (400.0, 3650.0)  # account created this long before start_date
    prior_posting_range: Range = (0.3, 1.2)  # posting rate before the window, relative to the window's
    profile_pic_prob: float = 0.98
    external_url_prob: float = 0.55
    verified_midpoint_log10: float = 5.5  # P(verified) is logistic in log10 followers, 1/2 at this size
    verified_slope: float = 3.0


class FollowingSettings(_Strict):
    log_median: float = 6.0  # exp(6) ~ 400 accounts followed
    log_sd: float = 0.8
    max_count: int = 7500
    heavy_share: float = 0.08  # honest accounts that follow thousands (follow-back habits, old accounts)
    heavy_range: Range = (1500.0, 7500.0)  # their level, log-uniform
    weekly_noise_sd: float = 0.03
    weekly_noise_spread: float = 0.7  # per-account sd is weekly_noise_sd * exp(N(0, spread))


class EngagementSettings(_Strict):
    """rate(f) = floor + amplitude / (1 + exp(decay * (log10 f - x0))), times per-account lognormal noise."""

    floor: float = 0.0166  # calibrated so tier means of observed rates match tier_targets
    amplitude: float = 0.165
    decay: float = 2.47
    x0: float = 2.77
    account_noise_sd: float = 0.35
    post_noise_sd: float = 0.4
    comment_ratio_median: float = 0.03  # comments per like of organic engagement
    comment_ratio_sd: float = 0.5
    sponsored_multiplier: float = 0.8
    tier_edges: list[float] = [1_000, 5_000, 20_000, 100_000, 1_000_000]
    tier_targets: list[float] = [0.1058, 0.0426, 0.0228, 0.0162, 0.0155, 0.0154]  # HypeAuditor 2018


class TopicSettings(_Strict):
    """Per-account topic mixture: Dirichlet(base_alpha + focus_alpha * one_hot(niche))."""

    scattered_share: float = 0.15
    focused_base_alpha: float = 0.08
    focused_focus_alpha: float = 4.0
    scattered_base_alpha: float = 0.6
    scattered_focus_alpha: float = 0.8


class PostSettings(_Strict):
    mean_per_influencer: float = 30.0
    dispersion: float = 5.0  # negative-binomial shape of the post count
    min_per_influencer: int = 3
    sponsored_beta: Range = (1.2, 9.0)
    caption_words: tuple[int, int] = (4, 14)
    hashtag_none_prob: float = 0.3
    hashtags: tuple[int, int] = (1, 30)  # skewed towards the low end
    peak_hour_utc: float = 18.0
    hour_sd: float = 3.5


class CommentSettings(_Strict):
    max_stored_per_post: int = 50
    on_topic_share: float = 0.55
    organic_emoji_only_share: float = 0.06  # real fans also answer with emojis only
    long_comment_share: float = 0.15  # two sentences instead of one
    mention_share: float = 0.08
    # organic comments arrive exp(N(2.2, 2.4)) hours after the post: with the fast fans, pods and bots on top,
    # the delay quartiles and the early share of kim2020's fully crawled posts (realism fraud checks)
    delay_log_hours_mean: float = 2.2
    delay_log_hours_sd: float = 2.4
    fast_share_beta: Range = (0.7, 7.0)  # per account, the share of organic comments made within minutes
    fast_delay_minutes: Range = (0.5, 25.0)  # delay of those fast organic comments, uniform
    early_fans_prob: float = 0.35  # accounts whose most loyal fans have notifications on
    early_fans_range: tuple[int, int] = (1, 5)  # how many, when they have them
    early_fans_attend_range: Range = (0.15, 0.7)  # the share of posts each of them comments on early
    # distinct fans per stored organic comment: kim2020 accounts keep few commenters across their latest posts
    fan_pool_per_comment: float = 3.0
    fan_pool_min: int = 50
    community_per_influencer: int = 300  # size of each niche's real-user universe per influencer


class MechanismSettings(_Strict):
    """How fake-engagement buyers cheat; each mechanism is switched on per buyer with its probability."""

    buyer_share: float = 0.3
    single_mechanism: bool = False  # every buyer uses exactly one mechanism (an evaluation-world variant)
    strength_scale: float = 1.0  # shrinks (<1) or grows (>1) every drawn cheating strength towards no effect
    fake_followers_prob: float = 0.6
    bought_share_range: Range = (0.08, 0.7)  # share of the end audience that was bought, log-uniform
    low_fake_share_beta: Range = (1.6, 14.0)  # everyone's organic fake share (inactive, spam accounts)
    organic_high_fake_prob: float = 0.1  # honest accounts with a heavy organic fake share
    organic_high_fake_range: Range = (0.1, 0.55)  # old accounts, giveaways, bots that follow everyone
    cleanup_prob: float = 0.2  # follower buyers who stopped and removed most bought followers
    cleanup_retained_range: Range = (0.1, 0.5)  # share of their bought followers left at the end
    stop_prob: float = 0.2  # buyers who stop buying likes, comments and pods inside the window
    stop_time_range: Range = (0.45, 0.95)  # when they stop (share of the window left after the start)
    step_in_window_prob: float = 0.65
    max_steps: int = 3
    step_fraction_range: Range = (0.5, 1.0)
    step_time_range: Range = (0.03, 0.85)  # when in-window purchases happen (window share)
    purge_rate_per_week_range: Range = (0.02, 0.2)
    purge_retained_range: Range = (0.55, 0.9)
    churn_prob: float = 0.3
    churn_level_multiplier_range: Range = (1.0, 12.0)  # following level x this (log-uniform), capped
    churn_strength_range: Range = (0.04, 0.45)
    like_inflation_prob: float = 0.5
    like_inflation_range: Range = (1.15, 3.5)  # log-uniform
    like_inflation_post_jitter: Range = (0.85, 1.15)  # per-post factor on the buyer's inflation
    bot_comments_prob: float = 0.4
    bot_share_range: Range = (0.06, 0.5)  # log-uniform
    bot_type_alpha: list[float] = [1.0, 0.7, 0.7, 0.8]  # generic, emoji-only, duplicated, promotion
    baseline_bot_share_max: float = 0.04
    bot_delay_minutes: float = 4.0
    bot_burst_minutes: float = 20.0  # mean wait before a post's bot burst starts (exponential)
    bot_farms: int = 12
    bot_farm_size: int = 4000
    pod_prob: float = 0.25
    pod_size_range: tuple[int, int] = (2, 15)
    pod_attend_range: Range = (0.35, 0.95)
    pod_delay_minutes_max: float = 20.0
    engagement_start_range: Range = (0.0, 0.6)  # when bought likes, bot comments and pods begin (window share)
    pods_per_niche: int = 6
    lookalike_prob: float = 0.2
    lookalike_step_range: Range = (0.05, 0.2)  # giveaway follower jump without extra likes
    lookalike_giveaway_time_range: Range = (0.1, 0.9)  # when the giveaway happens (window share)
    lookalike_churn_strength_range: Range = (0.08, 0.3)
    lookalike_like_factor_range: Range = (1.2, 2.0)
    lookalike_bot_share_range: Range = (0.05, 0.2)
    lookalike_friends_range: tuple[int, int] = (3, 8)  # close friends who comment within minutes


class ProfileSettings(_Strict):
    """Profiles of sampled followers; the fake ones look fake with overlap."""

    real_pic_prob: float = 0.93
    fake_pic_prob: float = 0.35
    real_bio_prob: float = 0.6
    fake_bio_prob: float = 0.15
    real_private_prob: float = 0.35
    fake_private_prob: float = 0.2
    real_url_prob: float = 0.1
    fake_url_prob: float = 0.12
    real_digits_prob: float = 0.25
    fake_digits_prob: float = 0.75
    real_full_name_prob: float = 0.9
    fake_full_name_prob: float = 0.5
    real_media_log: Range = (4.5, 1.2)  # lognormal (mean, sd) of the post count
    fake_media_log: Range = (1.0, 1.2)
    real_followers_log: Range = (5.8, 1.3)
    fake_followers_log: Range = (3.2, 1.4)
    # srf2017's real followers follow a median 604 (p10 113, p90 4,227), its fakes 2,096 (p25 644)
    real_following_log: Range = (6.4, 1.35)
    fake_following_log: Range = (7.6, 1.3)
    max_following: int = 7500
    real_fake_looking_share: float = 0.08  # real users with bot-like profiles (inactive, no picture)
    fake_real_looking_share: float = 0.2  # bots with real-looking profiles


class AudienceSettings(_Strict):
    sample_range: tuple[int, int] = (50, 200)
    fake_share_noise: float = 0.05  # a sample is not random (recent followers first): noise on the share


class CampaignSettings(_Strict):
    n_campaigns: int = 40
    influencers_range: tuple[int, int] = (10, 40)
    in_niche_share: float = 0.6
    duration_days: tuple[int, int] = (14, 60)
    topic_base_alpha: float = 0.1
    topic_focus_alpha: float = 5.0
    target_home_share: float = 0.7  # brands mostly target one market


class OutcomeSettings(_Strict):
    """log E[conversions] = log(base) + size_exponent*log(real followers) + fit + country + ... terms."""

    base_rate: float = 0.02
    size_exponent: float = 0.6
    engagement_coef: float = 0.6
    engagement_reference: float = 0.03
    fit_coef: float = 3.0
    country_match_coef: float = 0.5
    sponsored_coef: float = 2.0
    campaign_effect_sd: float = 0.3
    dispersion: float = 3.0  # negative-binomial shape
    reach_rate_range: Range = (0.15, 0.45)
    fake_reach_rate: float = 0.02
    conversion_per_click_range: Range = (0.02, 0.08)
    cost_per_10k: float = 120.0
    cost_exponent: float = 0.85
    cost_noise_sd: float = 0.3


class RandomisationSettings(_Strict):
    """Domain randomisation: each block of the world redraws its buyer share, mechanism probabilities,
    cheating strength and look-alike share from these ranges, so one world holds weak, strong and mixed
    populations. Disabled, every block uses `mechanisms` as written."""

    enabled: bool = True
    buyer_share_range: Range = (0.15, 0.45)
    mechanism_prob_range: Range = (0.15, 0.75)  # each of the five, drawn independently
    strength_scale_range: Range = (0.7, 1.3)  # mechanisms.strength_scale
    lookalike_prob_range: Range = (0.1, 0.3)


class SimulationSettings(_Strict):
    start_date: date = date(2025, 1, 1)
    end_date: date = date(2025, 12, 31)
    block_size: int = Field(default=250, ge=1)  # influencers per generation block; output ignores chunking
    platform: str = "instagram"
    niches: list[str] = [
        "fitness", "beauty", "fashion", "food", "travel",
        "gaming", "pets", "family", "interior", "personal_development",
    ]
    niche_weights: list[float] = [0.12, 0.11, 0.17, 0.11, 0.12, 0.07, 0.06, 0.1, 0.06, 0.08]
    countries: list[str] = ["CH", "DE", "FR", "IT", "GB", "US", "ES", "NL"]
    country_weights: list[float] = [0.1, 0.18, 0.13, 0.1, 0.14, 0.2, 0.08, 0.07]
    followers: FollowerSettings = FollowerSettings()
    influencer_profile: InfluencerProfileSettings = InfluencerProfileSettings()
    history: HistorySettings = HistorySettings()
    following: FollowingSettings = FollowingSettings()
    engagement: EngagementSettings = EngagementSettings()
    topics: TopicSettings = TopicSettings()
    posts: PostSettings = PostSettings()
    comments: CommentSettings = CommentSettings()
    mechanisms: MechanismSettings = MechanismSettings()
    profiles: ProfileSettings = ProfileSettings()
    audience: AudienceSettings = AudienceSettings()
    campaigns: CampaignSettings = CampaignSettings()
    outcomes: OutcomeSettings = OutcomeSettings()
    randomisation: RandomisationSettings = RandomisationSettings()

    @model_validator(mode="after")
    def _consistent(self) -> SimulationSettings:
        if self.end_date <= self.start_date:
            raise ValueError("end_date must come after start_date")
        if len(self.niche_weights) != len(self.niches):
            raise ValueError("niche_weights needs one weight per niche")
        if len(self.country_weights) != len(self.countries):
            raise ValueError("country_weights needs one weight per country")
        f = self.followers
        if not len(f.tier_weights) == len(f.tier_log10_means) == len(f.tier_log10_sds):
            raise ValueError("followers.tier_* lists must have the same length")
        return self
