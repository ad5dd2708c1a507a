"""The one scorer behind the Python API, batch scoring and the HTTP service.

`Scorer.load` reads a verified set of bundles (or MLflow registry URIs); `score` takes contract tables
as they come (raw or typed), validates them, builds the features the model was trained on, and returns
influencer scores with reasons, campaign predictions, and the rows it rejected with their reasons.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from authfit.features.audience import share_sentences
from authfit.features.build import FeatureBuilder, FeatureSettings
from authfit.features.engagement import tier_of
from authfit.contract.keys import positions_in
from authfit.modeling.bundle import Bundle, BundleError, load_bundle, resolve_model_set
from authfit.modeling.model_set import ACCOUNT_MODEL, COMMENT_MODEL, CONVERSION_MODEL, FAKE_ENGAGEMENT_MODEL
from authfit.modeling.real_data_models import AccountModel, CommentModel, plugged_scorers
from authfit.scoring.reasons import FeatureMatrix, reason_lists
from authfit.contract.schema import DEFAULT_CURRENCY
from authfit.contract.validate import validate_tables

REJECT_COLUMNS = ["table", "row", "columns", "reason"]
INFLUENCER_COLUMNS = [
    "account_id", "tier", "fake_engagement_probability", "fake_engagement_flag", "authenticity_score",
    "fake_follower_share", "fake_follower_share_lo", "fake_follower_share_hi", "reachability",
    "engagement_rate", "engagement_rate_vs_benchmark", "reasons", "model_version", "scored_at",
]
INFLUENCER_OUTPUT_COLUMNS = [*INFLUENCER_COLUMNS, "niche", "status", "as_of", "fake_follower_share_text"]
CAMPAIGN_COLUMNS = ["campaign_id", "account_id", "expected_conversions", "conversion_rate",
                    "expected_cost_per_conversion", "fit_score", "rank"]
CAMPAIGN_OUTPUT_COLUMNS = [*CAMPAIGN_COLUMNS[:4], "cost", "cost_source", "currency", *CAMPAIGN_COLUMNS[4:]]
SCORED, INSUFFICIENT = "scored", "insufficient data"
# Type and meaning of every output column (influencer, campaign and reject rows): the HTTP response models
# are built from this, so they carry every column the scorer writes and cannot drift from it.
OUTPUT_FIELDS: dict[str, tuple[object, str]] = {
    "account_id": (str, "the influencer's account id"),
    "tier": (str | None, "follower tier at the as-of time: nano, micro, mid, macro or mega"),
    "fake_engagement_probability": (float | None, "calibrated probability that the engagement is bought or "
                                                  "inflated, 0-1; null with status 'insufficient data'"),
    "fake_engagement_flag": (bool | None, "probability at or above the model's decision threshold; null with "
                                          "status 'insufficient data'"),
    "authenticity_score": (float | None, "100 x (1 - fake_engagement_probability), 0-100"),
    "fake_follower_share": (float | None, "estimated share of fake followers in the audience sample (null "
                                          "without a sample or an account model)"),
    "fake_follower_share_lo": (float | None, "lower end of the 95% interval of fake_follower_share. The interval "
                                             "allows for the sample's size and for the account model erring "
                                             "differently on this audience than on the labelled accounts it was "
                                             "tested on, so it can be wide"),
    "fake_follower_share_hi": (float | None, "upper end of that 95% interval"),
    "fake_follower_share_text": (str | None, "fake_follower_share and its interval in a plain sentence, with what "
                                             "the interval means (null without an estimate)"),
    "reachability": (float | None, "share of the audience sample that does not mass-follow (follows few "
                                   "enough accounts to see the posts): 1 - mass-follower share"),
    "engagement_rate": (float | None, "median (likes + comments) / followers per post over the recent window"),
    "engagement_rate_vs_benchmark": (float | None, "engagement rate over the typical rate at this follower "
                                                   "count (1 = typical)"),
    "reasons": (list[str], "the top reasons behind the probability, in words"),
    "model_version": (str, "version of the model set that scored the row"),
    "scored_at": (str, "when the row was scored (ISO 8601, UTC)"),
    "niche": (str | None, "the influencer's content category (accounts.category)"),
    "status": (str, f"'{SCORED}', or '{INSUFFICIENT}' when the influencer has no posts or follower history up "
                    "to the as-of time (then there is no verdict)"),
    "as_of": (str, "the time the influencer is described as of (ISO 8601, UTC): data after it is not used"),
    "campaign_id": (str, "the campaign"),
    "expected_conversions": (float | None, "predicted conversions of this influencer for the campaign"),
    "conversion_rate": (float | None, "expected conversions per follower"),
    "cost": (float | None, "the fee: the offer when given, else the typical fee at this follower count"),
    "cost_source": (str | None, "'offer'; 'estimated' (inside the fee curve fitted on past outcomes); "
                                "'extrapolated' (beyond it, along its log-log trend); null when unknown"),
    "currency": (str | None, "ISO 4217 currency of cost (campaigns.currency; USD when the data has none)"),
    "expected_cost_per_conversion": (float | None, "cost / expected_conversions"),
    "fit_score": (float | None, "cosine similarity of the brief's topics and the influencer's captions"),
    "rank": (int, "rank by expected conversions within the campaign, 1 = most"),
    "table": (str, "the contract table of the rejected row"),
    "row": (int, "1-based row number in that table (for HTTP requests: the row in the request's table)"),
    "columns": (str, "the columns at fault, comma-separated"),
    "reason": (str, "why the row was rejected; every reason found, separated by '; '"),
}


def cost_per_conversion(cost: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Cost over expected conversions; NaN where either is unknown or the ratio overflows (a huge fee over
    a near-zero count), so no infinite figure reaches a ranking or a JSON response."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        ratio = np.asarray(cost, dtype=float) / np.maximum(expected, 1e-12)
    return np.where((expected > 0) & np.isfinite(ratio), ratio, np.nan)


class ScoringError(ValueError):
    """The request cannot be scored as given (e.g. an unknown campaign)."""


def estimated_cost(curve: dict | None, followers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The typical fee at each follower count, and how it was obtained: "estimated" inside the range of the
    fitted fee curve (interpolated), "extrapolated" beyond it, along the power law (a straight line in
    log-log space) fitted to the whole curve and continued from its end points, so a mega account does
    not cost what the largest training account did. Nothing is capped. NaN / None without a curve."""
    followers = np.asarray(followers, dtype=float)
    none = np.full(len(followers), np.nan), np.full(len(followers), None, dtype=object)
    if not curve or not curve.get("log10_followers"):
        return none
    x, cost = np.asarray(curve["log10_followers"], float), np.asarray(curve["cost"], float)
    at = np.log10(np.maximum(followers, 1))
    inside = np.interp(at, x, cost)
    usable = cost > 0
    slope = np.polyfit(x[usable], np.log10(cost[usable]), 1)[0] if usable.sum() >= 2 else 0.0
    below, above = at < x[0], at > x[-1]
    out = np.where(below, cost[0] * 10 ** (slope * (at - x[0])),
                   np.where(above, cost[-1] * 10 ** (slope * (at - x[-1])), inside))
    source = np.where(below | above, "extrapolated", "estimated").astype(object)
    return out, source


@dataclass
class AccountScores:
    """Per account row: calibrated fake probability, verdict (at the account model's threshold), reasons."""

    probability: np.ndarray
    flag: np.ndarray
    reasons: list[list[str]]
    model_version: str


@dataclass
class ScoreResult:
    influencers: pd.DataFrame
    campaign: pd.DataFrame | None
    rejects: pd.DataFrame


class Scorer:
    """Loads once, scores many times; thread-safe for concurrent `score` calls (no shared mutation)."""

    def __init__(self, bundles: dict[str, Bundle]):
        if FAKE_ENGAGEMENT_MODEL not in bundles:
            raise BundleError(f"a scorer needs the {FAKE_ENGAGEMENT_MODEL} model; got {sorted(bundles)}")
        self.bundles = bundles
        self.fake = bundles[FAKE_ENGAGEMENT_MODEL]
        self.account = AccountModel(bundles[ACCOUNT_MODEL]) if ACCOUNT_MODEL in bundles else None
        self.comment = CommentModel(bundles[COMMENT_MODEL]) if COMMENT_MODEL in bundles else None
        self.conversion = bundles.get(CONVERSION_MODEL)
        self.builder = self._builder(self.fake)
        self.model_version = self.fake.metadata.version

    def _builder(self, bundle: Bundle) -> FeatureBuilder:
        stored = bundle.transformers.get("features")
        if stored is None:
            raise BundleError(f"{bundle.path} holds no fitted feature builder")
        builder = copy.copy(stored)  # the bundle's object stays untouched; scorers are plugged into a copy
        return builder.set_params(**plugged_scorers(self.account, self.comment))

    @classmethod
    def load(cls, location: str | Path, tracking_uri: str | None = None) -> Scorer:
        """`models/latest`, a models directory with latest.json, or a registry URI
        (models:/authfit-<name>@<alias> or models:/authfit-<name>/<version>). A registry URI is read from
        `tracking_uri`, else $MLFLOW_TRACKING_URI, else the project store `authfit train` writes
        (./mlruns.db), and loads the whole model set the named version was trained in."""
        text = str(location)
        if text.startswith("models:/"):
            from authfit.modeling.tracking import download_model_set, project_tracking_uri

            paths = download_model_set(text, tracking_uri or project_tracking_uri())
        else:
            paths = resolve_model_set(Path(text))
        return cls({name: load_bundle(path) for name, path in paths.items()})

    def at(self, as_of: pd.Timestamp | datetime) -> Scorer:
        """This scorer with features as of `as_of`: every influencer is described from what was known then,
        whatever else is scored beside it."""
        settings = self.builder.settings or FeatureSettings()
        when = pd.Timestamp(as_of)
        when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
        fixed = copy.copy(self)
        fixed.builder = copy.copy(self.builder).set_params(
            settings=settings.model_copy(update={"as_of": when.to_pydatetime(warn=False)}))
        return fixed

    def describe(self) -> dict:
        return {"model_version": self.model_version, "feature_set": self.fake.metadata.feature_set_version,
                "models": {name: {"version": b.metadata.version, "threshold": b.metadata.threshold,
                                  "metrics": b.metadata.metrics, "n_features": len(b.features)}
                           for name, b in self.bundles.items()}}

    # ------------------------------------------------------------------ influencers

    def features(self, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        return self.builder.transform(tables)

    def predict_features(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated fake-engagement probabilities from precomputed features."""
        return self.fake.predict(X)

    def score_features(self, X: pd.DataFrame, reasons: bool = False, as_of: pd.Timestamp | None = None
                       ) -> pd.DataFrame:
        """Fake-engagement probability and flag (and, asked for, reasons) from precomputed features: the
        fast path for callers that keep features, with no validation or feature building in the way."""
        p = np.clip(np.nan_to_num(self.predict_features(X), nan=0.5), 0.0, 1.0)
        out = pd.DataFrame({"fake_engagement_probability": p,
                            "fake_engagement_flag": p >= (self.fake.metadata.threshold or 0.5)}, index=X.index)
        if reasons and len(X):
            when = as_of if as_of is not None else pd.Timestamp.now(tz="UTC")
            out["reasons"] = self.explain(X, p, when).to_numpy()
        return out

    def explain(self, X: pd.DataFrame, probability: np.ndarray, as_of: pd.Timestamp, k: int = 3) -> pd.Series:
        """The reasons of each row of `X` (indexed as `X`), from the model's features as one array."""
        values = self.fake.feature_values(X)
        threshold = self.fake.metadata.threshold or 0.5
        matrix = FeatureMatrix(values, self.fake.features, {"_as_of": np.full(len(values), as_of, dtype=object)})
        return pd.Series(reason_lists(self.fake.contributions(values), matrix, probability >= threshold, k=k,
                                      definitions=_definitions()), index=X.index, dtype=object)

    def score_influencers(self, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """Scores as of the builder's as-of time (fixed with `at`, else the latest time in `tables`). An
        influencer with no posts and no follower history up to then gets no verdict: status "insufficient
        data", no probability, flag or authenticity score."""
        X = self.features(tables)
        as_of = self.builder.resolve_as_of(tables)
        known = _has_activity(tables, X.index, as_of)
        p = np.clip(np.nan_to_num(self.predict_features(X), nan=0.5), 0.0, 1.0)
        threshold = self.fake.metadata.threshold or 0.5
        reasons = self.explain(X, p, as_of).to_numpy(copy=True) if len(X) else np.array([], dtype=object)
        for i in np.flatnonzero(~known):  # only the influencers without data
            reasons[i] = [f"insufficient data: no posts or follower history up to {as_of:%Y-%m-%d}"]
        p = np.where(known, p, np.nan)
        flag = pd.array(p >= threshold, dtype="boolean")
        flag[~known] = pd.NA
        followers = np.expm1(X["log10_followers_as_of"] * np.log(10)) if "log10_followers_as_of" in X else None
        out = pd.DataFrame({
            "account_id": X.index.astype(str),
            "tier": tier_of(pd.Series(followers, index=X.index)).to_numpy() if followers is not None else None,
            "fake_engagement_probability": p, "fake_engagement_flag": flag,
            "authenticity_score": np.round(100.0 * (1.0 - p), 1),
            "fake_follower_share": X.get("audience_fake_share_corrected"),
            "fake_follower_share_lo": X.get("audience_fake_share_corrected_lo"),
            "fake_follower_share_hi": X.get("audience_fake_share_corrected_hi"),
            "reachability": 1.0 - X["audience_mass_follow_share"] if "audience_mass_follow_share" in X else np.nan,
            "engagement_rate": X.get("engagement_rate"),
            "engagement_rate_vs_benchmark": X.get("engagement_vs_benchmark"),
            "reasons": reasons,
            "model_version": self.model_version,
            "scored_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }, index=X.index)
        niche = tables["accounts"].drop_duplicates("account_id").set_index("account_id")["category"]
        out["niche"] = niche.reindex(X.index).to_numpy()
        out["status"] = np.where(known, SCORED, INSUFFICIENT)
        out["as_of"] = as_of.isoformat()
        rates = self.builder.error_rates
        out["fake_follower_share_text"] = share_sentences(
            out["fake_follower_share"], out["fake_follower_share_lo"], out["fake_follower_share_hi"],
            (self.builder.settings or FeatureSettings()).audience.confidence,
            out_of_source=rates is not None and len(rates.sources) > 1)
        return out.reset_index(drop=True)[INFLUENCER_OUTPUT_COLUMNS]

    # ------------------------------------------------------------------ campaigns

    def score_campaign(self, tables: dict[str, pd.DataFrame], campaign: str) -> pd.DataFrame:
        if self.conversion is None:
            raise ScoringError("this model set has no campaign conversion model")
        campaigns = tables.get("campaigns", pd.DataFrame(columns=["campaign_id"]))
        if campaign not in set(campaigns["campaign_id"]):
            raise ScoringError(f"campaign {campaign!r} is not in the campaigns table")
        one = dict(tables, campaigns=campaigns[campaigns["campaign_id"] == campaign])
        pairs = self.builder.campaign_features(one, all_pairs=True)
        if pairs.empty:  # every influencer was rejected: no pairs carry features, so there is nothing to predict
            return pd.DataFrame(columns=CAMPAIGN_OUTPUT_COLUMNS)
        followers = tables["accounts"].set_index("account_id")["follower_count"]
        ids = pairs.index.get_level_values("account_id")
        exposure = followers.reindex(ids).clip(lower=1).fillna(1).to_numpy(dtype=float)
        expected = self.conversion.predict(pairs.assign(**{self.conversion.metadata.exposure_column: exposure}))
        offered = self._offered_cost(tables.get("offers"), campaign, ids)
        curve = self.conversion.metadata.extra.get("cost_curve")
        currency = _campaign_currency(campaigns, campaign)
        estimated, how = estimated_cost(curve, exposure)
        if curve and curve.get("currency", DEFAULT_CURRENCY) != currency:  # fees of another currency: no estimate
            estimated = np.full(len(exposure), np.nan)
        cost = np.where(np.isfinite(offered), offered, estimated)
        out = pd.DataFrame({
            "campaign_id": campaign, "account_id": ids.astype(str), "expected_conversions": expected,
            "conversion_rate": expected / exposure, "cost": cost,
            "cost_source": np.where(np.isfinite(offered), "offer", np.where(np.isfinite(estimated), how, None)),
            "currency": np.where(np.isfinite(cost), currency, None),
            "expected_cost_per_conversion": cost_per_conversion(cost, expected),
            "fit_score": pairs["brand_topic_cosine"].to_numpy() if "brand_topic_cosine" in pairs else np.nan,
        })
        out["rank"] = out["expected_conversions"].rank(ascending=False, method="first").astype(int)
        return out.sort_values("rank").reset_index(drop=True)[CAMPAIGN_OUTPUT_COLUMNS]

    @staticmethod
    def _offered_cost(offers: pd.DataFrame | None, campaign: str, ids: pd.Index) -> np.ndarray:
        if offers is None or offers.empty:
            return np.full(len(ids), np.nan)
        mine = offers[offers["campaign_id"] == campaign].drop_duplicates("account_id").set_index("account_id")
        return mine["cost"].reindex(ids).to_numpy(dtype=float)

    # ------------------------------------------------------------------ the API

    def score(self, tables: dict[str, pd.DataFrame], campaign: str | None = None,
              as_of: pd.Timestamp | datetime | None = None, date_format: str | None = None) -> ScoreResult:
        """Validate, score every valid influencer, and (given a campaign id) predict its conversions.
        Features are as of `as_of`; without it, as of the latest time in `tables` (then an influencer's
        score can move when newer rows of others join the tables: pass `as_of` for scores that do not)."""
        scorer = self if as_of is None else self.at(as_of)
        checked = validate_tables(tables, date_format=date_format)
        valid = checked.tables
        if "accounts" not in valid:
            raise ScoringError("the accounts table is required")
        influencers = scorer.score_influencers(valid)
        campaign = campaign.strip() if campaign is not None else None  # ids are stripped by the validator
        campaign_scores = scorer.score_campaign(valid, campaign) if campaign is not None else None
        return ScoreResult(influencers, campaign_scores, checked.rejects.reindex(columns=REJECT_COLUMNS))

    def account_scores(self, accounts: pd.DataFrame) -> AccountScores:
        """Fake probability, verdict and reasons of account rows (followers, commenters), as arrays: what
        `score_accounts` adds to the rows, and what the service writes as JSON."""
        if self.account is None:
            raise ScoringError("this model set has no account authenticity model")
        bundle = self.account.bundle
        values = self.account.feature_values(accounts)  # once: predictions and reasons share it
        if not len(values):
            return AccountScores(np.zeros(0), np.zeros(0, dtype=bool), [], bundle.metadata.version)
        p = np.clip(bundle.predict(values), 0.0, 1.0)
        flagged = p >= self.account.threshold
        reasons = reason_lists(bundle.contributions(values), FeatureMatrix(values, bundle.features), flagged,
                               definitions=_definitions())
        return AccountScores(p, flagged, reasons, bundle.metadata.version)

    def score_accounts(self, accounts: pd.DataFrame) -> pd.DataFrame:
        """The account rows with their fake probability, verdict and reasons (`account_scores`)."""
        found = self.account_scores(accounts)
        scores = pd.DataFrame({"fake_probability": found.probability, "is_fake": found.flag,
                               "reasons": pd.Series(found.reasons, dtype=object).to_numpy(),
                               "model_version": found.model_version})
        # one concat, not assign's column-by-column inserts; score columns sent in the input are replaced
        kept = accounts.reset_index(drop=True).drop(columns=list(scores.columns), errors="ignore")
        return pd.concat([kept, scores], axis=1)



def _has_activity(tables: dict[str, pd.DataFrame], ids: pd.Index, as_of: pd.Timestamp) -> np.ndarray:
    """Whether each influencer has a post or a follower-history snapshot up to `as_of`."""
    seen = []
    for name, column in (("posts", "posted_at"), ("follower_history", "date")):
        frame = tables.get(name)
        if frame is not None and len(frame):
            seen.append(frame.loc[frame[column] <= as_of, "account_id"])
    if not seen:
        return np.zeros(len(ids), dtype=bool)
    # Arrow's hash lookup: np.isin on object arrays of ids sorted Python strings (seconds per 1,000 influencers)
    return positions_in(pd.Series(ids.astype(str)), pd.concat(seen, ignore_index=True)) >= 0


def _campaign_currency(campaigns: pd.DataFrame, campaign: str) -> str:
    """The campaign's `currency`, else DEFAULT_CURRENCY."""
    if "currency" not in campaigns:
        return DEFAULT_CURRENCY
    found = campaigns.loc[campaigns["campaign_id"] == campaign, "currency"].dropna()
    return str(found.iloc[0]) if len(found) else DEFAULT_CURRENCY


@functools.cache
def _definitions() -> dict[str, str]:
    """Feature definitions for the reasons' fallback sentences (read, never changed, by every call)."""
    from authfit.features.docs import campaign_specs, influencer_specs

    return {spec.name: spec.definition for spec in [*influencer_specs(), *campaign_specs()]}
