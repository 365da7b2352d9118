"""Figures of the ablations: embedding size (Figs. 5a, 14-15), probe depth (Figs. 5b, 13)
and layer-wise probing (Fig. 12).

All read the tidy summary of an ablation (:func:`eobench.scoring.summarise_tasks` of its
split scores). Overall panels average the per-task mean scores (R^2 or F1) over tasks;
per-task panels show the mean score with its standard deviation over the K splits.
Scores are at most 1 (R^2 and F1), so no axis goes above 1; R^2 is unbounded below,
so axes stop at ``y_min`` and a bar or point cut there carries its value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from eobench.errors import EobenchError
from eobench.plots.style import (
    add_caption,
    aggregation_text,
    method_style,
    protocol_note,
    run_description,
    save_figure,
    task_label,
)
from eobench.tables.ablations import overall_scores
from eobench.tables.render import checked_settings

SETTINGS = {
    "width": (8.5, "positive"),
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

#: The highest score of both metrics (R² and F1): no axis goes above it.
SCORE_MAX = 1.0
#: Head room above the highest bar or point, in score units (never past SCORE_MAX).
_MARGIN = 0.06
_CUT_COLOUR = "0.2"
_PADDING_NOTE = (
    "Sizes above an encoder's native width (vertical dashed line) are its native "
    "embedding padded with zeros (dotted line, open markers, shaded). They add no "
    "information: a change of score there is no trend of the embedding but an effect of "
    "the evaluator, whose one global standardisation over all columns rescales the "
    "native features as zeros are added, and whose fixed-epoch probe then learns "
    "differently."
)


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
    **context,
) -> None:
    """Draw ablation figure ``name`` (a key of :data:`FIGURES`) and save it as PDF and PNG.

    ``context`` is passed to :func:`ablation_figure`.
    """
    figure, settings = ablation_figure(name, summary, settings, **context)
    save_figure(figure, out_pdf, out_png, settings["dpi"], provenance)


def ablation_figure(
    name: str,
    summary: pd.DataFrame,
    settings: dict[str, Any] | None = None,
    *,
    encoders: Sequence[str] | None = None,
    protocol: str | None = None,
    aggregation: str | None = None,
    native_dims: Mapping[str, int] | None = None,
    head_widths: Mapping[str, Sequence[int]] | None = None,
):
    """The figure of :func:`plot_ablation` and its checked settings.

    Parameters
    ----------
    name : str
        A key of :data:`FIGURES`.
    summary : DataFrame
        The ablation summary; its ``n_splits`` column (if present) gives the K named in
        the title.
    settings : dict
        ``width``, ``height``, ``dpi``, ``title``, ``columns`` (of per-task panels),
        ``y_min`` (the lowest score an axis shows).
    encoders : sequence of str, optional
        The style registry's encoder order (the config's ``encoders``).
    protocol, aggregation : str, optional
        The ablations' probing protocol and temporal aggregation, named in the title.
    native_dims : mapping, optional
        Size figures: each encoder's native width; larger sizes are drawn as zero padding.
    head_widths : mapping, optional
        Probe-depth figures: the hidden widths of each MLP head, named in the caption.
    """
    if name not in FIGURES:
        raise EobenchError(f"unknown ablation figure {name!r} (known: {sorted(FIGURES)})")
    default_title, axis = FIGURES[name]
    per_task = name.endswith("per_task") or name == "layers"
    spec = dict(SETTINGS)
    spec["title"] = (default_title, "text")
    if per_task:
        spec["width"], spec["height"] = (12.0, "positive"), (8.5, "positive")
    settings = checked_settings(settings, spec, f"figures.{name}")
    _check(summary, axis, name)
    context = {
        "encoders": list(dict.fromkeys([*(encoders or []), *summary["encoder"]])),
        "native_dims": dict(native_dims or {}) if axis == "size" else {},
    }
    figure = (_per_task_figure if per_task else _overall_figure)(summary, axis, settings, context)
    padded = any(
        native is not None and native < summary["size"].max()
        for native in context["native_dims"].values()
    )
    _describe(figure, summary, settings, per_task, protocol, aggregation, head_widths, padded)
    return figure, settings


def _describe(figure, summary, settings, per_task, protocol, aggregation, head_widths, padded):
    """Title (with protocol, K and aggregation) and caption (what bars, whiskers, dotted
    lines and cut values mean)."""
    k = int(summary["n_splits"].max()) if "n_splits" in summary else None
    shown = "mean ± std over the K splits" if per_task else "mean over tasks"
    line = run_description(
        protocol, k, aggregation_text([aggregation]) if aggregation else None, shown
    )
    figure.suptitle(settings["title"] + ("\n" + line if line else ""), fontsize=10.5)
    sentences = [protocol_note(protocol)]
    if per_task:
        sentences.append(
            "Whiskers: ± 1 standard deviation of the score over the K splits; "
            "K counts the splits that every compared run shares."
        )
    sentences.append(_width_note(head_widths))
    if padded:
        sentences.append(_PADDING_NOTE)
    if any(text.get_gid() == "cut" for ax in figure.axes for text in ax.texts):
        sentences.append(
            f"Axes stop at {settings['y_min']:g} (R² is unbounded below): a bar or point "
            "below carries its value at the axis floor."
        )
    add_caption(figure, sentences)


def _width_note(head_widths: Mapping[str, Sequence[int]] | None) -> str:
    if not head_widths:
        return ""
    widths = ", ".join(
        f"{head} {list(width)}" for head, width in head_widths.items() if width is not None
    )
    return (
        f"MLP hidden widths (config probe_heads): {widths}; the paper's MLP probes are "
        "wider, so its gains from depth need not carry over."
    )


def _style(encoder: str, context: dict[str, Any]):
    return method_style(encoder, "post", context["encoders"])


def _limits(ax, low: float, high: float, y_min: float) -> float:
    """Set y-limits from the data range, never above 1 nor below ``y_min``; the floor."""
    bottom = max(y_min, min(low, 0.0) - _MARGIN)
    top = min(SCORE_MAX, max(high, 0.0) + _MARGIN)
    if top <= bottom:
        top = min(SCORE_MAX, bottom + 0.1)
    ax.set_ylim(bottom, top)
    return bottom


def _mark_cut(ax, x: float, value: float, floor: float, colour) -> None:
    """The value of a bar or point below the axis floor, printed at the floor."""
    text = ax.annotate(
        f"{value:.2g}",
        (x, floor),
        xytext=(0, 2),
        textcoords="offset points",
        ha="center",
        va="bottom",
        rotation=90,
        fontsize=6,
        color=_CUT_COLOUR,
        bbox={"facecolor": "white", "edgecolor": colour, "linewidth": 0.6, "pad": 0.8},
        annotation_clip=False,
    )
    text.set_gid("cut")


def _bars(ax, positions, values, errors, width, colour, floor, **kwargs):
    """Bars (cut at ``floor``, their value printed there) with optional whiskers."""
    values = np.asarray(values, dtype=float)
    shown = np.where(values < floor, floor, values)
    ax.bar(positions, shown, width, color=colour, **kwargs)
    if errors is not None:
        errors = np.asarray(errors, dtype=float)
        inside = values >= floor
        ax.errorbar(
            np.asarray(positions)[inside],
            values[inside],
            yerr=errors[inside],
            fmt="none",
            ecolor="0.15",
            elinewidth=0.6,
            capsize=1.5,
        )
    colours = colour if isinstance(colour, list) else [colour] * len(values)
    for x, value, edge in zip(positions, values, colours, strict=True):
        if np.isfinite(value) and value < floor:
            _mark_cut(ax, x, value, floor, edge)


def _overall_figure(summary, axis, settings, context):
    figure, ax = plt.subplots(figsize=(settings["width"], settings["height"]), layout="constrained")
    if axis == "head":
        _overall_heads(ax, summary, settings, context)
    else:
        table = overall_scores(summary, ["encoder", axis]).sort_values(axis)
        floor = _limits(ax, table["mean_score"].min(), table["mean_score"].max(), settings["y_min"])
        for encoder in context["encoders"]:  # registry order
            rows = table[table["encoder"] == encoder]
            if len(rows):
                _score_line(ax, rows[axis], rows["mean_score"], None, encoder, context, floor)
        handles, labels = ax.get_legend_handles_labels()
        if axis == "size":
            _size_axis(ax, table["size"], context)
            handles, labels = _native_handles(handles, labels, table["size"], context)
        else:
            ax.set_xlabel(axis)
        ax.legend(
            handles,
            labels,
            title="encoder",
            fontsize=8,
            frameon=False,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),  # beside the axes: lines start anywhere
        )
    ax.set_ylabel(_metric_label(summary))
    ax.grid(axis="y", alpha=0.3)
    return figure


def _overall_heads(ax, summary, settings, context) -> None:
    table = overall_scores(summary, ["encoder", "head", "head_parameters"])
    heads = list(dict.fromkeys(table["head"]))
    encoders = [e for e in context["encoders"] if e in set(table["encoder"])]
    floor = _limits(ax, table["mean_score"].min(), table["mean_score"].max(), settings["y_min"])
    width = 0.8 / len(heads)
    hatches = ["", "//", "..", "xx", "\\\\", "--"]
    legend = []
    for j, head in enumerate(heads):
        rows = table[table["head"] == head].set_index("encoder").reindex(encoders)
        params = rows["head_parameters"].dropna()
        look = {"hatch": hatches[j % len(hatches)], "alpha": 0.35 + 0.65 * (j + 1) / len(heads)}
        # The legend swatch is grey: colour is the encoder's, hatch and shade the head's.
        legend.append(Patch(facecolor="0.55", edgecolor="black", linewidth=0.5, **look))
        _bars(
            ax,
            np.arange(len(encoders)) + (j - (len(heads) - 1) / 2) * width,
            rows["mean_score"],
            None,
            width,
            [_style(e, context).colour for e in encoders],
            floor,
            label=_head_label(head, params),
            edgecolor="black",
            linewidth=0.5,
            **look,
        )
    ax.set_xticks(np.arange(len(encoders)), encoders)
    ax.set_xlabel("encoder")
    ax.axhline(0, color="black", linewidth=0.6)
    labels = ax.get_legend_handles_labels()[1]
    ax.legend(legend, labels, title="probe head", fontsize=8, frameon=False)


def _head_label(head: str, params: pd.Series) -> str:
    """``mlp1 (32,833 params)``; a head without trained parameters (kNN) says so."""
    if not len(params):
        return head
    count = int(params.iloc[0])
    return f"{head} ({count:,} params)" if count else f"{head} (no trained parameters)"


def _score_line(ax, x, y, err, encoder, context, floor) -> None:
    """One encoder's scores against the ablation axis; sizes above its native width
    dotted with open markers; points below ``floor`` at the floor, with their value."""
    style = _style(encoder, context)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    err = None if err is None else np.asarray(err, dtype=float)
    native = context["native_dims"].get(encoder)
    real = x <= native if native is not None else np.ones(len(x), dtype=bool)
    parts = [(real, "-", "full", encoder)]
    if not real.all():
        padded = ~real
        padded[np.flatnonzero(real)[-1:]] = True  # start the dotted part at native
        parts.append((padded, ":", "none", f"_{encoder} zero padding"))
    for mask, linestyle, fill, label in parts:
        shown = np.maximum(y[mask], floor)
        ax.plot(
            x[mask],
            shown,
            color=style.colour,
            linestyle=linestyle,
            marker=style.marker,
            fillstyle=fill,
            markerfacecoloralt="white",
            markersize=4,
            label=label,
        )
        if err is not None:  # whiskers apart from the line, so the line keeps its label
            inside = y[mask] >= floor
            ax.errorbar(
                x[mask][inside],
                y[mask][inside],
                yerr=err[mask][inside],
                fmt="none",
                ecolor=style.colour,
                elinewidth=0.6,
                capsize=2,
            )
    for xi, yi in zip(x, y, strict=True):
        if np.isfinite(yi) and yi < floor:
            _mark_cut(ax, xi, yi, floor, style.colour)


def _size_axis(ax, sizes, context, labels: bool = True) -> None:
    """Log-2 size axis; each encoder's native width marked, what lies above it shaded."""
    ax.set_xscale("log", base=2)
    sizes = sorted(pd.Series(sizes).dropna().astype(int).unique())
    ax.set_xticks(sizes, [str(s) for s in sizes], rotation=90 if len(sizes) > 6 else 0)
    ax.minorticks_off()
    if labels:
        ax.set_xlabel("embedding size N")
    right = sizes[-1] * 1.25
    ax.set_xlim(sizes[0] / 1.25, right)
    for encoder, native in context["native_dims"].items():
        if native is None or native < sizes[0] or native > sizes[-1]:
            continue
        colour = _style(encoder, context).colour
        ax.axvline(native, color=colour, linestyle=(0, (2, 2)), linewidth=1.0, label="_native")
        if native < sizes[-1]:
            ax.axvspan(native, right, color=colour, alpha=0.07, linewidth=0, label="_padding")


def _native_handles(handles, labels, sizes, context):
    """Legend entries of the native widths and the zero padding beyond them."""
    handles, labels = list(handles), list(labels)
    for encoder, native in context["native_dims"].items():
        if native is None or not sizes.min() <= native <= sizes.max():
            continue
        colour = _style(encoder, context).colour
        handles.append(Line2D([], [], color=colour, linestyle=(0, (2, 2)), linewidth=1.0))
        labels.append(f"native width of {encoder}: N = {native}")
        if native < sizes.max():
            handles.append(Patch(facecolor=colour, alpha=0.15, edgecolor="none"))
            labels.append(f"zero padding of {encoder}")
    return handles, labels


def _per_task_figure(summary, axis, settings, context):
    tasks = list(dict.fromkeys(summary["task"]))
    columns = min(settings["columns"], len(tasks))
    rows_n = math.ceil(len(tasks) / columns)
    figure, axes = plt.subplots(
        rows_n,
        columns,
        figsize=(settings["width"], settings["height"]),
        squeeze=False,
        sharex=True,
        layout="constrained",
    )
    encoders = [e for e in context["encoders"] if e in set(summary["encoder"])]
    heads = list(dict.fromkeys(summary["head"])) if axis == "head" else []
    for ax, task in zip(axes.flat, tasks, strict=False):
        rows = summary[summary["task"] == task]
        low = (rows["mean_score"] - rows["std_score"].fillna(0)).min()
        high = (rows["mean_score"] + rows["std_score"].fillna(0)).max()
        floor = _limits(ax, low, high, settings["y_min"])
        if axis == "head":
            width = 0.8 / len(encoders)
            for j, encoder in enumerate(encoders):
                part = rows[rows["encoder"] == encoder].set_index("head").reindex(heads)
                _bars(
                    ax,
                    np.arange(len(heads)) + (j - (len(encoders) - 1) / 2) * width,
                    part["mean_score"],
                    part["std_score"],
                    width,
                    _style(encoder, context).colour,
                    floor,
                    label=encoder,
                )
            ax.set_xticks(np.arange(len(heads)), heads, rotation=45, fontsize=7)
        else:
            for encoder in encoders:
                part = rows[rows["encoder"] == encoder].sort_values(axis)
                _score_line(
                    ax, part[axis], part["mean_score"], part["std_score"], encoder, context, floor
                )
            if axis == "size":
                _size_axis(ax, summary["size"], context, labels=False)
            elif axis == "layer":
                layers = sorted(summary["layer"].dropna().astype(int).unique())
                ax.set_xticks(layers, [str(layer) for layer in layers])
        ax.axhline(0, color="black", linewidth=0.5)
        ax.set_title(task_label(task, rows["metric"].iloc[0], width=30), fontsize=8.5)
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(tasks) :]:
        ax.set_visible(False)
    xlabel = {"size": "embedding size N", "layer": "layer (0 = patch embedding)"}.get(axis)
    for i, ax in enumerate(list(axes.flat)[: len(tasks)]):
        if i + columns >= len(tasks):  # nothing drawn below: this panel shows its x axis
            ax.tick_params(labelbottom=True)
            if xlabel:
                ax.set_xlabel(xlabel, fontsize=8)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if axis == "size":
        handles, labels = _native_handles(handles, labels, summary["size"], context)
    options = dict(fontsize=8, frameon=False, title="encoder")
    if len(tasks) < axes.size:  # in the first empty panel
        spare = axes.flat[len(tasks)]
        spare.set_visible(True)
        spare.axis("off")
        spare.legend(handles, labels, loc="center", **options)
    else:
        figure.legend(handles, labels, loc="outside right upper", **options)
    return figure
