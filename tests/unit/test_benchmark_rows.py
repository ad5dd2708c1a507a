"""Benchmark report: row cleaning, targets, transfer matrix, Markdown, resumable parts, evaluation worlds."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from authfit_bench.benchmarks import report
from authfit_bench.benchmarks.accounts import ALL_OTHERS, ROW_KEYS, row
from authfit_bench.benchmarks.simulated import (
    EVALUATION_WORLDS,
    restrict_to_accounts,
    within_campaign_spearman,
    world_settings,
)
from authfit.datasets.paths import DatasetMissingError
from authfit.simulate import SimulationSettings


def _transfer(train: str, test: str, value: float) -> dict[str, object]:
    return row(f"transfer:{train}->{test}", "fake/bot vs real", "roc_auc", value, "single fit")


def _rows() -> list[dict[str, object]]:
    return [
        row("instafake-fake-v1.0", "fake vs real", "macro_f1", pd.Series([0.96, 0.98]), "10-fold CV", 0.94,
            "Akyon 2019"),
        row("srf2017", "fake follower vs real", "roc_auc", pd.Series([0.90, 0.92]), "10-fold CV"),
        row("kaggle-insta-fake-spammer", "fake vs genuine", "accuracy", 0.93, "10-fold CV"),
        _transfer("a", "b", 0.8), _transfer("b", "a", 0.6), _transfer(ALL_OTHERS, "a", 0.7),
    ]


def test_clean_row_turns_nan_into_null_and_refuses_missing_keys() -> None:
    cleaned = report.clean_row(row("d", "t", "m", 0.5, "p"))
    assert tuple(cleaned) == ROW_KEYS
    assert cleaned["spread"] is None and cleaned["anchor"] is None and cleaned["value"] == 0.5
    json.dumps(cleaned, allow_nan=False)  # would raise on a NaN left behind
    with pytest.raises(ValueError, match="lacks"):
        report.clean_row({"dataset": "d", "value": 1.0})


def test_targets_follow_the_issue_and_the_anchor_protocol() -> None:
    met = report.clean_row(row("instafake-fake-v1.0", "fake vs real", "macro_f1", 0.951, "cv"))
    missed = report.clean_row(row("instafake-fake-v1.0", "fake vs real", "macro_f1", 0.949, "cv"))
    assert report.meets_target(met) is True and report.meets_target(missed) is False
    no_target = row("kaggle-insta-fake-spammer", "t", "accuracy", 0.5, "cv")
    assert report.meets_target(report.clean_row(no_target)) is None
    # The YouTube target is for the anchor's stratified CV, not for leave-one-video-out.
    cv = row("uci-youtube-spam", "t", "accuracy", 0.95, "stratified 10-fold CV x5")
    video = row("uci-youtube-spam", "t", "accuracy", 0.95, "leave-one-group-out over 5 groups")
    assert report.meets_target(report.clean_row(cv)) is False
    assert report.meets_target(report.clean_row(video)) is None
    # The automated-account target is for the main task only.
    profile_only = row("instafake-automated", "automated vs real, profile columns only", "f1", 0.5, "cv")
    assert report.target_of(report.clean_row(profile_only)) is None


def test_transfer_matrix_is_rebuilt_from_rows_with_pooled_rows_last() -> None:
    matrix = report.transfer_matrix_from_rows([report.clean_row(r) for r in _rows()])
    assert list(matrix.index) == ["a", "b", ALL_OTHERS] and list(matrix.columns) == ["a", "b"]
    assert matrix.loc["a", "b"] == 0.8 and matrix.loc[ALL_OTHERS, "a"] == 0.7
    assert np.isnan(matrix.loc["a", "a"]) and np.isnan(matrix.loc[ALL_OTHERS, "b"])
    text = report.matrix_markdown(matrix)
    assert "| a | — | 0.80 |" in text and text.count("\n") == 4


def test_results_markdown_numbers_protocols_once_and_leaves_transfer_rows_to_the_matrix() -> None:
    text = report.results_markdown([report.clean_row(r) for r in _rows()])
    assert "transfer:" not in text
    assert text.count("- **P1** 10-fold CV") == 1 and "**P2**" not in text  # one shared protocol
    expected = "| instafake-fake-v1.0 | fake vs real | macro_f1 | 0.970 | 0.014 | 0.940 [A1] | ≥ 0.95 met | P1 |"
    assert expected in text
    assert "| srf2017 | fake follower vs real | roc_auc | 0.910 |" in text and "≥ 0.95 MISSED" in text
    assert "- **A1** Akyon 2019" in text


def test_write_report_gives_strict_json_markdown_and_a_heatmap(tmp_path) -> None:
    paths = report.write_report(_rows(), tmp_path, "header line")
    rows = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert len(rows) == 6 and all(tuple(r) == ROW_KEYS for r in rows)
    assert rows[2]["spread"] is None
    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert "header line" in markdown and "![transfer matrix](transfer_matrix.png)" in markdown
    assert paths["heatmap"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_write_report_without_transfer_rows_draws_no_heatmap(tmp_path) -> None:
    paths = report.write_report(_rows()[:3], tmp_path)
    assert "heatmap" not in paths and not (tmp_path / "transfer_matrix.png").exists()


def test_run_benchmark_saves_parts_resumes_them_and_reruns_on_new_settings(tmp_path) -> None:
    calls: list[tuple[str, int]] = []

    def runner(part: str, plan: report.BenchmarkPlan) -> list[dict[str, object]]:
        calls.append((part, plan.folds))
        if part == "comments":
            raise DatasetMissingError("no comments here")
        return [row(part, "t", "m", float(plan.folds), "p")]

    plan = report.BenchmarkPlan(folds=3, repeats=1, parts=("accounts", "comments"))
    rows, status = report.run_benchmark(plan, tmp_path, runner)
    assert [r["value"] for r in rows] == [3.0] and status["comments"].startswith("skipped")
    report.run_benchmark(plan, tmp_path, runner)
    assert calls.count(("accounts", 3)) == 1  # the saved part was reused
    rows, _ = report.run_benchmark(plan.model_copy(update={"folds": 4}), tmp_path, runner)
    assert [r["value"] for r in rows] == [4.0]
    report.run_benchmark(plan.model_copy(update={"folds": 4}), tmp_path, runner, resume=False)
    assert calls.count(("accounts", 4)) == 2


def test_calls_for_different_parts_into_one_folder_add_up(tmp_path) -> None:
    def runner(part: str, plan: report.BenchmarkPlan) -> list[dict[str, object]]:
        return [row(part, "t", "m", float(plan.folds), "p")]

    accounts = report.BenchmarkPlan(folds=3, repeats=1, parts=("accounts",))
    report.run_benchmark(accounts.model_copy(update={"parts": ("comments",)}), tmp_path, runner)
    rows, status = report.run_benchmark(accounts, tmp_path, runner)
    assert [(r["dataset"], r["value"]) for r in rows] == [("accounts", 3.0), ("comments", 3.0)]
    assert status["accounts"].startswith("ran") and "earlier call" in status["comments"]
    rows, _ = report.run_benchmark(accounts.model_copy(update={"folds": 5}), tmp_path, runner)
    assert [(r["dataset"], r["value"]) for r in rows] == [("accounts", 5.0), ("comments", 3.0)]  # latest run
    report.write_report(rows, tmp_path)
    assert len(json.loads((tmp_path / "benchmark.json").read_text(encoding="utf-8"))) == 2


def test_plan_refuses_unknown_parts() -> None:
    with pytest.raises(ValidationError, match="unknown benchmark part"):
        report.BenchmarkPlan(parts=("accounts", "everything"))


def test_world_settings_fix_the_mix_and_leave_the_training_priors() -> None:
    base = SimulationSettings()
    r = base.randomisation
    for world in EVALUATION_WORLDS:
        s = world_settings(base, world)
        m = s.mechanisms
        assert not s.randomisation.enabled and m.strength_scale == world.strength_scale
        probs = (m.fake_followers_prob, m.churn_prob, m.like_inflation_prob, m.bot_comments_prob, m.pod_prob)
        lo, hi = r.mechanism_prob_range
        axes = [any(not lo <= p <= hi for p in probs), m.single_mechanism,
                not r.strength_scale_range[0] <= m.strength_scale <= r.strength_scale_range[1],
                not r.lookalike_prob_range[0] <= m.lookalike_prob <= r.lookalike_prob_range[1],
                not r.buyer_share_range[0] <= m.buyer_share <= r.buyer_share_range[1],
                s.followers.tier_weights != base.followers.tier_weights,
                s.niche_weights != base.niche_weights]
        assert sum(axes) >= 3, world.name  # out of distribution on at least three axes
    assert base.mechanisms.strength_scale == 1.0 and base.randomisation.enabled  # the base is left alone
    with pytest.raises(ValidationError):
        world_settings(base, EVALUATION_WORLDS[0].model_copy(update={"tier_weights": [0.5, 0.5]}))


def test_within_campaign_spearman_ranks_inside_each_campaign() -> None:
    pairs = pd.DataFrame({
        "campaign_id": ["c1"] * 5 + ["c2"] * 5 + ["c3"] * 2,
        "predicted": [1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 1, 2],
        "expected_conversions": [10, 20, 30, 40, 50, 1, 2, 3, 4, 5, 9, 8],
    })
    rho = within_campaign_spearman(pairs)
    assert rho.to_dict() == pytest.approx({"c1": 1.0, "c2": -1.0})  # c3 has too few pairs


def test_restrict_to_accounts_keeps_their_rows_and_their_comments() -> None:
    tables = {
        "accounts": pd.DataFrame({"account_id": ["a", "b"]}),
        "posts": pd.DataFrame({"post_id": ["p1", "p2"], "account_id": ["a", "b"]}),
        "comments": pd.DataFrame({"comment_id": ["c1", "c2"], "post_id": ["p1", "p2"]}),
        "audience": pd.DataFrame({"influencer_id": ["b"], "follower_id": ["f"]}),
        "campaigns": pd.DataFrame({"campaign_id": ["x"]}),
    }
    cut = restrict_to_accounts(tables, pd.Index(["a"]))
    assert cut["posts"]["post_id"].tolist() == ["p1"] and cut["comments"]["comment_id"].tolist() == ["c1"]
    assert cut["audience"].empty and len(cut["campaigns"]) == 1
    assert len(tables["comments"]) == 2


def test_a_part_key_covers_the_code_its_numbers_come_from() -> None:
    accounts = report.module_closure(report.PART_MODULES["accounts"])
    assert {"authfit_bench.benchmarks.accounts", "authfit.features.account_profile",
            "authfit.datasets.labelled_accounts", "authfit.features", "authfit"} <= set(accounts)
    assert "authfit.cli" not in accounts and "authfit_bench.benchmarks.comments" not in accounts
    # a package's __init__ is in (it runs), but not what it imports: features/__init__ is not build.py
    assert "authfit.features.build" not in accounts
    # simulated trains the whole pipeline, which it imports only through train_all
    assert "authfit.training.pipeline" in report.module_closure(report.PART_MODULES["simulated"])
    fingerprint = report.BenchmarkPlan().fingerprint("accounts")
    assert fingerprint["code"] == report.source_digest("authfit_bench.benchmarks.accounts")
    assert fingerprint["code"] != report.source_digest("authfit_bench.benchmarks.comments")


def _probe_package(root, monkeypatch, files: dict[str, str]) -> None:
    """A package `probe` under `root`, importable and counted as one of the project's own."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    for name in [m for m in sys.modules if m.split(".")[0] == "probe"]:  # one made by an earlier test
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(root))  # also invalidates the import caches
    monkeypatch.setattr(report, "OWN_PACKAGES", (*report.OWN_PACKAGES, "probe"))
    report.source_digest.cache_clear()


def test_imports_inside_functions_and_relative_ones_are_followed(tmp_path, monkeypatch) -> None:
    _probe_package(tmp_path, monkeypatch, {
        "probe/__init__.py": "", "probe/sub/__init__.py": "", "probe/top.py": "y = 1\n",
        "probe/sub/other.py": "x = 1\n", "probe/sub/unused.py": "z = 1\n",
        "probe/sub/mod.py": "import numpy\n\ndef f():\n    from .other import x\n    from ..top import y\n"
                            "    from authfit.features import account_profile\n    import probe.no_such_module\n"})
    found = set(report.module_closure("probe.sub.mod"))
    assert {"probe.sub.other", "probe.top", "authfit.features.account_profile", "authfit.features"} <= found
    assert not {"probe.no_such_module", "probe.sub.unused", "numpy"} & found


def test_a_saved_part_is_rerun_when_its_code_or_its_inputs_change(tmp_path, monkeypatch) -> None:
    calls: list[str] = []

    def runner(part: str, plan: report.BenchmarkPlan) -> list[dict[str, object]]:
        calls.append(part)
        return [row(part, "t", "m", float(len(calls)), "p")]

    plan = report.BenchmarkPlan(folds=3, repeats=1, parts=("accounts",))
    report.run_benchmark(plan, tmp_path, runner, context=lambda _: {"datasets_root": "/a"})
    report.run_benchmark(plan, tmp_path, runner, context=lambda _: {"datasets_root": "/a"})
    assert len(calls) == 1  # same code, same inputs: reused
    rows, status = report.run_benchmark(plan, tmp_path, runner, context=lambda _: {"datasets_root": "/b"})
    assert len(calls) == 2 and rows[0]["value"] == 2.0 and status["accounts"].startswith("ran")
    monkeypatch.setattr(report, "source_digest", lambda module: "a changed model")
    rows, _ = report.run_benchmark(plan, tmp_path, runner, context=lambda _: {"datasets_root": "/b"})
    assert len(calls) == 3 and rows[0]["value"] == 3.0


def test_source_digest_sees_a_change_of_text_or_of_module_name(tmp_path, monkeypatch) -> None:
    _probe_package(tmp_path, monkeypatch, {"probe/__init__.py": "", "probe/a.py": "x = 1\n",
                                           "probe/b.py": "x = 1\n"})
    base = report.source_digest("probe.a")
    assert base != report.source_digest("probe.b")  # the same text under another name
    (tmp_path / "probe" / "a.py").write_text("x = 2\n", encoding="utf-8")
    report.source_digest.cache_clear()
    assert base != report.source_digest("probe.a")


def test_part_inputs_key_the_simulated_part_by_its_configs_and_real_parts_by_the_data(tmp_path) -> None:
    from authfit.features.build import FeatureSettings
    from authfit.training.train_settings import TrainSettings

    inputs = report.PartInputs(tmp_path / "data", SimulationSettings(), TrainSettings(), FeatureSettings(),
                               tmp_path)
    assert inputs.fingerprint("accounts") == {"datasets_root": str((tmp_path / "data").resolve())}
    base = SimulationSettings()
    other = base.model_copy(update={"mechanisms": base.mechanisms.model_copy(update={"buyer_share": 0.1})})
    changed = report.PartInputs(tmp_path, other, TrainSettings(), FeatureSettings(), tmp_path)
    assert changed.fingerprint("simulated") != inputs.fingerprint("simulated")
    assert changed.fingerprint("simulated")["train"] == inputs.fingerprint("simulated")["train"]


def test_protocols_say_whether_their_splits_were_held_out_from_model_selection() -> None:
    from authfit_bench.benchmarks.accounts import REPORTING_SEED, SELECTION_SEEDS, CvPlan

    assert not SELECTION_SEEDS & set(CvPlan().seeds()) and CvPlan().seed == REPORTING_SEED
    assert report.BenchmarkPlan().seed == REPORTING_SEED
    assert "no choice saw (seeds 1000-1004)" in CvPlan().describe()
    assert "NOT held out" in CvPlan(10, 5, seed=98).describe()  # repeats 98-102 reach the screening seeds
    assert "seeds 0-4 and 100-103" in CvPlan().describe()  # the selection budget is stated either way
