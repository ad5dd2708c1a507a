"""Rebuild the shipped pretrained account and comment models (`make pretrained`):

    python -m authfit.training.pretrained_build --config configs/train.yaml --out models/pretrained
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from authfit.modeling.bundle import BundleMetadata, load_bundle, new_version
from authfit.modeling.quantification import ErrorRates
from authfit.training.comment_model import train_comment_model
from authfit.training.pretrained import PRETRAINED_SOURCES, SHARE_RATES_LEFT_OUT, pretrained_settings
from authfit.training.real_models import train_account_model
from authfit.training.train_settings import ACCOUNT_MODEL, COMMENT_MODEL, TrainSettings
from authfit.training.summary import TrainingSummary


def held_out_sources(settings: TrainSettings) -> tuple[str, ...]:
    """The configured account sources the pretrained model is not trained on (their licences do not allow
    shipping a model trained on them): scored by it as test data only, for its out-of-source metrics and the
    share's error rates."""
    trained = {s.source for s in PRETRAINED_SOURCES[ACCOUNT_MODEL]}
    return tuple(s for s in settings.real_data.account_sources if s not in trained)


def rates_lines(meta: BundleMetadata) -> list[str]:
    """The README's paragraph on the account model's out-of-source results and the share's error rates."""
    rates, metrics = ErrorRates(**meta.extra["error_rates"]), meta.metrics
    tested = sorted(k.removeprefix("out_of_source_roc_auc_") for k in metrics
                    if k.startswith("out_of_source_roc_auc_"))
    lines = ["Out of source: labelled sets it was never trained on, scored at its verdict threshold "
             f"{rates.threshold:.2f} (used to test only; their licences do not allow shipping a model "
             "trained on them):", "", "| set | ROC-AUC | sensitivity | specificity |", "|---|---|---|---|"]
    lines += ["| {0} | {1:.3f} | {2:.3f} | {3:.3f} |".format(
        s, *(metrics[f"out_of_source_{m}_{s}"] for m in ("roc_auc", "sensitivity", "specificity")))
        for s in tested]
    return [*lines, "", "The fake-follower share corrects for the model's error rates and draws its interval "
            f"from how they vary between populations, with the rates of {', '.join(rates.sources)}: "
            f"{meta.extra['error_rates_rule']}. These are evaluation figures, like the ROC-AUCs above; the "
            "model's weights and its threshold come from the licensed set alone. With one source's rates the "
            "interval was narrow and missed audiences unlike that source; with these it is honest but wide "
            "(docs/pretrained-share.md).", *left_out_lines(), ""]


def left_out_lines() -> list[str]:
    """Why the tested sources in `SHARE_RATES_LEFT_OUT` add no error rates to the share."""
    if not SHARE_RATES_LEFT_OUT:
        return []
    return ["", f"Left out of the rates: {', '.join(SHARE_RATES_LEFT_OUT)}, a Twitter set, while the share is "
            "read from Instagram follower samples; with its rates every demo interval ran from 0% to 100%. The "
            "choice was made on a selection world (seed 11), not on the demo worlds the page reports."]


def readme_text(bundles: dict[str, Path]) -> str:
    """models/pretrained/README.md: what is shipped, on which data, under which licences, how to rebuild."""
    lines = ["# Pretrained models", "",
             "Account and comment authenticity models shipped with authfit, so that `make demo`, the tests and "
             "`authfit accounts score` work on a fresh clone without the real data sets. `authfit train` copies "
             "them into a new model set only when it finds no labelled source under `$AUTHFIT_DATASETS`; with "
             "the data sets it trains its own on every configured source and these are not used.", "",
             "Each bundle is verified against its `manifest.json` (SHA-256 of every file) before it is used; "
             "its `model_card.md` gives the intended use, metrics and limitations.", "",
             "Rebuild them (needs the data sets; replaces this folder's bundles and this file):", "",
             "```bash", "make pretrained", "```", "",
             "## Training data and licences", "",
             "Only sets whose licence allows sharing a model trained on them are used. Left out: `instafake-v1` "
             "(CC BY-NC 4.0, non-commercial only) and every set with no stated licence or for research use "
             "only (cresci2015, purba2020, the Kaggle spammer set and others).", ""]
    for name, path in bundles.items():
        meta = load_bundle(path).metadata
        rows = meta.extra.get("sources", {})
        lines += [f"### {name} ({path.relative_to(path.parent.parent.parent).as_posix()})", "",
                  "| set | rows | licence | citation |", "|---|---|---|---|"]
        lines += [f"| [{s.dataset}]({s.url}) | {rows.get(s.source, 0)} | {s.licence} | {s.citation} |"
                  for s in PRETRAINED_SOURCES[name]]
        shown = {k: round(v, 3) for k, v in meta.metrics.items() if k in ("roc_auc", "pr_auc", "f1", "ece")}
        lines += ["", f"Out-of-fold metrics: {shown}.", ""]
        if name == ACCOUNT_MODEL:
            lines += rates_lines(meta)
    lines += ["A model trained on a CC BY-SA set is shared under the same terms: the account bundle carries "
              "the attribution above, and changes to it must be shared alike.", ""]
    return "\n".join(lines)


def build_pretrained(settings: TrainSettings, out: Path) -> dict[str, Path]:
    """Train both models on `PRETRAINED_SOURCES` and replace the bundles under `out` (and its README)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        staging = Path(tmp)
        summary = TrainingSummary(version=f"pretrained-{new_version()}")
        chosen = pretrained_settings(settings, staging)
        tests = held_out_sources(settings)
        account = train_account_model(chosen, summary.version, summary, tests, SHARE_RATES_LEFT_OUT)
        if account is None or train_comment_model(chosen, summary.version, summary) is None:
            raise RuntimeError("pretrained models need their data sets: " + "; ".join(summary.notes))
        missing = set(tests) - set(SHARE_RATES_LEFT_OUT) - set(
            account.error_rates.sources if account.error_rates else ())
        if missing:
            raise RuntimeError(f"the share's error rates need the test sources {sorted(missing)}: "
                               + "; ".join(summary.notes))
        bundles = {}
        for name in (ACCOUNT_MODEL, COMMENT_MODEL):
            shutil.rmtree(out / name, ignore_errors=True)
            bundles[name] = out / name / summary.version
            shutil.move(str(staging / name), str(out / name))
    (out / "README.md").write_text(readme_text(bundles), encoding="utf-8")
    return bundles


def main(argv: list[str] | None = None) -> int:
    from authfit.config import load_settings

    parser = argparse.ArgumentParser(description="Rebuild the shipped pretrained account and comment models.")
    parser.add_argument("--config", type=Path, default=Path("configs/train.yaml"))
    parser.add_argument("--out", type=Path, default=None, help="default: pretrained_dir of the config")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings(args.config, TrainSettings)
    for name, path in build_pretrained(settings, args.out or settings.pretrained_dir).items():
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        print(f"{name}: {path} ({size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
