"""Shared figure conventions: the style registry, run descriptions, saving.

The registry gives every encoder a colour and a marker shape by its position in the
config's ``encoders`` order (each figure rule passes that order as ``params.encoders``),
and every aggregation a line style and a marker fill. Every figure of a run uses it, so
``rcf/post`` looks the same in the radar, the Q-per-task plot, the ablation figures and
the rank evolution, whatever subset of encoders each one shows.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from eobench.errors import EobenchError
from eobench.io import atomic_path

#: Line style and marker fill of each temporal aggregation: post-encoding, the
#: paper's main setting, solid with filled markers; pre-encoding dashed and open; the
#: whole series (``none``) dotted and half filled.
AGGREGATION_STYLE = {
    "post": ("-", "full"),
    "pre": ("--", "none"),
    "none": (":", "left"),
}
#: Styles handed out, in order, to aggregations not named above.
_OTHER_STYLES = [("-.", "bottom"), ((0, (5, 1, 1, 1, 1, 1)), "right"), ((0, (1, 3)), "top")]

#: Okabe and Ito's colour-blind-safe palette, ordered so the first five encoders get the
#: most distinct hues (its orange and vermilion are kept apart), then seaborn's
#: colour-blind brown and grey; yellow, poor on white, comes last.
_ENCODER_PALETTE = [
    "#0072B2",  # blue
    "#D55E00",  # vermilion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#000000",  # black
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#CA9161",  # brown
    "#949494",  # grey
    "#F0E442",  # yellow
]
#: Marker shapes handed out to encoders in the same order as the colours, so two
#: encoders stay apart in greyscale print too.
_ENCODER_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p"]

#: Columns every figure reads from the task score table.
TASK_SCORE_COLUMNS = ("method", "encoder", "aggregation", "task", "metric", "mean_score", "q")

METRIC_NAMES = {"r2": "R²", "f1": "F1"}

#: How each probing protocol picks a split's epoch, for captions.
PROTOCOL_NOTES = {
    "neuco": "neuco protocol: each split's best epoch on its own test part, as the paper.",
    "strict": "strict protocol: the epoch is chosen on a validation part of each training "
    "split and the test part scored once.",
}


@dataclass(frozen=True)
class MethodStyle:
    """How one method (encoder x aggregation) is drawn in every figure.

    Attributes
    ----------
    colour, marker
        The encoder's, from :func:`encoder_styles`.
    linestyle, fillstyle
        The aggregation's (:data:`AGGREGATION_STYLE`); ``fillstyle`` is matplotlib's
        marker fill (``full``, ``none``, ``left``, ...).
    """

    colour: Any
    linestyle: Any
    marker: str
    fillstyle: str = "full"

    def line_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``Axes.plot`` that draw this style."""
        return {
            "color": self.colour,
            "linestyle": self.linestyle,
            "marker": self.marker,
            "fillstyle": self.fillstyle,
            "markerfacecoloralt": "white",
        }


def check_task_scores(task_scores: pd.DataFrame, columns=TASK_SCORE_COLUMNS) -> None:
    """Raise an :class:`EobenchError` naming what is wrong with a task score table."""
    missing = [column for column in columns if column not in task_scores.columns]
    if missing:
        raise EobenchError(f"task scores: missing columns {missing}")
    if task_scores.empty:
        raise EobenchError("task scores: the table is empty")
    duplicated = task_scores.duplicated(["method", "task"])
    if duplicated.any():
        first = task_scores.loc[duplicated, ["method", "task"]].iloc[0]
        raise EobenchError(
            f"task scores: {int(duplicated.sum())} duplicate (method, task) rows "
            f"(first: {first['method']!r}, {first['task']!r})"
        )


def encoder_order(names: Iterable[str], order: Sequence[str] | None = None) -> list[str]:
    """The encoders of a figure in registry order: those of ``order`` (the config's
    ``encoders`` order) first, then the others in their order of appearance."""
    order = list(order or [])
    return list(dict.fromkeys([*order, *names]))


def encoder_styles(encoders: Sequence[str]) -> dict[str, tuple[Any, str]]:
    """The colour and marker of each encoder, by its position in ``encoders``.

    ``encoders`` is the registry: the config's encoder order (passed to every figure
    rule as ``params.encoders``), so an encoder has the same colour and marker in every
    figure of a run whatever subset a figure shows. Beyond the ten colour-blind-safe
    hues, hues are spaced evenly around the colour wheel.
    """
    encoders = list(dict.fromkeys(encoders))
    if len(encoders) <= len(_ENCODER_PALETTE):
        palette = _ENCODER_PALETTE
    else:
        palette = [mcolors.to_hex(c) for c in sns.color_palette("husl", n_colors=len(encoders))]
    return {
        encoder: (palette[i], _ENCODER_MARKERS[i % len(_ENCODER_MARKERS)])
        for i, encoder in enumerate(encoders)
    }


def aggregation_styles(aggregations: Iterable[str]) -> dict[str, tuple[Any, str]]:
    """Line style and marker fill of each aggregation (known ones fixed, others in order)."""
    others = [a for a in dict.fromkeys(aggregations) if a not in AGGREGATION_STYLE]
    styles = dict(AGGREGATION_STYLE)
    for i, aggregation in enumerate(others):
        styles[aggregation] = _OTHER_STYLES[i % len(_OTHER_STYLES)]
    return styles


def method_style(
    encoder: str, aggregation: str, encoders: Sequence[str] | None = None
) -> MethodStyle:
    """The style of one method; ``encoders`` is the registry order (see
    :func:`encoder_styles`), to which ``encoder`` is appended when missing."""
    colour, marker = encoder_styles(encoder_order([encoder], encoders))[encoder]
    linestyle, fill = aggregation_styles([aggregation])[aggregation]
    return MethodStyle(colour, linestyle, marker, fill)


def method_styles(
    task_scores: pd.DataFrame, encoders: Sequence[str] | None = None
) -> dict[str, MethodStyle]:
    """A style per method of a table with ``method, encoder, aggregation`` columns.

    Colour and marker follow the encoder's position in ``encoders`` (the registry; the
    table's encoders not in it follow in their order of appearance), line style and
    marker fill the aggregation. Methods keep their order of appearance.
    """
    methods = task_scores.drop_duplicates("method")
    colours = encoder_styles(encoder_order(methods["encoder"], encoders))
    styles = aggregation_styles(methods["aggregation"])
    rows = methods[["method", "encoder", "aggregation"]].itertuples(index=False)
    return {
        method: MethodStyle(
            colour=colours[encoder][0],
            linestyle=styles[aggregation][0],
            marker=colours[encoder][1],
            fillstyle=styles[aggregation][1],
        )
        for method, encoder, aggregation in rows
    }


def run_description(
    protocol: str | None = None,
    k_splits: int | None = None,
    aggregation: str | None = None,
    aggregate: str | None = None,
) -> str:
    """One short line naming what a figure shows, for its title, e.g.
    ``neuco protocol · K = 40 splits · post-encoding``; parts left None are left out.

    Parameters
    ----------
    protocol : str
        A probing protocol (``neuco``, ``strict``, ...).
    k_splits : int
        The number of random train/test splits K behind every score.
    aggregation : str
        The temporal aggregation(s) shown, as text.
    aggregate : str
        How the shown value aggregates the splits or tasks, e.g. ``mean over tasks``.
    """
    parts = []
    if protocol:
        parts.append(f"{protocol} protocol")
    if k_splits is not None:
        parts.append(f"K = {int(k_splits)} splits")
    parts += [part for part in (aggregation, aggregate) if part]
    return " · ".join(parts)


def aggregation_text(aggregations: Iterable[str]) -> str:
    """``["pre", "post"]`` -> ``pre- and post-encoding``, for titles."""
    names = {"pre": "pre-encoding", "post": "post-encoding", "none": "whole series (none)"}
    named = [names.get(a, a) for a in dict.fromkeys(aggregations)]
    if named == ["pre-encoding", "post-encoding"] or named == ["post-encoding", "pre-encoding"]:
        return "pre- and post-encoding"
    return ", ".join(named)


def add_caption(figure, sentences: Iterable[str], fontsize: float = 7.5) -> None:
    """A caption under the figure, wrapped to its width, made room for by the layout.

    Uses the figure's ``supxlabel``, which constrained and tight layouts keep clear of
    the axes. Empty sentences are left out.
    """
    text = " ".join(s for s in sentences if s)
    if not text:
        return
    width = int(figure.get_size_inches()[0] * 72 / (0.52 * fontsize))  # characters
    figure.supxlabel(
        "\n".join(textwrap.wrap(text, width=max(width, 40))),
        fontsize=fontsize,
        color="0.25",
        ha="center",
    )


def protocol_note(protocol: str | None) -> str:
    """The caption sentence explaining how ``protocol`` picks a split's epoch."""
    if not protocol:
        return ""
    return PROTOCOL_NOTES.get(protocol, f"{protocol} protocol.")


def task_label(task: str, metric: str | None = None, width: int = 12) -> str:
    """``landcover_agriculture`` -> ``landcover\\nagriculture`` (+ ``(R²)``), for tick labels."""
    label = "\n".join(textwrap.wrap(task.replace("_", " "), width=width, break_long_words=False))
    if metric:
        label += f"\n({METRIC_NAMES.get(metric, metric)})"
    return label


def provenance_text(provenance: dict[str, Any] | None) -> str:
    """The provenance as one line of JSON (empty without provenance)."""
    return json.dumps(provenance, sort_keys=True, default=str) if provenance else ""


def save_figure(figure, out_pdf, out_png, dpi: int, provenance: dict[str, Any] | None) -> None:
    """Save as PDF and PNG atomically, with the provenance in the files' metadata.

    The PDF carries it as ``Subject``, the PNG as the ``Description`` text chunk. No
    creation dates are written and ``Software``/``Creator`` name eobench, so the same inputs
    give byte-identical files. The figure keeps its size (no ``bbox_inches="tight"``): the
    PNG is ``width * dpi`` by ``height * dpi`` pixels.
    """
    subject = provenance_text(provenance)
    try:
        with atomic_path(out_pdf) as tmp:
            figure.savefig(
                tmp,
                format="pdf",
                metadata={"Subject": subject, "Creator": "eobench", "CreationDate": None},
            )
        with atomic_path(out_png) as tmp:
            figure.savefig(
                tmp,
                format="png",
                dpi=dpi,
                metadata={"Description": subject, "Software": "eobench"},
            )
    finally:
        plt.close(figure)
