"""Quality score Q, per-task ranks, task weights and the aggregated leaderboard.

Definitions of the NeuCo-Bench evaluator:

- ``Q = 100 * eps * mean(s) / (std(s) + eps)`` over a task's K split scores ``s``, with
  ``eps = 0.02`` and NaN-ignoring mean and (population, ddof=0) standard deviation;
- per task, methods are ranked by Q, best first, ties sharing the best rank
  (``rankdata(-Q, method="min")``); with a tie tolerance, Q values within it of each
  other count as ties (:func:`tolerant_ranks`), so float rounding cannot order two
  methods whose embeddings are the same;
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


def tolerant_ranks(values: np.ndarray, tolerance: float = 0.0) -> np.ndarray:
    """Ranks of ``values`` per column, largest first, ties within ``tolerance`` sharing.

    A value's rank is one plus the number of values of its column that exceed it by
    more than ``tolerance``. At ``tolerance = 0`` this is ``rankdata(-values, axis=0,
    method="min")`` exactly, the evaluator's rule for exact ties; above 0 a value within
    the tolerance of a better one shares that better rank. The rule is monotone (a
    larger value never gets a worse rank) but not transitive: of 10, 10 - 0.6 t and
    10 - 1.2 t the ranks are 1, 1, 2.

    Parameters
    ----------
    values : array ``[n]`` or ``[n, m]``
        Scores, larger is better, no NaN.
    tolerance : float
        Non-negative; differences up to it count as ties.

    Returns
    -------
    ndarray of int, the shape of ``values``.
    """
    if tolerance < 0:
        raise ValueError(f"tie tolerance must be >= 0, got {tolerance}")
    values = np.asarray(values, dtype=float)
    # better[i, j, ...]: value j exceeds value i by more than the tolerance. Counted
    # pairwise rather than with scipy.stats.rankdata (equal at tolerance 0, tested):
    # importing scipy.stats costs 0.45 s of every `eobench score`, and leaderboards
    # rank tens of methods.
    better = values[np.newaxis, :] - values[:, np.newaxis] > tolerance
    return 1 + better.sum(axis=1).astype(int)


def leaderboard(
    q_table: pd.DataFrame, tie_tolerance: float = 0.0
) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """Rank methods (index of ``q_table``) over tasks (its columns).

    Parameters
    ----------
    q_table : DataFrame
        Method x task Q (or any per-task score where larger is better).
    tie_tolerance : float
        Per-task scores within this of each other share the better rank
        (:func:`tolerant_ranks`); 0, the default, is the evaluator's exact rule.
        Aggregated ranks tie on equal weighted scores, as in the evaluator.

    Returns
    -------
    board : DataFrame
        Sorted best first: ``method, mean_q, weighted_score, aggregated_rank`` and one
        Q column per task.
    weights : Series
        Task weights.
    excluded : list of str
        Methods left out because of NaN Q.
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
    ranks = tolerant_ranks(table.to_numpy(), tie_tolerance)
    weighted = (ranks * weights.to_numpy()).sum(axis=1)
    board = pd.DataFrame(
        {
            "method": table.index,
            "mean_q": table.mean(axis=1).to_numpy(),
            "weighted_score": weighted,
            "aggregated_rank": tolerant_ranks(-weighted),
        }
    )
    board = pd.concat([board, table.reset_index(drop=True)], axis=1)
    order = np.argsort(weighted, kind="stable")
    return board.iloc[order].reset_index(drop=True), weights, excluded


def leaderboard_of_distinct(
    q_table: pd.DataFrame,
    same_as: dict[str, str | None] | None = None,
    tie_tolerance: float = 0.0,
) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """:func:`leaderboard` of the distinct methods, each duplicate listed with its twin.

    Methods whose embeddings are the same as another's (``same_as``, from
    :func:`eobench.embeddings.identical_tables`) are left out of the ranking and of the
    task weights, where they would count one table twice; each is listed right after
    the method it duplicates, with that method's weighted score and rank, its own Q, and
    the name of its twin in column ``same_as`` (None for the methods that were ranked).

    Parameters
    ----------
    q_table : DataFrame
        Method x task Q.
    same_as : dict
        Method -> the method it duplicates, or None; methods missing from it are distinct.
    tie_tolerance : float
        See :func:`leaderboard`.
    """
    same_as = {m: t for m, t in (same_as or {}).items() if isinstance(t, str) and t}
    duplicates = [m for m in q_table.index if m in same_as and same_as[m] in q_table.index]
    board, weights, excluded = leaderboard(q_table.drop(index=duplicates), tie_tolerance)
    board.insert(1, "same_as", None)
    rows = []
    for _, row in board.iterrows():
        rows.append(row.to_dict())
        for twin in (m for m in duplicates if same_as[m] == row["method"]):
            own = q_table.loc[twin]
            rows.append(
                {
                    **row.to_dict(),
                    "method": twin,
                    "same_as": row["method"],
                    "mean_q": float(own.mean()),
                    **own.to_dict(),
                }
            )
    columns = board.columns
    return pd.DataFrame(rows, columns=columns).reset_index(drop=True), weights, excluded


def method_label(method: str, same_as: dict[str, str]) -> str:
    """``averaging/pre = averaging/post``: a method and the methods that duplicate it."""
    twins = [m for m, twin in same_as.items() if twin == method]
    return " = ".join([method, *twins])


def q_matrix(task_summary: pd.DataFrame) -> pd.DataFrame:
    """Pivot a :func:`summarise_tasks` table into method x task Q (task order kept)."""
    tasks = list(dict.fromkeys(task_summary["task"]))
    methods = list(dict.fromkeys(task_summary["method"]))
    table = task_summary.pivot(index="method", columns="task", values="q")
    return table.loc[methods, tasks]
