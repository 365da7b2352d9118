"""PSNR against bits per pixel of the compressor and JPEG2000 (the paper's Fig. 11)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from eobench.errors import EobenchError
from eobench.plots.style import add_caption, encoder_order, encoder_styles, save_figure
from eobench.tables.render import checked_settings

#: key -> (default, kind); see :func:`eobench.tables.render.checked_settings`.
SETTINGS = {
    "width": (7.5, "positive"),
    "height": (4.8, "positive"),
    "dpi": (200, "positive_int"),
    "title": ("Rate-distortion on the test images (paper Fig. 11)", "text"),
    "log_x": (True, "bool"),
}
COLUMNS = ("codec", "setting", "parameter", "bpp", "psnr", "n_images")
#: The codec whose points are the compressor's lambdas (styled as that encoder).
COMPRESSOR = "compressor"


def check_table(table: pd.DataFrame) -> None:
    """Raise an :class:`EobenchError` naming what is wrong with a rate-distortion table."""
    missing = [c for c in COLUMNS if c not in table]
    if missing:
        raise EobenchError(f"rate distortion table: missing columns {missing}")
    if table.empty:
        raise EobenchError("rate distortion table: the table is empty")


def plot_rate_distortion(
    table: pd.DataFrame,
    out_pdf,
    out_png,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    encoders: Sequence[str] | None = None,
) -> None:
    """The figure of :func:`rate_distortion_figure`, saved as PDF and PNG."""
    settings = checked_settings(settings, SETTINGS, "figures.rate_distortion")
    figure = rate_distortion_figure(table, settings, encoders)
    save_figure(figure, out_pdf, out_png, settings["dpi"], provenance)


def rate_distortion_figure(
    table: pd.DataFrame,
    settings: dict[str, Any] | None = None,
    encoders: Sequence[str] | None = None,
):
    """PSNR against bits per pixel, one line per codec.

    Parameters
    ----------
    table : DataFrame
        The table of :func:`eobench.encoders.compressor.rate_distortion.rate_distortion_table`.
    settings : dict
        ``width``, ``height`` (inches), ``dpi``, ``title``, ``log_x`` (log-scaled rate).
    encoders : sequence of str
        The style registry order (the config's encoders): the compressor keeps its
        colour and marker of the other figures.

    Returns
    -------
    Figure
        One line per codec, labelled by codec; settings of infinite PSNR (lossless)
        are drawn as vertical lines at their rate, labelled ``... lossless``.
    """
    settings = checked_settings(settings, SETTINGS, "figures.rate_distortion")
    check_table(table)
    codecs = list(dict.fromkeys(table["codec"]))
    styles = codec_styles(codecs, encoders)
    figure, axis = plt.subplots(
        figsize=(settings["width"], settings["height"]), layout="constrained"
    )
    for codec in codecs:
        rows = table[table["codec"] == codec].sort_values("bpp")
        finite = rows[np.isfinite(rows["psnr"])]
        colour, marker = styles[codec]
        axis.plot(
            finite["bpp"],
            finite["psnr"],
            color=colour,
            marker=marker,
            markersize=6 if codec == COMPRESSOR else 4,
            linewidth=1.6,
            label=codec,
        )
        if codec == COMPRESSOR:
            for i, row in enumerate(finite.itertuples(index=False)):
                above = i % 2 == 0  # alternate sides: neighbouring lambdas may lie close
                axis.annotate(
                    f"λ = {row.parameter:g}",
                    (row.bpp, row.psnr),
                    xytext=(0, 9 if above else -11),
                    textcoords="offset points",
                    ha="center",
                    va="bottom" if above else "top",
                    fontsize=7.5,
                    color=colour,
                )
        for row in rows[~np.isfinite(rows["psnr"])].itertuples(index=False):
            axis.axvline(
                row.bpp,
                color=colour,
                linestyle=":",
                linewidth=1.2,
                label=f"{codec} lossless ({row.bpp:.3g} bpp, PSNR = ∞)",
            )
    if settings["log_x"]:
        axis.set_xscale("log")
    axis.margins(x=0.06, y=0.08)  # room for the labels of the outermost points
    axis.set_xlabel("bits per pixel (all 13 bands of a pixel)")
    axis.set_ylabel("PSNR (dB, reflectance clipped to [0, 1], peak 1)")
    axis.grid(color="0.92", linewidth=0.7, which="both")
    axis.set_axisbelow(True)
    axis.set_title(settings["title"], fontsize=10.5)
    axis.legend(fontsize=8, frameon=False, loc="upper left")
    add_caption(figure, _caption(table))
    return figure


#: The reference codec is drawn in black, apart from every encoder's colour.
REFERENCE_STYLE = ("0.1", "o")


def codec_styles(codecs: Sequence[str], encoders: Sequence[str] | None) -> dict[str, tuple]:
    """Colour and marker per codec: the compressor those of the first compressor entry of
    the registry (``compressor_l0025``, ...), a classical codec black circles."""
    order = list(encoders or [])
    registry = encoder_styles(encoder_order([COMPRESSOR], order))
    entry = next((name for name in order if name.startswith(COMPRESSOR)), COMPRESSOR)
    return {
        codec: registry.get(entry, registry[COMPRESSOR]) if codec == COMPRESSOR else REFERENCE_STYLE
        for codec in codecs
    }


def _caption(table: pd.DataFrame) -> list[str]:
    n_images = int(table["n_images"].max())
    return [
        f"Means over {n_images:,} test images (every season of every test sample, "
        "13 Sentinel-2 L1C bands).",
        "PSNR: 10 log10(1 / MSE) per image on digital numbers / 10000 clipped to [0, 1], "
        "averaged over images.",
        "Compressor: ideal code length of the rounded latents under its entropy model "
        "(estimated from the likelihoods, no header); JPEG2000 (OpenJPEG): bytes of the "
        "whole J2K codestream at target-PSNR levels, header included (a large share on "
        "small 13-band tiles).",
    ]
