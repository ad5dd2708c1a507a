"""The comment-spam model: it separates spam from ham, scores repeats and missing texts alike, is
reproducible, takes its hyperparameters from configs/train.yaml and travels in a model bundle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from authfit.config import load_settings
from authfit.features.comment_text import CommentTextFeaturizer
from authfit.modeling.bundle import BundleMetadata, load_bundle, save_bundle
from authfit.modeling.comment_spam import STACKED_INPUTS, CommentSpamModel, CommentSpamSettings, out_of_fold
from authfit.modeling.real_data_models import CommentModel
from authfit.training.train_settings import TrainSettings

N = 2**12


def _spam_ham(n: int, seed: int) -> tuple[pd.Series, np.ndarray]:
    """Synthetic comments: promotional spam with handles and links vs. ordinary reactions."""
    rng = np.random.default_rng(seed)
    spam = np.array(["check out my channel {h}", "DM @{h} to earn $500 weekly",
                     "free followers at www.{h}.com", "subscribe to {h} please!!", "invest in bitcoin with @{h} 💰"], dtype=object)
    ham = np.array(["love this song {h}", "this video is amazing", "so cute 😍", "best part is at 2:10",
                    "who is still watching in 2015", "the beat is {h} fire"], dtype=object)
    label = rng.random(n) < 0.5
    template = np.where(label, rng.choice(spam, n), rng.choice(ham, n))
    handles = rng.choice(np.array(["kaylo", "mirat", "sunev", "tolan", "vikra"], dtype=object), n)
    texts = pd.Series([t.replace("{h}", h) for t, h in zip(template, handles)], dtype="str")
    return texts, label.astype(float)


@pytest.fixture(scope="module")
def trained() -> tuple[CommentSpamModel, pd.Series, np.ndarray]:
    texts, labels = _spam_ham(400, seed=0)
    return CommentSpamModel(n_features=N, folds=3).fit(texts, labels), texts, labels


def test_model_separates_held_out_spam_and_is_calibrated_to_probabilities(trained) -> None:
    model, _, _ = trained
    test_texts, test_labels = _spam_ham(200, seed=7)
    proba = model.predict_proba_texts(test_texts)
    assert proba.shape == (200,) and ((proba >= 0) & (proba <= 1)).all()
    assert ((proba >= 0.5) == test_labels.astype(bool)).mean() > 0.95
    assert model.predict_proba(test_texts).sum(axis=1) == pytest.approx(np.ones(200))


def test_fast_margin_equals_the_sparse_matrix_product(trained) -> None:
    model, texts, _ = trained
    matrix = CommentTextFeaturizer(n_features=N).transform(texts)
    expected = matrix @ model.coef_.astype(np.float64) + model.intercept_
    np.testing.assert_allclose(model.decision_texts(texts), expected, atol=1e-4)


def test_repeated_texts_score_like_their_first_copy(trained) -> None:
    model, texts, _ = trained
    repeated = pd.concat([texts, texts.iloc[::-1]], ignore_index=True)
    proba = model.predict_proba_texts(repeated)
    np.testing.assert_allclose(proba[len(texts):], proba[: len(texts)][::-1])


def test_stacked_model_trains_ranks_and_scores_alike_from_its_bundle(tmp_path: Path) -> None:
    texts, labels = _spam_ham(300, seed=3)
    groups = pd.Series(np.arange(300) % 30).astype("str")
    model = CommentSpamModel(kind="stacked", n_features=N, folds=3, lgbm_rounds=30).fit(texts, labels, groups)
    test_texts, test_labels = _spam_ham(100, seed=4)
    proba = model.predict_proba_texts(test_texts)
    assert proba[test_labels == 1].mean() > proba[test_labels == 0].mean() + 0.5
    bundle = load_bundle(_save(model, tmp_path))
    assert bundle.boosters["model"].num_trees() == 30 and bundle.features == STACKED_INPUTS
    np.testing.assert_array_equal(CommentModel(bundle).predict_proba(test_texts), proba)


def test_two_fits_are_identical_whatever_the_global_random_state() -> None:
    """Retraining on the same data must give the same model (liblinear shuffles rows unless seeded)."""
    texts, labels = _spam_ham(400, seed=5)
    fits = []
    for global_seed in (1, 2):
        np.random.seed(global_seed)
        fits.append(CommentSpamModel(kind="linear", n_features=N, folds=2, seed=7).fit(texts, labels))
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)


def test_model_rejects_bad_labels_and_kinds() -> None:
    texts = pd.Series(["a", "b", "c"], dtype="str")
    with pytest.raises(ValueError, match="0/1"):
        CommentSpamModel(n_features=N).fit(texts, [0, 1, 2])
    with pytest.raises(ValueError, match="kind"):
        CommentSpamModel(kind="forest", n_features=N).fit(texts, [0, 1, 0])


def _save(model: CommentSpamModel, root: Path) -> Path:
    meta = BundleMetadata(name="comment-authenticity", version="v1", task="binary", created_at="2026-01-01",
                          feature_set_version="test", data_fingerprint="x")
    return save_bundle(root, meta, model.booster_, list(STACKED_INPUTS), transformers={"comment_model": model})


def test_shipped_config_equals_the_settings_defaults() -> None:
    """configs/train.yaml's comment section is what the pretrained bundle and the benchmarks' product
    model (`CommentSpamSettings()`) use; they must not drift apart."""
    settings = load_settings(Path("configs/train.yaml"), TrainSettings)
    assert "comment" in settings.model_fields_set
    assert settings.comment == CommentSpamSettings()
    assert settings.comment.model(seed=3).get_params() == CommentSpamModel(
        kind="stacked", n_jobs=1, seed=3).get_params()


def test_settings_refuse_a_hash_width_that_is_not_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power of two"):
        CommentSpamSettings(n_features=1000)


def test_out_of_fold_keeps_groups_inside_one_fold_and_scores_every_row() -> None:
    texts, labels = _spam_ham(120, seed=9)
    groups = np.array([f"video{i % 12}" for i in range(120)])
    settings = CommentSpamSettings(kind="linear", n_features=N, folds=2)
    oof, fold = out_of_fold(texts, labels, groups, settings, folds=3, seed=0)
    assert set(fold) == {0, 1, 2} and not np.isnan(oof).any()
    assert pd.Series(fold).groupby(groups).nunique().max() == 1
    assert ((oof >= 0.5) == labels.astype(bool)).mean() > 0.9
