"""Shared fixtures. Real data sets are found through $AUTHFIT_DATASETS (default ../shared/datasets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from authfit.datasets.paths import DatasetMissingError, dataset_dir


@pytest.fixture
def real_dataset():
    """Return a function giving a real data set's folder, skipping the test with the reason when absent."""

    def _get(name: str) -> Path:
        try:
            return dataset_dir(name)
        except DatasetMissingError as exc:
            pytest.skip(str(exc))

    return _get
