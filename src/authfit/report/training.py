"""Training-report plots beyond the per-model ones in `authfit.modeling.metrics`: the cross-source
transfer matrix of the account model as a heatmap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def plot_transfer_matrix(matrix: pd.DataFrame, path: Path,
                         title: str = "account model: ROC-AUC when trained on a row, tested on a column") -> Path:
    """Heatmap of ROC-AUC (train source x test source); empty cells (the diagonal) are left blank."""
    values = matrix.to_numpy(dtype=float)
    fig = Figure(figsize=(1.0 + 0.9 * values.shape[1], 1.0 + 0.6 * values.shape[0]))
    ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(values), cmap="RdYlGn", vmin=0.0, vmax=1.0, aspect="auto")
    rows, cols = np.nonzero(np.isfinite(values))
    for r, c in zip(rows, cols, strict=True):  # one label per cell of a ~10x10 matrix
        ax.text(c, r, f"{values[r, c]:.2f}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(values.shape[1]), [str(c) for c in matrix.columns], rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(values.shape[0]), [str(i) for i in matrix.index], fontsize=8)
    ax.set_xlabel("tested on")
    ax.set_ylabel("trained on")
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, label="ROC-AUC")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=96, bbox_inches="tight")
    return path
