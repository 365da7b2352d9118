"""Labels and example samples of every task (NeuCo-Bench Fig. 8).

One block per task: the label distribution (a histogram for regression, the class
counts for classification) and a few example samples shown as true-colour images,
picked at evenly spaced positions of the label order: with three, the lowest-, the
median- and the highest-label sample. The images are Sentinel-2 L2A B4, B3, B2 of the
summer season by default, each percentile-stretched on its own (``stretch: common``
uses one stretch for all images, so brightness compares across samples, at the cost of
dark vegetated scenes next to bright clouds and snow).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from eobench.data.bands import SEASONS
from eobench.data.labels import Task, read_annotations
from eobench.data.store import CubeStore
from eobench.errors import EobenchError
from eobench.plots.style import save_figure
from eobench.tables.render import checked_settings

#: key -> (default, kind); see :func:`eobench.tables.render.checked_settings`.
SETTINGS = {
    "examples_per_task": (3, "positive_int"),
    "product": ("s2l2a", "text"),
    "rgb_bands": (["B04", "B03", "B02"], "names"),
    "season": ("summer", "text"),
    "stretch": ("per_image", "text"),
    "stretch_low": (2.0, "number"),
    "stretch_high": (98.0, "number"),
    "bins": (30, "positive_int"),
    "tasks": (None, "names"),
    "columns": (2, "positive_int"),
    "panel_size": (1.55, "positive"),
    "dpi": (200, "positive_int"),
    "title": ("Labels and example samples per task", "text"),
}
DEFAULTS = {key: default for key, (default, _) in SETTINGS.items()}
WHAT = "figures.task_samples"
STRETCHES = ("common", "per_image")

#: Colour of the 1st, 2nd, ... example of a task (Okabe and Ito), in images and histograms.
EXAMPLE_COLOURS = ["#0072B2", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
_HIST_COLOUR = "0.62"
#: Width of the label-distribution panel relative to an image panel.
_HIST_RATIO = 1.6


def check_settings(settings: dict[str, Any] | None) -> dict[str, Any]:
    """The settings with defaults filled in; an :class:`EobenchError` names a bad key."""
    settings = checked_settings(settings, SETTINGS, WHAT)
    if settings["stretch"] not in STRETCHES:
        raise EobenchError(
            f"{WHAT}.stretch: {settings['stretch']!r} is not one of {list(STRETCHES)}"
        )
    if not 0 <= settings["stretch_low"] < settings["stretch_high"] <= 100:
        raise EobenchError(
            f"{WHAT}.stretch_low, stretch_high: need 0 <= low < high <= 100, got "
            f"{settings['stretch_low']!r}, {settings['stretch_high']!r}"
        )
    if settings["rgb_bands"] is None or len(settings["rgb_bands"]) != 3:
        raise EobenchError(
            f"{WHAT}.rgb_bands: {settings['rgb_bands']!r} is not a list of 3 band names"
        )
    if settings["tasks"] is not None and len(set(settings["tasks"])) != len(settings["tasks"]):
        raise EobenchError(f"{WHAT}.tasks: {settings['tasks']!r} names a task twice")
    return settings


def read_tasks(labels_dir, tasks: Sequence[str] | None = None) -> list[Task]:
    """The tasks of ``labels_dir``: all, sorted by name, or ``tasks`` in the given order."""
    by_name = {task.name: task for task in read_annotations(labels_dir, tasks)}
    return [by_name[name] for name in (tasks or sorted(by_name))]


def example_name(quantile: float) -> str:
    """``0`` -> ``min``, ``0.5`` -> ``median``, ``1`` -> ``max``, ``0.25`` -> ``q25``."""
    names = {0.0: "min", 0.5: "median", 1.0: "max"}
    return names.get(quantile, f"q{round(quantile * 100)}")


def select_examples(tasks: Sequence[Task], examples_per_task: int) -> pd.DataFrame:
    """The example samples of every task: evenly spaced positions of the label order.

    Samples are sorted by label (ties by id); with ``k`` examples the picks sit at the
    positions ``floor(q * (n - 1))`` for ``q = 0, 1/(k-1), ..., 1`` (one example: the
    median, ``q = 1/2``), so three examples are the lowest-, the (lower) median- and the
    highest-label sample. A task with fewer samples than ``k`` gives each sample once.

    Returns a table with columns ``task, example, quantile, position, id, label``.
    """
    rows = []
    for task in tasks:
        n = len(task.ids)
        k = min(examples_per_task, n)
        quantiles = [0.5] if k == 1 else [i / (k - 1) for i in range(k)]
        order = np.lexsort((np.asarray(task.ids, dtype=object), task.labels))
        for quantile in quantiles:
            position = math.floor(quantile * (n - 1))
            index = order[position]
            rows.append(
                {
                    "task": task.name,
                    "example": example_name(quantile),
                    "quantile": quantile,
                    "position": position,
                    "id": task.ids[index],
                    "label": float(task.labels[index]),
                }
            )
    return pd.DataFrame(rows, columns=["task", "example", "quantile", "position", "id", "label"])


def read_rgb(store: CubeStore, ids: Sequence[str], settings: dict[str, Any]) -> np.ndarray:
    """Raw ``[len(ids), H, W, 3]`` values of ``rgb_bands`` of ``product`` in ``season``."""
    product = settings["product"]
    attrs = store.array_attrs(product)
    bands = [str(b) for b in attrs.get("bands", [])]
    missing = [b for b in settings["rgb_bands"] if b not in bands]
    if missing:
        raise EobenchError(
            f"{WHAT}.rgb_bands: {product!r} has no band {missing[0]!r} (has: {bands})"
        )
    seasons = list(attrs.get("seasons", store.attrs.get("seasons", SEASONS)))
    if settings["season"] not in seasons:
        raise EobenchError(
            f"{WHAT}.season: {settings['season']!r} is not one of the store's {seasons}"
        )
    row_of = {sample_id: row for row, sample_id in enumerate(store.sample_ids)}
    unknown = [i for i in ids if i not in row_of]
    if unknown:
        raise EobenchError(f"{store.path}: has no sample {unknown[0]!r} (labelled in a task)")
    rows = sorted({row_of[i] for i in ids})
    cubes = store.read(product, rows)  # [m, T, C, H, W]
    season = seasons.index(settings["season"])
    channels = [bands.index(b) for b in settings["rgb_bands"]]
    rgb = np.moveaxis(cubes[:, season, channels].astype(np.float64), 1, -1)
    position = {row: i for i, row in enumerate(rows)}
    return rgb[[position[row_of[i]] for i in ids]]


def stretch(images: np.ndarray, low: float, high: float, common: bool = True) -> np.ndarray:
    """Map the ``low``..``high`` percentiles of valid values to 0..1 (clipped).

    A pixel whose three values are all 0 is nodata: it stays black and takes no part
    in the percentiles. ``common`` uses one stretch for all images, else one per image.
    """
    images = np.asarray(images, dtype=np.float64)
    valid = (images != 0).any(axis=-1) & np.isfinite(images).all(axis=-1)
    out = np.zeros_like(images)
    groups = [np.arange(len(images))] if common else [[i] for i in range(len(images))]
    for group in groups:
        values = images[group][valid[group]]
        if not values.size:
            continue
        lo, hi = np.percentile(values, [low, high])
        hi = hi if hi > lo else lo + 1.0
        out[group] = np.clip((images[group] - lo) / (hi - lo), 0.0, 1.0)
    out[~valid] = 0.0
    return out


def plot_task_samples(
    store_path,
    labels_dir,
    out_pdf,
    out_png,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    units: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Draw the labels and examples of every task of ``labels_dir``; save PDF and PNG.

    ``units`` (task -> label units, e.g. a dataset's ``tasks.csv``) label the axes and
    the examples' values.

    ``settings``: ``examples_per_task``, ``product``, ``rgb_bands``, ``season``,
    ``stretch`` (``common`` or ``per_image``), ``stretch_low``/``stretch_high``
    (percentiles), ``bins`` (regression histograms), ``tasks`` (null: all, by name),
    ``columns`` (task blocks side by side), ``panel_size`` (inches of an image panel),
    ``dpi``, ``title``. Returns the selection of :func:`select_examples`.
    """
    settings = check_settings(settings)
    tasks = read_tasks(labels_dir, settings["tasks"])
    selection = select_examples(tasks, settings["examples_per_task"])
    rgb = read_rgb(CubeStore(store_path), list(selection["id"]), settings)
    images = stretch(
        rgb, settings["stretch_low"], settings["stretch_high"], settings["stretch"] == "common"
    )
    figure = task_samples_figure(tasks, selection, images, settings, units)
    save_figure(figure, out_pdf, out_png, settings["dpi"], provenance)
    return selection


def task_samples_figure(
    tasks: Sequence[Task],
    selection: pd.DataFrame,
    images: np.ndarray,
    settings: dict[str, Any] | None = None,
    units: Mapping[str, str] | None = None,
):
    """The grid: a block per task (label distribution, then its examples) in ``columns``.

    ``images`` ``[len(selection), H, W, 3]`` are in 0..1, in the selection's row order.
    Every block is a subfigure whose first axes hold the distribution (its title is the
    task name) and the next ones the images (titled ``<example>: <label>``).
    """
    settings = check_settings(settings)
    k = int(selection.groupby("task").size().max())
    columns = min(settings["columns"], len(tasks))
    rows = math.ceil(len(tasks) / columns)
    panel = settings["panel_size"]
    width = columns * panel * (_HIST_RATIO + k) + 0.25 * (columns - 1) + 0.3
    height = rows * (panel + 0.75) + 0.55
    figure = plt.figure(figsize=(width, height), layout="constrained")
    figure.suptitle(settings["title"], fontsize=13)
    blocks = np.atleast_1d(figure.subfigures(rows, columns, wspace=0.03, hspace=0.02)).ravel()
    for block, task in zip(blocks, tasks, strict=False):
        chosen = selection[selection["task"] == task.name]
        axes = block.subplots(1, k + 1, width_ratios=[_HIST_RATIO] + [1] * k)
        colours = [EXAMPLE_COLOURS[i % len(EXAMPLE_COLOURS)] for i in range(len(chosen))]
        unit = _unit(task, units)
        _distribution(axes[0], task, chosen["label"].to_numpy(), colours, settings["bins"], unit)
        for axis, colour, (row, example) in zip(axes[1:], colours, chosen.iterrows(), strict=False):
            axis.imshow(images[selection.index.get_loc(row)], interpolation="nearest")
            axis.set_xticks([])
            axis.set_yticks([])
            for spine in axis.spines.values():
                spine.set_edgecolor(colour)
                spine.set_linewidth(2.5)
            axis.set_title(
                f"{example['example']}: {_format_label(example['label'], task)}{unit}",
                fontsize=8.5,
                color=colour,
                pad=3,
            )
        for axis in axes[1 + len(chosen) :]:
            axis.set_axis_off()
    for block in blocks[len(tasks) :]:
        block.set_visible(False)
    return figure


def _unit(task: Task, units: Mapping[str, str] | None) -> str:
    """`` <units>`` of a task's labels, empty where unknown or without units."""
    unit = (units or {}).get(task.name, "")
    return "" if unit in ("", "none", "class") or task.is_classification else f" {unit}"


def _distribution(axis, task: Task, example_labels, colours, bins: int, unit: str = "") -> None:
    """A histogram (regression) or the class counts (classification), examples marked."""
    kind = "classification" if task.is_classification else "regression"
    axis.set_title(
        f"{task.name}\n{kind}, n = {len(task.labels):,}", fontsize=9, fontweight="bold", pad=3
    )
    if task.is_classification:
        classes, counts = np.unique(task.labels.astype(int), return_counts=True)
        bars = axis.bar(classes, counts, color=_HIST_COLOUR, width=0.6)
        axis.bar_label(bars, fontsize=7.5, label_type="center", color="white")
        axis.set_xticks(classes, [f"class {c}" for c in classes])
        axis.set_xlim(classes.min() - 0.6, classes.max() + 0.6)
        axis.set_ylim(0, counts.max() * 1.2)
        # A marker above the bar of each example's class, side by side.
        offsets = (np.arange(len(example_labels)) - (len(example_labels) - 1) / 2) * 0.12
        count_of = dict(zip(classes, counts, strict=True))
        for offset, label, colour in zip(offsets, example_labels, colours, strict=True):
            top = count_of[int(label)] + counts.max() * 0.07
            axis.plot(label + offset, top, marker="v", color=colour, markersize=5)
    else:
        axis.hist(task.labels, bins=bins, color=_HIST_COLOUR)
        for label, colour in zip(example_labels, colours, strict=True):
            axis.axvline(label, color=colour, linewidth=1.4)
        axis.set_xlabel(f"label ({unit.strip()})" if unit else "label", fontsize=7.5, labelpad=1)
    axis.set_ylabel("samples", fontsize=7.5, labelpad=1)
    axis.tick_params(labelsize=7, length=2, pad=1.5)
    axis.spines[["top", "right"]].set_visible(False)


def _format_label(value: float, task: Task) -> str:
    return f"{value:.0f}" if task.is_classification else f"{value:.3g}"
