"""Fitting one booster with lightgbm.dask on a Dask cluster: the `dask` training engine.

`DaskTrainer` is a `BoosterTrainer`, so the cross-validation, calibration, thresholds and bundles of
authfit.modeling.lgbm and authfit.training stay exactly as they are; only "fit one booster" moves to the
cluster. The rows are partitioned over the workers and LightGBM trains data-parallel: each worker builds
histograms of its own rows and the workers sum them over TCP sockets (`tree_learner=data`). The fitted
model comes back as a plain `lightgbm.Booster`, saved as the same text model as a local fit.

Early stopping is done here, not by LightGBM: lightgbm.dask does not support it (each worker would judge
the metric on its own slice of the validation rows and stop on its own, which can hang the others;
lightgbm issues #3712, #6351, #7009). So a validation fit runs all `n_rounds`, then the validation metric
of every iteration is computed partition by partition on the cluster, and the best iteration is chosen
by LightGBM's own early-stopping rule on that curve. It costs the extra rounds, not a different answer.
The validation rows are the ones authfit.modeling.lgbm holds out of the training fold, never the fold that
is then predicted, on either engine.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import lightgbm as lgb
import numpy as np
import pandas as pd

from authfit.modeling.lgbm import BoosterTrainer, LocalTrainer, Valid
from authfit.modeling.model_settings import EngineSettings

if TYPE_CHECKING:
    import dask.dataframe as dd
    from dask.distributed import Client

log = logging.getLogger(__name__)

LABEL, INIT = "__authfit_label__", "__authfit_init_score__"
# lightgbm.dask sets these per worker itself (num_threads from the worker's threads).
_CLUSTER_PARAMS = ("num_threads", "num_machines", "machines", "local_listen_port", "time_out")
DISTRIBUTED_MONOTONE = ("intermediate", "advanced")  # the monotone methods distributed LightGBM lacks


def early_stopping_iteration(curve: np.ndarray, stopping_rounds: int) -> int:
    """The 1-based best iteration that `lightgbm.early_stopping(stopping_rounds)` picks on a validation
    curve (lower is better): the first strict minimum, stopping once `stopping_rounds` rounds pass
    without a strict improvement."""
    values = np.asarray(curve, dtype=float)
    if values.size == 0:
        raise ValueError("empty validation curve")
    best = 0
    for i in range(1, values.size):
        if values[i] < values[best]:
            best = i
        elif i - best >= stopping_rounds:
            break
    return best + 1


def leaf_values(booster: lgb.Booster) -> np.ndarray:
    """Leaf outputs as a (trees x max leaves) table, so per-tree contributions are one fancy index."""
    trees = booster.dump_model(num_iteration=-1)["tree_info"]
    table = np.zeros((len(trees), max(t["num_leaves"] for t in trees)))
    for t, tree in enumerate(trees):
        for leaf in range(tree["num_leaves"]):
            table[t, leaf] = booster.get_leaf_output(t, leaf)
    return table


def _pointwise_loss(objective: str, raw: np.ndarray, label: np.ndarray, tweedie_power: float) -> np.ndarray:
    """LightGBM's metric of each objective (binary_logloss, poisson, tweedie) per row, on raw scores
    of shape (rows, iterations); the clipping constants are LightGBM's."""
    y = label[:, None]
    if objective == "binary":
        p = 1.0 / (1.0 + np.exp(-raw))
        return -np.log(np.maximum(np.where(y > 0, p, 1.0 - p), 1e-15))
    mean = np.maximum(np.exp(raw), 1e-10)
    if objective == "poisson":
        return mean - y * np.log(mean)
    if objective == "tweedie":
        rho = tweedie_power
        return -y * mean ** (1 - rho) / (1 - rho) + mean ** (2 - rho) / (2 - rho)
    raise ValueError(f"no validation metric for objective {objective!r}")


def partition_loss_sums(part: pd.DataFrame, model: str, leaf_values: np.ndarray, objective: str,
                        tweedie_power: float) -> np.ndarray:
    """Sum over one partition's rows of the validation loss after each iteration (length = trees)."""
    if len(part) == 0:
        return np.zeros(leaf_values.shape[0])
    booster = lgb.Booster(model_str=model)
    X = part.drop(columns=[LABEL, INIT], errors="ignore")
    leaves = booster.predict(X, pred_leaf=True, num_threads=1).reshape(len(part), -1).astype(np.intp)
    raw = np.cumsum(leaf_values[np.arange(leaf_values.shape[0]), leaves], axis=1)
    if INIT in part:
        raw += part[INIT].to_numpy(dtype=float)[:, None]
    return _pointwise_loss(objective, raw, part[LABEL].to_numpy(dtype=float), tweedie_power).sum(axis=0)


@dataclass(frozen=True)
class DaskTrainer:
    """A `BoosterTrainer` on a dask.distributed client."""

    client: Client
    partitions_per_worker: int = 1
    name: str = "dask"

    def partitioned(self, X: pd.DataFrame, y: np.ndarray, init_score: np.ndarray | None) -> dd.DataFrame:
        """X with label (and init score) columns as one dask DataFrame, persisted on the workers, so the
        label and init-score partitions line up with the feature partitions by construction."""
        import dask.dataframe as dd
        from distributed import wait

        extra = {LABEL: y} if init_score is None else {LABEL: y, INIT: init_score}
        frame = pd.concat([X, pd.DataFrame(extra, index=X.index)], axis=1)  # one concat: X may be 100+ columns
        n_workers = max(len(self.client.nthreads()), 1)
        npartitions = min(n_workers * self.partitions_per_worker, len(frame))
        parts = self.client.persist(dd.from_pandas(frame.reset_index(drop=True), npartitions=npartitions))
        wait(parts)
        return parts

    def __call__(self, params: dict[str, object], X: pd.DataFrame, y: np.ndarray, n_rounds: int,
                 init_score: np.ndarray | None = None, valid: Valid | None = None,
                 early_stopping_rounds: int = 0) -> lgb.Booster:
        parts = self.partitioned(X, y, init_score)
        features = parts[list(X.columns)]
        fit_init = parts[INIT] if init_score is not None else None
        with warnings.catch_warnings():
            # sklearn's n_jobs, always among the estimator's params, is replaced by the workers' threads
            warnings.filterwarnings("ignore", message="Parameter n_jobs will be ignored")
            booster = self._estimator(params, n_rounds).fit(features, parts[LABEL], init_score=fit_init).booster_
        if valid is None:
            return booster
        curve = self.validation_curve(booster, str(params["objective"]), valid,
                                      float(params.get("tweedie_variance_power", 1.5)))
        best = early_stopping_iteration(curve, early_stopping_rounds or len(curve))
        # as lightgbm.train leaves an early-stopped booster: its trees up to the best iteration, and that mark
        stopped = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
        stopped.best_iteration = best
        return stopped

    def _estimator(self, params: dict[str, object], n_rounds: int) -> lgb.DaskLGBMClassifier | lgb.DaskLGBMRegressor:
        from lightgbm import DaskLGBMClassifier, DaskLGBMRegressor

        wanted = {k: v for k, v in params.items() if k not in _CLUSTER_PARAMS}
        if len(self.client.nthreads()) > 1 and wanted.get("monotone_constraints_method") in DISTRIBUTED_MONOTONE:
            # LightGBM's distributed learners only have the basic method and would switch to it silently
            log.debug("monotone_constraints_method %s -> basic", wanted["monotone_constraints_method"])
            wanted["monotone_constraints_method"] = "basic"
        # LightGBM drops features it deems unsplittable under min_data_in_leaf from each worker's own rows;
        # on small shards (a few dozen rows each) that drops every feature, which a local fit would not
        wanted.setdefault("feature_pre_filter", False)
        factory = DaskLGBMClassifier if params["objective"] == "binary" else DaskLGBMRegressor
        return factory(client=self.client, n_estimators=n_rounds, **wanted)

    def validation_curve(self, booster: lgb.Booster, objective: str, valid: Valid,
                         tweedie_power: float) -> np.ndarray:
        """Mean validation loss after each iteration, summed partition by partition on the workers."""
        from dask import delayed

        X_val, y_val, init_val = valid
        parts = self.partitioned(X_val, y_val, init_val)
        model = delayed(booster.model_to_string(num_iteration=-1))  # one copy in the graph, not one per part
        leaves = delayed(leaf_values(booster))
        sums = self.client.compute([delayed(partition_loss_sums)(part, model, leaves, objective, tweedie_power)
                                    for part in parts.to_delayed()])
        return np.sum(self.client.gather(sums), axis=0) / len(X_val)


def quiet_lightgbm() -> None:
    """Send LightGBM's Python-side messages in this process ("Finding random open ports for workers" on every
    distributed fit) to the `lightgbm` logger at debug level instead of printing them. The workers' own
    socket lines ("[LightGBM] [Info] Listening...") come from C++ threads LightGBM starts per fit, which no
    Python logger reaches; they go to each worker's stdout."""
    lgb.register_logger(logging.getLogger("lightgbm"), info_method_name="debug")


@contextmanager
def dask_client(settings: EngineSettings) -> Iterator[Client]:
    """A client of the cluster at `settings.scheduler`, or of a LocalCluster of worker processes. Worker
    processes, not threads: LightGBM's network is one per process, so two in-process workers would
    share it."""
    from dask.distributed import Client, LocalCluster

    if settings.scheduler:
        with Client(settings.scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=settings.n_workers, threads_per_worker=settings.threads_per_worker,
                      processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


@contextmanager
def open_trainer(settings: EngineSettings) -> Iterator[BoosterTrainer]:
    """The booster trainer of the configured engine, with its cluster connection open for the block."""
    if settings.kind == "local":
        yield LocalTrainer()
        return
    with dask_client(settings) as client:
        log.info("training on Dask: %d workers at %s (monotone constraints use LightGBM's basic method there)",
                 len(client.nthreads()), client.scheduler.address)
        yield DaskTrainer(client, settings.partitions_per_worker)
