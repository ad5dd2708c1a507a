"""The MLflow pyfunc face of a bundle: it verifies and loads the bundle stored as a run artifact and
scores through `Bundle.predict`, the same code path as the CLI, so what is served is what was trained.

The model is logged "from code" (a two-line script, see `model_script`) rather than as a cloudpickled
object, so serving unpickles nothing but the checksum-verified transformers inside the bundle.
"""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd

from authfit.modeling.bundle import Bundle, load_bundle

BUNDLE_ARTIFACT = "bundle"


class AuthfitBundleModel(mlflow.pyfunc.PythonModel):
    """pyfunc wrapper: input is a DataFrame with the bundle's feature columns (plus the exposure column
    for count models); output is a DataFrame with one column, `score`."""

    def load_context(self, context: Any) -> None:
        self.bundle: Bundle = load_bundle(context.artifacts[BUNDLE_ARTIFACT])

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        scores = self.bundle.predict(frame)
        return pd.DataFrame({"score": np.asarray(scores, dtype=float)}, index=frame.index)


def model_script() -> str:
    """Source of the models-from-code script MLflow stores alongside the model."""
    return (
        "import mlflow.models\n"
        "from authfit.modeling.pyfunc import AuthfitBundleModel\n\n"
        "mlflow.models.set_model(AuthfitBundleModel())\n"
    )
