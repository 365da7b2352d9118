"""Radar plot of per-task scores clipped at a floor (NeuCo-Bench Fig. 4)."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from eobench.plots.style import check_task_scores, method_styles, save_figure, task_label
from eobench.tables.render import SettingsError, checked_settings

#: key -> (default, kind); see :func:`eobench.tables.render.checked_settings`.
SETTINGS = {
    "clip_min": (0.0, "number"),
    "width": (9.0, "positive"),
    "height": (7.0, "positive"),
    "dpi": (200, "positive_int"),
    "title": (
        "Per-task score (R² for regression, F1 for classification), clipped at {clip_min:g}",
        "text",
    ),
    "methods": (None, "names"),
}
DEFAULTS = {key: default for key, (default, _) in SETTINGS.items()}


def plot_radar(
    task_scores: pd.DataFrame,
    out_pdf,
    out_png,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> None:
    """One closed polygon per method over all tasks, radial axis from ``clip_min`` to 1.

    The figure of :func:`radar_figure`, saved as PDF and PNG.

    Parameters
    ----------
    task_scores : DataFrame
        One row per (method, task) with ``method, encoder, aggregation, task, metric,
        mean_score`` (R² or F1). Tasks go clockwise from the top in their order of
        appearance.
    out_pdf, out_png : path
        Written atomically; the PNG is ``width * dpi`` by ``height * dpi`` pixels.
    settings : dict
        ``clip_min`` (scores below it are drawn at it), ``width``, ``height`` (inches),
        ``dpi``, ``title`` (``{clip_min}`` is filled in), ``methods`` (a list of methods to
        draw, in that order; null for all).
    provenance : dict
        Stored in the PDF's and PNG's metadata.

    Notes
    -----
    Colours follow the encoder and line styles the aggregation, assigned from the whole
    table so a subset keeps the colours of the full figure. A missing score leaves a gap.
    """
    settings = checked_settings(settings, SETTINGS, "figures.radar")
    figure = radar_figure(task_scores, settings)
    save_figure(figure, out_pdf, out_png, settings["dpi"], provenance)


def radar_figure(task_scores: pd.DataFrame, settings: dict[str, Any] | None = None):
    """The radar plot as a matplotlib Figure (see :func:`plot_radar`); one line per method,
    labelled with the method."""
    settings = checked_settings(settings, SETTINGS, "figures.radar")
    floor = float(settings["clip_min"])
    if floor >= 1:
        raise SettingsError(f"figures.radar.clip_min: {floor:g} must be below 1")
    check_task_scores(
        task_scores, ("method", "encoder", "aggregation", "task", "metric", "mean_score")
    )
    styles = method_styles(task_scores)
    methods = list(styles)
    if settings["methods"] is not None:
        unknown = [m for m in settings["methods"] if m not in styles]
        if unknown:
            raise SettingsError(
                f"figures.radar.methods: {unknown[0]!r} is not in the task scores "
                f"(known: {methods})"
            )
        methods = list(dict.fromkeys(settings["methods"]))
    tasks = list(dict.fromkeys(task_scores["task"]))
    metric_of = dict(zip(task_scores["task"], task_scores["metric"], strict=False))
    values = task_scores.pivot(index="method", columns="task", values="mean_score")
    values = values.reindex(index=methods, columns=tasks).astype(float)

    figure = plt.figure(figsize=(settings["width"], settings["height"]), layout="constrained")
    axis = figure.add_subplot(projection="polar")
    axis.set_theta_offset(np.pi / 2)  # first task at the top, then clockwise
    axis.set_theta_direction(-1)
    angles = np.linspace(0, 2 * np.pi, len(tasks), endpoint=False)
    closed = np.append(angles, angles[0])
    for method in methods:
        style = styles[method]
        score = np.clip(values.loc[method].to_numpy(), floor, 1.0)  # NaN stays NaN: a gap
        axis.plot(
            closed,
            np.append(score, score[0]),
            linestyle=style.linestyle,
            marker=style.marker,
            markersize=4,
            linewidth=1.5,
            color=style.colour,
            label=method,
            clip_on=False,  # markers on the outer ring (a perfect score) stay whole
        )
    axis.set_ylim(floor, 1.0)
    ticks = np.linspace(floor, 1.0, 5)
    axis.set_yticks(ticks)
    axis.set_yticklabels([f"{t:.2g}" for t in ticks], fontsize=7, color="0.35")
    for label in axis.get_yticklabels():  # legible where a polygon crosses it
        label.set_bbox({"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 0.6})
        label.set_zorder(5)
    # Radial labels halfway between the first two spokes, where no polygon vertex lies.
    axis.set_rlabel_position(180 / len(tasks))
    axis.set_xticks(angles)
    axis.set_xticklabels([task_label(t, metric_of[t]) for t in tasks], fontsize=8.5)
    axis.tick_params(axis="x", pad=6)
    for label, angle in zip(axis.get_xticklabels(), angles, strict=True):
        # Clockwise from the top: labels on the right start at their spoke, labels on the
        # left end at it, so long names grow away from the circle rather than across it.
        side = np.sin(angle)
        label.set_horizontalalignment(
            "left" if side > 0.1 else "right" if side < -0.1 else "center"
        )
    axis.grid(color="0.8", linewidth=0.7)
    axis.spines["polar"].set_color("0.5")
    axis.set_title(_title(settings["title"], floor), pad=18, fontsize=11)
    _legend(figure, len(methods), settings["width"], settings["height"])
    return figure


def _title(template: str, floor: float) -> str:
    try:
        return template.format(clip_min=floor)
    except (KeyError, IndexError, ValueError) as exc:
        raise SettingsError(
            f"figures.radar.title: {template!r} may only use the field {{clip_min}} ({exc})"
        ) from exc


def _legend(figure, n_methods: int, width: float, height: float) -> None:
    """Beside the radar on a wide figure; below it, in columns, on a square or tall one."""
    options = dict(
        fontsize=8.5,
        frameon=False,
        title="encoder/aggregation",
        title_fontsize=8.5,
        handlelength=3.2,  # long enough to tell solid, dashed and dotted apart
    )
    if width >= 1.15 * height:
        figure.legend(loc="outside right upper", ncols=1 if n_methods <= 18 else 2, **options)
    else:
        columns = max(1, min(n_methods, int((width - 0.3) // 1.75)))
        figure.legend(loc="outside lower center", ncols=columns, **options)
