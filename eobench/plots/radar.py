"""Radar plot of per-task scores clipped at a floor (NeuCo-Bench Fig. 4), with each
task's chance level and ceiling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from eobench.plots.style import (
    add_caption,
    aggregation_text,
    check_task_scores,
    method_styles,
    protocol_note,
    run_description,
    save_figure,
    task_label,
)
from eobench.tables.render import SettingsError, checked_settings

#: key -> (default, kind); see :func:`eobench.tables.render.checked_settings`.
SETTINGS = {
    "clip_min": (0.0, "number"),
    "width": (10.0, "positive"),
    "height": (7.5, "positive"),
    "dpi": (200, "positive_int"),
    "title": (
        "Per-task score (R² for regression, F1 for classification), clipped at {clip_min:g}",
        "text",
    ),
    "methods": (None, "names"),
    "aggregations": (["post"], "names"),
    "coincide_tolerance": (0.005, "number"),
    "show_references": (True, "bool"),
}
DEFAULTS = {key: default for key, (default, _) in SETTINGS.items()}

#: Half the angular width of a task's reference marks, as a share of the spoke spacing.
_MARK_HALF_WIDTH = 0.22
_CEILING_COLOUR = "0.55"
_CHANCE_COLOUR = "0.86"


def plot_radar(
    task_scores: pd.DataFrame,
    out_pdf,
    out_png,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    **context,
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
        See :func:`radar_figure`.
    provenance : dict
        Stored in the PDF's and PNG's metadata.
    **context
        ``tasks``, ``encoders``, ``protocol``, ``k_splits`` of :func:`radar_figure`.
    """
    settings = checked_settings(settings, SETTINGS, "figures.radar")
    figure = radar_figure(task_scores, settings, **context)
    save_figure(figure, out_pdf, out_png, settings["dpi"], provenance)


def radar_figure(
    task_scores: pd.DataFrame,
    settings: dict[str, Any] | None = None,
    *,
    tasks: pd.DataFrame | None = None,
    encoders: Sequence[str] | None = None,
    protocol: str | None = None,
    k_splits: int | None = None,
):
    """The radar plot as a matplotlib Figure; one line per drawn method, labelled with it.

    Parameters
    ----------
    task_scores : DataFrame
        See :func:`plot_radar`.
    settings : dict
        ``clip_min`` (scores below it are drawn at it), ``width``, ``height`` (inches),
        ``dpi``, ``title`` (``{clip_min}`` is filled in), ``methods`` (methods to draw,
        in that order; null: chosen by ``aggregations``), ``aggregations`` (draw the
        methods of these aggregations, and every method of an encoder that has none of
        them; null for all; default ``[post]``, as the paper's Fig. 4),
        ``coincide_tolerance`` (methods whose plotted scores differ by at most this on
        every task are drawn once, the others named in the legend and a note),
        ``show_references`` (each task's chance level and ceiling).
    tasks : DataFrame, optional
        The dataset's task table (``task, ceiling, chance``; either column may be
        missing or empty for a task): chance is drawn as a grey wedge from the floor,
        the ceiling as a dark arc across the task's spoke.
    encoders : sequence of str, optional
        The style registry's encoder order (the config's ``encoders``).
    protocol, k_splits : optional
        Named under the title.

    Notes
    -----
    Colours and markers follow the encoder, line styles and marker fills the
    aggregation (:mod:`eobench.plots.style`). A missing score leaves a gap.
    """
    settings = checked_settings(settings, SETTINGS, "figures.radar")
    floor = float(settings["clip_min"])
    if floor >= 1:
        raise SettingsError(f"figures.radar.clip_min: {floor:g} must be below 1")
    check_task_scores(
        task_scores, ("method", "encoder", "aggregation", "task", "metric", "mean_score")
    )
    styles = method_styles(task_scores, encoders)
    methods = _chosen_methods(task_scores, settings)
    task_names = list(dict.fromkeys(task_scores["task"]))
    metric_of = dict(zip(task_scores["task"], task_scores["metric"], strict=False))
    values = task_scores.pivot(index="method", columns="task", values="mean_score")
    values = values.reindex(index=methods, columns=task_names).astype(float)
    clipped = values.clip(lower=floor, upper=1.0)  # NaN stays NaN: a gap
    groups = coinciding_methods(clipped, settings["coincide_tolerance"])

    figure = plt.figure(figsize=(settings["width"], settings["height"]), layout="constrained")
    axis = figure.add_subplot(projection="polar")
    axis.set_theta_offset(np.pi / 2)  # first task at the top, then clockwise
    axis.set_theta_direction(-1)
    angles = np.linspace(0, 2 * np.pi, len(task_names), endpoint=False)
    references = []
    if settings["show_references"] and tasks is not None:
        references = _draw_references(axis, tasks, task_names, angles, floor)
    closed = np.append(angles, angles[0])
    handles, labels = [], []
    for group in groups:
        method = group[0]
        score = clipped.loc[method].to_numpy()
        (line,) = axis.plot(
            closed,
            np.append(score, score[0]),
            markersize=4.5,
            linewidth=1.5,
            label=method,
            clip_on=False,  # markers on the outer ring (a perfect score) stay whole
            zorder=3,
            **styles[method].line_kwargs(),
        )
        handles.append(line)
        labels.append(" = ".join(group))
    _axes_style(axis, task_names, metric_of, angles, floor)
    shown = task_scores.drop_duplicates("method").set_index("method").loc[methods]
    description = run_description(protocol, k_splits, aggregation_text(shown["aggregation"]))
    axis.set_title(
        _title(settings["title"], floor) + ("\n" + description if description else ""),
        fontsize=10.5,
        pad=24,
    )
    _legend(figure, handles + references, labels + [h.get_label() for h in references])
    add_caption(
        figure,
        [
            "Each score is the mean over the K splits of a method's test scores.",
            protocol_note(protocol),
            _reference_note(references),
            coincidence_note(groups, settings["coincide_tolerance"]),
        ],
    )
    return figure


def _reference_note(references) -> str:
    if not references:
        return ""
    return (
        "Grey wedges reach each task's chance level (R² 0; for F1 the score of "
        "predicting every sample positive); thick grey arcs mark the ceiling, the best score "
        "the generator's noise allows."
    )


def _chosen_methods(task_scores: pd.DataFrame, settings: dict[str, Any]) -> list[str]:
    """The methods to draw: ``methods`` if given, else those ``aggregations`` selects."""
    table = task_scores.drop_duplicates("method")
    known = list(table["method"])
    if settings["methods"] is not None:
        unknown = [m for m in settings["methods"] if m not in known]
        if unknown:
            raise SettingsError(
                f"figures.radar.methods: {unknown[0]!r} is not in the task scores (known: {known})"
            )
        return list(dict.fromkeys(settings["methods"]))
    chosen = settings["aggregations"]
    if chosen is None:
        return known
    has_chosen = table.groupby("encoder")["aggregation"].agg(lambda a: bool(set(a) & set(chosen)))
    keep = table["aggregation"].isin(chosen) | ~table["encoder"].map(has_chosen)
    if not keep.any():
        raise SettingsError(f"figures.radar.aggregations: {chosen} selects no method")
    return list(table.loc[keep, "method"])


def coinciding_methods(values: pd.DataFrame, tolerance: float) -> list[list[str]]:
    """Methods grouped where their rows of ``values`` (method x task) coincide.

    Two methods coincide when they differ by at most ``tolerance`` on every task and
    miss the same tasks. Each method joins the first earlier group whose first member it
    coincides with; groups keep the order of their first members.
    """
    groups: list[list[str]] = []
    for method in values.index:
        row = values.loc[method].to_numpy(dtype=float)
        for group in groups:
            first = values.loc[group[0]].to_numpy(dtype=float)
            same_gaps = np.array_equal(np.isnan(row), np.isnan(first))
            if same_gaps and np.nanmax(np.abs(row - first), initial=0.0) <= tolerance:
                group.append(method)
                break
        else:
            groups.append([method])
    return groups


def coincidence_note(groups: list[list[str]], tolerance: float) -> str:
    """The note under the radar naming the methods drawn once for several."""
    merged = [group for group in groups if len(group) > 1]
    if not merged:
        return ""
    names = "; ".join(" = ".join(group) for group in merged)
    return (
        f"Drawn once, as the first named: {names} "
        f"(plotted scores within {tolerance:g} on every task)."
    )


def _draw_references(axis, tasks: pd.DataFrame, task_names, angles, floor: float) -> list:
    """Each task's chance level (a grey wedge from the floor) and ceiling (a dark arc);
    the legend handles of what was drawn."""
    table = tasks.drop_duplicates("task").set_index("task").reindex(task_names)
    half = _MARK_HALF_WIDTH * 2 * np.pi / len(task_names)
    handles = []
    if "chance" in table:
        chance = np.clip(table["chance"].to_numpy(dtype=float), floor, 1.0)
        shown = np.isfinite(chance) & (chance > floor)
        axis.bar(
            angles[shown],
            chance[shown] - floor,
            width=2 * half,
            bottom=floor,
            color=_CHANCE_COLOUR,
            edgecolor="none",
            zorder=1,
        )
        if shown.any():
            handles.append(
                Patch(
                    facecolor=_CHANCE_COLOUR,
                    label="chance level",
                )
            )
    if "ceiling" in table:
        ceiling = np.clip(table["ceiling"].to_numpy(dtype=float), floor, 1.0)
        for angle, value in zip(angles, ceiling, strict=True):
            if np.isfinite(value):
                arc = np.linspace(angle - half, angle + half, 12)
                axis.plot(
                    arc,
                    np.full_like(arc, value),
                    color=_CEILING_COLOUR,
                    linewidth=3.2,
                    solid_capstyle="butt",
                    label="_ceiling",
                    zorder=2,
                )
        if np.isfinite(ceiling).any():
            handles.append(Line2D([], [], color=_CEILING_COLOUR, linewidth=3.2, label="ceiling"))
    return handles


def _axes_style(axis, task_names, metric_of, angles, floor: float) -> None:
    axis.set_ylim(floor, 1.0)
    ticks = np.linspace(floor, 1.0, 5)
    axis.set_yticks(ticks)
    axis.set_yticklabels([f"{t:.2g}" for t in ticks], fontsize=7, color="0.35")
    for label in axis.get_yticklabels():  # legible where a polygon crosses it
        label.set_bbox({"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 0.6})
        label.set_zorder(5)
    # Radial labels halfway between the first two spokes, where no polygon vertex lies.
    axis.set_rlabel_position(180 / len(task_names))
    axis.set_xticks(angles)
    axis.set_xticklabels([task_label(t, metric_of[t]) for t in task_names], fontsize=8.5)
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


def _title(template: str, floor: float) -> str:
    try:
        return template.format(clip_min=floor)
    except (KeyError, IndexError, ValueError) as exc:
        raise SettingsError(
            f"figures.radar.title: {template!r} may only use the field {{clip_min}} ({exc})"
        ) from exc


def _legend(figure, handles, labels) -> None:
    """Beside the radar, so the caption below has the width of the figure."""
    figure.legend(
        handles,
        labels,
        loc="outside right upper",
        ncols=1 if len(handles) <= 18 else 2,
        fontsize=8.5,
        frameon=False,
        title="encoder/aggregation",
        title_fontsize=8.5,
        handlelength=3.2,  # long enough to tell solid, dashed and dotted apart
    )
