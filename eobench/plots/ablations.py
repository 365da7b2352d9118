"""Figures of the ablations: embedding size (Figs. 5a, 14-15), probe depth (Figs. 5b, 13)
and layer-wise probing (Fig. 12).

All read the tidy summary of an ablation (:func:`eobench.scoring.summarise_tasks` of its
split scores). Overall panels average the per-task mean scores (R^2 or F1) over tasks;
per-task panels show the mean score with its standard deviation over the K splits.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from eobench.errors import EobenchError
from eobench.plots.style import method_styles, save_figure, task_label
from eobench.tables.ablations import overall_scores
from eobench.tables.render import checked_settings

SETTINGS = {
    "width": (7.0, "positive"),
    "height": (4.5, "positive"),
    "dpi": (200, "positive_int"),
    "title": ("", "text"),
    "columns": (4, "positive_int"),
    # Scores of bad-by-design embeddings go far below 0 (R² is unbounded below); the
    # axes stop here so the differences that matter stay visible. Bars below are cut.
    "y_min": (-1.0, "number"),
}

#: The figures of this module: name -> (default title, the ablation axis on x).
FIGURES: dict[str, tuple[str, str]] = {
    "embedding_size": ("Mean score over tasks vs embedding size", "size"),
    "embedding_size_per_task": ("Score per task vs embedding size", "size"),
    "probe_depth": ("Mean score over tasks per probe head", "head"),
    "probe_depth_per_task": ("Score per task per probe head", "head"),
    "layers": ("Score per task vs encoder layer", "layer"),
}


def _encoder_colours(summary: pd.DataFrame) -> dict[str, Any]:
    frame = summary.drop_duplicates("encoder").assign(
        method=lambda f: f["encoder"], aggregation="post"
    )
    return {encoder: style.colour for encoder, style in method_styles(frame).items()}


def _metric_label(summary: pd.DataFrame) -> str:
    metrics = set(summary["metric"])
    return "mean score (R² / F1)" if len(metrics) > 1 else {"r2": "R²", "f1": "F1"}[metrics.pop()]


def _check(summary: pd.DataFrame, axis: str, name: str) -> None:
    needed = ["encoder", "task", "metric", "mean_score", "std_score", "q", axis]
    missing = [c for c in needed if c not in summary]
    if missing:
        raise EobenchError(f"figures.{name}: the ablation summary lacks columns {missing}")
    if summary.empty:
        raise EobenchError(f"figures.{name}: the ablation summary is empty")


def plot_ablation(
    name: str,
    summary: pd.DataFrame,
    out_pdf,
    out_png,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> None:
    """Draw ablation figure ``name`` (a key of :data:`FIGURES`) and save it as PDF and PNG."""
    figure, settings = ablation_figure(name, summary, settings)
    save_figure(figure, out_pdf, out_png, settings["dpi"], provenance)


def ablation_figure(name: str, summary: pd.DataFrame, settings: dict[str, Any] | None = None):
    """The figure of :func:`plot_ablation` and its checked settings."""
    if name not in FIGURES:
        raise EobenchError(f"unknown ablation figure {name!r} (known: {sorted(FIGURES)})")
    default_title, axis = FIGURES[name]
    per_task = name.endswith("per_task") or name == "layers"
    spec = dict(SETTINGS)
    spec["title"] = (default_title, "text")
    if per_task:
        spec["width"], spec["height"] = (12.0, "positive"), (8.0, "positive")
    settings = checked_settings(settings, spec, f"figures.{name}")
    _check(summary, axis, name)
    figure = (_per_task_figure if per_task else _overall_figure)(summary, axis, settings)
    return figure, settings


def _overall_figure(summary: pd.DataFrame, axis: str, settings: dict[str, Any]):
    colours = _encoder_colours(summary)
    figure, ax = plt.subplots(figsize=(settings["width"], settings["height"]))
    if axis == "head":
        table = overall_scores(summary, ["encoder", "head", "head_parameters"])
        heads = list(dict.fromkeys(table["head"]))
        encoders = list(dict.fromkeys(table["encoder"]))
        width = 0.8 / len(heads)
        hatches = ["", "//", "..", "xx", "\\\\", "--"]
        for j, head in enumerate(heads):
            rows = table[table["head"] == head].set_index("encoder").reindex(encoders)
            params = rows["head_parameters"].dropna()
            label = f"{head} ({int(params.iloc[0]):,} params)" if len(params) else head
            ax.bar(
                np.arange(len(encoders)) + (j - (len(heads) - 1) / 2) * width,
                rows["mean_score"],
                width,
                label=label,
                color=[colours[e] for e in encoders],
                edgecolor="black",
                linewidth=0.5,
                hatch=hatches[j % len(hatches)],
                alpha=0.35 + 0.65 * (j + 1) / len(heads),
            )
        ax.set_xticks(np.arange(len(encoders)), encoders)
        ax.set_xlabel("encoder")
        ax.axhline(0, color="black", linewidth=0.6)
        ax.legend(title="probe head", fontsize=8, frameon=False)
    else:
        table = overall_scores(summary, ["encoder", axis]).sort_values(["encoder", axis])
        for encoder, rows in table.groupby("encoder", sort=False):
            ax.plot(
                rows[axis], rows["mean_score"], marker="o", color=colours[encoder], label=encoder
            )
        if axis == "size":
            ax.set_xscale("log", base=2)
            sizes = sorted(table[axis].dropna().astype(int).unique())
            ax.set_xticks(sizes, [str(s) for s in sizes])
            ax.minorticks_off()
            ax.set_xlabel("embedding size N")
        else:
            ax.set_xlabel(axis)
        ax.legend(title="encoder", fontsize=8, frameon=False)
    ax.set_ylabel(_metric_label(summary))
    _floor(ax, settings["y_min"])
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(settings["title"])
    figure.tight_layout()
    return figure


def _floor(ax, y_min: float) -> None:
    bottom, top = ax.get_ylim()
    if bottom < y_min:
        ax.set_ylim(y_min, max(top, y_min + 0.1))
        ax.text(0.01, 0.01, f"axis cut at {y_min:g}", transform=ax.transAxes, fontsize=6)


def _per_task_figure(summary: pd.DataFrame, axis: str, settings: dict[str, Any]):
    colours = _encoder_colours(summary)
    tasks = list(dict.fromkeys(summary["task"]))
    columns = min(settings["columns"], len(tasks))
    rows_n = math.ceil(len(tasks) / columns)
    figure, axes = plt.subplots(
        rows_n,
        columns,
        figsize=(settings["width"], settings["height"]),
        squeeze=False,
        sharex=True,
    )
    encoders = list(dict.fromkeys(summary["encoder"]))
    heads = list(dict.fromkeys(summary["head"])) if axis == "head" else []
    for ax, task in zip(axes.flat, tasks, strict=False):
        rows = summary[summary["task"] == task]
        if axis == "head":
            width = 0.8 / len(encoders)
            for j, encoder in enumerate(encoders):
                part = rows[rows["encoder"] == encoder].set_index("head").reindex(heads)
                ax.bar(
                    np.arange(len(heads)) + (j - (len(encoders) - 1) / 2) * width,
                    part["mean_score"],
                    width,
                    yerr=part["std_score"],
                    color=colours[encoder],
                    error_kw={"linewidth": 0.6},
                    label=encoder,
                )
            ax.set_xticks(np.arange(len(heads)), heads, rotation=45, fontsize=7)
        else:
            for encoder in encoders:
                part = rows[rows["encoder"] == encoder].sort_values(axis)
                ax.errorbar(
                    part[axis],
                    part["mean_score"],
                    yerr=part["std_score"],
                    marker="o",
                    markersize=3,
                    capsize=2,
                    color=colours[encoder],
                    label=encoder,
                )
            if axis == "size":
                ax.set_xscale("log", base=2)
                sizes = sorted(summary["size"].dropna().astype(int).unique())
                ax.set_xticks(sizes, [str(s) for s in sizes], rotation=90)
                ax.minorticks_off()
            elif axis == "layer":
                layers = sorted(summary["layer"].dropna().astype(int).unique())
                ax.set_xticks(layers, [str(layer) for layer in layers])
        ax.axhline(0, color="black", linewidth=0.5)
        _floor(ax, settings["y_min"])
        ax.set_title(task_label(task, rows["metric"].iloc[0], width=30), fontsize=8.5)
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(tasks) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        if axis == "size":
            ax.set_xlabel("embedding size N", fontsize=8)
        elif axis == "layer":
            ax.set_xlabel("layer (0 = patch embedding)", fontsize=8)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower right", fontsize=8, frameon=False, title="encoder")
    figure.suptitle(settings["title"])
    figure.tight_layout(rect=(0, 0, 1, 0.97))
    return figure
