"""Shared figure conventions: a colour per encoder, a line style per aggregation, saving.

Every figure of a run uses the same mapping, so ``rcf/post`` looks the same in the radar
plot and in the Q-per-task plot.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from eobench.errors import EobenchError
from eobench.io import atomic_path

#: Line style and marker of each temporal aggregation.
AGGREGATION_STYLE = {
    "pre": ("-", "o"),
    "post": ("--", "s"),
    "none": (":", "^"),
}
#: Styles handed out, in order, to aggregations not named above.
_OTHER_STYLES = [("-.", "D"), ((0, (5, 1, 1, 1, 1, 1)), "v"), ((0, (1, 3)), "P")]

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

#: Columns every figure reads from the task score table.
TASK_SCORE_COLUMNS = ("method", "encoder", "aggregation", "task", "metric", "mean_score", "q")

METRIC_NAMES = {"r2": "R²", "f1": "F1"}


@dataclass(frozen=True)
class MethodStyle:
    """How one method (encoder x aggregation) is drawn."""

    colour: Any
    linestyle: Any
    marker: str


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


def method_styles(task_scores: pd.DataFrame) -> dict[str, MethodStyle]:
    """A style per method: colour by encoder, line style and marker by aggregation.

    Encoders and aggregations take colours and styles in their order of appearance.
    """
    methods = task_scores.drop_duplicates("method")
    encoders = list(dict.fromkeys(methods["encoder"]))
    if len(encoders) <= len(_ENCODER_PALETTE):
        palette = _ENCODER_PALETTE
    else:  # more encoders than distinct colour-blind-safe hues: evenly spaced hues
        palette = sns.color_palette("husl", n_colors=len(encoders))
    colours = dict(zip(encoders, palette, strict=False))
    others = [a for a in dict.fromkeys(methods["aggregation"]) if a not in AGGREGATION_STYLE]
    styles = dict(AGGREGATION_STYLE)
    for i, aggregation in enumerate(others):
        styles[aggregation] = _OTHER_STYLES[i % len(_OTHER_STYLES)]
    return {
        method: MethodStyle(colours[encoder], *styles[aggregation])
        for method, encoder, aggregation in methods[
            ["method", "encoder", "aggregation"]
        ].itertuples(index=False)
    }


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
