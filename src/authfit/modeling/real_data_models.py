"""The two models trained on real labelled data, account and comment authenticity, as the scorers that
other parts plug in (audience, comment features).

Both wrap a verified bundle, so training (which loads what it has just written), batch scoring and the
service call exactly the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from authfit.features.account_profile import ACCOUNT_FEATURES, profile_feature_values
from authfit.features.audience import ErrorRates
from authfit.modeling.bundle import Bundle, BundleError


@dataclass(frozen=True)
class BundledModel:
    """A verified bundle and the verdict threshold it was trained with (0.5 when it has none)."""

    bundle: Bundle

    @property
    def threshold(self) -> float:
        return float(self.bundle.metadata.threshold if self.bundle.metadata.threshold is not None else 0.5)


@dataclass(frozen=True)
class AccountModel(BundledModel):
    """Fake probability of an account from its profile columns (any of them may be missing)."""

    @property
    def error_rates(self) -> ErrorRates | None:
        rates = self.bundle.metadata.extra.get("error_rates")
        return ErrorRates(**rates) if rates else None

    def features(self, profiles: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(self.feature_values(profiles), index=profiles.index, columns=list(self.bundle.features))

    def feature_values(self, profiles: pd.DataFrame) -> np.ndarray:
        """`features(profiles)` as one float array, the bundle's columns in order (NaN for any it has that
        the profile features lack)."""
        values = profile_feature_values(profiles)
        at = {name: i for i, name in enumerate(ACCOUNT_FEATURES)}
        padded = np.concatenate([values, np.full((len(values), 1), np.nan)], axis=1)  # column -1: unknown
        return padded[:, [at.get(name, -1) for name in self.bundle.features]]

    def predict_proba(self, profiles: pd.DataFrame) -> np.ndarray:
        if len(profiles) == 0:
            return np.zeros(0)
        return self.predict_features(self.features(profiles))

    def predict_features(self, X: pd.DataFrame) -> np.ndarray:
        """Fake probabilities from `features(profiles)`: callers that also need the features (reasons)
        build them once; building them is most of the cost of scoring a few profiles."""
        return self.bundle.predict(X) if len(X) else np.zeros(0)

    def predict_profile_features(self, profile_features: pd.DataFrame) -> np.ndarray:
        """Fake probabilities from `account_profile_features` built by the caller, e.g. with other rows."""
        return self.predict_features(profile_features.reindex(columns=list(self.bundle.features)))


@dataclass(frozen=True)
class CommentModel(BundledModel):
    """Spam probability of comment texts; the fitted text model travels in the bundle's transformers."""

    def predict_proba(self, texts: pd.Series) -> np.ndarray:
        model = self.bundle.transformers.get("comment_model")
        if model is None:
            raise BundleError(f"{self.bundle.path} holds no comment model")
        if len(texts) == 0:
            return np.zeros(0)
        return np.asarray(model.predict_proba_texts(texts), dtype=float)


def plugged_scorers(account: AccountModel | None, comment: CommentModel | None) -> dict[str, object]:
    """The FeatureBuilder parameters through which these models score audiences and comments; with both
    None they unplug them (a builder stored in a bundle travels without them)."""
    return {
        "account_scorer": account.predict_proba if account else None,
        "account_profile_scorer": account.predict_profile_features if account else None,
        "error_rates": account.error_rates if account else None,
        "comment_scorer": comment.predict_proba if comment else None,
    }
