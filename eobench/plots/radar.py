"""Radar plot of per-task scores clipped at a floor (NeuCo-Bench Fig. 4)."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from eobench.plots.style import AGGREGATION_STYLE, encoder_colours, save_figure, task_label
from eobench.tables.render import checked_settings

DEFAULTS = {
    "clip_min": 0.0,
    "width": 8.0,
    "height": 7.0,
    "dpi": 200,
    "title": "Per-task score (R² / F1), clipped at {clip_min:g}",
    "methods": None,
}


def plot_radar(
    task_scores: pd.DataFrame,
    out_pdf,
    out_png,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> None:
    """One polygon per method over all tasks; the radial axis runs from ``clip_min`` to 1."""
    settings = checked_settings(settings, DEFAULTS, "figures.radar")
    frame = task_scores
    if settings["methods"]:
        frame = frame[frame["method"].isin(settings["methods"])]
    tasks = list(dict.fromkeys(frame["task"]))
    metrics = dict(zip(frame["task"], frame["metric"], strict=False))
    methods = frame.drop_duplicates("method")[["method", "encoder", "aggregation"]]
    colours = encoder_colours(list(dict.fromkeys(methods["encoder"])))
    values = frame.pivot(index="method", columns="task", values="mean_score")[tasks]
    floor = float(settings["clip_min"])

    angles = np.linspace(0, 2 * np.pi, len(tasks), endpoint=False)
    closed = np.append(angles, angles[0])
    figure = plt.figure(figsize=(settings["width"], settings["height"]))
    axis = figure.add_subplot(projection="polar")
    axis.set_theta_offset(np.pi / 2)
    axis.set_theta_direction(-1)
    for method, encoder, aggregation in methods.itertuples(index=False):
        score = np.clip(values.loc[method].to_numpy(dtype=float), floor, 1.0)
        score = np.nan_to_num(score, nan=floor)
        linestyle, marker = AGGREGATION_STYLE.get(aggregation, ("-", "o"))
        axis.plot(
            closed,
            np.append(score, score[0]),
            linestyle=linestyle,
            marker=marker,
            markersize=3,
            linewidth=1.4,
            color=colours[encoder],
            label=method,
        )
    axis.set_xticks(angles)
    axis.set_xticklabels([task_label(t, metrics[t]) for t in tasks], fontsize=8)
    axis.set_ylim(floor, 1.0)
    ticks = np.linspace(floor, 1.0, 5)
    axis.set_yticks(ticks)
    axis.set_yticklabels([f"{t:.2g}" for t in ticks], fontsize=7, color="0.4")
    axis.tick_params(axis="x", pad=12)
    axis.set_title(settings["title"].format(clip_min=floor), pad=24, fontsize=11)
    axis.legend(
        loc="upper left",
        bbox_to_anchor=(1.08, 1.02),
        fontsize=8,
        frameon=False,
        title="encoder/aggregation",
        title_fontsize=8,
    )
    figure.tight_layout()
    save_figure(figure, out_pdf, out_png, int(settings["dpi"]), provenance)
