"""Leaderboard statistics beyond the paper: intervals, paired tests, weight diagnostics.

All functions take the tidy split-score table (``method, task, split, score``) that the
probes write, so every number can be traced back to the K split scores.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import stats

from eobench.scoring import EPSILON, leaderboard, method_label, task_weights


def score_cube(split_scores: pd.DataFrame) -> tuple[np.ndarray, list[str], list[str]]:
    """Split scores as a ``[methods, tasks, splits]`` array (NaN where missing)."""
    methods = list(dict.fromkeys(split_scores["method"]))
    tasks = list(dict.fromkeys(split_scores["task"]))
    k = int(split_scores["split"].max()) + 1
    cube = np.full((len(methods), len(tasks), k), np.nan)
    m = split_scores["method"].map({name: i for i, name in enumerate(methods)}).to_numpy()
    t = split_scores["task"].map({name: i for i, name in enumerate(tasks)}).to_numpy()
    cube[m, t, split_scores["split"].to_numpy()] = split_scores["score"].to_numpy()
    return cube, methods, tasks


def _q_of_cube(cube: np.ndarray, epsilon: float) -> np.ndarray:
    """Q of every (method, task) of a ``[M, T, K]`` cube, vectorised."""
    with np.errstate(invalid="ignore"), _ignore_all_nan():
        mean = np.nanmean(cube, axis=2)
        spread = np.nanstd(cube, axis=2)
    return 100 * epsilon * mean / (spread + epsilon)


class _ignore_all_nan:
    """Silence numpy's warning for all-NaN slices (they give NaN, as intended)."""

    def __enter__(self):
        import warnings

        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("ignore", category=RuntimeWarning)

    def __exit__(self, *exc_info):
        self._catch.__exit__(*exc_info)


def bootstrap_leaderboard(
    split_scores: pd.DataFrame,
    resample: str = "splits",
    n_boot: int = 1000,
    seed: int = 0,
    epsilon: float = EPSILON,
    level: float = 0.95,
    tie_tolerance: float = 0.0,
) -> pd.DataFrame:
    """Percentile intervals of every method's mean Q and aggregated rank.

    ``resample="splits"`` draws the K splits with replacement (the same draw for every
    method and task, since the splits are shared); ``resample="tasks"`` draws tasks with
    replacement and recomputes the task weights on the drawn set. Ranks follow
    :func:`eobench.scoring.leaderboard` with ``tie_tolerance``.
    """
    if resample not in ("splits", "tasks"):
        raise ValueError(f"resample must be 'splits' or 'tasks', got {resample!r}")
    cube, methods, tasks = score_cube(split_scores)
    rng = np.random.default_rng(seed)
    n_methods, n_tasks, k = cube.shape
    mean_q = np.full((n_boot, n_methods), np.nan)
    ranks = np.full((n_boot, n_methods), np.nan)
    for b in range(n_boot):
        if resample == "splits":
            q = _q_of_cube(cube[:, :, rng.integers(0, k, k)], epsilon)
        else:
            q = _q_of_cube(cube, epsilon)[:, rng.integers(0, n_tasks, n_tasks)]
        table = pd.DataFrame(q, index=methods, columns=[f"t{j}" for j in range(q.shape[1])])
        board, _, _ = leaderboard(table, tie_tolerance)
        position = {name: i for i, name in enumerate(methods)}
        rows = board["method"].map(position).to_numpy()
        mean_q[b, rows] = board["mean_q"].to_numpy()
        ranks[b, rows] = board["aggregated_rank"].to_numpy()
    alpha = (1 - level) / 2
    q_point = _q_of_cube(cube, epsilon)
    point, _, _ = leaderboard(pd.DataFrame(q_point, index=methods, columns=tasks), tie_tolerance)
    point = point.set_index("method")
    out = pd.DataFrame(
        {
            "method": methods,
            "resample": resample,
            "mean_q": point.loc[methods, "mean_q"].to_numpy(),
            "mean_q_low": np.nanquantile(mean_q, alpha, axis=0),
            "mean_q_high": np.nanquantile(mean_q, 1 - alpha, axis=0),
            "aggregated_rank": point.loc[methods, "aggregated_rank"].to_numpy(),
            "rank_low": np.nanquantile(ranks, alpha, axis=0),
            "rank_high": np.nanquantile(ranks, 1 - alpha, axis=0),
        }
    )
    return out


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1).

    Five lines of arithmetic; a statistics package for it alone is not worth the
    dependency. Tested against the textbook example.
    """
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    m = len(p)
    adjusted_sorted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(adjusted_sorted, 1.0)
    return adjusted


def paired_tests(split_scores: pd.DataFrame) -> pd.DataFrame:
    """Wilcoxon signed-rank test of every pair of methods on every task.

    Pairs are compared over the splits both have (the splits are shared, so the test is
    paired); p-values are two-sided and Holm-corrected over the pairs of each task.
    """
    cube, methods, tasks = score_cube(split_scores)
    rows = []
    for t, task in enumerate(tasks):
        block = []
        for a, b in itertools.combinations(range(len(methods)), 2):
            first, second = cube[a, t], cube[b, t]
            shared = ~np.isnan(first) & ~np.isnan(second)
            difference = first[shared] - second[shared]
            if shared.sum() == 0 or np.all(difference == 0):
                p_value = 1.0
            else:
                p_value = float(stats.wilcoxon(first[shared], second[shared]).pvalue)
            block.append(
                {
                    "task": task,
                    "method_a": methods[a],
                    "method_b": methods[b],
                    "n_splits": int(shared.sum()),
                    "median_difference": float(np.median(difference))
                    if len(difference)
                    else np.nan,
                    "p_value": p_value,
                }
            )
        if block:
            adjusted = holm(np.array([r["p_value"] for r in block]))
            for row, p_holm in zip(block, adjusted, strict=True):
                row["p_holm"] = float(p_holm)
            rows.extend(block)
    return pd.DataFrame(rows)


def weight_diagnostics(q_table: pd.DataFrame, baseline_methods: list[str]) -> pd.DataFrame:
    """Task weights with and without the given (bad-by-design) baseline methods."""
    kept = q_table.drop(index=[m for m in baseline_methods if m in q_table.index])
    return pd.DataFrame(
        {
            "task": q_table.columns,
            "weight_all_methods": task_weights(q_table).to_numpy(),
            "weight_without_baselines": task_weights(kept).to_numpy(),
        }
    )


def lower_confidence_bound(scores: np.ndarray, level: float = 0.95) -> float:
    """One-sided lower confidence bound of the mean split score (Student t).

    Monotone in the mean at fixed spread and decreasing in the spread, unlike Q, whose
    value for a negative mean rises towards zero as the spread grows.
    """
    scores = np.asarray(scores, dtype=float)
    scores = scores[~np.isnan(scores)]
    if len(scores) < 2:
        return float("nan")
    sem = scores.std(ddof=1) / np.sqrt(len(scores))
    return float(scores.mean() - stats.t.ppf(level, len(scores) - 1) * sem)


def companion_table(split_scores: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Method x task table of the monotone companion score (lower confidence bound)."""
    rows = {
        (method, task): lower_confidence_bound(group["score"].to_numpy(), level)
        for (method, task), group in split_scores.groupby(["method", "task"], sort=False)
    }
    series = pd.Series(rows)
    table = series.unstack()
    methods = list(dict.fromkeys(split_scores["method"]))
    tasks = list(dict.fromkeys(split_scores["task"]))
    return table.loc[methods, tasks]


__all__ = [
    "bootstrap_leaderboard",
    "companion_table",
    "holm",
    "lower_confidence_bound",
    "paired_tests",
    "score_cube",
    "weight_diagnostics",
]


def leaderboard_with_intervals(
    board: pd.DataFrame, intervals: pd.DataFrame, companion: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The leaderboard (best first) with the 95 % intervals of mean Q and aggregated rank,
    from resampling the splits and from resampling the tasks (:func:`bootstrap_leaderboard`),
    and, given the ``companion`` leaderboard, each method's rank under the monotone
    companion score, so a reader sees where Q's ordering and the mean score's disagree.

    A method of ``board`` whose embeddings duplicate another's (column ``same_as``) was
    ranked once: it is named in its twin's row (``a/pre = a/post``), not a row of its own.
    """
    same_as = {}
    if "same_as" in board:
        same_as = {
            m: t
            for m, t in zip(board["method"], board["same_as"], strict=True)
            if isinstance(t, str) and t
        }
    board = board[~board["method"].isin(same_as)]
    table = board[["aggregated_rank", "method", "mean_q"]].copy()
    for resample, label in (("splits", "over splits"), ("tasks", "over tasks")):
        part = intervals[intervals["resample"] == resample].set_index("method")
        table[f"mean Q {label}"] = [
            f"[{part.loc[m, 'mean_q_low']:.2f}, {part.loc[m, 'mean_q_high']:.2f}]"
            for m in table["method"]
        ]
        table[f"rank {label}"] = [
            f"[{part.loc[m, 'rank_low']:.0f}, {part.loc[m, 'rank_high']:.0f}]"
            for m in table["method"]
        ]
    if companion is not None:
        by_method = companion.set_index("method")
        table["rank by lower bound"] = table["method"].map(by_method["aggregated_rank"])
    table["method"] = [method_label(m, same_as) for m in table["method"]]
    return table.rename(columns={"aggregated_rank": "rank", "mean_q": "mean Q"}).reset_index(
        drop=True
    )
