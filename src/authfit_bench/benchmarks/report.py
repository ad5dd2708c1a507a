"""`authfit benchmark`: run the benchmark parts, then write benchmark.json, benchmark.md and the transfer
heatmap.

Parts: `accounts` (labelled account sets, cross-validated), `transfer` (cross-source matrix), `comments`
(labelled comment sets), `simulated` (train on one synthetic world, score worlds outside its priors),
`audience` (fake-follower shares of audiences from held-out labelled sources), `audience-simulated` (the
same share on a simulated candidate world) and `planted` (known fraud planted into real follower series and
comment sections). Each part's
rows are saved under `<out>/parts/` as soon as it finishes, so an interrupted run resumes (`resume=True`)
without redoing finished parts; a saved part is reused only when it was run with the same folds, repeats,
seed and world sizes, the same inputs (data root, parsed configs) and the same source of every authfit module
its numbers come from (`source_digest`).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from authfit_bench.benchmarks.accounts import ALL_OTHERS, REPORTING_SEED, ROW_KEYS, SAME_CONCEPT
from authfit_bench.benchmarks.audience import AudienceBenchmark
from authfit_bench.benchmarks.audience_simulated import SimulatedAudienceBenchmark
from authfit_bench.benchmarks.planted import COMMENT_DATASET, GROWTH_DATASET, PlantedBenchmark
from authfit_bench.benchmarks.simulated import FAKE_TASK, SimulatedBenchmark
from authfit_bench.benchmarks.simulated import HEADLINE as SIMULATED_HEADLINE
from authfit_bench.benchmarks.simulated import TRAINING_DATASET as SIMULATED_TRAINING
from authfit.datasets.paths import DatasetMissingError, datasets_root
from authfit.features.build import FeatureSettings
from authfit.contract.io import write_text_atomic
from authfit.simulate import SimulationSettings
from authfit.training.train_settings import TrainSettings

log = logging.getLogger(__name__)
PARTS: tuple[str, ...] = ("accounts", "transfer", "comments", "simulated", "planted", "audience",
                          "audience-simulated")
# The module each part's numbers come from; it and every authfit module it imports, however indirectly,
# are in the key of a saved part, so a changed model or feature reruns the part instead of reusing stale rows.
PART_MODULES: dict[str, str] = {
    "accounts": "authfit_bench.benchmarks.accounts", "transfer": "authfit_bench.benchmarks.accounts",
    "comments": "authfit_bench.benchmarks.comments", "simulated": "authfit_bench.benchmarks.simulated",
    "planted": "authfit_bench.benchmarks.planted",
    "audience": "authfit_bench.benchmarks.audience",
    "audience-simulated": "authfit_bench.benchmarks.audience_simulated",
}
TRANSFER_PREFIX = "transfer:"
# Optional row key: the worst value over a row's worlds or sources (min, or max when lower is better).
WORST = "worst"
# The targets, keyed by (dataset, task or None for every task, metric): (threshold, higher is better).
# A target applies to the rows of the anchor's protocol only (TARGET_PROTOCOLS: a protocol must contain it).
TARGET_PROTOCOLS: dict[str, str] = {"uci-youtube-spam": "stratified"}
TARGETS: dict[tuple[str, str | None, str], tuple[float, bool]] = {
    ("instafake-fake-v1.0", None, "macro_f1"): (0.95, True),
    ("instafake-automated", "automated vs real", "f1"): (0.90, True),
    ("srf2017", None, "roc_auc"): (0.95, True),
    ("srf2017", None, "sensitivity_at_spec_0.963"): (0.80, True),
    ("srf2017", None, "sensitivity"): (0.80, True),
    ("uci-youtube-spam", None, "accuracy"): (0.96, True),
    (SIMULATED_HEADLINE, FAKE_TASK, "roc_auc"): (0.90, True),
    (SIMULATED_HEADLINE, None, "roc_auc"): (0.85, True),  # each mechanism's buyers
    (SIMULATED_HEADLINE, FAKE_TASK, "fpr_plain_authentic"): (0.03, False),
    (SIMULATED_HEADLINE, FAKE_TASK, "fpr_lookalikes"): (0.10, False),
    (SIMULATED_HEADLINE, None, "spearman"): (0.80, True),
    (SIMULATED_TRAINING, None, "roc_auc"): (0.97, False),  # best single feature per mechanism
    (GROWTH_DATASET, None, "min_roc_auc"): (0.95, True),
    (GROWTH_DATASET, None, "flagged_share"): (0.05, False),
    (COMMENT_DATASET, None, "share_within_0.05"): (0.90, True),
}


class BenchmarkPlan(BaseModel):
    """What to run: the CV plan of the real-data parts, the parts, and the simulated worlds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    repeats: int = Field(5, ge=1)
    folds: int = Field(10, ge=2)
    seed: int = REPORTING_SEED  # splits no model choice saw (see authfit_bench.benchmarks.accounts)
    parts: tuple[str, ...] = PARTS
    simulated: SimulatedBenchmark = SimulatedBenchmark()
    planted: PlantedBenchmark = PlantedBenchmark()
    audience: AudienceBenchmark = AudienceBenchmark()
    audience_simulated: SimulatedAudienceBenchmark = SimulatedAudienceBenchmark()

    @field_validator("parts")
    @classmethod
    def _known_parts(cls, parts: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(parts) - set(PARTS))
        if unknown:
            raise ValueError(f"unknown benchmark part(s) {unknown}; use {list(PARTS)}")
        return parts

    @classmethod
    def quick(cls, parts: tuple[str, ...] = PARTS) -> BenchmarkPlan:
        """The CI-sized plan: one repeat of 3 folds, small worlds."""
        return cls(repeats=1, folds=3, parts=parts,
                   simulated=SimulatedBenchmark(train_influencers=400, test_influencers=250, control=False),
                   planted=PlantedBenchmark.quick(), audience=AudienceBenchmark.quick(),
                   audience_simulated=SimulatedAudienceBenchmark.quick())

    def fingerprint(self, part: str) -> dict[str, object]:
        """The settings a saved part depends on, and the digest of its code (see `PART_MODULES`); a saved
        part with another fingerprint is recomputed."""
        code = {"code": source_digest(PART_MODULES[part])}
        if part == "simulated":
            return {"simulated": self.simulated.model_dump(), **code}
        if part == "transfer":
            return {"seed": self.seed, **code}
        if part == "planted":
            return {"planted": self.planted.model_dump(), **code}
        if part == "audience":
            return {"audience": self.audience.model_dump(), **code}
        if part == "audience-simulated":
            return {"audience_simulated": self.audience_simulated.model_dump(), **code}
        return {"repeats": self.repeats, "folds": self.folds, "seed": self.seed, **code}


OWN_PACKAGES = ("authfit", "authfit_bench")  # the product and its measuring instruments: both change figures


def _module_file(name: str) -> Path | None:
    """The source file of an authfit module (a package's `__init__.py`), None for a non-module name."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    return Path(spec.origin) if spec and spec.origin and spec.origin.endswith(".py") else None


def _imported_authfit_modules(path: Path, name: str) -> set[str]:
    """authfit and authfit_bench modules a source file imports anywhere (module level or inside functions); for `from a
    import b` both `a` and `a.b` are candidates (b may be a name `a` defines), and only modules count."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in found if m.split(".")[0] in OWN_PACKAGES and _module_file(m) is not None}


def module_closure(module: str) -> dict[str, Path]:
    """`module` and every authfit module it imports, transitively: name -> source file. Importing a.b.c also
    runs the `__init__.py` of a and a.b: their text is included, but what they import is followed only when
    a module imports the package itself (`from a.b import name`), else one feature-package `__init__` would
    pull the whole package in."""
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if name in seen or path is None:
            continue
        seen[name] = path
        todo.extend(_imported_authfit_modules(path, name) - set(seen))
    parents = {m.rsplit(".", k)[0] for m in seen for k in range(1, m.count(".") + 1)}
    return seen | {p: f for p in sorted(parents - set(seen)) if (f := _module_file(p)) is not None}


@cache  # the code a process runs is the code it imported: read it once
def source_digest(module: str) -> str:
    """SHA-256 over the source text of `module_closure(module)`."""
    files = module_closure(module)
    return _digest((name, files[name].read_bytes()) for name in sorted(files))


def _digest(items: Iterable[tuple[str, bytes]]) -> str:
    sha = hashlib.sha256()
    for name, text in items:
        sha.update(name.encode() + b"\0" + hashlib.sha256(text).digest())
    return sha.hexdigest()


PartRunner = Callable[[str, BenchmarkPlan], list[dict[str, object]]]
# Per part, what else its rows depend on besides the plan (data root, parsed configs), as JSON-able values.
PartContext = Callable[[str], dict[str, object]]


# ---------------------------------------------------------------------------------------------- rows


def clean_row(raw: dict[str, object]) -> dict[str, object]:
    """A row with exactly ROW_KEYS (and `worst` if it has one), numbers as floats and NaN / missing as None
    (valid JSON)."""
    missing = set(ROW_KEYS) - set(raw)
    if missing:
        raise ValueError(f"benchmark row lacks {sorted(missing)}: {raw}")
    out = {key: raw[key] for key in (*ROW_KEYS, WORST) if key in raw}
    for key in ("value", "spread", "anchor", WORST):
        if key not in out:
            continue
        value = out[key]
        out[key] = None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
    for key in ("dataset", "task", "metric", "protocol", "anchor_protocol"):
        out[key] = "" if out[key] is None else str(out[key])
    return out


def target_of(r: dict[str, object]) -> tuple[float, bool] | None:
    if TARGET_PROTOCOLS.get(str(r["dataset"]), "") not in str(r["protocol"]):
        return None
    return TARGETS.get((str(r["dataset"]), str(r["task"]), str(r["metric"]))) or TARGETS.get(
        (str(r["dataset"]), None, str(r["metric"])))


def meets_target(r: dict[str, object]) -> bool | None:
    """Whether the row reaches its target (None when it has no target or no value). A row over several
    worlds or sources is judged on its `worst` one when it carries it, not on the mean."""
    target = target_of(r)
    if target is None or r["value"] is None:
        return None
    threshold, higher = target
    value = r["value"] if r.get(WORST) is None else r[WORST]
    return bool(value >= threshold) if higher else bool(value <= threshold)


def is_transfer(r: dict[str, object]) -> bool:
    return str(r["dataset"]).startswith(TRANSFER_PREFIX)


# ---------------------------------------------------------------------------------------------- transfer


def transfer_matrix_from_rows(rows: list[dict[str, object]]) -> pd.DataFrame:
    """The train (rows) x test (columns) ROC-AUC matrix back from `transfer:<train>-><test>` rows; the pooled
    leave-one-source-out rows come last."""
    cells = [(*str(r["dataset"]).removeprefix(TRANSFER_PREFIX).split("->", 1), r["value"])
             for r in rows if is_transfer(r)]
    if not cells:
        return pd.DataFrame()
    frame = pd.DataFrame(cells, columns=["train", "test", "value"]).astype({"value": "float64"})
    matrix = frame.pivot(index="train", columns="test", values="value")
    tests = list(dict.fromkeys(frame["test"]))
    single = [s for s in dict.fromkeys(frame["train"]) if s not in (ALL_OTHERS, SAME_CONCEPT)]
    # Rows and columns in the same source order, so the (empty) diagonal is the diagonal.
    order = single + [s for s in tests if s not in single]
    pooled = [s for s in (ALL_OTHERS, SAME_CONCEPT) if s in matrix.index]
    return matrix.reindex(index=[s for s in order if s in matrix.index] + pooled,
                          columns=[s for s in order if s in tests])


def matrix_markdown(matrix: pd.DataFrame) -> str:
    """The matrix as a Markdown table, two decimals, empty cells as a dash."""
    header = "| train \\ test | " + " | ".join(map(str, matrix.columns)) + " |"
    rule = "|---|" + "---|" * len(matrix.columns)
    cells = matrix.apply(lambda col: col.map(lambda v: "—" if pd.isna(v) else f"{v:.2f}"))
    lines = ["| " + " | ".join([str(name), *values]) + " |"
             for name, values in zip(cells.index, cells.to_numpy())]
    return "\n".join([header, rule, *lines])


def draw_transfer_heatmap(matrix: pd.DataFrame, path: Path) -> Path:
    """ROC-AUC heatmap (0.5 = chance is the colour midpoint), drawn with the Figure API (no pyplot state)."""
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure

    values = matrix.to_numpy(dtype=float)
    fig = Figure(figsize=(1.1 * len(matrix.columns) + 3, 0.55 * len(matrix.index) + 2), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(values), cmap="RdYlGn", norm=TwoSlopeNorm(0.5, 0.0, 1.0),
                      aspect="auto")
    ax.set_xticks(range(len(matrix.columns)), labels=list(matrix.columns), rotation=40, ha="right")
    ax.set_yticks(range(len(matrix.index)), labels=list(matrix.index))
    ax.set_xlabel("test source")
    ax.set_ylabel("train source")
    ax.set_title("Cross-source transfer, ROC-AUC")
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax, shrink=0.8, label="ROC-AUC")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


# ---------------------------------------------------------------------------------------------- markdown


def _fmt(value: object, digits: int = 3) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _footnotes(texts: pd.Series, prefix: str) -> tuple[pd.Series, list[str]]:
    """Label each distinct non-empty text `<prefix><n>` in order of appearance; return labels and notes."""
    distinct = list(dict.fromkeys(t for t in texts if t))
    labels = {text: f"{prefix}{k}" for k, text in enumerate(distinct, start=1)}
    return texts.map(lambda t: labels.get(t, "")), [f"- **{labels[t]}** {t}" for t in distinct]


def results_markdown(rows: list[dict[str, object]]) -> str:
    """The non-transfer rows as one table; protocols and anchors as numbered notes under it."""
    shown = pd.DataFrame([r for r in rows if not is_transfer(r)], columns=[*ROW_KEYS, WORST])
    shown[WORST] = shown[WORST].astype(object).where(shown[WORST].notna(), None)
    if shown.empty:
        return "_no rows_"
    protocol_ref, protocols = _footnotes(shown["protocol"], "P")
    anchor_ref, anchors = _footnotes(shown["anchor_protocol"], "A")
    met = [meets_target(r) for r in shown.to_dict("records")]
    targets = [target_of(r) for r in shown.to_dict("records")]
    lines = ["| dataset | task | metric | ours | spread | anchor | target | protocol |",
             "|---|---|---|---|---|---|---|---|"]
    for k, r in enumerate(shown.to_dict("records")):
        anchor = f"{_fmt(r['anchor'])} [{anchor_ref.iloc[k]}]" if anchor_ref.iloc[k] else _fmt(r["anchor"])
        worst = "" if r[WORST] is None else f" (worst {_fmt(r[WORST])})"
        target = "" if targets[k] is None else (
            f"{'≥' if targets[k][1] else '≤'} {targets[k][0]:.2f} {'met' if met[k] else 'MISSED'}{worst}")
        lines.append(f"| {r['dataset']} | {r['task']} | {r['metric']} | {_fmt(r['value'])} | "
                     f"{_fmt(r['spread'])} | {anchor} | {target} | {protocol_ref.iloc[k]} |")
    notes = ["", "Protocols:", "", *protocols]
    if anchors:
        notes += ["", "Published anchors and their protocols:", "", *anchors]
    return "\n".join(lines + notes)


def benchmark_markdown(rows: list[dict[str, object]], header: str = "",
                       heatmap: str | None = None) -> str:
    """The whole report: header, results table, transfer matrix (table and heatmap link)."""
    parts = ["# authfit benchmark", "", header, "", "## Results", "", results_markdown(rows)]
    matrix = transfer_matrix_from_rows(rows)
    if not matrix.empty:
        parts += ["", "## Cross-source transfer (account authenticity, ROC-AUC)", "",
                  "Rows: training source (or the pooled leave-one-source-out models); columns: test source. "
                  "The diagonal is the cross-validated rows above.", "", matrix_markdown(matrix)]
        if heatmap:
            parts += ["", f"![transfer matrix]({heatmap})"]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------------------------- running


def load_part(path: Path, fingerprint: dict[str, object]) -> dict[str, object] | None:
    """A saved part if it exists and was run with the same settings."""
    if not path.exists():
        return None
    saved = json.loads(path.read_text(encoding="utf-8"))
    return saved if saved.get("settings") == json.loads(json.dumps(fingerprint)) else None


def run_benchmark(plan: BenchmarkPlan, out: Path, runner: PartRunner, resume: bool = True,
                  context: PartContext | None = None) -> tuple[list[dict[str, object]], dict[str, str]]:
    """Run (or reuse) every part of the plan; return the rows of every part saved under `out/parts/` (the
    latest run of each, so calls for different parts add up) and a status line per part. A saved part is
    reused only if its key, `plan.fingerprint(part)` plus `context(part)`, is the same."""
    status: dict[str, str] = {}
    for part in plan.parts:
        path = out / "parts" / f"{part}.json"
        key = {**plan.fingerprint(part), **(context(part) if context else {})}
        saved = load_part(path, key) if resume else None
        if saved is None:
            start = time.perf_counter()
            try:
                part_rows = [clean_row(r) for r in runner(part, plan)]
            except DatasetMissingError as exc:
                status[part] = f"skipped: {exc}"
                log.warning("benchmark part %s skipped: %s", part, exc)
                continue
            saved = {"part": part, "settings": key, "seconds": time.perf_counter() - start, "rows": part_rows}
            write_text_atomic(path, json.dumps(saved, indent=1, allow_nan=False))
            status[part] = f"ran in {saved['seconds']:.0f} s"
        else:
            status[part] = f"reused from {path} (ran in {saved['seconds']:.0f} s)"
        log.info("benchmark part %s: %s", part, status[part])
    return saved_part_rows(out, status), status


def saved_part_rows(out: Path, status: dict[str, str]) -> list[dict[str, object]]:
    """The rows of every part file under `out/parts/`, parts in `PARTS` order; a part that `status` (this
    call's) does not say ran or was reused gets a line saying its rows are from an earlier call."""
    files = sorted((out / "parts").glob("*.json"),
                   key=lambda p: (PARTS.index(p.stem) if p.stem in PARTS else len(PARTS), p.stem))
    rows: list[dict[str, object]] = []
    for path in files:
        saved = json.loads(path.read_text(encoding="utf-8"))
        if not status.get(path.stem, "skipped").startswith(("ran", "reused")):
            earlier = f"rows from an earlier call ({path}, ran in {saved['seconds']:.0f} s)"
            status[path.stem] = f"{status[path.stem]}; {earlier}" if path.stem in status else earlier
        rows += [clean_row(r) for r in saved["rows"]]
    return rows


def write_report(rows: list[dict[str, object]], out: Path, header: str = "") -> dict[str, Path]:
    """benchmark.json, benchmark.md and (when there are transfer rows) transfer_matrix.png under `out`."""
    rows = [clean_row(r) for r in rows]
    paths = {"json": out / "benchmark.json", "markdown": out / "benchmark.md"}
    write_text_atomic(paths["json"], json.dumps(rows, indent=1, allow_nan=False) + "\n")
    matrix = transfer_matrix_from_rows(rows)
    if not matrix.empty:
        paths["heatmap"] = draw_transfer_heatmap(matrix, out / "transfer_matrix.png")
    heatmap = paths["heatmap"].name if "heatmap" in paths else None
    write_text_atomic(paths["markdown"], benchmark_markdown(rows, header, heatmap))
    return paths


def describe_run(plan: BenchmarkPlan, status: dict[str, str]) -> str:
    lines = [f"Generated by `authfit benchmark` (real-data parts: {plan.folds}-fold CV x{plan.repeats} "
             "repeats, "
             f"seed {plan.seed}, unless a row's protocol says otherwise)."]
    lines += [f"- part `{part}`: {text}" for part, text in status.items()]
    return "\n".join(lines)


@dataclass(frozen=True)
class PartInputs:
    """Where each part reads from: the real data sets (None: $AUTHFIT_DATASETS), the parsed configs of the
    simulated part, and its scratch directory (worlds and bundles)."""

    datasets_root: Path | None
    simulation: SimulationSettings
    train: TrainSettings
    features: FeatureSettings
    workdir: Path

    def fingerprint(self, part: str) -> dict[str, object]:
        """The inputs a part's rows depend on (a `PartContext`): the simulated part reads the configs, the
        others the real data sets."""
        if part == "simulated":
            return {name: json.loads(getattr(self, name).model_dump_json())
                    for name in ("simulation", "train", "features")}
        root = {"datasets_root": str((self.datasets_root or datasets_root()).resolve())}
        if part == "planted":  # it trains the comment model the product's way, from the training config
            return root | {"comment_sources": list(self.train.real_data.comment_sources),
                           "seed": self.train.modeling.cv.seed}
        if part == "audience":  # it trains the account model the product's way, from the training config
            return root | {"train": json.loads(self.train.model_dump_json())}
        if part == "audience-simulated":  # a world from the configs, and the account model as `authfit train`
            return root | {name: json.loads(getattr(self, name).model_dump_json())
                           for name in ("simulation", "train", "features")}
        return root


def part_runner(inputs: PartInputs) -> PartRunner:
    """The runner of the real parts: account and comment benchmarks, transfer matrix, simulated worlds."""
    from authfit_bench.benchmarks.accounts import account_benchmark_rows, transfer_part_rows
    from authfit_bench.benchmarks.audience import audience_rows
    from authfit_bench.benchmarks.audience_simulated import simulated_audience_rows
    from authfit_bench.benchmarks.comments import comment_benchmark_rows
    from authfit_bench.benchmarks.planted import run_planted_benchmark
    from authfit_bench.benchmarks.simulated import run_simulated_benchmark

    root = inputs.datasets_root
    builders: dict[str, PartRunner] = {
        "accounts": lambda _, p: account_benchmark_rows(root, p.repeats, p.folds, p.seed, transfer=False),
        "transfer": lambda _, p: transfer_part_rows(root, p.seed),
        "comments": lambda _, p: comment_benchmark_rows(root, p.repeats, p.folds, p.seed),
        "simulated": lambda _, p: run_simulated_benchmark(p.simulated, inputs.simulation, inputs.train,
                                                          inputs.features, inputs.workdir / "simulated"),
        "planted": lambda _, p: run_planted_benchmark(p.planted, root, inputs.train.real_data.comment_sources,
                                                      inputs.train.modeling.cv.seed),
        "audience": lambda _, p: audience_rows(inputs.train, p.audience, root),
        "audience-simulated": lambda _, p: simulated_audience_rows(
            p.audience_simulated, inputs.simulation, inputs.train, inputs.features.audience,
            inputs.workdir / "audience-simulated", root),
    }

    return lambda part, plan: builders[part](part, plan)
