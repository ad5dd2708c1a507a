"""Request and response models of the HTTP service, and their conversion to contract tables."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from collections.abc import Iterable
from operator import attrgetter
from typing import Annotated, Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from authfit.contract.schema import ACCOUNT_CONTEXT_COLUMNS, PROFILE_COLUMNS, TABLES, Column, Kind
from authfit.contract.validate import MIN_TIMESTAMP
from authfit.scoring.scorer import CAMPAIGN_OUTPUT_COLUMNS, INFLUENCER_OUTPUT_COLUMNS, OUTPUT_FIELDS, REJECT_COLUMNS

Id = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=20_000)]
# Free-text columns take long strings; every other string column is an identifier or a short code.
FREE_TEXT = frozenset({"username", "full_name", "biography", "caption", "text", "brand", "brief"})
_KINDS: dict[Kind, type] = {Kind.INT: int, Kind.FLOAT: float, Kind.BOOL: bool, Kind.TIMESTAMP: datetime,
                            Kind.DATE: datetime}


def _doc(column: Column) -> str:
    """A column's meaning (and unit) as the data contract states it."""
    return f"{column.description} ({column.unit})" if column.unit else column.description


def _type(column: Column) -> Any:
    """The request type of a contract column, with the contract's bounds (as validate and batch scoring)."""
    if column.kind is Kind.STRING:
        return Text if column.name in FREE_TEXT else Id
    limits = {k: v for k, v in (("ge", column.min_value), ("le", column.max_value)) if v is not None}
    return Annotated[_KINDS[column.kind], Field(**limits)] if limits else _KINDS[column.kind]


def contract_fields(columns: Iterable[Column]) -> dict[str, Any]:
    """Request fields for contract columns: required where the contract requires them, else optional."""
    fields: dict[str, Any] = {}
    for column in columns:
        kind = _type(column)
        fields[column.name] = ((kind, Field(..., description=_doc(column))) if column.required
                               else (kind | None, Field(None, description=_doc(column))))
    return fields


def table_columns(table: str, without: Iterable[str] = ()) -> tuple[Column, ...]:
    """A contract table's columns, less those a request gets from its nesting (e.g. a comment's post_id)."""
    dropped = set(without)
    return tuple(c for c in TABLES[table].columns if c.name not in dropped)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _request_model(name: str, doc: str, columns: Iterable[Column], base: type[BaseModel] = _Strict,
                   **extra: Any) -> Any:
    return create_model(name, __base__=base, __doc__=doc, **contract_fields(columns), **extra)


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


Profile = _request_model("Profile", "An account's profile, as the contract's profile columns.", PROFILE_COLUMNS)
AccountContext = _request_model(
    "AccountContext", "The contract's descriptive columns, carried by influencers and sampled followers alike.",
    ACCOUNT_CONTEXT_COLUMNS, base=Profile)
Account = _request_model("Account", "The influencer's profile (a row of `accounts`).", table_columns("accounts"))
Follower = _request_model("Follower", "One account to score, or one sampled follower (a row of `audience`).",
                          table_columns("audience", ["influencer_id"]))
HistoryPoint = _request_model("HistoryPoint", "A follower-count snapshot (a row of `follower_history`).",
                              table_columns("follower_history", ["account_id"]))
Comment = _request_model("Comment", "A comment on the post (a row of `comments`).",
                         table_columns("comments", ["post_id"]))
Post = _request_model(
    "Post", "A post of the influencer (a row of `posts`) with its comments.", table_columns("posts", ["account_id"]),
    comments=(list[Comment], Field(default_factory=list, max_length=5_000,  # type: ignore[valid-type]
                                   description="comments on the post")))
Campaign = _request_model("Campaign", "The campaign to predict conversions for (a row of `campaigns`).",
                          table_columns("campaigns"))
_OFFER_COST = TABLES["offers"].column("cost")


class Influencer(_Strict):
    """One influencer with everything known about it."""

    account: Account = Field(description="the influencer's profile")  # type: ignore[valid-type]
    follower_history: list[HistoryPoint] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=5_000, description="follower-count snapshots, in any order")
    posts: list[Post] = Field(default_factory=list, max_length=1_000,  # type: ignore[valid-type]
                              description="recent posts with comments")
    audience: list[Follower] = Field(default_factory=list, max_length=2_000,  # type: ignore[valid-type]
                                     description="a sample of the influencer's followers with their profiles")
    cost: _type(_OFFER_COST) | None = Field(  # type: ignore[valid-type]
        None, description=f"{_doc(_OFFER_COST)} for the campaign (a row of `offers`); without it the fee is "
                          f"estimated from past outcomes")


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
    campaign: Campaign | None = Field(  # type: ignore[valid-type]
        None, description="predict conversions for this campaign too")
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

    accounts: list[Follower] = Field(min_length=1,  # type: ignore[valid-type]
                                     description="the accounts, with any of the profile columns")


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


class AccountScore(AccountContext):  # type: ignore[valid-type,misc]
    """The account row as sent, with its authenticity verdict."""

    model_config = ConfigDict(extra="ignore")

    follower_id: Id = Field(description=_doc(TABLES["audience"].column("follower_id")))
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


_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str"


def _typed_column(values: list[Any], kind: Kind) -> Any:
    """One request column as the contract type the validator parses it into (text, float64, or UTC
    timestamps: naive ones are UTC, as the validator takes them), so no type is inferred per value. A column
    no row gives stays an object column of nulls, as a table of dicts gives it (the validator's cue for an
    unset optional field). Integers too large for a float stay Python objects, for the validator to judge."""
    if values.count(None) == len(values):
        return np.full(len(values), None, dtype=object)
    if kind is Kind.STRING:
        return pd.arrays.ArrowStringArray(pa.array(values, type=pa.large_string()), dtype=_TEXT)
    if kind in (Kind.TIMESTAMP, Kind.DATE):
        stamps = pa.array(values, type=pa.timestamp("us", tz="UTC")).to_numpy(zero_copy_only=False)
        return pd.array(stamps.astype("datetime64[us]")).tz_localize("UTC")
    try:
        return np.array(values, dtype=np.float64)  # None -> NaN; booleans -> 1.0 / 0.0
    except OverflowError:
        return np.array(values, dtype=object)


def _table(name: str, rows: list[BaseModel], fields: Iterable[str], given: dict[str, list[Any]] | None = None
           ) -> pd.DataFrame:
    """Contract table `name` from request rows, column by column: the `fields` read off the rows, and the
    columns in `given` (keys from the rows' nesting) as they are."""
    given = given or {}
    wanted = set(fields) | set(given)
    return pd.DataFrame({
        column.name: _typed_column(given[column.name] if column.name in given
                                   else list(map(attrgetter(column.name), rows)), column.kind)
        for column in TABLES[name].columns if column.name in wanted}, copy=False)


def influencer_tables(body: InfluencersRequest) -> dict[str, pd.DataFrame]:
    """The request as contract tables (raw form; the scorer validates them like any other input)."""
    influencers = body.influencers
    ids = [i.account.account_id for i in influencers]
    posts = [p for i in influencers for p in i.posts]
    tables = {
        "accounts": _table("accounts", [i.account for i in influencers], Account.model_fields),
        "follower_history": _table(
            "follower_history", [h for i in influencers for h in i.follower_history], HistoryPoint.model_fields,
            {"account_id": [a for a, i in zip(ids, influencers) for _ in i.follower_history]}),
        "posts": _table("posts", posts, set(Post.model_fields) - {"comments"},
                        {"account_id": [a for a, i in zip(ids, influencers) for _ in i.posts]}),
        "comments": _table("comments", [c for p in posts for c in p.comments], Comment.model_fields,
                           {"post_id": [p.post_id for p in posts for _ in p.comments]}),
        "audience": _table("audience", [f for i in influencers for f in i.audience], Follower.model_fields,
                           {"influencer_id": [a for a, i in zip(ids, influencers) for _ in i.audience]}),
    }
    if body.campaign is not None:
        campaign = body.campaign.campaign_id
        tables["campaigns"] = _table("campaigns", [body.campaign], Campaign.model_fields)
        tables["offers"] = _table("offers", list(influencers), ["cost"],
                                  {"campaign_id": [campaign] * len(ids), "account_id": ids})
    return tables


def accounts_frame(body: AccountsRequest) -> pd.DataFrame:
    return pd.DataFrame([a.model_dump() for a in body.accounts])


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """JSON-safe records: NaN and infinities become null, numpy scalars become Python ones.

    Column by column (`tolist` gives Python scalars), blanking only the bad cells: the frame-wide
    astype(object)/where/replace it replaces costs more than the scoring of a small request."""
    if frame is None or frame.empty:
        return []
    columns = [_json_safe(frame[name]) for name in frame.columns]
    names = list(frame.columns)
    return [dict(zip(names, row)) for row in zip(*columns)]


def _json_safe(column: pd.Series) -> list[Any]:
    dtype = column.dtype
    if (isinstance(dtype, np.dtype) and dtype.kind in "biufO") or (
            isinstance(dtype, pd.StringDtype) and dtype.na_value is np.nan):
        # one numpy array, without the Series methods (str: Python strings and NaN as objects)
        array = column.to_numpy()
        values = array.tolist()
        if array.dtype.kind == "f":
            bad = ~np.isfinite(array)
        elif array.dtype == object:  # infinities hiding among other objects, too
            bad = pd.isna(array) | np.fromiter((isinstance(v, float) and math.isinf(v) for v in values), bool,
                                               len(values))
        else:
            return values
    elif dtype.kind == "f":
        values = column.tolist()
        bad = ~np.isfinite(column.to_numpy(dtype="float64", na_value=np.nan))
    else:
        values = column.tolist()
        bad = column.isna().to_numpy(dtype=bool)
    for i in np.flatnonzero(bad):
        values[i] = None
    return values
