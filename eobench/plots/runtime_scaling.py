"""Run time of the evaluation per task over N, epochs and K (the paper's Table 5), with
the spread of the repeats and the paper's time for its reported cell."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from eobench.errors import EobenchError
from eobench.plots.style import add_caption, save_figure
from eobench.tables.render import checked_settings

#: key -> (default, kind); see :func:`eobench.tables.render.checked_settings`.
SETTINGS = {
    "width": (9.0, "positive"),
    "height": (5.0, "positive"),
    "dpi": (200, "positive_int"),
    "title": ("Run time of the evaluation per task (paper Table 5)", "text"),
    "log_y": (True, "bool"),
}
DEFAULTS = {key: default for key, (default, _) in SETTINGS.items()}

#: The paper's Table 5 cell quoted beside ours: one task, linear probe, 16-core CPU.
PAPER_CELL = {
    "embedding_dim": 1024,
    "epochs": 20,
    "k_splits": 40,
    "n_samples": 2415,
    "seconds": 7.98,
    "machine": "16-core CPU",
}
_NEEDED = ("embedding_dim", "epochs", "k_splits", "n_samples", "seconds_per_task")


def spread_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The table with ``seconds_median``, ``seconds_min``, ``seconds_max`` and
    ``repeats``; a table of one run per cell (no spread columns) gets them from
    ``seconds_per_task``."""
    missing = [c for c in _NEEDED if c not in table]
    if missing:
        raise EobenchError(f"runtime scaling table: missing columns {missing}")
    if table.empty:
        raise EobenchError("runtime scaling table: the table is empty")
    table = table.copy()
    for column in ("seconds_median", "seconds_min", "seconds_max"):
        if column not in table:
            table[column] = table["seconds_per_task"]
    if "repeats" not in table:
        table["repeats"] = 1
    return table


def plot_runtime_scaling(
    table: pd.DataFrame,
    out_pdf,
    out_png,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> None:
    """The figure of :func:`runtime_scaling_figure`, saved as PDF and PNG."""
    settings = checked_settings(settings, SETTINGS, "figures.runtime_scaling")
    save_figure(
        runtime_scaling_figure(table, settings), out_pdf, out_png, settings["dpi"], provenance
    )


def runtime_scaling_figure(table: pd.DataFrame, settings: dict[str, Any] | None = None):
    """Seconds per task against N: one line per (epochs, K), the median of the repeats
    with their range as whiskers, and the paper's cell as a star beside ours.

    Parameters
    ----------
    table : DataFrame
        The ``runtime_scaling`` table (:func:`eobench.probes.runtime.runtime_scaling`).
    settings : dict
        ``width``, ``height`` (inches), ``dpi``, ``title``, ``log_y`` (log-scaled time).

    Returns
    -------
    Figure
        Its axes hold one line per (epochs, K), labelled ``{epochs} epochs, K = {K}``,
        and a point labelled ``paper`` where the paper's cell is drawn.
    """
    settings = checked_settings(settings, SETTINGS, "figures.runtime_scaling")
    table = spread_columns(table)
    figure, axis = plt.subplots(
        figsize=(settings["width"], settings["height"]), layout="constrained"
    )
    groups = table.groupby(["k_splits", "epochs"], sort=True)
    colours = plt.get_cmap("viridis")(np.linspace(0.05, 0.8, len(groups)))
    for colour, ((k, epochs), rows) in zip(colours, groups, strict=True):
        rows = rows.sort_values("embedding_dim")
        median = rows["seconds_median"].to_numpy(float)
        axis.errorbar(
            rows["embedding_dim"],
            median,
            yerr=[median - rows["seconds_min"], rows["seconds_max"] - median],
            marker="o",
            markersize=4,
            capsize=3,
            linestyle="-" if epochs == PAPER_CELL["epochs"] else "--",
            color=colour,
            label=f"{epochs} epochs, K = {k}",
        )
    ours = _paper_comparison(axis, table)
    sizes = sorted({*table["embedding_dim"].astype(int), PAPER_CELL["embedding_dim"]})
    axis.set_xscale("log", base=2)
    axis.set_xticks(sizes, [str(int(s)) for s in sizes])
    axis.minorticks_off()
    if settings["log_y"]:
        axis.set_yscale("log")
    axis.set_xlabel("embedding size N")
    axis.set_ylabel("seconds per task")
    axis.grid(color="0.92", linewidth=0.7)
    axis.set_axisbelow(True)
    axis.set_title(settings["title"] + "\n" + _machine_line(table), fontsize=10.5)
    axis.legend(
        fontsize=8,
        frameon=False,
        title="run",
        title_fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),  # beside the axes, clear of the lines
    )
    add_caption(figure, _caption(table, ours))
    return figure


def _machine_line(table: pd.DataFrame) -> str:
    """``1 task of 2,415 samples · x86_64, 2 CPUs · 2 threads · cpu``."""
    parts = [f"one task of {int(table['n_samples'].iloc[0]):,} samples, batched probe engine"]
    for column, form in (("machine", "{}"), ("threads", "threads: {}"), ("device", "{}")):
        if column in table:
            parts.append(form.format(table[column].iloc[0]))
    return " · ".join(parts)


def _paper_comparison(axis, table: pd.DataFrame) -> pd.Series | None:
    """The paper's cell as a star at its N, and our matching row (None without one)."""
    cell = PAPER_CELL
    match = table[
        (table["embedding_dim"] == cell["embedding_dim"])
        & (table["epochs"] == cell["epochs"])
        & (table["k_splits"] == cell["k_splits"])
    ]
    axis.plot(
        [cell["embedding_dim"]],
        [cell["seconds"]],
        linestyle="none",
        marker="*",
        markersize=13,
        color="#D55E00",
        markeredgecolor="black",
        markeredgewidth=0.5,
        label=f"paper: {cell['seconds']:g} s\n({cell['epochs']} epochs, K = {cell['k_splits']},\n"
        f"{cell['n_samples']:,} samples,\n{cell['machine']})",
        zorder=4,
    )
    if match.empty:
        return None
    ours = match.iloc[0]
    axis.annotate(
        f"ours {ours['seconds_median']:.2f} s\npaper {cell['seconds']:g} s",
        (cell["embedding_dim"], ours["seconds_median"]),
        xytext=(8, -4),
        textcoords="offset points",
        fontsize=7.5,
        va="top",
    )
    return ours


def _caption(table: pd.DataFrame, ours: pd.Series | None) -> list[str]:
    repeats = int(table["repeats"].min())
    if repeats > 1:
        spread = f"Points: median of {repeats} runs per cell; whiskers: their range (min to max)."
    else:
        spread = (
            "One run per cell, so no spread is shown "
            "(set ablations.runtime_scaling.repeats for one)."
        )
    sentences = [
        spread,
        "Wall-clock times on the machine that ran the workflow: the one output that is not "
        "reproducible bit for bit.",
    ]
    cell = PAPER_CELL
    if ours is None:
        sentences.append(
            f"The star is the paper's {cell['seconds']:g} s for N = {cell['embedding_dim']}, "
            f"{cell['epochs']} epochs, K = {cell['k_splits']}; this grid has no such cell."
        )
    else:
        same = int(ours["n_samples"]) == cell["n_samples"]
        sentences.append(
            f"The star is the paper's {cell['seconds']:g} s for the same cell (N = "
            f"{cell['embedding_dim']}, {cell['epochs']} epochs, K = {cell['k_splits']}, "
            f"{cell['n_samples']:,} samples, {cell['machine']}); ours: median "
            f"{ours['seconds_median']:.2f} s, range {ours['seconds_min']:.2f} to "
            f"{ours['seconds_max']:.2f} s"
            + ("" if same else f", on {int(ours['n_samples']):,} samples")
            + "."
        )
    return sentences
