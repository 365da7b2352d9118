"""Shared figure conventions: colours per encoder, line styles per aggregation, saving."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import seaborn as sns

from eobench.io import atomic_path

#: Line style (and marker) of each temporal aggregation.
AGGREGATION_STYLE = {
    "pre": ("-", "o"),
    "post": ("--", "s"),
    "none": (":", "^"),
}


def encoder_colours(encoders: list[str]) -> dict[str, tuple]:
    """A colour-blind-safe colour per encoder, in the order given."""
    palette = sns.color_palette("colorblind", n_colors=max(len(encoders), 3))
    return {encoder: palette[i % len(palette)] for i, encoder in enumerate(encoders)}


def task_label(task: str, metric: str | None = None) -> str:
    """``biomass_mean`` -> ``biomass mean`` (+ metric), wrapped for tick labels."""
    label = task.replace("_", " ")
    return f"{label}\n({metric.upper() if metric == 'f1' else 'R²'})" if metric else label


def save_figure(figure, out_pdf, out_png, dpi: int, provenance: dict[str, Any] | None) -> None:
    """Save as PDF and PNG atomically, with the provenance in the files' metadata.

    No creation dates are written, so the same inputs give the same files.
    """
    subject = json.dumps(provenance, sort_keys=True, default=str) if provenance else ""
    with atomic_path(out_pdf) as tmp:
        figure.savefig(
            tmp,
            format="pdf",
            metadata={"Subject": subject, "Creator": "eobench", "CreationDate": None},
        )
    with atomic_path(out_png) as tmp:
        figure.savefig(
            tmp, format="png", dpi=dpi, metadata={"Description": subject, "Software": "eobench"}
        )
    plt.close(figure)


def output_dir(path) -> Path:
    return Path(path).parent
