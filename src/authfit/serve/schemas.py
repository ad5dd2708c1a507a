"""Request and response models of the HTTP service, and their conversion to contract tables."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from authfit.schema import MAX_COST, MAX_COUNT, TABLES
from authfit.validate import MIN_TIMESTAMP
from authfit.scoring.scorer import CAMPAIGN_OUTPUT_COLUMNS, INFLUENCER_OUTPUT_COLUMNS, OUTPUT_FIELDS, REJECT_COLUMNS

Id = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=20_000)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]  # the contract's bounds, as validate and batch scoring


def _doc(table: str, column: str) -> str:
    """A column's meaning (and unit) as the data contract states it."""
    spec = TABLES[table].column(column)
    return f"{spec.description} ({spec.unit})" if spec.unit else spec.description


def _col(table: str, column: str, default: Any = None, **limits: Any) -> Any:
    """A request field described by the contract column it feeds."""
    return Field(default, description=_doc(table, column), **limits)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServiceSettings(BaseModel):
    """configs/serve.yaml."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    model: str = "models/latest"
    api_key_env: str = "AUTHFIT_API_KEY"
    max_body_bytes: int = Field(2_000_000, ge=1_000)
    max_influencers: int = Field(100, ge=1)
    max_rows: int = Field(50_000, ge=1)
    # /v1/accounts/score requests up to this many rows are scored together with concurrent ones (one
    # feature-building call per batch); bigger ones are scored alone. 0 turns batching off.
    account_batch_rows: int = Field(2_000, ge=0)
    # processes serving requests, each with its own copy of the model; more than one uses more cores
    workers: int = Field(1, ge=1)


class Profile(_Strict):
    """An account's profile, as the contract's profile columns."""

    username: Text | None = _col("audience", "username")
    full_name: Text | None = _col("audience", "full_name")
    platform: Id | None = _col("audience", "platform")
    follower_count: Count | None = _col("audience", "follower_count")
    following_count: Count | None = _col("audience", "following_count")
    media_count: Count | None = _col("audience", "media_count")
    biography: Text | None = _col("audience", "biography")
    has_profile_pic: bool | None = _col("audience", "has_profile_pic")
    is_private: bool | None = _col("audience", "is_private")
    is_verified: bool | None = _col("audience", "is_verified")
    has_external_url: bool | None = _col("audience", "has_external_url")
    observed_at: datetime | None = _col("audience", "observed_at")


class AccountContext(Profile):
    """The contract's descriptive columns, carried by influencers and sampled followers alike."""

    category: Id | None = _col("accounts", "category")
    country: Id | None = _col("accounts", "country")
    created_at: datetime | None = _col("accounts", "created_at")


class Account(AccountContext):
    """The influencer's profile (a row of `accounts`)."""

    account_id: Id = _col("accounts", "account_id", ...)
    follower_count: Count = _col("accounts", "follower_count", ...)


class Follower(AccountContext):
    """One account to score, or one sampled follower (a row of `audience`)."""

    follower_id: Id = _col("audience", "follower_id", ...)


class HistoryPoint(_Strict):
    """A follower-count snapshot (a row of `follower_history`)."""

    date: datetime = _col("follower_history", "date", ...)
    follower_count: Count = _col("follower_history", "follower_count", ...)
    following_count: Count | None = _col("follower_history", "following_count")


class Comment(_Strict):
    """A comment on the post (a row of `comments`)."""

    comment_id: Id = _col("comments", "comment_id", ...)
    commenter_id: Id | None = _col("comments", "commenter_id")
    created_at: datetime | None = _col("comments", "created_at")
    text: Text | None = _col("comments", "text")


class Post(_Strict):
    """A post of the influencer (a row of `posts`) with its comments."""

    post_id: Id = _col("posts", "post_id", ...)
    posted_at: datetime = _col("posts", "posted_at", ...)
    caption: Text | None = _col("posts", "caption")
    like_count: Count | None = _col("posts", "like_count")
    comment_count: Count | None = _col("posts", "comment_count")
    is_sponsored: bool | None = _col("posts", "is_sponsored")
    comments: list[Comment] = Field(default_factory=list, max_length=5_000, description="comments on the post")


class Influencer(_Strict):
    """One influencer with everything known about it."""

    account: Account = Field(description="the influencer's profile")
    follower_history: list[HistoryPoint] = Field(default_factory=list, max_length=5_000,
                                                 description="follower-count snapshots, in any order")
    posts: list[Post] = Field(default_factory=list, max_length=1_000, description="recent posts with comments")
    audience: list[Follower] = Field(default_factory=list, max_length=2_000,
                                     description="a sample of the influencer's followers with their profiles")
    cost: float | None = Field(None, ge=0, le=MAX_COST,
                               description="fee offered for the campaign, in its currency; without it the fee is "
                                           "estimated from past outcomes")


class Campaign(_Strict):
    """The campaign to predict conversions for (a row of `campaigns`)."""

    campaign_id: Id = _col("campaigns", "campaign_id", ...)
    brand: Text = _col("campaigns", "brand", ...)
    brief: Text = _col("campaigns", "brief", ...)
    category: Id | None = _col("campaigns", "category")
    target_country: Id | None = _col("campaigns", "target_country")
    start_date: datetime | None = _col("campaigns", "start_date")
    end_date: datetime | None = _col("campaigns", "end_date")
    currency: Id | None = _col("campaigns", "currency")


_LAST_TIMESTAMP = datetime(2262, 1, 1, tzinfo=UTC)
_INFLUENCER_EXAMPLE = {
    "as_of": "2025-06-01T00:00:00Z",
    "influencers": [{
        "account": {"account_id": "acc_001", "follower_count": 48200, "following_count": 610, "category": "fitness"},
        "follower_history": [{"date": "2025-05-01", "follower_count": 47100},
                             {"date": "2025-05-31", "follower_count": 48200}],
        "posts": [{"post_id": "p1", "posted_at": "2025-05-20T18:00:00Z", "caption": "Leg day #fitness",
                   "like_count": 1900, "comment_count": 41,
                   "comments": [{"comment_id": "c1", "commenter_id": "u9", "text": "which shoes are these?"}]}],
        "cost": 900.0,
    }],
    "campaign": {"campaign_id": "cmp_0001", "brand": "Stride", "brief": "running shoes for beginners",
                 "category": "fitness", "currency": "EUR"},
}


class InfluencersRequest(_Strict):
    """Influencers to score, optionally for one campaign."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_INFLUENCER_EXAMPLE]})

    influencers: list[Influencer] = Field(min_length=1, description="the influencers, each scored on its own")
    campaign: Campaign | None = Field(None, description="predict conversions for this campaign too")
    as_of: datetime | None = Field(
        None, description="score every influencer as of this time (ISO 8601; UTC without a zone; from 2000 "
                          "to 2261): data after it is ignored. Default: the time of the call. An "
                          "influencer's scores never depend on the other influencers in the request.")

    @field_validator("as_of")
    @classmethod
    def _as_of_in_range(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        value = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        if not MIN_TIMESTAMP <= value < _LAST_TIMESTAMP:  # the range the validator and pandas take
            raise ValueError(f"as_of must lie between {MIN_TIMESTAMP:%Y-%m-%d} and {_LAST_TIMESTAMP:%Y-%m-%d}")
        return value


class AccountsRequest(_Strict):
    """Account rows (followers, commenters) to score for authenticity."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"accounts": [
        {"follower_id": "f1", "follower_count": 12, "following_count": 4800, "media_count": 0,
         "has_profile_pic": False, "username": "deals4u_99812"}]}]})

    accounts: list[Follower] = Field(min_length=1, description="the accounts, with any of the profile columns")


def _output_model(name: str, doc: str, columns: list[str]) -> type[BaseModel]:
    """A response model with one field per scorer output column, typed and described by OUTPUT_FIELDS."""
    fields: dict[str, Any] = {}
    for column in columns:
        kind, meaning = OUTPUT_FIELDS[column]
        fields[column] = (kind, Field(None if _optional(kind) else ..., description=meaning))
    return create_model(name, __doc__=doc, **fields)


def _optional(kind: object) -> bool:
    return type(None) in getattr(kind, "__args__", ())


InfluencerScore = _output_model("InfluencerScore", "One influencer's scores.", INFLUENCER_OUTPUT_COLUMNS)
CampaignScore = _output_model("CampaignScore", "One influencer's predictions for the campaign.",
                              CAMPAIGN_OUTPUT_COLUMNS)
Reject = _output_model("Reject", "A request row that was not scored, with the reason.", REJECT_COLUMNS)


class InfluencersResponse(BaseModel):
    """Scores of the valid influencers, campaign predictions, and the rejected rows."""

    model_version: str = Field(description="version of the model set that scored the request")
    influencers: list[InfluencerScore] = Field(description="one row per valid influencer")  # type: ignore[valid-type]
    campaign: list[CampaignScore] | None = Field(  # type: ignore[valid-type]
        None, description="one row per valid influencer, ranked, when a campaign was given")
    rejects: list[Reject] = Field(default_factory=list,  # type: ignore[valid-type]
                                  description="rows that were not scored, with their reasons")


class AccountScore(AccountContext):
    """The account row as sent, with its authenticity verdict."""

    model_config = ConfigDict(extra="ignore")

    follower_id: Id = _col("audience", "follower_id", ...)
    fake_probability: float = Field(description="calibrated probability that the account is fake, 0-1")
    is_fake: bool = Field(description="fake_probability at or above the account model's decision threshold")
    reasons: list[str] = Field(description="the top reasons behind the probability, in words")
    model_version: str | None = Field(None, description="version of the account model")


class AccountsResponse(BaseModel):
    """The scored accounts, in the order sent."""

    model_version: str = Field(description="version of the model set")
    accounts: list[AccountScore] = Field(description="one row per account sent")


class HealthResponse(BaseModel):
    """Liveness and the model being served."""

    status: str = Field(description="'ok' when the service answers")
    model_version: str = Field(description="version of the model set being served")


class ModelInfo(BaseModel):
    """The model set being served."""

    model_config = ConfigDict(extra="allow")

    model_version: str = Field(description="version of the model set")
    feature_set: str | None = Field(None, description="version of the influencer feature set")
    models: dict[str, Any] = Field(description="per model: version, decision threshold, out-of-fold metrics, "
                                               "number of features")


class ErrorResponse(BaseModel):
    """Why a request was refused."""

    detail: str = Field(description="what is wrong with the request, and where")


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)


def influencer_tables(body: InfluencersRequest) -> dict[str, pd.DataFrame]:
    """The request as contract tables (raw form; the scorer validates them like any other input)."""
    accounts, history, posts, comments, audience = [], [], [], [], []
    for item in body.influencers:
        account_id = item.account.account_id
        accounts.append(item.account.model_dump())
        history += [{"account_id": account_id, **h.model_dump()} for h in item.follower_history]
        audience += [{"influencer_id": account_id, **f.model_dump()} for f in item.audience]
        for post in item.posts:
            posts.append({"account_id": account_id, **post.model_dump(exclude={"comments"})})
            comments += [{"post_id": post.post_id, **c.model_dump()} for c in post.comments]
    tables = {
        "accounts": pd.DataFrame(accounts),
        "follower_history": _frame(history, ["account_id", "date", "follower_count", "following_count"]),
        "posts": _frame(posts, ["account_id", "post_id", "posted_at", "caption", "like_count", "comment_count",
                                "is_sponsored"]),
        "comments": _frame(comments, ["post_id", "comment_id", "commenter_id", "created_at", "text"]),
        "audience": _frame(audience, ["influencer_id", "follower_id"]),
    }
    if body.campaign is not None:
        tables["campaigns"] = pd.DataFrame([body.campaign.model_dump()])
        costs = [{"campaign_id": body.campaign.campaign_id, "account_id": i.account.account_id, "cost": i.cost}
                 for i in body.influencers]
        tables["offers"] = pd.DataFrame(costs)
    return tables


def accounts_frame(body: AccountsRequest) -> pd.DataFrame:
    return pd.DataFrame([a.model_dump() for a in body.accounts])


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """JSON-safe records: NaN and infinities become null, numpy scalars become Python ones.

    Column by column (`tolist` gives Python scalars), blanking only the bad cells: the frame-wide
    astype(object)/where/replace it replaces cost 3x as much, ~5 ms for a three-row response."""
    if frame is None or frame.empty:
        return []
    columns = [_json_safe(frame[name]) for name in frame.columns]
    names = list(frame.columns)
    return [dict(zip(names, row)) for row in zip(*columns)]


def _json_safe(column: pd.Series) -> list[Any]:
    values = column.tolist()
    if column.dtype.kind == "f":
        bad = ~np.isfinite(column.to_numpy(dtype="float64", na_value=np.nan))
    else:
        bad = column.isna().to_numpy(dtype=bool)
        if column.dtype == object:  # infinities hiding among other objects
            bad = bad | np.fromiter((isinstance(v, float) and math.isinf(v) for v in values), bool, len(values))
    for i in np.flatnonzero(bad):
        values[i] = None
    return values
