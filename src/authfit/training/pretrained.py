"""Pretrained account and comment models, shipped in `models/pretrained/` so a clone without the real data
sets still scores audiences and comments.

They are trained only on the public sets whose licences allow it (`PRETRAINED_SOURCES`), with the same
code as `authfit train`. `authfit train` uses them when no labelled source is found; when the data sets are
there, it trains its own and these are not used. Rebuild them with `make pretrained`:

    python -m authfit.training.pretrained --config configs/train.yaml --out models/pretrained
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from authfit.datasets.licences import LICENCES, SourceLicence
from authfit.modeling.bundle import BundleError, load_bundle, resolve_model_path
from authfit.training.settings import ACCOUNT_MODEL, COMMENT_MODEL, TrainSettings

if TYPE_CHECKING:
    from authfit.training.pipeline import TrainingSummary

log = logging.getLogger(__name__)


# Only sets whose licence allows sharing a model trained on them in an open-source project
# (`SourceLicence.redistributable`). Left out: instafake-v1 (CC BY-NC 4.0: non-commercial only, and authfit
# may be used commercially) and every set without a stated licence or for research use only.
PRETRAINED_SOURCES: dict[str, tuple[SourceLicence, ...]] = {
    ACCOUNT_MODEL: (LICENCES["srf2017"],),
    COMMENT_MODEL: (LICENCES["uci-youtube-spam"], LICENCES["scamspot-ig-comments"]),
}


def pretrained_bundle(pretrained_dir: Path, name: str) -> Path | None:
    """The newest shipped bundle of model `name` under `pretrained_dir`, or None when there is none."""
    try:
        return resolve_model_path(Path(pretrained_dir) / name / "latest")
    except (BundleError, FileNotFoundError):
        return None


def copy_pretrained(pretrained_dir: Path, name: str, models_dir: Path, version: str) -> Path | None:
    """Verify the shipped bundle against its SHA-256 manifest and copy it into the new model set as
    `models_dir/<name>/<version>/`, so the set stays self-contained. None when nothing is shipped."""
    source = pretrained_bundle(pretrained_dir, name)
    if source is None:
        return None
    load_bundle(source)  # raises BundleError when a file was altered
    target = Path(models_dir) / name / version
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target)
    return target


def fall_back_to_pretrained(settings: TrainSettings, name: str, version: str, summary: TrainingSummary,
                            wrapper: type) -> object | None:
    """When no labelled source was found: the shipped pretrained model `name`, wrapped (AccountModel or
    CommentModel), with a note saying so; None (and a note) when none is shipped either."""
    path = copy_pretrained(settings.pretrained_dir, name, settings.models_dir, version)
    if path is None:
        summary.notes.append(f"{name} not trained: no labelled source found and no pretrained bundle under "
                             f"{settings.pretrained_dir}")
        return None
    bundle = load_bundle(path)
    summary.bundles[name] = path
    summary.metrics[name] = dict(bundle.metadata.metrics)
    summary.notes.append(f"{name}: no labelled source found; using the pretrained model {bundle.metadata.version} "
                         f"from {settings.pretrained_dir} (trained on {', '.join(bundle.metadata.extra.get('sources', {}))})")
    return wrapper(bundle)


def pretrained_settings(settings: TrainSettings, models_dir: Path) -> TrainSettings:
    """The training settings restricted to the licence-compatible sources, writing into `models_dir`."""
    real = settings.real_data.model_copy(update={
        "account_sources": [s.source for s in PRETRAINED_SOURCES[ACCOUNT_MODEL]],
        "comment_sources": [s.source for s in PRETRAINED_SOURCES[COMMENT_MODEL]],
        "transfer_matrix": False})  # the matrix needs every source, most of them not redistributable
    modeling = settings.modeling.model_copy(update={
        "tracking": settings.modeling.tracking.model_copy(update={"enabled": False})})
    return settings.model_copy(update={"real_data": real, "modeling": modeling, "models_dir": models_dir,
                                       "pretrained_dir": models_dir / "none"})


def transfer_auc(bundle_path: Path, sources: list[str]) -> dict[str, float]:
    """ROC-AUC of the shipped account model on labelled sources it was not trained on (used as test data
    only, nothing of them is shipped); a source that is absent is left out."""
    from sklearn.metrics import roc_auc_score

    from authfit.datasets.labelled_accounts import load_labelled_accounts
    from authfit.datasets.paths import DatasetMissingError
    from authfit.scoring.components import AccountModel

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
    from authfit.modeling.bundle import new_version
    from authfit.training.pipeline import TrainingSummary
    from authfit.training.real_models import train_account_model, train_comment_model

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
