"""Views of the exploration notebooks (``report/notebooks/``): each function returns a
figure or a table for one notebook cell, so the notebooks stay a few lines per view."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from eobench.data.labels import Task
from eobench.errors import EobenchError
from eobench.plots.style import METRIC_NAMES, encoder_styles, method_styles

#: Label and colour of the two resamplings of the bootstrap intervals.
RESAMPLES = {"splits": ("over splits", "#0072B2"), "tasks": ("over tasks", "#D55E00")}
SPLIT_SCORE_COLUMNS = ["method", "encoder", "aggregation", "task", "metric", "split", "score"]


def intervals_figure(intervals: pd.DataFrame):
    """Mean Q of every method with its bootstrap interval over splits and over tasks.

    ``intervals`` is ``intervals.csv`` of rule ``leaderboard_statistics``: one row per
    (method, resample) with ``mean_q, mean_q_low, mean_q_high, aggregated_rank``.
    Methods top to bottom by aggregated rank (best first); each resampling is one
    errorbar container labelled by :data:`RESAMPLES`.
    """
    ranked = intervals.drop_duplicates("method").sort_values("aggregated_rank", kind="stable")
    methods = list(ranked["method"])
    figure, axis = plt.subplots(figsize=(7.5, 0.45 * len(methods) + 1.2), layout="constrained")
    for offset, (resample, (label, colour)) in zip((-0.12, 0.12), RESAMPLES.items(), strict=True):
        part = intervals[intervals["resample"] == resample].set_index("method").loc[methods]
        y = np.arange(len(methods)) + offset
        errors = [part["mean_q"] - part["mean_q_low"], part["mean_q_high"] - part["mean_q"]]
        axis.errorbar(part["mean_q"], y, xerr=errors, fmt="o", color=colour, capsize=3, label=label)
    axis.set_yticks(range(len(methods)), methods)
    axis.invert_yaxis()
    axis.axvline(0.0, color="0.6", linewidth=0.8)
    axis.set_xlabel("mean Q (95 % bootstrap interval)")
    axis.legend(loc="lower right", fontsize=8)
    return figure


def significant_wins(paired_tests: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Tasks on which the row method beats the column method significantly.

    ``paired_tests`` is ``paired_tests.csv``: one row per (task, method_a, method_b)
    with the median split-score difference a - b and Holm's adjusted p-value. A pair
    counts for a on a task when ``p_holm < alpha`` and the median difference is
    positive, for b when it is negative. Methods in order of first appearance.
    """
    methods = list(dict.fromkeys([*paired_tests["method_a"], *paired_tests["method_b"]]))
    wins = pd.DataFrame(0, index=methods, columns=methods, dtype=int)
    significant = paired_tests[paired_tests["p_holm"] < alpha]
    for a, b, difference in significant[["method_a", "method_b", "median_difference"]].itertuples(
        index=False
    ):
        if difference > 0:
            wins.loc[a, b] += 1
        elif difference < 0:
            wins.loc[b, a] += 1
    wins.index.name = "wins of"
    wins.columns.name = "over"
    return wins


def wins_figure(wins: pd.DataFrame, n_tasks: int, alpha: float):
    """:func:`significant_wins` as a heat map with the counts written in the cells."""
    size = 0.55 * len(wins) + 2.0
    figure, axis = plt.subplots(figsize=(size + 1.0, size), layout="constrained")
    image = axis.imshow(wins.to_numpy(), cmap="Blues", vmin=0, vmax=max(n_tasks, 1))
    for (i, j), value in np.ndenumerate(wins.to_numpy()):
        if i != j:
            colour = "white" if value > n_tasks / 2 else "black"
            axis.text(j, i, str(value), ha="center", va="center", color=colour, fontsize=8)
    axis.set_xticks(range(len(wins)), wins.columns, rotation=45, ha="right")
    axis.set_yticks(range(len(wins)), wins.index)
    axis.set_xlabel("over")
    axis.set_ylabel("wins of")
    axis.set_title(f"Tasks won significantly (Wilcoxon, Holm, p < {alpha:g}) of {n_tasks}")
    figure.colorbar(image, ax=axis, shrink=0.7, label="tasks")
    return figure


def task_weights_figure(weights: pd.DataFrame):
    """Each task's weight in the ranking, with all methods and without the baselines."""
    figure, axis = plt.subplots(figsize=(8.0, 3.6), layout="constrained")
    x = np.arange(len(weights))
    for offset, column, colour in (
        (-0.2, "weight_all_methods", "#0072B2"),
        (0.2, "weight_without_baselines", "#E69F00"),
    ):
        axis.bar(x + offset, weights[column], width=0.4, color=colour, label=column)
    axis.axhline(1 / len(weights), color="0.5", linewidth=0.8, linestyle="--", label="uniform")
    axis.set_xticks(x, weights["task"], rotation=45, ha="right")
    axis.set_ylabel("task weight")
    axis.legend(fontsize=8)
    return figure


def score_overview(task_scores: pd.DataFrame, references: pd.DataFrame) -> pd.DataFrame:
    """Tasks as rows: ceiling, chance level, then each method's mean ± std over splits.

    ``task_scores`` is ``task_scores.csv`` of rule ``score_methods`` (``method, task,
    mean_score, std_score``), ``references`` has ``task, ceiling, chance``. Tasks and
    methods in their order of appearance; references with 3 decimals, scores with 2.
    """
    tasks = list(dict.fromkeys(task_scores["task"]))
    table = references.set_index("task").reindex(tasks)[["ceiling", "chance"]].round(3)
    for method, rows in task_scores.groupby("method", sort=False):
        rows = rows.set_index("task").reindex(tasks)
        table[method] = [
            f"{m:.2f} ± {s:.2f}" for m, s in zip(rows["mean_score"], rows["std_score"], strict=True)
        ]
    return table


def q_overview(task_scores: pd.DataFrame) -> pd.DataFrame:
    """Tasks as rows: the task weight, then each method's Q (3 decimals)."""
    tasks = list(dict.fromkeys(task_scores["task"]))
    methods = list(dict.fromkeys(task_scores["method"]))
    q = task_scores.pivot(index="task", columns="method", values="q").loc[tasks, methods]
    weights = task_scores.drop_duplicates("task").set_index("task")["weight"]
    return pd.concat([weights.loc[tasks].rename("weight"), q], axis=1).round(3)


def read_split_scores(files: Mapping[str, str]) -> pd.DataFrame:
    """Every split's score of every method: method -> probe ``scores.parquet``.

    Returns the columns of :data:`SPLIT_SCORE_COLUMNS`, one row per (method, task,
    split), methods in the order of ``files``.
    """
    frames = []
    for method, path in files.items():
        scores = pd.read_parquet(path)
        missing = [c for c in SPLIT_SCORE_COLUMNS[1:] if c not in scores]
        if missing:
            raise EobenchError(f"{path}: missing columns {missing}")
        frames.append(scores.assign(method=method)[SPLIT_SCORE_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def split_scores_figure(
    split_scores: pd.DataFrame,
    references: pd.DataFrame | None = None,
    encoders: Sequence[str] | None = None,
    columns: int = 3,
    floor: float = -1.0,
):
    """One panel per task: every split's score of every method as points, the mean as
    a bar; the task's chance level (dotted) and ceiling (dashed) from ``references``
    (``task, ceiling, chance``). Scores below ``floor`` are drawn at it (R² of bad
    embeddings is unbounded below) and counted in the panel's title.
    """
    tasks = list(dict.fromkeys(split_scores["task"]))
    methods = list(dict.fromkeys(split_scores["method"]))
    styles = method_styles(split_scores, encoders)
    rows = math.ceil(len(tasks) / columns)
    figure, axes = plt.subplots(
        rows,
        columns,
        figsize=(3.4 * columns, 0.22 * len(methods) * rows + 1.1 * rows),
        layout="constrained",
        squeeze=False,
        sharey=True,
    )
    by_task = references.set_index("task") if references is not None else None
    for axis, task in zip(axes.ravel(), tasks, strict=False):
        part = split_scores[split_scores["task"] == task]
        below = 0
        for i, method in enumerate(methods):
            scores = part.loc[part["method"] == method, "score"].to_numpy(dtype=float)
            below += int(np.sum(scores < floor))
            colour = styles[method].colour
            axis.plot(np.maximum(scores, floor), np.full(len(scores), i), "|", color=colour)
            if len(scores):
                axis.plot(max(np.nanmean(scores), floor), i, "o", color=colour, markersize=4)
        if by_task is not None and task in by_task.index:
            for level, style in (("chance", ":"), ("ceiling", "--")):
                value = by_task.loc[task, level]
                if np.isfinite(value):
                    axis.axvline(value, color="0.3", linestyle=style, linewidth=1, label=level)
        metric = METRIC_NAMES.get(part["metric"].iloc[0], part["metric"].iloc[0])
        note = f" ({below} below {floor:g})" if below else ""
        axis.set_title(f"{task}: {metric}{note}", fontsize=9)
        axis.set_xlim(floor - 0.05, 1.02)
        axis.set_yticks(range(len(methods)), methods, fontsize=8)
    axes[0][0].invert_yaxis()  # best-first order top down; the y axes are shared
    for axis in axes.ravel()[len(tasks) :]:
        axis.set_visible(False)
    return figure


def label_distributions_figure(tasks: Sequence[Task], columns: int = 4, bins: int = 20):
    """One panel per task: a histogram of its labels (class counts for classification)."""
    rows = math.ceil(len(tasks) / columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(3.0 * columns, 2.2 * rows), layout="constrained", squeeze=False
    )
    for axis, task in zip(axes.ravel(), tasks, strict=False):
        if task.is_classification:
            classes, counts = np.unique(task.labels.astype(int), return_counts=True)
            axis.bar([str(c) for c in classes], counts, color="0.55")
        else:
            axis.hist(task.labels, bins=bins, color="0.55")
        axis.set_title(f"{task.name} ({len(task.ids)} samples)", fontsize=9)
    for axis in axes.ravel()[len(tasks) :]:
        axis.set_visible(False)
    return figure


def band_statistics_figure(statistics: pd.DataFrame):
    """Mean ± std of every band per season, one panel per image array."""
    arrays = list(dict.fromkeys(statistics["array"]))
    widths = [max(2, statistics.loc[statistics["array"] == a, "band"].nunique()) for a in arrays]
    figure, axes = plt.subplots(
        1,
        len(arrays),
        figsize=(0.42 * sum(widths) + 2.5, 3.6),
        layout="constrained",
        squeeze=False,
        width_ratios=widths,
    )
    seasons = list(dict.fromkeys(statistics["season"]))
    colours = encoder_styles(seasons)
    for axis, name in zip(axes[0], arrays, strict=True):
        part = statistics[statistics["array"] == name]
        bands = list(dict.fromkeys(part["band"]))
        for k, season in enumerate(seasons):
            rows = part[part["season"] == season].set_index("band").loc[bands]
            x = np.arange(len(bands)) + (k - (len(seasons) - 1) / 2) * 0.15
            axis.errorbar(
                x,
                rows["mean"],
                yerr=rows["std"],
                fmt="o",
                markersize=3,
                capsize=2,
                color=colours[season][0],
                label=season,
            )
        axis.set_xticks(range(len(bands)), bands, rotation=90, fontsize=8)
        axis.set_title(name, fontsize=10)
        axis.set_ylabel(str(part["units"].iloc[0])[:48], fontsize=7)
    axes[0][-1].legend(fontsize=7)
    return figure


def example_cube_figure(images: Mapping[str, np.ndarray], seasons: Sequence[str], title: str):
    """One row per image kind (``RGB``, ``VV``, ``VH``, ``VV/VH``), one column per season."""
    kinds = list(images)
    figure, axes = plt.subplots(
        len(kinds),
        len(seasons),
        figsize=(1.25 * len(seasons) + 0.5, 1.25 * len(kinds) + 0.4),
        layout="constrained",
        squeeze=False,
    )
    figure.suptitle(title, fontsize=10)
    for i, kind in enumerate(kinds):
        for t, season in enumerate(seasons):
            axis = axes[i][t]
            image = images[kind][t]
            axis.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1)
            axis.set_xticks([])
            axis.set_yticks([])
            if i == 0:
                axis.set_title(season, fontsize=9)
            if t == 0:
                axis.set_ylabel(kind, fontsize=9)
    return figure
