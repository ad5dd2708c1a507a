"""`authfit report` on the trained model set: score a world for a campaign, audit the top influencers and a
chosen one, and check the file is complete and self-contained."""

from __future__ import annotations

import re

import pandas as pd
from typer.testing import CliRunner

from authfit.cli import app
from authfit.report.html import SECTIONS
from authfit.scoring.batch_files import score_directory


def test_report_from_campaign_scores(trained, tmp_path):
    campaign = str(pd.read_parquet(trained.world / "campaigns.parquet")["campaign_id"].iloc[0])
    scores = tmp_path / "scores.parquet"
    score_directory(trained.world, scores, str(trained.models / "latest"), campaign=campaign)
    flagged = pd.read_parquet(scores).sort_values("fake_engagement_probability")["account_id"].iloc[-1]
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--scores", str(scores), "--data", str(trained.world),
                                      "--model", str(trained.models / "latest"), "--out", str(out),
                                      "--account", flagged, "--top", "2"])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert re.search(rf'(id|class)="{section}"', page), section
    assert f'id="account-{flagged}"' in page and page.count('class="account"') == 1  # --account wins over --top
    assert f"Campaign {campaign}" in page and "per conversion" in page
    # the follower chart, the comment mix and the engagement chart at least, all embedded
    assert page.count("data:image/png;base64,") >= 3
    assert not re.findall(r'(?:src|href)="(?!data:)', page)


def test_report_top_n_without_campaign(trained, scorer, tmp_path):
    from authfit.contract.validate import load_contract_tables

    tables = load_contract_tables(trained.world).tables
    scores = tmp_path / "scores.csv"
    scored = scorer.score_influencers(tables)
    scored.assign(reasons=scored["reasons"].map(" | ".join)).to_csv(scores, index=False)
    out = tmp_path / "sub" / "report.html"
    result = CliRunner().invoke(app, ["report", "--scores", str(scores), "--data", str(trained.world),
                                      "--model", str(trained.models / "latest"), "--out", str(out), "--top", "3"])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    top3 = scored.sort_values("authenticity_score", ascending=False)["account_id"].head(3)
    assert all(f'id="account-{a}"' in page for a in top3)
    assert page.count('class="account"') == 3 and "not for a campaign" in page


def test_model_cards_show_their_plots(trained):
    from authfit.training.train_settings import ACCOUNT_MODEL, COMMENT_MODEL, FAKE_ENGAGEMENT_MODEL

    for name, path in trained.summary.bundles.items():
        card = (path / "model_card.md").read_text(encoding="utf-8")
        linked = re.findall(r"!\[[^\]]*\]\((reports/[^)]+)\)", card)
        assert linked and all((path / rel).is_file() for rel in linked), name
        if name != COMMENT_MODEL:  # the comment model is a text model without tree importances
            assert "reports/feature_importance.png" in linked, name
        if name == FAKE_ENGAGEMENT_MODEL:
            assert {"reports/roc.png", "reports/pr.png", "reports/calibration.png"} <= set(linked)
        if name == ACCOUNT_MODEL:  # the transfer matrix is off unless enabled in the config
            assert "reports/transfer_matrix.png" not in linked
