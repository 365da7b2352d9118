"""Quality score Q per task and method, with the task weights (NeuCo-Bench Fig. 3)."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from eobench.plots.style import (
    aggregation_text,
    check_task_scores,
    method_styles,
    run_description,
    save_figure,
    task_label,
)
from eobench.tables.render import checked_settings

#: key -> (default, kind); see :func:`eobench.tables.render.checked_settings`.
SETTINGS = {
    "width": (11.0, "positive"),
    "height": (6.5, "positive"),
    "dpi": (200, "positive_int"),
    "title": ("Quality score Q per task and method", "text"),
    "show_weights": (True, "bool"),
}
DEFAULTS = {key: default for key, (default, _) in SETTINGS.items()}

_TICK_FONTSIZE = 8.5


def plot_q_per_task(
    task_scores: pd.DataFrame,
    out_pdf,
    out_png,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    **context,
) -> None:
    """Q of every method on every task as dodged lollipops; the task weights below.

    Parameters
    ----------
    task_scores : DataFrame
        One row per (method, task) with ``method, encoder, aggregation, task, q`` and
        ``weight`` (needed when ``show_weights``). Tasks keep their order of appearance.
    out_pdf, out_png : path
        Written atomically; the PNG is ``width * dpi`` by ``height * dpi`` pixels.
    settings : dict
        ``width``, ``height`` (inches), ``dpi``, ``title``, ``show_weights`` (a lower
        panel with a bar per task weight, its value printed above).
    provenance : dict
        Stored in the PDF's and PNG's metadata.
    **context
        ``encoders``, ``protocol``, ``k_splits`` of :func:`q_per_task_figure`.
    """
    settings = checked_settings(settings, SETTINGS, "figures.q_per_task")
    figure = q_per_task_figure(task_scores, settings, **context)
    save_figure(figure, out_pdf, out_png, settings["dpi"], provenance)


def q_per_task_figure(
    task_scores: pd.DataFrame,
    settings: dict[str, Any] | None = None,
    *,
    encoders: Sequence[str] | None = None,
    protocol: str | None = None,
    k_splits: int | None = None,
):
    """The figure of :func:`plot_q_per_task`: its first axes hold one marker line per method
    (labelled with the method), its second (with ``show_weights``) the weight bars.

    ``encoders`` is the style registry's order (the config's ``encoders``); ``protocol``
    and ``k_splits`` are named under the title.
    """
    settings = checked_settings(settings, SETTINGS, "figures.q_per_task")
    columns = ["method", "encoder", "aggregation", "task", "q"]
    if settings["show_weights"]:
        columns.append("weight")
    check_task_scores(task_scores, columns)
    styles = method_styles(task_scores, encoders)
    methods = list(styles)
    tasks = list(dict.fromkeys(task_scores["task"]))
    q = task_scores.pivot(index="method", columns="task", values="q")
    q = q.reindex(index=methods, columns=tasks).astype(float)

    size = (settings["width"], settings["height"])
    if settings["show_weights"]:
        figure, (top, bottom) = plt.subplots(
            2, 1, figsize=size, sharex=True, height_ratios=[4, 1], layout="constrained"
        )
    else:
        figure, top = plt.subplots(figsize=size, layout="constrained")
        bottom = None

    x = np.arange(len(tasks))
    slot = 0.8  # share of a task's unit width taken by its group of methods
    offsets = (np.arange(len(methods)) - (len(methods) - 1) / 2) * slot / len(methods)
    for offset, method in zip(offsets, methods, strict=True):
        style = styles[method]
        values = q.loc[method].to_numpy()
        # A thin stem from zero makes the sign and size of each Q readable at a glance.
        top.vlines(x + offset, 0, values, color=style.colour, linewidth=0.9, alpha=0.45)
        top.plot(
            x + offset,
            values,
            markersize=5,
            markeredgewidth=0.8,
            label=method,
            zorder=3,
            **{**style.line_kwargs(), "linestyle": "none"},
        )
    top.axhline(0, color="0.2", linewidth=0.9, zorder=2)
    for boundary in x[:-1] + 0.5:
        top.axvline(boundary, color="0.88", linewidth=0.8, zorder=0)
    top.grid(axis="y", color="0.93", linewidth=0.7, zorder=0)
    top.set_axisbelow(True)
    top.set_xlim(-0.5, len(tasks) - 0.5)
    top.set_ylabel("Q")
    figure.suptitle(settings["title"], fontsize=11)
    description = run_description(
        protocol,
        k_splits,
        aggregation_text(task_scores["aggregation"]),
        "Q = 100 ε mean / (std + ε) over the K split scores",
    )
    # Wrapped: a long line would run past the axes into the legend.
    top.set_title(textwrap.fill(description, 95), fontsize=8.5)
    figure.legend(
        *top.get_legend_handles_labels(),
        loc="outside right upper",
        fontsize=8.5,
        frameon=False,
        title="encoder/aggregation",
        title_fontsize=8.5,
        ncols=1 if len(methods) <= 20 else 2,
    )

    labelled = top
    if bottom is not None:
        weights = task_scores.drop_duplicates("task").set_index("task")["weight"]
        weights = weights.reindex(tasks).astype(float).to_numpy()
        bars = bottom.bar(x, weights, color="0.6", width=0.55)
        bottom.bar_label(bars, fmt="%.3f", fontsize=7, padding=1.5, color="0.25")
        top_weight = np.nanmax(weights) if np.isfinite(weights).any() else 1.0
        bottom.set_ylim(0, top_weight * 1.35)  # room for the printed values
        bottom.set_ylabel("task\nweight")
        bottom.grid(axis="y", color="0.93", linewidth=0.7)
        bottom.set_axisbelow(True)
        labelled = bottom
    labelled.set_xticks(x)
    labelled.set_xticklabels([task_label(t, width=10) for t in tasks], fontsize=_TICK_FONTSIZE)
    if _labels_collide(figure, labelled):
        # Too narrow for wrapped names side by side: one slanted line each.
        labelled.set_xticklabels(
            [task_label(t, width=1000) for t in tasks],
            rotation=30,
            ha="right",
            rotation_mode="anchor",
            fontsize=_TICK_FONTSIZE,
        )
    return figure


def _labels_collide(figure, axis, gap_px: float = 4.0) -> bool:
    """Whether neighbouring x tick labels overlap (or nearly touch) once laid out."""
    figure.canvas.draw()  # runs the constrained layout, so label positions are final
    renderer = figure.canvas.get_renderer()
    boxes = [label.get_window_extent(renderer) for label in axis.get_xticklabels()]
    return any(left.x1 + gap_px > right.x0 for left, right in itertools.pairwise(boxes))
