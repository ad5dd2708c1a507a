"""Property tests: adversarial raw tables never crash the validator or the model-free feature code, and
every input row is either valid or rejected with a reason, never dropped silently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authfit.features.account_profile import account_profile_features
from authfit.features.comment_text import CommentTextFeaturizer, comment_shape_features, normalise_comment_text
from strategies import CaseCounter, raw_table, raw_tables, rows_in, texts
from authfit.contract.schema import PROFILE_COLUMNS, Table
from authfit.contract.validate import coerce_frame, validate_tables

BUDGET = settings(max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck))
COUNTER = CaseCounter()


@pytest.fixture(scope="module", autouse=True)
def _flush_counts():
    yield
    COUNTER.flush()


@BUDGET
@given(raw_tables())
def test_validator_accounts_for_every_row(tables):
    with COUNTER.case("validator: every row valid or rejected"):
        result = validate_tables(tables)
        counts = result.counts.set_index("table")
        for name, raw in tables.items():
            assert counts.loc[name, "rows_in"] == len(raw)
            assert counts.loc[name, "valid"] == len(result.tables[name])
        assert sum(len(t) for t in result.tables.values()) + len(result.rejects) == rows_in(tables)
        assert result.rejects["reason"].str.len().gt(0).all()
        # each reject carries the raw record it came from, so the rejects file can be fixed and re-fed
        assert result.rejects["record"].notna().all()


@BUDGET
@given(raw_table("audience", max_rows=8))
def test_profile_features_are_finite_or_missing_never_infinite(audience):
    with COUNTER.case("account profile features"):
        typed, _ = coerce_frame(audience, Table("profiles", "", PROFILE_COLUMNS, key=()))
        features = account_profile_features(typed)
        assert len(features) == len(audience)
        assert not np.isinf(features.to_numpy(dtype=float)).any()


@BUDGET
@given(st.lists(texts, max_size=8))
def test_comment_text_features_handle_any_text(values):
    with COUNTER.case("comment text features"):
        series = pd.Series(values, dtype=object).astype("str").where(pd.Series(values).notna())
        normalised = normalise_comment_text(series)
        shape = comment_shape_features(series, normalised)
        assert len(shape) == len(values)
        assert not np.isinf(shape.to_numpy(dtype=float)).any()
        matrix = CommentTextFeaturizer(n_features=2**10).fit(series).transform(series)
        assert matrix.shape[0] == len(values)
        assert np.isfinite(matrix.data).all()
