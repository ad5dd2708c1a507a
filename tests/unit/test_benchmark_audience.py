"""The audience benchmark's pieces on tiny frames: audiences, errors and the method choice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from authfit_bench.benchmarks.audience import (
    CANDIDATES,
    AudienceBenchmark,
    audience_markdown,
    choose_method,
    choose_recipe,
    draw_audiences,
    name_of,
    share_errors,
)


def test_audiences_carry_their_true_share_and_rows() -> None:
    accounts = pd.DataFrame({"label": [1.0] * 30 + [0.0] * 70, "following_count": np.arange(100.0)})
    plan = AudienceBenchmark(audiences=12, min_size=50, max_size=60)
    audience, truth = draw_audiences(accounts, plan, seed=3)
    fake = audience.groupby("influencer_id")["label"].mean()
    pd.testing.assert_series_equal(fake.reindex(truth.index), truth, check_names=False)
    assert audience["follower_id"].is_unique
    assert (accounts["label"].to_numpy()[audience["_row"]] == audience["label"].to_numpy()).all()


def test_share_errors_known_answers() -> None:
    truth = pd.Series([0.1, 0.5], index=["a", "b"])
    est = pd.Series([0.2, 0.4], index=["a", "b"])
    out = share_errors(est, est - 0.15, est + 0.05, truth, est - 0.01, est + 0.01)
    assert out["mae"] == pytest.approx(0.1) and out["bias"] == pytest.approx(0.0)
    assert out["coverage_95"] == 0.5 and out["width_95"] == pytest.approx(0.2) and out["coverage_90"] == 0.0


def _errors(mae: float, coverage: float, width: float) -> dict[str, float]:
    return {"mae": mae, "bias": 0.0, "coverage_90": coverage, "coverage_95": coverage, "width_95": width}


def test_choice_is_by_worst_source_not_mean() -> None:
    # acc and pacc are better on average, but emq's worst source is better: emq wins, then its covering spread
    selection = {
        "s1": {name_of(c): _errors(0.08 if c[0] == "emq" else 0.01, 0.95, 0.3) for c in CANDIDATES},
        "s2": {name_of(c): _errors(0.09 if c[0] == "emq" else 0.12, 0.95, 0.3) for c in CANDIDATES},
    }
    selection["s2"]["emq/normal"] = _errors(0.09, 0.5, 0.2)
    assert choose_method(selection) == ("emq", "t")


def test_markdown_marks_missed_targets() -> None:
    share = {"mae": 0.2, "bias": 0.1, "coverage_90": 0.9, "coverage_95": 0.95, "width_95": 0.5}
    rows = [{"dataset": "kaggle", "task": "audience share", "metric": m, "value": v, "protocol": "p"}
            for m, v in share.items()]
    rows += [{"dataset": "kaggle", "task": "account verdict, held out", "metric": m, "value": 0.8,
              "protocol": "p"} for m in ("balanced_accuracy", "sensitivity", "specificity", "roc_auc")]
    text = audience_markdown(rows)
    assert "| kaggle | 0.200 | <= 0.05 **missed** |" in text and "| kaggle | 0.800 |" in text
    recipe = "account recipe, worst-source balanced accuracy of leave-one-source-out"
    rows += [{"dataset": "all sources", "task": f"{recipe}: r1", "metric": "worst_balanced_accuracy",
              "value": 0.7, "protocol": "p"},
             {"dataset": "all sources", "task": f"{recipe}: r2 (chosen)", "metric": "worst_balanced_accuracy",
              "value": 0.75, "protocol": "p"}]
    assert "| chosen without | r1 | r2 |" in audience_markdown(rows)
    assert "| all sources | 0.700 | **0.750** |" in audience_markdown(rows)


def _scorer_fit(noise: float, seed: int):
    """A stand-in for fitting: whatever it is fitted on, it scores a profile by its label plus noise."""
    def fit(part: pd.DataFrame):
        def score(profiles: pd.DataFrame) -> np.ndarray:
            rng = np.random.default_rng(seed)
            return np.clip(0.3 + 0.4 * profiles["label"].to_numpy() + rng.normal(0, noise, len(profiles)), 0, 1)
        return score
    return fit


def test_recipe_choice_is_by_worst_held_out_source() -> None:
    data = pd.DataFrame({"source": np.repeat(["a", "b", "c"], 40), "label": np.tile([0.0, 1.0], 60)})
    fits = {"noisy": _scorer_fit(0.4, 1), "clean": _scorer_fit(0.05, 1)}
    chosen, scores, p = choose_recipe(data, fits)
    assert chosen == "clean" and scores["clean"] == 1.0 > scores["noisy"]
    assert set(p) == {"noisy", "clean"} and all(len(v) == len(data) for v in p.values())


def test_a_tie_on_the_worst_source_goes_to_the_next_worst() -> None:
    # every method misses s1 alike (pacc by 0.002 less); on s2 emq is far better: emq wins
    selection = {
        "s1": {name_of(c): _errors(0.370 if c[0] == "pacc" else 0.372, 0.95, 0.3) for c in CANDIDATES},
        "s2": {name_of(c): _errors(0.03 if c[0] == "emq" else 0.28, 0.95, 0.3) for c in CANDIDATES},
    }
    assert choose_method(selection)[0] == "emq"
    selection["s1"] = {name_of(c): _errors(0.30 if c[0] == "pacc" else 0.372, 0.95, 0.3) for c in CANDIDATES}
    assert choose_method(selection)[0] == "pacc"  # a real difference on the worst source still decides
