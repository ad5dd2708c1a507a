"""The audit report's parts: spike/purge detection on a follower series, the comment mix, and the HTML
(self-contained, every section present) from hand-built audit data."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from authfit.features.growth import GrowthSettings
from authfit.report.audit import (
    AuditData,
    choose_accounts,
    comment_mix,
    follower_series,
    reasons_list,
    reference_accounts,
)
from authfit.report.html import SECTIONS, render_html

AS_OF = pd.Timestamp("2025-06-30", tz="UTC")


def _history(account: str, followers: np.ndarray) -> pd.DataFrame:
    dates = pd.date_range(end=AS_OF, periods=len(followers), freq="D")
    return pd.DataFrame({"account_id": account, "date": dates, "follower_count": followers.astype(float)})


def test_follower_series_marks_the_bought_day_and_the_purge_day():
    rng = np.random.default_rng(0)
    base = 10_000 + np.cumsum(rng.normal(10, 3, 120))
    bought = base.copy()
    bought[60:] += 3_000  # one day of bought followers
    bought[90:] -= 2_000  # one purge day
    history = pd.concat([_history("a", bought), _history("b", base)])
    series = follower_series(history, ["a", "b"], AS_OF, GrowthSettings(lookback_days=120))
    a = series["a"]
    assert list(a.days[a.spikes]) == [a.days[60]]
    assert list(a.days[a.purges]) == [a.days[90]]
    assert not series["b"].spikes.any() and not series["b"].purges.any()


def test_comment_mix_authentic_is_a_lower_bound_and_missing_stays_missing():
    features = pd.DataFrame({"generic_comment_share": [0.2, np.nan, 0.7], "near_duplicate_share": [0.1, np.nan, 0.5],
                             "spam_share": [0.0, np.nan, 0.1], "recurring_early_comment_share": [0.1, np.nan, 0.0]},
                            index=["x", "y", "z"])
    mix = comment_mix(features)
    assert list(mix.columns) == ["authentic", "generic", "duplicate", "spam", "pod"]
    assert mix.loc["x", "authentic"] == pytest.approx(0.6)
    assert np.isnan(mix.loc["y", "authentic"])
    assert mix.loc["z", "authentic"] == 0.0  # overlapping patterns never give a negative share


def test_choose_accounts_ranks_by_conversions_and_rejects_unknown_ids():
    scores = pd.DataFrame({"account_id": ["a", "b", "c"], "authenticity_score": [90, 10, 50],
                           "expected_conversions": [1.0, 5.0, 3.0]})
    assert choose_accounts(scores, None, 2) == ["b", "c"]
    assert choose_accounts(scores.drop(columns="expected_conversions"), None, 1) == ["a"]
    with pytest.raises(ValueError, match="zz"):
        choose_accounts(scores, ["a", "zz"], 5)


def test_reasons_from_parquet_lists_and_csv_strings():
    assert reasons_list(np.array(["x", "y"])) == ["x", "y"]
    assert reasons_list("x | y") == ["x", "y"]
    assert reasons_list("['follows 1,343 accounts' \"it's 5%\"]") == ["follows 1,343 accounts", "it's 5%"]
    assert reasons_list(None) == [] and reasons_list(float("nan")) == []


def _audit(campaign: str | None) -> AuditData:
    rng = np.random.default_rng(1)
    followers = 5_000 + np.cumsum(rng.normal(5, 2, 200))
    followers[100:] += 2_000
    history = _history("inf_1", followers)
    scores = pd.DataFrame({
        "account_id": ["inf_1", "inf_2"], "tier": ["micro", "micro"], "niche": ["travel", "food"],
        "authenticity_score": [12.0, 88.0], "fake_engagement_probability": [0.88, 0.12],
        "fake_engagement_flag": [True, False], "fake_follower_share": [0.4, np.nan],
        "fake_follower_share_lo": [0.3, np.nan], "fake_follower_share_hi": [0.5, np.nan],
        "engagement_rate": [0.05, 0.02], "engagement_rate_vs_benchmark": [2.0, 0.9],
        "reasons": [["bought <followers> & more"], []], "model_version": "v1"})
    if campaign:
        scores = scores.assign(campaign_id=campaign, expected_conversions=[2.0, 3.0], cost=[100.0, 200.0],
                               expected_cost_per_conversion=[50.0, 66.7], fit_score=[0.3, 0.6])
    mix = comment_mix(pd.DataFrame({"generic_comment_share": [0.3, np.nan]}, index=["inf_1", "inf_2"]))
    x = np.logspace(3, 5, 20)
    return AuditData(
        accounts=["inf_1", "inf_2"], scores=scores.set_index("account_id"),
        population=pd.DataFrame({"account_id": ["inf_1", "inf_2"], "engagement_rate": [0.05, 0.02],
                                 "followers": [7_000.0, 20_000.0]}),
        series=follower_series(history, ["inf_1", "inf_2"], AS_OF, GrowthSettings(lookback_days=200)),
        mix=mix, curve=(x, 0.1 / np.sqrt(x / 1000)), tier_bounds=(1_000, 100_000), campaign=campaign,
        typical_mix=mix.median(), reference_size=2)


@pytest.mark.parametrize("campaign", ["cmp_1", None])
def test_report_is_self_contained_and_has_every_section(campaign, tmp_path):
    page = render_html(_audit(campaign))
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    assert path.stat().st_size > 10_000  # the charts are in the file, not linked
    for section in SECTIONS:
        assert re.search(rf'(id|class)="{section}"', page), section
    assert page.count('<section class="follower-history">') == 2
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "bought &lt;followers&gt; &amp; more" in page  # reasons are escaped, not injected
    assert "flagged for fake engagement" in page and "Not estimated (no audience sample)" in page
    # reasons explain the verdict, so the reader is told which way they pushed
    assert "what raised the fake-engagement probability most" in page
    assert "what lowered the fake-engagement probability most" in page
    assert "the median over 2 of the scored influencers" in page
    if campaign:
        assert "<b>5</b> expected conversions" in page and "<b>60 campaign currency</b> per conversion" in page
    else:
        assert "not for a campaign" in page


def test_transfer_heatmap_and_model_card_link_the_plots(tmp_path):
    from authfit.modeling.bundle import BundleMetadata, render_model_card
    from authfit.report.training import plot_transfer_matrix

    matrix = pd.DataFrame([[np.nan, 0.8], [0.55, np.nan], [0.7, 0.9]], index=["a", "b", "all others"],
                          columns=["a", "b"])
    path = plot_transfer_matrix(matrix, tmp_path / "t" / "transfer_matrix.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    meta = BundleMetadata(name="m", version="v", task="binary", created_at="now", feature_set_version="f",
                          data_fingerprint="x", metrics={"roc_auc": 0.9})
    card = render_model_card(meta, ["f1"], ["roc.png", "transfer_matrix.png", "notes.txt"])
    assert "![roc](reports/roc.png)" in card and "![transfer matrix](reports/transfer_matrix.png)" in card
    assert "notes.txt" not in card and "## Plots" not in render_model_card(meta, ["f1"])


def test_model_card_and_its_plots_reach_mlflow(tmp_path, monkeypatch):
    import lightgbm as lgb
    from mlflow import MlflowClient

    from authfit.modeling.bundle import BundleMetadata, save_bundle
    from authfit.modeling.metrics import plot_roc
    from authfit.modeling.tracking import TrackingSettings, log_training_run

    X = pd.DataFrame({"a": np.arange(60.0), "b": np.arange(60.0) % 7})
    y = (X["a"] > 30).astype(float)
    booster = lgb.train({"objective": "binary", "verbosity": -1, "num_threads": 1, "min_data_in_leaf": 5},
                        lgb.Dataset(X, y), 5)
    meta = BundleMetadata(name="card-toy", version="20260101T000000Z", task="binary", created_at="2026-01-01",
                          feature_set_version="fs-1", data_fingerprint="0" * 64, metrics={"roc_auc": 0.9})
    roc = plot_roc(y, X["a"] / 60, tmp_path / "plots" / "roc.png")
    path = save_bundle(tmp_path / "models", meta, booster, ["a", "b"], reports={"roc.png": roc})
    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    result = log_training_run(path, tmp_path, TrackingSettings(experiment="card-test", tracking_uri=uri), X.head(3))
    assert result is not None
    client = MlflowClient(tracking_uri=uri)
    card = Path(client.download_artifacts(result.run_id, "model_card.md", str(tmp_path / "dl"))).read_text()
    assert "![roc](reports/roc.png)" in card
    assert [a.path for a in client.list_artifacts(result.run_id, "reports")] == ["reports/roc.png"]


def test_labels_of_neighbouring_markers_do_not_overlap():
    from matplotlib.figure import Figure

    from authfit.report.plots import place_labels

    fig = Figure(figsize=(5, 3))
    ax = fig.subplots()
    xs, ys = np.array([1e5, 1.05e5, 1.1e5, 3e4]), np.array([0.010, 0.0102, 0.0098, 0.03])
    ax.scatter(xs, ys)
    ax.set_xscale("log")
    ax.set_yscale("log")
    place_labels(ax, xs, ys, ["inf_000098", "inf_000100", "inf_000143", "inf_000001"])
    fig.draw_without_rendering()
    boxes = [t.get_window_extent() for t in ax.texts]
    assert len(boxes) == 4
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)


def test_axis_labels_read_as_counts_and_percentages():
    from authfit.report.plots import count_label, percent_label

    assert [count_label(v) for v in (950, 1_000, 12_500, 1_500_000)] == ["950", "1k", "12.5k", "1.5M"]
    assert [percent_label(v) for v in (0.005, 0.02, 0.1)] == ["0.5%", "2%", "10%"]


def test_reference_sample_is_even_reproducible_and_capped():
    scores = pd.DataFrame({"account_id": [f"inf_{i:04d}" for i in range(999, -1, -1)]})
    sample = reference_accounts(scores, size=5)
    assert sample == ["inf_0000", "inf_0249", "inf_0499", "inf_0749", "inf_0999"]
    assert reference_accounts(scores.head(3), size=5) == ["inf_0997", "inf_0998", "inf_0999"]
    assert reference_accounts(scores.head(0)) == []


def test_comment_mix_marks_the_typical_share_on_each_pattern_row():
    from authfit.report.plots import comment_mix_chart

    mix = pd.Series({"authentic": 0.1, "generic": 0.5, "duplicate": 0.2, "spam": 0.0, "pod": 0.2})
    typical = pd.Series({"pod": 0.05, "authentic": 0.6, "generic": 0.2, "duplicate": 0.1, "spam": np.nan})
    fig = comment_mix_chart(mix, "t", typical, "median of 9 scored")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    marks = ax.collections[-1].get_offsets()
    by_row = {labels[int(y)]: x for x, y in marks}
    assert by_row == pytest.approx({"authentic": 0.6, "generic": 0.2, "duplicate": 0.1, "pod": 0.05})
    assert ax.get_legend().get_texts()[0].get_text() == "median of 9 scored"


def test_summary_says_how_many_of_the_scored_influencers_are_audited():
    import dataclasses

    data = _audit("cmp_1")
    assert "2 influencer(s) audited, campaign cmp_1." in render_html(data)  # all of them: no "of the"
    more = pd.concat([data.population, data.population.assign(account_id=["inf_3", "inf_4"])])
    page = render_html(dataclasses.replace(data, population=more))
    assert "2 influencer(s) audited of the 4 in the scores file, campaign cmp_1." in page


def _audit_with(**changes) -> AuditData:
    from dataclasses import replace

    return replace(_audit("cmp_1"), **changes)


def test_verdicts_are_coloured_in_the_summary():
    page = render_html(_audit("cmp_1"))
    summary = page[page.index('id="summary"'):page.index('id="campaign"')]
    # inf_1: authenticity 12, flagged, 40% fake followers: three red cells and a red verdict
    assert summary.count('<td class="bad">') >= 4 and '<td class="bad">fake engagement</td>' in summary
    assert '<td class="good">ok</td>' in summary  # inf_2


def test_a_low_authenticity_high_fake_share_account_is_never_uncoloured():
    from authfit.report.html import verdicts

    scores = pd.DataFrame({"authenticity_score": [40.0, 90.0], "fake_follower_share": [0.51, 0.02],
                           "fake_engagement_flag": ["False", "False"]})
    text, colour = verdicts(scores)
    assert list(colour) == ["bad", "good"] and text.iloc[0] == "suspicious audience"


def test_reasons_are_put_into_plain_words():
    from authfit.features.docs import influencer_specs
    from authfit.report.phrases import plain_reason

    specs = influencer_specs(12)
    topics = {1: "gym, workout, protein"}
    raw = "mean share of NMF caption topic 1 over the account's posts: 0.015"
    assert plain_reason(raw, specs, topics) == "2% of captions are about topic 1 (gym, workout, protein)"
    growth = "relative follower change over the 30 days ending at the latest snapshot (interpolated daily): 0.25"
    assert plain_reason(growth, specs) == "followers changed by +25% in the last 30 days"
    assert plain_reason("3 sudden follower spikes", specs) == "3 sudden follower spikes"  # already words
    assert plain_reason("rise in likes against its own earlier posts: t = 0.5", specs) == (
        "no sudden rise in likes against its earlier posts")
    assert plain_reason("rise in likes per comment against its own earlier posts: t = 4.2", specs).startswith(
        "likes per comment rose suddenly against its earlier posts (t = 4.2")
    page = render_html(_audit_with(scores=_audit("cmp_1").scores.assign(reasons=[[raw], []]), specs=tuple(specs),
                                   topics=topics))
    assert "NMF" not in page and "about topic 1 (gym, workout, protein)" in page


def test_every_feature_without_a_scoring_sentence_has_a_plain_phrase():
    from authfit.features.docs import influencer_specs
    from authfit.report.phrases import PLAIN_PHRASES, TOPIC_FEATURE
    from authfit.scoring.reasons import TEMPLATES

    missing = [s.name for s in influencer_specs() if s.name not in TEMPLATES and s.name not in PLAIN_PHRASES
               and not TOPIC_FEATURE.match(s.name)]
    assert not missing, f"add plain phrases to authfit.report.phrases for {missing}"


def test_audience_split_reachability_local_influence_and_currency_are_shown():
    audience = pd.DataFrame({"real": [0.6, np.nan], "mass_follower": [0.15, np.nan], "suspicious": [0.25, np.nan],
                             "sample": [120.0, 0.0]}, index=["inf_1", "inf_2"])
    data = _audit_with(audience=audience, local=pd.Series([0.42, np.nan], index=["inf_1", "inf_2"]),
                       target_country="CH", currency="CHF",
                       scores=_audit("cmp_1").scores.assign(reachability=[0.85, 0.7]))
    page = render_html(data)
    assert "Of 120 sampled followers: <b>60%</b> real, <b>15%</b> mass followers, <b>25%</b> suspicious" in page
    assert "Reachability 85.0%" in page and "<th>reachability</th>" in page
    assert "<th>followers in CH</th>" in page and "<td>42.0%</td>" in page
    assert "<th>cost (CHF)</th>" in page and "<th>cost per conversion (CHF)</th>" in page
    assert "<b>60 CHF</b> per conversion" in page


def test_missing_fake_share_says_whether_the_sample_or_the_model_is_missing():
    audience = pd.DataFrame({"real": [0.7, 0.9], "mass_follower": [0.3, 0.1], "suspicious": [np.nan, np.nan],
                             "sample": [50.0, 80.0]}, index=["inf_1", "inf_2"])
    page = render_html(_audit_with(audience=audience))
    assert "no account model to score its 80 sampled followers" in page


def test_audience_split_counts_suspicious_before_mass_followers():
    from types import SimpleNamespace

    from authfit.features.audience import AudienceSettings
    from authfit.modeling.quantification import ErrorRates
    from authfit.report.audit import audience_split

    # 0.35 is suspicious only at the account model's own threshold (0.3), not at a default 0.5
    audience = pd.DataFrame({"influencer_id": ["a"] * 4 + ["b"], "following_count": [5000, 100, 5000, 100, 10],
                             "fake": [1.0, 0.35, 0.0, 0.0, 0.0]})
    builder = SimpleNamespace(_settings=SimpleNamespace(audience=AudienceSettings()),
                              error_rates=ErrorRates(threshold=0.3),
                              account_scorer=lambda rows: rows["fake"].to_numpy())
    split = audience_split(audience, ["a", "b", "c"], builder)
    assert split.loc["a", ["suspicious", "mass_follower", "real"]].tolist() == [0.5, 0.25, 0.25]
    assert split.loc["b", "real"] == 1.0 and split.loc["a", "sample"] == 4 and np.isnan(split.loc["c", "sample"])


def test_model_card_has_intended_use_training_data_limitations_and_out_of_source_results():
    from authfit.modeling.bundle import BundleMetadata, render_model_card

    meta = BundleMetadata(name="account-authenticity", version="v", task="binary", created_at="now",
                          feature_set_version="f", data_fingerprint="x",
                          metrics={"roc_auc": 0.9, "out_of_source_roc_auc_srf2017": 0.81,
                                   "out_of_source_specificity_srf2017": 0.7, "out_of_source_roc_auc_kaggle": 0.66},
                          extra={"sources": {"srf2017": 975, "mystery": 10}})
    card = render_model_card(meta, ["f1"])
    for section in ("## Intended use", "## Training data", "## Limitations", "## Out-of-source results"):
        assert section in card
    assert "| srf2017 | 975 | CC BY-SA 4.0 | SRF Data (2017)" in card and "| mystery | 10 | see SOURCE.txt |" in card
    assert "| kaggle | 0.660 | nan |" in card and "| srf2017 | 0.810 | 0.700 |" in card
    bare = render_model_card(meta.model_copy(update={"metrics": {"roc_auc": 0.9}, "extra": {}}), ["f1"])
    assert "Not measured for this bundle" in bare and "fingerprint `x`" in bare
    assert "## Verdict threshold and recipe" not in bare
    chosen = render_model_card(meta.model_copy(update={
        "metrics": {"threshold": 0.42},
        "extra": {"threshold_rule": "best worst-source balanced accuracy, leave-one-source-out",
                  "recipe": {"features": "portable", "weighting": "source_class",
                             "monotone_increasing": ["follow_ratio_log"]}}}), ["f1"])
    assert "probability of at least 0.42: the cut with the best worst-source balanced accuracy" in chosen
    assert "portable profile features, source_class weights, monotone increasing in: follow_ratio_log" in chosen


def test_shipped_pretrained_cards_have_every_section():
    from authfit.training.pretrained import pretrained_bundle

    for name in ("account-authenticity", "comment-authenticity"):
        card = (pretrained_bundle(Path("models/pretrained"), name) / "model_card.md").read_text(encoding="utf-8")
        assert "## Intended use" in card and "## Out-of-source results" in card and "licence" in card


def test_fake_share_section_gives_the_interval_and_what_it_means():
    import dataclasses

    data = _audit(None)
    page = render_html(data)
    section = re.search(r'<section class="fake-followers">.*?</section>', page, re.S).group(0)
    assert "An estimated 40% of followers are fake; with 95% confidence the true share is between 30% and 50%." \
        in section and "The range allows for the size of the follower sample" in section
    # the scorer's own sentence (it knows the interval's confidence) wins over the rebuilt one
    scores = data.scores.assign(fake_follower_share_text=["Scorer's sentence, 90% interval.", None])
    page = render_html(dataclasses.replace(data, scores=scores))
    assert "Scorer&#x27;s sentence, 90% interval." in page and "with 95% confidence" not in page
