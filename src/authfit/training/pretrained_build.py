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

from authfit.modeling.bundle import load_bundle, new_version
from authfit.training.comment_model import train_comment_model
from authfit.training.pretrained import PRETRAINED_SOURCES, pretrained_settings
from authfit.training.real_models import train_account_model
from authfit.training.train_settings import ACCOUNT_MODEL, COMMENT_MODEL, TrainSettings
from authfit.training.summary import TrainingSummary


def transfer_auc(bundle_path: Path, sources: list[str]) -> dict[str, float]:
    """ROC-AUC of the shipped account model on labelled sources it was not trained on (used as test data
    only, nothing of them is shipped); a source that is absent is left out."""
    from sklearn.metrics import roc_auc_score

    from authfit.datasets.labelled_accounts import load_labelled_accounts
    from authfit.datasets.paths import DatasetMissingError
    from authfit.modeling.real_data_models import AccountModel

    model = AccountModel(load_bundle(bundle_path))
    out = {}
    for source in sources:
        try:
            data = load_labelled_accounts(source)
        except DatasetMissingError:
            continue
        if data["label"].nunique() == 2:
            out[source] = float(roc_auc_score(data["label"], model.predict_proba(data)))
    return out


def readme_text(bundles: dict[str, Path], transfer: dict[str, float] | None = None) -> str:
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
        if name == ACCOUNT_MODEL and transfer:
            lines += ["Out of source: ROC-AUC on labelled sets it was never trained on (used to test only; "
                      "their licences do not allow shipping a model trained on them):", "",
                      *(f"- {source}: {auc:.3f}" for source, auc in sorted(transfer.items())), ""]
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
        if train_account_model(chosen, summary.version, summary) is None or \
                train_comment_model(chosen, summary.version, summary) is None:
            raise RuntimeError("pretrained models need their data sets: " + "; ".join(summary.notes))
        bundles = {}
        for name in (ACCOUNT_MODEL, COMMENT_MODEL):
            shutil.rmtree(out / name, ignore_errors=True)
            bundles[name] = out / name / summary.version
            shutil.move(str(staging / name), str(out / name))
    held_out = [s for s in settings.real_data.account_sources
                if s not in {x.source for x in PRETRAINED_SOURCES[ACCOUNT_MODEL]}]
    transfer = transfer_auc(bundles[ACCOUNT_MODEL], held_out)
    (out / "README.md").write_text(readme_text(bundles, transfer), encoding="utf-8")
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
