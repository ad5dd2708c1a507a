"""The authfit data contract: every table, its columns, types, keys and units.

This module is declarative. `validate.py` enforces it, `io.py` reads tables by
these names, and `data/README.md` documents the same facts for people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Kind(str, Enum):
    """How a column is parsed. Every kind can hold a null (NaN/NaT/None)."""

    STRING = "string"
    INT = "int"  # stored as float64 after parsing so that nulls survive; LightGBM takes NaN
    FLOAT = "float"
    BOOL = "bool"  # stored as float64 0/1 with NaN for unknown
    TIMESTAMP = "timestamp"  # UTC, datetime64[ns, UTC]
    DATE = "date"  # UTC midnight, datetime64[ns, UTC]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    unit: str = ""
    description: str = ""
    min_value: float | None = None
    max_value: float | None = None
    not_future: bool = False


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")


# Upper bounds shared by validation, batch and HTTP scoring: above them a value is a typo or an overflow, and
# it could not be cast to a 64-bit integer downstream. The largest accounts have about 7e8 followers.
MAX_COUNT = 10**12
MAX_COST = 10**12
DEFAULT_CURRENCY = "USD"  # of costs when the campaigns table has no `currency`


def _count(name: str, description: str, required: bool = False) -> Column:
    return Column(name, Kind.INT, required=required, unit="count", description=description, min_value=0,
                  max_value=MAX_COUNT)


def _flag(name: str, description: str) -> Column:
    return Column(name, Kind.BOOL, description=description)


# Profile columns shared by `accounts` (influencers) and `audience` (their followers).
PROFILE_COLUMNS: tuple[Column, ...] = (
    Column("username", Kind.STRING, description="handle without the @"),
    Column("full_name", Kind.STRING, description="display name"),
    Column("platform", Kind.STRING, description="instagram, tiktok, youtube, twitter, ..."),
    _count("follower_count", "followers at observed_at"),
    _count("following_count", "accounts this account follows at observed_at"),
    _count("media_count", "posts published at observed_at"),
    Column("biography", Kind.STRING, description="profile bio text"),
    _flag("has_profile_pic", "1 if the account has a non-default profile picture"),
    _flag("is_private", "1 if the account is private"),
    _flag("is_verified", "1 if the platform verified the account"),
    _flag("has_external_url", "1 if the profile links to an external site"),
    Column("observed_at", Kind.TIMESTAMP, unit="UTC", description="when the profile was observed", not_future=True),
)

# Descriptive columns of any account, influencer or follower. They are not model inputs of the account
# model (the labelled sets rarely have them), so they stay out of PROFILE_COLUMNS, but the audience sample
# carries them like `accounts` does, so an exported follower list keeps its niche, country and age.
ACCOUNT_CONTEXT_COLUMNS: tuple[Column, ...] = (
    Column("category", Kind.STRING, description="content niche, e.g. fitness, beauty, food"),
    Column("country", Kind.STRING, description="home country, ISO 3166-1 alpha-2"),
    Column("created_at", Kind.TIMESTAMP, unit="UTC", description="account creation time, if known",
           not_future=True),
)

_ACCOUNT_ID = Column("account_id", Kind.STRING, required=True, description="stable account identifier")

ACCOUNTS = Table(
    name="accounts",
    description="Influencer profiles, one row per account.",
    columns=(
        _ACCOUNT_ID,
        *(_count("follower_count", "followers at observed_at", required=True) if c.name == "follower_count" else c
          for c in PROFILE_COLUMNS),
        *ACCOUNT_CONTEXT_COLUMNS,
    ),
    key=("account_id",),
)

FOLLOWER_HISTORY = Table(
    name="follower_history",
    description="Snapshots of follower and following counts; snapshots may be irregular.",
    columns=(
        _ACCOUNT_ID,
        Column("date", Kind.DATE, required=True, unit="UTC date", description="snapshot date", not_future=True),
        _count("follower_count", "followers on that date", required=True),
        _count("following_count", "accounts followed on that date"),
    ),
    key=("account_id", "date"),
    foreign_keys=(ForeignKey(("account_id",), "accounts", ("account_id",)),),
)

POSTS = Table(
    name="posts",
    description="Posts published by the influencers.",
    columns=(
        Column("post_id", Kind.STRING, required=True, description="stable post identifier"),
        _ACCOUNT_ID,
        Column("posted_at", Kind.TIMESTAMP, required=True, unit="UTC", description="publication time",
               not_future=True),
        Column("caption", Kind.STRING, description="caption text including hashtags"),
        _count("like_count", "likes at observation"),
        _count("comment_count", "comments at observation (may exceed the comments table)"),
        _flag("is_sponsored", "1 if marked as paid partnership / sponsored"),
    ),
    key=("post_id",),
    foreign_keys=(ForeignKey(("account_id",), "accounts", ("account_id",)),),
)

COMMENTS = Table(
    name="comments",
    description="Comments on the posts.",
    columns=(
        Column("comment_id", Kind.STRING, required=True, description="stable comment identifier"),
        Column("post_id", Kind.STRING, required=True, description="the post commented on"),
        Column("commenter_id", Kind.STRING, description="account that wrote the comment"),
        Column("created_at", Kind.TIMESTAMP, unit="UTC", description="comment time", not_future=True),
        Column("text", Kind.STRING, description="comment text"),
    ),
    key=("comment_id",),
    foreign_keys=(ForeignKey(("post_id",), "posts", ("post_id",)),),
)

AUDIENCE = Table(
    name="audience",
    description="A sample of each influencer's followers with their profiles, to estimate the fake share.",
    columns=(
        Column("influencer_id", Kind.STRING, required=True, description="the influencer followed"),
        Column("follower_id", Kind.STRING, required=True, description="the sampled follower"),
        *PROFILE_COLUMNS,
        *ACCOUNT_CONTEXT_COLUMNS,
    ),
    key=("influencer_id", "follower_id"),
    foreign_keys=(ForeignKey(("influencer_id",), "accounts", ("account_id",)),),
)

CAMPAIGNS = Table(
    name="campaigns",
    description="Brand campaigns.",
    columns=(
        Column("campaign_id", Kind.STRING, required=True, description="stable campaign identifier"),
        Column("brand", Kind.STRING, required=True, description="brand name"),
        Column("category", Kind.STRING, description="product category, same vocabulary as accounts.category"),
        Column("brief", Kind.STRING, required=True, description="free-text campaign brief"),
        Column("target_country", Kind.STRING, description="target market, ISO 3166-1 alpha-2"),
        Column("start_date", Kind.DATE, unit="UTC date", description="first day of the campaign"),
        Column("end_date", Kind.DATE, unit="UTC date", description="last day of the campaign"),
        Column("currency", Kind.STRING, unit="ISO 4217",
               description=f"currency of the campaign's costs (outcomes, offers, estimates); {DEFAULT_CURRENCY} "
                           "when absent"),
    ),
    key=("campaign_id",),
)

OUTCOMES = Table(
    name="outcomes",
    description="Campaign results per influencer, e.g. promo-code redemptions.",
    columns=(
        Column("campaign_id", Kind.STRING, required=True, description="the campaign"),
        _ACCOUNT_ID,
        Column("cost", Kind.FLOAT, unit="campaign currency", description="fee paid to the influencer", min_value=0,
               max_value=MAX_COST),
        _count("impressions", "views of the sponsored content"),
        _count("clicks", "clicks on the campaign link"),
        _count("conversions", "attributed conversions", required=True),
    ),
    key=("campaign_id", "account_id"),
    foreign_keys=(
        ForeignKey(("campaign_id",), "campaigns", ("campaign_id",)),
        ForeignKey(("account_id",), "accounts", ("account_id",)),
    ),
)

LABELS = Table(
    name="labels",
    description="Influencer-level labels for the fake-engagement model.",
    columns=(
        _ACCOUNT_ID,
        Column("fake_engagement", Kind.INT, required=True, description="1 if engagement is inflated, else 0",
               min_value=0, max_value=1),
        Column("source", Kind.STRING, description="where the label came from (simulation, manual audit, ...)"),
    ),
    key=("account_id",),
    foreign_keys=(ForeignKey(("account_id",), "accounts", ("account_id",)),),
)

OFFERS = Table(
    name="offers",
    description="Optional scoring input: the fee each candidate asks for a campaign, for cost per conversion.",
    columns=(
        Column("campaign_id", Kind.STRING, required=True, description="the campaign"),
        _ACCOUNT_ID,
        Column("cost", Kind.FLOAT, required=True, unit="campaign currency", description="fee offered",
               min_value=0, max_value=MAX_COST),
    ),
    key=("campaign_id", "account_id"),
    foreign_keys=(
        ForeignKey(("campaign_id",), "campaigns", ("campaign_id",)),
        ForeignKey(("account_id",), "accounts", ("account_id",)),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (ACCOUNTS, FOLLOWER_HISTORY, POSTS, COMMENTS, AUDIENCE, CAMPAIGNS, OUTCOMES, LABELS, OFFERS)
}

# Parents before children, so that a rejected parent row can orphan its children.
VALIDATION_ORDER: tuple[str, ...] = (
    "accounts", "campaigns", "follower_history", "posts", "comments", "audience", "outcomes", "labels", "offers",
)
