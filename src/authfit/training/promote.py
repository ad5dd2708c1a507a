"""Promote a trained set as a whole: gather each model's evidence against the champion set, decide with the
pure rule (`decide_set_promotion`) and move one alias for every model of the set.

The fake-engagement and conversion models are compared on the candidate's held-out rows: the champion set
rebuilds their features with its own fitted builder from the same tables and scores them. A champion
trained on the very same data (equal fingerprints) is compared by its out-of-fold metrics instead, which
cover the same rows without the champion having seen them in its final fit. The models trained on the real
labelled sets keep no rows (those data sets stay outside the store), so they are compared only that way.
When the data overlap only in part, the champion's re-scored rows may include rows it was fitted on, which
favours the champion: promotion errs on the side of keeping it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from authfit.features.build import FeatureBuilder
from authfit.modeling.bundle import Bundle, load_bundle
from authfit.modeling.heldout import HeldOut, compare_on_heldout
from authfit.modeling.model_set import (
    ACCOUNT_MODEL,
    COMMENT_MODEL,
    CONVERSION_MODEL,
    FAKE_ENGAGEMENT_MODEL,
    MODEL_NAMES,
)
from authfit.modeling.promotion import MemberEvidence, PromotionResult, SameRows, decide_set_promotion
from authfit.modeling.real_data_models import AccountModel, CommentModel, plugged_scorers


def champion_builder(champion: Mapping[str, Bundle]) -> FeatureBuilder:
    """The champion set's fitted feature builder with its own account and comment models plugged in."""
    account = AccountModel(champion[ACCOUNT_MODEL]) if ACCOUNT_MODEL in champion else None
    comment = CommentModel(champion[COMMENT_MODEL]) if COMMENT_MODEL in champion else None
    builder = copy.copy(champion[FAKE_ENGAGEMENT_MODEL].transformers["features"])
    return builder.set_params(**plugged_scorers(account, comment))


def champion_scores(champion: Mapping[str, Bundle], tables: dict[str, pd.DataFrame],
                    heldout: Mapping[str, HeldOut], exposure_column: str) -> dict[str, np.ndarray]:
    """The champion set's predictions on the candidate's held-out rows (NaN where it has no features)."""
    builder = champion_builder(champion)
    scores: dict[str, np.ndarray] = {}
    if FAKE_ENGAGEMENT_MODEL in heldout:
        features = builder.transform(tables)
        rows = features.reindex(heldout[FAKE_ENGAGEMENT_MODEL].key_index())
        scores[FAKE_ENGAGEMENT_MODEL] = _predict(champion[FAKE_ENGAGEMENT_MODEL], rows)
    if CONVERSION_MODEL in heldout and CONVERSION_MODEL in champion:
        pairs = builder.campaign_features(tables)
        followers = tables["accounts"].drop_duplicates("account_id").set_index("account_id")["follower_count"]
        pairs = pairs.assign(**{exposure_column: followers.reindex(
            pairs.index.get_level_values("account_id")).to_numpy(dtype=float)})
        rows = pairs.reindex(heldout[CONVERSION_MODEL].key_index())
        scores[CONVERSION_MODEL] = _predict(champion[CONVERSION_MODEL], rows)
    return scores


def _predict(bundle: Bundle, rows: pd.DataFrame) -> np.ndarray:
    """Predictions for the rows that have features; NaN for the rest (keys the champion never saw)."""
    out = np.full(len(rows), np.nan)
    known = rows.notna().any(axis=1).to_numpy()
    if known.any():
        out[known] = bundle.predict(rows[known])
    return out


def member_evidence(candidate: Bundle, champion: Bundle | None, heldout: HeldOut | None,
                    rescored: np.ndarray | None) -> MemberEvidence:
    """One model's evidence: re-scored on the same held-out rows, or both out of fold on the same data."""
    metrics = candidate.metadata.metrics
    if champion is None:
        return MemberEvidence(metrics)
    if candidate.metadata.data_fingerprint == champion.metadata.data_fingerprint:
        # the champion was fitted on these very rows: its out-of-fold metrics are the fair comparison
        same = SameRows(metrics, champion.metadata.metrics, int(metrics.get("n", 0)),
                        "both out of fold on the same training data (equal data fingerprints)")
        return MemberEvidence(metrics, True, same)
    if heldout is not None and rescored is not None:
        return MemberEvidence(metrics, True, compare_on_heldout(heldout, rescored))
    return MemberEvidence(metrics, True, None, "trained on other data, and no held-out rows to re-score the "
                                                "champion on")


def set_evidence(candidate: Mapping[str, Path], champion: Mapping[str, Path], heldout: Mapping[str, HeldOut],
                 tables: dict[str, pd.DataFrame] | None, exposure_column: str) -> dict[str, MemberEvidence]:
    """Every candidate model's evidence against the champion set (`champion` empty: there is none)."""
    cand = {name: load_bundle(path) for name, path in candidate.items()}
    champ = {name: load_bundle(path) for name, path in champion.items()}
    rescored = champion_scores(champ, tables, heldout, exposure_column) if champ and tables is not None else {}
    return {name: member_evidence(bundle, champ.get(name), heldout.get(name), rescored.get(name))
            for name, bundle in cand.items()}


def promote_trained_set(candidate: Mapping[str, Path], versions: Mapping[str, str], heldout: Mapping[str, HeldOut],
                        tables: dict[str, pd.DataFrame] | None, thresholds: Mapping, tracking_uri: str,
                        set_version: str, exposure_column: str) -> PromotionResult:
    """Decide on the registered candidate set and move its alias; registry errors propagate."""
    from authfit.modeling.tracking import champion_model_set, promote_model_set

    champion = champion_model_set(tracking_uri, (*candidate, *MODEL_NAMES))
    evidence = set_evidence(candidate, champion, heldout, tables, exposure_column)
    decision = decide_set_promotion(evidence, thresholds, tuple(champion))
    alias = promote_model_set(tracking_uri, versions, decision)
    return PromotionResult(set_version, alias, decision, dict(versions))
