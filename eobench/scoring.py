"""Quality score Q, per-task ranks, task weights and the aggregated leaderboard.

Definitions of the NeuCo-Bench evaluator:

- ``Q = 100 * eps * mean(s) / (std(s) + eps)`` over a task's K split scores ``s``, with
  ``eps = 0.02`` and NaN-ignoring mean and (population, ddof=0) standard deviation;
- per task, methods are ranked by Q, best first, ties sharing the best rank
  (``rankdata(-Q, method="min")``);
- task weight = standard deviation of Q over methods (ddof=1), normalised to sum 1
  (uniform with a single method);
- weighted score = sum over tasks of weight x rank; aggregated rank =
  ``rankdata(weighted score, method="min")``; mean Q over tasks is reported beside it.

Methods with a NaN Q on any task are left out of the ranking, as in the reference.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.stats import rankdata

log = logging.getLogger(__name__)

EPSILON = 0.02
#: Method-level columns of split scores that summaries carry along.
CARRIED_COLUMNS = (
    "encoder",
    "aggregation",
    "head",
    "head_parameters",
    "table",
    "size",
    "layer",
    "metric",
)


def quality_score(scores: np.ndarray, epsilon: float = EPSILON) -> float:
    """Q of one task from its split scores (NaN splits ignored; NaN if all are NaN)."""
    scores = np.asarray(scores, dtype=float)
    if np.isnan(scores).all():
        return float("nan")
    return float(100 * epsilon * np.nanmean(scores) / (np.nanstd(scores) + epsilon))


def summarise_tasks(split_scores: pd.DataFrame, epsilon: float = EPSILON) -> pd.DataFrame:
    """One row per (method, task) from a tidy table of split scores.

    ``split_scores`` needs columns ``method, task, task_type, split, score`` (any extra
    method-level columns such as ``encoder`` and ``aggregation`` are carried along).
    Returns ``mean_score``, ``std_score`` (ddof=0), ``n_splits`` (non-NaN) and ``q``.
    """
    carried = [c for c in CARRIED_COLUMNS if c in split_scores]
    keys = ["method", *carried, "task", "task_type"]
    rows = []
    # dropna=False: ablation columns (size, layer) are missing where they do not apply.
    for key, group in split_scores.groupby(keys, sort=False, dropna=False):
        scores = group["score"].to_numpy(dtype=float)
        valid = scores[~np.isnan(scores)]
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "mean_score": float(valid.mean()) if len(valid) else np.nan,
                "std_score": float(valid.std()) if len(valid) else np.nan,
                "n_splits": len(valid),
                "q": quality_score(scores, epsilon),
            }
        )
    return pd.DataFrame(rows)


def task_weights(q_table: pd.DataFrame) -> pd.Series:
    """Weights of the tasks (columns of a method x task Q table), summing to 1."""
    n_methods, n_tasks = q_table.shape
    if n_methods < 2:
        return pd.Series(np.full(n_tasks, 1 / n_tasks), index=q_table.columns, name="weight")
    spread = q_table.std(axis=0, ddof=1).to_numpy()
    if spread.sum() == 0:
        log.warning("every task has the same Q for all methods: using uniform weights")
        return pd.Series(np.full(n_tasks, 1 / n_tasks), index=q_table.columns, name="weight")
    return pd.Series(spread / spread.sum(), index=q_table.columns, name="weight")


def leaderboard(q_table: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """Rank methods (index of ``q_table``) over tasks (its columns).

    Returns the leaderboard sorted best first (columns ``method, mean_q,
    weighted_score, aggregated_rank`` and one Q column per task), the task weights and
    the methods left out because of NaN Q.
    """
    complete = q_table.notna().all(axis=1)
    excluded = q_table.index[~complete].tolist()
    if excluded:
        log.warning("left out of the ranking (NaN Q on some task): %s", ", ".join(excluded))
    table = q_table.loc[complete]
    if table.empty:
        empty = pd.DataFrame(columns=["method", "mean_q", "weighted_score", "aggregated_rank"])
        return empty, pd.Series(dtype=float, name="weight"), excluded
    weights = task_weights(table)
    ranks = rankdata(-table.to_numpy(), axis=0, method="min")
    weighted = (ranks * weights.to_numpy()).sum(axis=1)
    board = pd.DataFrame(
        {
            "method": table.index,
            "mean_q": table.mean(axis=1).to_numpy(),
            "weighted_score": weighted,
            "aggregated_rank": rankdata(weighted, method="min").astype(int),
        }
    )
    board = pd.concat([board, table.reset_index(drop=True)], axis=1)
    order = np.argsort(weighted, kind="stable")
    return board.iloc[order].reset_index(drop=True), weights, excluded


def q_matrix(task_summary: pd.DataFrame) -> pd.DataFrame:
    """Pivot a :func:`summarise_tasks` table into method x task Q (task order kept)."""
    tasks = list(dict.fromkeys(task_summary["task"]))
    methods = list(dict.fromkeys(task_summary["method"]))
    table = task_summary.pivot(index="method", columns="task", values="q")
    return table.loc[methods, tasks]
