"""Quality score Q per task and method, with the task weights (NeuCo-Bench Fig. 3)."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from eobench.plots.style import AGGREGATION_STYLE, encoder_colours, save_figure, task_label
from eobench.tables.render import checked_settings

DEFAULTS = {
    "width": 11.0,
    "height": 6.5,
    "dpi": 200,
    "title": "Quality score Q per task (top) and task weights (bottom)",
    "show_weights": True,
}


def plot_q_per_task(
    task_scores: pd.DataFrame,
    out_pdf,
    out_png,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> None:
    """Markers of Q per task for every method (dodged), a zero line, and weight bars."""
    settings = checked_settings(settings, DEFAULTS, "figures.q_per_task")
    tasks = list(dict.fromkeys(task_scores["task"]))
    methods = task_scores.drop_duplicates("method")[["method", "encoder", "aggregation"]]
    colours = encoder_colours(list(dict.fromkeys(methods["encoder"])))
    q = task_scores.pivot(index="method", columns="task", values="q")[tasks]
    weights = task_scores.drop_duplicates("task").set_index("task")["weight"].reindex(tasks)

    if settings["show_weights"]:
        figure, (top, bottom) = plt.subplots(
            2,
            1,
            figsize=(settings["width"], settings["height"]),
            sharex=True,
            gridspec_kw={"height_ratios": [3, 1]},
        )
    else:
        figure, top = plt.subplots(figsize=(settings["width"], settings["height"]))
        bottom = None
    x = np.arange(len(tasks))
    offsets = np.linspace(-0.35, 0.35, len(methods))
    for offset, (method, encoder, aggregation) in zip(
        offsets, methods.itertuples(index=False), strict=True
    ):
        _, marker = AGGREGATION_STYLE.get(aggregation, ("-", "o"))
        top.scatter(
            x + offset,
            q.loc[method].to_numpy(dtype=float),
            marker=marker,
            s=22,
            color=colours[encoder],
            label=method,
            zorder=3,
            edgecolor="white",
            linewidth=0.4,
        )
    top.axhline(0, color="0.3", linewidth=0.8)
    for boundary in x[:-1] + 0.5:
        top.axvline(boundary, color="0.9", linewidth=0.8, zorder=0)
    top.set_ylabel("Q")
    top.set_title(settings["title"], fontsize=11)
    top.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        frameon=False,
        title="encoder/aggregation",
        title_fontsize=8,
    )
    labels = [task_label(t) for t in tasks]
    if bottom is not None:
        bottom.bar(x, weights.to_numpy(dtype=float), color="0.55", width=0.6)
        bottom.set_ylabel("weight")
        bottom.set_xticks(x)
        bottom.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    else:
        top.set_xticks(x)
        top.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    figure.tight_layout()
    save_figure(figure, out_pdf, out_png, int(settings["dpi"]), provenance)
