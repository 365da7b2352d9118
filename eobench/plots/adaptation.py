"""Figures of the adaptation stage: low-shot curves (MMEarth-Bench Fig. 4) and the random
against the geographic test (Fig. 5).

Both read the tidy adaptation metrics (:mod:`eobench.tables.adaptation`) and draw one
panel per task (rows) and input (columns). An encoder has its colour from the style
registry (:func:`eobench.plots.style.encoder_styles`, the config's encoder order); its
weights set the line style and marker fill (pretrained solid and filled, random init
dashed and open), so the two stay apart without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from eobench.errors import EobenchError
from eobench.plots.style import add_caption, encoder_order, encoder_styles, save_figure
from eobench.tables.adaptation import (
    INPUTS,
    MODES,
    check_metrics,
    ordered,
    seed_statistics,
    subset_percent,
)
from eobench.tables.render import checked_settings

LOW_SHOT_SETTINGS = {
    "width": (10.0, "positive"),
    "height": (6.5, "positive"),
    "dpi": (200, "positive_int"),
    "title": ("Test score against the share of training data", "text"),
    "mode": ("FT", "text"),
    "test_split": ("random", "text"),
}
GEOGRAPHIC_SETTINGS = {
    "width": (10.0, "positive"),
    "height": (6.4, "positive"),
    "dpi": (200, "positive_int"),
    "title": ("Random against geographic test", "text"),
    "subset": ("train_100", "text"),
    # R² is unbounded below: one method far off the geographic test would squeeze the
    # panel; scores under the floor sit on the panel's edge with their value written.
    "r2_floor": (-1.0, "number"),
}

#: Line style and marker fill of each kind of weights.
WEIGHT_STYLE = {"pretrained": ("-", "full"), "random_init": ("--", "none")}
#: Marker of each mode in the geographic-shift figure (colour is the encoder's).
MODE_MARKERS = {"LP": "o", "FT": "s", "JT": "^", "JT-TTT": "D", "JT-TTT-Geo": "v"}
_OTHER_MARKERS = ["P", "X", "*", "h"]
METRIC_NAMES = {"r2": "R²", "map": "mAP"}
_WEIGHT_NAMES = {"pretrained": "pretrained", "random_init": "random init"}


def _metric_of(metrics: pd.DataFrame) -> dict[str, str]:
    names = metrics.drop_duplicates("task").set_index("task")["metric"]
    return {task: METRIC_NAMES.get(m, m) for task, m in names.items()}


def _encoder_weights(metrics: pd.DataFrame) -> dict[str, str]:
    """The weights of each encoder (an encoder entry starts from one kind of weights)."""
    pairs = metrics.drop_duplicates(["encoder", "weights"])
    doubled = pairs["encoder"][pairs["encoder"].duplicated()]
    if len(doubled):
        raise EobenchError(
            f"adaptation metrics: encoder {doubled.iloc[0]!r} has rows with two kinds of weights"
        )
    return dict(zip(pairs["encoder"], pairs["weights"], strict=True))


def _line_style(encoder: str, weights: str, colours: dict[str, tuple[Any, str]]) -> dict:
    colour, marker = colours[encoder]
    linestyle, fill = WEIGHT_STYLE.get(weights, (":", "left"))
    return {
        "color": colour,
        "marker": marker,
        "linestyle": linestyle,
        "fillstyle": fill,
        "markerfacecoloralt": "white",
    }


def _encoder_label(encoder: str, weights: str) -> str:
    return f"{encoder} ({_WEIGHT_NAMES.get(weights, weights)})"


def _panels(tasks: list[str], inputs: list[str], settings: dict[str, Any], sharey):
    figure, axes = plt.subplots(
        len(tasks),
        len(inputs),
        figsize=(settings["width"], settings["height"]),
        squeeze=False,
        sharey=sharey,
        layout="constrained",
    )
    for j, name in enumerate(inputs):
        axes[0, j].set_title(f"input: {name}", fontsize=9.5)
    return figure, axes


def _select(metrics: pd.DataFrame, what: str, **equal) -> pd.DataFrame:
    chosen = metrics
    for column, value in equal.items():
        chosen = chosen[chosen[column] == value]
    if chosen.empty:
        wanted = ", ".join(f"{column} {value}" for column, value in equal.items())
        raise EobenchError(f"figures.{what}: the adaptation metrics have no rows with {wanted}")
    return chosen


def _n_seeds(statistics: pd.DataFrame) -> str:
    low, high = int(statistics["seeds"].min()), int(statistics["seeds"].max())
    return f"{low}" if low == high else f"{low}-{high}"


# -- Fig. 4: low-shot curves ----------------------------------------------------------------


def plot_low_shot(
    metrics: pd.DataFrame,
    out_pdf,
    out_png,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    encoders: Sequence[str] | None = None,
) -> None:
    """Draw :func:`low_shot_figure` and save it as PDF and PNG (with the provenance)."""
    settings = checked_settings(settings, LOW_SHOT_SETTINGS, "figures.low_shot")
    figure = low_shot_figure(metrics, settings, encoders=encoders)
    save_figure(figure, out_pdf, out_png, settings["dpi"], provenance)


def low_shot_figure(
    metrics: pd.DataFrame,
    settings: dict[str, Any] | None = None,
    *,
    encoders: Sequence[str] | None = None,
):
    """Test score against the training subset, a line per encoder, a panel per task and input.

    Parameters
    ----------
    metrics : DataFrame
        The tidy adaptation metrics.
    settings : dict
        ``width``, ``height`` (inches), ``dpi``, ``title``, ``mode`` (default FT) and
        ``test_split`` (default random) of the runs shown.
    encoders : sequence of str, optional
        The style registry's order (the config's encoders).

    Notes
    -----
    The x axis is categorical: the subsets are equally spaced in order of their share of
    the training split (5 %, 50 %, 100 %), labelled with the share. Each line is the mean
    over seeds, the shaded band ± one sample standard deviation.
    """
    settings = checked_settings(settings, LOW_SHOT_SETTINGS, "figures.low_shot")
    check_metrics(metrics, "figures.low_shot")
    chosen = _select(metrics, "low_shot", mode=settings["mode"], test_split=settings["test_split"])
    weights = _encoder_weights(chosen)
    statistics = seed_statistics(chosen, ["task", "inputs", "encoder", "subset"])
    statistics["percent"] = statistics["subset"].map(subset_percent)
    percents = sorted(statistics["percent"].unique())
    position = {p: i for i, p in enumerate(percents)}
    tasks = list(dict.fromkeys(chosen["task"]))
    inputs = ordered(chosen["inputs"], INPUTS)
    names = encoder_order(chosen["encoder"], encoders)
    colours = encoder_styles(names)
    shown = [e for e in names if e in weights]
    metric = _metric_of(chosen)

    figure, axes = _panels(tasks, inputs, settings, sharey="row")
    for (i, task), (j, name) in _grid(tasks, inputs):
        ax = axes[i, j]
        panel = statistics[(statistics["task"] == task) & (statistics["inputs"] == name)]
        for encoder in shown:
            line = panel[panel["encoder"] == encoder].sort_values("percent")
            if line.empty:
                continue
            x = line["percent"].map(position).to_numpy()
            mean, std = line["mean"].to_numpy(), line["std"].fillna(0).to_numpy()
            style = _line_style(encoder, weights[encoder], colours)
            ax.fill_between(x, mean - std, mean + std, color=style["color"], alpha=0.15, lw=0)
            ax.plot(x, mean, markersize=5, linewidth=1.4, gid=encoder, **style)
        ax.set_xticks(range(len(percents)), [f"{p} %" for p in percents])
        ax.set_xlim(-0.3, len(percents) - 0.7)
        ax.grid(color="0.92", linewidth=0.7)
        ax.set_axisbelow(True)
        if j == 0:
            ax.set_ylabel(f"{task}\n{metric[task]}")
        if i == len(tasks) - 1:
            ax.set_xlabel("share of the training split")
    handles = [Line2D([], [], markersize=5, **_line_style(e, weights[e], colours)) for e in shown]
    figure.legend(
        handles,
        [_encoder_label(e, weights[e]) for e in shown],
        loc="outside right upper",
        fontsize=8.5,
        frameon=False,
        title="encoder (weights)",
        title_fontsize=8.5,
    )
    figure.suptitle(
        f"{settings['title']}\nmode {settings['mode']} · {settings['test_split']} test · "
        f"mean ± std over {_n_seeds(statistics)} seeds",
        fontsize=10.5,
    )
    add_caption(
        figure,
        [
            "Each line: an encoder's mean test score over seeds, the band ± one sample "
            "standard deviation.",
            "x: the training subset as its share of the training split, on a categorical "
            "axis (equally spaced, not to scale).",
            "Solid lines with filled markers: pretrained weights; dashed lines with open "
            "markers: random initialisation.",
        ],
    )
    return figure


def _grid(tasks: list[str], inputs: list[str]):
    for i, task in enumerate(tasks):
        for j, name in enumerate(inputs):
            yield (i, task), (j, name)


# -- Fig. 5: random against geographic test -----------------------------------------------


def plot_geographic_shift(
    metrics: pd.DataFrame,
    out_pdf,
    out_png,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    encoders: Sequence[str] | None = None,
) -> None:
    """Draw :func:`geographic_shift_figure` and save it as PDF and PNG."""
    settings = checked_settings(settings, GEOGRAPHIC_SETTINGS, "figures.geographic_shift")
    figure = geographic_shift_figure(metrics, settings, encoders=encoders)
    save_figure(figure, out_pdf, out_png, settings["dpi"], provenance)


def mode_markers(modes: Sequence[str]) -> dict[str, str]:
    """The marker of each mode: the known modes fixed, others in order."""
    others = [m for m in dict.fromkeys(modes) if m not in MODE_MARKERS]
    markers = dict(MODE_MARKERS)
    for i, mode in enumerate(others):
        markers[mode] = _OTHER_MARKERS[i % len(_OTHER_MARKERS)]
    return markers


def geographic_shift_figure(
    metrics: pd.DataFrame,
    settings: dict[str, Any] | None = None,
    *,
    encoders: Sequence[str] | None = None,
):
    """The geographic test's score against the random test's, per method, with the diagonal.

    One panel per task and input; a point per encoder and mode (mean over seeds, error
    bars ± one sample std on both axes) of the runs on ``settings["subset"]``. Marker
    shape: the mode; colour: the encoder; open markers: random initialisation. A thin
    line joins one encoder's modes in the order LP, FT, JT, JT-TTT, JT-TTT-Geo. Points
    below the diagonal score lower on the geographic test.
    """
    settings = checked_settings(settings, GEOGRAPHIC_SETTINGS, "figures.geographic_shift")
    check_metrics(metrics, "figures.geographic_shift")
    chosen = _select(metrics, "geographic_shift", subset=settings["subset"])
    weights = _encoder_weights(chosen)
    statistics = seed_statistics(chosen, ["task", "inputs", "encoder", "mode", "test_split"])
    wide = statistics.pivot_table(
        index=["task", "inputs", "encoder", "mode"],
        columns="test_split",
        values=["mean", "std"],
        sort=False,
    )
    if not {"random", "geographic"} <= set(wide.columns.get_level_values(1)):
        raise EobenchError(
            "figures.geographic_shift: needs runs scored on the random and the geographic test"
        )
    wide = wide.reset_index()
    tasks = list(dict.fromkeys(chosen["task"]))
    inputs = ordered(chosen["inputs"], INPUTS)
    modes = ordered(chosen["mode"], MODES)
    markers = mode_markers(modes)
    names = encoder_order(chosen["encoder"], encoders)
    colours = encoder_styles(names)
    shown = [e for e in names if e in weights]
    metric = _metric_of(chosen)
    floor = {t: settings["r2_floor"] if metric[t] == "R²" else -np.inf for t in tasks}

    figure, axes = _panels(tasks, inputs, settings, sharey=False)
    for (i, task), (j, name) in _grid(tasks, inputs):
        ax = axes[i, j]
        panel = wide[(wide["task"] == task) & (wide["inputs"] == name)]
        notes: dict[str, list[str]] = {}
        for encoder in shown:
            points = panel[panel["encoder"] == encoder]
            points = points.set_index("mode").reindex(
                [m for m in modes if m in set(points["mode"])]
            )
            notes[encoder] = _draw_encoder(
                ax, points, encoder, weights[encoder], colours, markers, floor[task]
            )
        _diagonal(ax, panel, floor[task])
        _off_scale_notes(ax, notes, colours)
        ax.grid(color="0.92", linewidth=0.7)
        ax.set_axisbelow(True)
        ax.set_xlabel(f"random test {metric[task]}", fontsize=8.5)
        if j == 0:
            ax.set_ylabel(f"{task}\ngeographic test {metric[task]}", fontsize=8.5)
        ax.tick_params(labelsize=8)
    figure.legend(
        handles=_geographic_handles(shown, weights, colours, modes, markers),
        loc="outside right upper",
        fontsize=8.5,
        frameon=False,
    )
    figure.suptitle(
        f"{settings['title']}\nsubset {settings['subset']} · mean ± std over "
        f"{_n_seeds(statistics)} seeds",
        fontsize=10.5,
    )
    add_caption(
        figure,
        [
            "Each point: one encoder and mode, its mean score over seeds on the random test "
            "(x) and on the geographic test (y, the samples in Africa); bars ± one sample "
            "standard deviation.",
            "Points below the dashed diagonal score lower on the geographic test.",
            "Marker shape: the mode; colour: the encoder; open markers: random "
            "initialisation. A thin line joins one encoder's modes in the order "
            + ", ".join(modes)
            + ".",
            f"A mean R² below {settings['r2_floor']:g} is drawn on the panel's edge; the "
            "panel lists such modes with their geographic mean (random, geographic where "
            "both are below).",
        ],
    )
    return figure


def _draw_encoder(ax, points, encoder, weights, colours, markers, floor) -> None:
    """One encoder's modes: a point (with error bars) each, joined by a thin line; a mean
    below ``floor`` sits on the floor without error bars. Returns those modes' notes."""
    colour = colours[encoder][0]
    linestyle, fill = WEIGHT_STYLE.get(weights, (":", "left"))
    raw_x = points[("mean", "random")].to_numpy()
    raw_y = points[("mean", "geographic")].to_numpy()
    x, y = np.maximum(raw_x, floor), np.maximum(raw_y, floor)
    off_scale: list[str] = []
    ax.plot(x, y, color=colour, linestyle=linestyle, linewidth=0.7, alpha=0.5, zorder=2)
    for mode, xi, yi, dx, dy, rx, ry in zip(
        points.index,
        x,
        y,
        points[("std", "random")].fillna(0),
        points[("std", "geographic")].fillna(0),
        raw_x,
        raw_y,
        strict=True,
    ):
        if rx < floor:
            off_scale.append(f"{mode} ({rx:.1f}, {ry:.1f})")
        elif ry < floor:
            off_scale.append(f"{mode} {ry:.1f}")
        else:
            ax.errorbar(xi, yi, xerr=dx, yerr=dy, color=colour, linewidth=0.7, zorder=2)
        ax.plot(
            xi,
            yi,
            marker=markers[mode],
            color=colour,
            fillstyle=fill,
            markerfacecoloralt="white",
            markersize=6,
            markeredgewidth=1.0,
            linestyle="none",
            zorder=3,
            gid=f"{encoder}/{mode}",
        )

    return off_scale


def _off_scale_notes(ax, notes: dict[str, list[str]], colours) -> None:
    """Per encoder, its modes whose means lie below the floor with their geographic mean
    (both means where the random one is off too), in the panel's upper left, above the
    diagonal where few points lie: labels at the points would overlap on the floor."""
    row = 0
    for encoder, modes in [(e, m) for e, m in notes.items() if m]:
        chunks = [", ".join(modes[k : k + 3]) for k in range(0, len(modes), 3)]
        text = ax.text(
            0.03,
            0.97 - 0.07 * row,
            f"below the floor, {encoder}:\n  " + ",\n  ".join(chunks),
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=5.5,
            color=colours[encoder][0],
            gid=f"{encoder}/off-scale",
        )
        text.set_in_layout(False)  # a note never shrinks the panel
        row += len(chunks) + 1


def _diagonal(ax, panel: pd.DataFrame, floor: float) -> None:
    """The line geographic = random over both axes' common range (from ``floor`` at the
    lowest); equal axes."""
    values = np.concatenate(
        [panel[("mean", "random")].to_numpy(), panel[("mean", "geographic")].to_numpy()]
    )
    values = np.maximum(values[np.isfinite(values)], floor)
    if not len(values):
        return
    low, high = values.min(), values.max()
    pad = max(0.05 * (high - low), 0.01)
    low, high = low - pad, high + pad
    ax.plot(
        [low, high],
        [low, high],
        color="0.45",
        linestyle="--",
        linewidth=0.9,
        zorder=1,
        gid="diagonal",
    )
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_aspect("equal", adjustable="box")


def _geographic_handles(encoders, weights, colours, modes, markers) -> list:
    handles = [Line2D([], [], linestyle="none", label="mode:")]
    handles += [
        Line2D([], [], color="0.2", marker=markers[m], linestyle="none", label=m) for m in modes
    ]
    handles.append(Line2D([], [], linestyle="none", label="encoder (weights):"))
    for encoder in encoders:
        linestyle, fill = WEIGHT_STYLE.get(weights[encoder], (":", "left"))
        handles.append(
            Line2D(
                [],
                [],
                color=colours[encoder][0],
                marker="o",
                fillstyle=fill,
                linestyle=linestyle,
                linewidth=0.9,
                label=_encoder_label(encoder, weights[encoder]),
            )
        )
    handles.append(Line2D([], [], color="0.45", linestyle="--", label="geographic = random"))
    return handles


__all__ = [
    "GEOGRAPHIC_SETTINGS",
    "LOW_SHOT_SETTINGS",
    "geographic_shift_figure",
    "low_shot_figure",
    "plot_geographic_shift",
    "plot_low_shot",
]
