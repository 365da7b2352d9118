"""The pretraining curves: training and validation loss per epoch, a panel per method."""

from __future__ import annotations

import math
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from eobench.errors import EobenchError
from eobench.plots.style import add_caption, save_figure
from eobench.tables.render import checked_settings

CURVES_SETTINGS = {
    "width": (11.0, "positive"),
    "height": (7.0, "positive"),
    "dpi": (200, "positive_int"),
    "title": ("Pretraining curves", "text"),
    "columns": (4, "positive_int"),
    "show_terms": (True, "bool"),
}
#: Columns of a curves table that are not loss terms.
KEY_COLUMNS = ("method", "method_type", "architecture", "seed", "epoch")


def plot_curves(curves: pd.DataFrame, out_pdf, out_png, settings=None, provenance=None) -> None:
    settings = checked_settings(settings, CURVES_SETTINGS, "figures.pretraining_curves")
    save_figure(curves_figure(curves, settings), out_pdf, out_png, settings["dpi"], provenance)


def curves_figure(curves: pd.DataFrame, settings: dict[str, Any] | None = None):
    """A panel per trained method: the total training loss (solid), the validation loss
    (dashed), and each term of a multi-term loss (thin, when ``show_terms``); the mean
    over seeds."""
    settings = checked_settings(settings, CURVES_SETTINGS, "figures.pretraining_curves")
    missing = [c for c in (*KEY_COLUMNS, "train_loss", "val_loss") if c not in curves.columns]
    if missing:
        raise EobenchError(f"figures.pretraining_curves: curves lack columns {missing}")
    trained = curves[curves["epoch"] > 0]
    methods = list(dict.fromkeys(trained["method"]))
    untrained = [m for m in dict.fromkeys(curves["method"]) if m not in methods]
    if not methods:
        raise EobenchError("figures.pretraining_curves: no method trained for an epoch")
    columns = min(settings["columns"], len(methods))
    rows = math.ceil(len(methods) / columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(settings["width"], settings["height"]), squeeze=False,
        layout="constrained",
    )  # fmt: skip
    colours = term_colours(trained) if settings["show_terms"] else {}
    for ax, method in zip(axes.flat, methods, strict=False):
        curves_panel(ax, trained[trained["method"] == method], method, colours)
    add_term_legend(figure, colours)
    for ax in list(axes.flat)[len(methods) :]:
        ax.set_visible(False)
    seeds = curves.groupby("method")["seed"].nunique().max()
    figure.suptitle(f"{settings['title']} · mean over {seeds} seed(s)", fontsize=10.5)
    sentences = [
        "Solid black: the training loss per epoch (mean over the epoch's batches); dashed: "
        "the validation loss under masks fixed across epochs.",
        "Thin lines: the terms of a multi-term loss (each modality's reconstruction, JEPA, "
        "ITC); GeoMeld-FM's total is their weighted sum.",
    ]
    if untrained:
        sentences.append(f"Not trained (random-init twins): {', '.join(untrained)}.")
    add_caption(figure, sentences)
    return figure


def term_colours(trained: pd.DataFrame) -> dict[str, Any]:
    """One colour per loss term across all panels (a term is the same in every method), for
    the terms of multi-term losses only."""
    terms: list[str] = []
    for _, runs in trained.groupby("method", sort=False):
        present = runs.dropna(axis=1, how="all").columns
        own = [c for c in present if c.startswith("train_") and c != "train_loss"]
        if len(own) > 1:
            terms += [t for t in own if t not in terms]
    palette = plt.get_cmap("tab10").colors
    return {term: palette[i % len(palette)] for i, term in enumerate(terms)}


def curves_panel(ax, runs: pd.DataFrame, method: str, colours: dict[str, Any]) -> None:
    """One method's mean curves over seeds: its loss terms thin, train solid, val dashed."""
    mean = runs.groupby("epoch").mean(numeric_only=True).dropna(axis=1, how="all")
    terms = [c for c in mean.columns if c.startswith("train_") and c != "train_loss"]
    for term in (t for t in terms if t in colours and len(terms) > 1):
        ax.plot(mean.index, mean[term], color=colours[term], linewidth=0.9, alpha=0.75)
    ax.plot(mean.index, mean["train_loss"], color="black", linewidth=1.8, label="train")
    ax.plot(mean.index, mean["val_loss"], color="black", linestyle="--", linewidth=1.4,
            label="validation")  # fmt: skip
    kind, backbone = runs["method_type"].iloc[0], runs["architecture"].iloc[0]
    ax.set_title(f"{method}\n({kind}, {backbone})", fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch", fontsize=8)
    ax.set_ylabel("loss", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(color="0.92", linewidth=0.7)


def add_term_legend(figure, colours: dict[str, Any]) -> None:
    """One legend beside the panels: train and validation, then every loss term; a legend
    inside each panel covered the curves."""
    handles = [
        Line2D([], [], color="black", linewidth=1.8, label="train (total)"),
        Line2D([], [], color="black", linestyle="--", linewidth=1.4, label="validation (total)"),
    ]
    handles += [
        Line2D([], [], color=colour, linewidth=1.2, label=term.removeprefix("train_"))
        for term, colour in colours.items()
    ]
    figure.legend(handles=handles, loc="outside right upper", fontsize=7, frameon=False,
                  title="loss", title_fontsize=7.5)  # fmt: skip
