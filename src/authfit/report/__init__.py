"""Reports people look at: the HTML audit of influencers (`authfit report`) and its charts."""

from __future__ import annotations

from pathlib import Path


def write_report(scores: Path, data: Path, out: Path, model: str = "models/latest",
                 accounts: list[str] | None = None, top: int = 5) -> Path:
    """Audit the chosen influencers (or the top `top` of the scores) and write one self-contained HTML file."""
    from authfit.contract.io import read_raw_tables
    from authfit.contract.io import read_scores, write_text_atomic
    from authfit.report.audit import collect
    from authfit.report.html import render_html
    from authfit.scoring.scorer import Scorer
    from authfit.contract.validate import validate_tables

    scorer = Scorer.load(model)
    tables = validate_tables(read_raw_tables(data)).tables
    if "accounts" not in tables:
        raise ValueError(f"{data} has no valid accounts table")
    audit = collect(read_scores(scores), tables, scorer.builder, accounts, top)
    return write_text_atomic(out, render_html(audit))
