"""Where the real data sets live: `$AUTHFIT_DATASETS`, else `../shared/datasets` beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "AUTHFIT_DATASETS"
DEFAULT_RELATIVE = Path("..") / "shared" / "datasets"


class DatasetMissingError(FileNotFoundError):
    """A real data set is not where authfit was told to look."""


def datasets_root(environ: dict[str, str] | None = None) -> Path:
    """The data-set directory named by the environment, resolved against the working directory."""
    env = os.environ if environ is None else environ
    return Path(env.get(ENV_VAR) or DEFAULT_RELATIVE).resolve()


def dataset_dir(name: str, root: Path | None = None) -> Path:
    """The folder of one data set, or a clear error saying where it was looked for."""
    folder = (root or datasets_root()) / name
    if not folder.is_dir():
        raise DatasetMissingError(
            f"data set {name!r} not found at {folder}; set ${ENV_VAR} to the directory that holds it"
        )
    return folder
