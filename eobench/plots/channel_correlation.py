"""Pearson correlation of the 27 input channels over a dataset (NeuCo-Bench Fig. 10).

Pixels are subsampled with a seeded random stream, sample by sample: each sample gives
up to ``ceil(n_pixels / n_samples)`` of its valid pixels (any season), chosen without
replacement. A pixel is valid when no product is nodata there (a product is nodata at
a pixel when all its bands are exactly 0) and every value is finite. The correlation
is accumulated batch by batch from co-moments (Chan et al.'s pairwise update), so
memory stays bounded by one batch of samples whatever the dataset size, and the
selection does not depend on the batch size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from eobench.data.bands import IMAGE_MODALITIES
from eobench.data.store import CubeStore
from eobench.errors import EobenchError
from eobench.io import write_csv
from eobench.plots.style import save_figure
from eobench.tables.render import checked_settings

#: key -> (default, kind); see :func:`eobench.tables.render.checked_settings`.
SETTINGS = {
    "n_pixels": (200_000, "positive_int"),
    "seed": (0, "count"),
    "batch_size": (16, "positive_int"),
    "annotate": (True, "bool"),
    "cmap": ("RdBu_r", "text"),
    "width": (11.0, "positive"),
    "height": (10.0, "positive"),
    "dpi": (200, "positive_int"),
    "title": ("Pearson correlation of the input channels", "text"),
}
DEFAULTS = {key: default for key, (default, _) in SETTINGS.items()}
WHAT = "figures.channel_correlation"

#: How each product is named on the figure.
PRODUCT_NAMES = {"s2l1c": "S2 L1C", "s2l2a": "S2 L2A", "s1": "S1"}


@dataclass
class ChannelCorrelation:
    """The correlation matrix and how it was computed.

    ``matrix`` is indexed (rows and columns) by ``<product>_<band>`` channel names, in
    store order (s2l1c, s2l2a, s1). ``pixels`` holds the sampled pixel values
    ``[n_pixels, 27]`` when asked for (``keep_pixels``), else ``None``.
    """

    matrix: pd.DataFrame
    products: list[tuple[str, list[str]]]
    n_pixels: int
    n_samples: int
    pixels: np.ndarray | None = None

    @property
    def channels(self) -> list[str]:
        return list(self.matrix.index)


def channel_correlation(
    store: CubeStore,
    n_pixels: int = DEFAULTS["n_pixels"],
    seed: int = DEFAULTS["seed"],
    batch_size: int = DEFAULTS["batch_size"],
    products: Sequence[str] = IMAGE_MODALITIES,
    keep_pixels: bool = False,
) -> ChannelCorrelation:
    """Pearson correlation of every pair of channels over sampled valid pixels.

    Parameters
    ----------
    store : CubeStore
        Holds ``products`` as ``[n, T, C, H, W]`` arrays with a ``bands`` attribute.
    n_pixels : int
        About how many pixels to use in all (a sample with fewer valid pixels than its
        share gives all it has).
    seed : int
        Seed of the random stream that picks the pixels.
    batch_size : int
        Samples read at a time.
    keep_pixels : bool
        Also return the sampled pixels (for checks; memory grows with ``n_pixels``).
    """
    bands = []
    for product in products:
        names = store.array_attrs(product).get("bands")
        if not names:
            raise EobenchError(f"{store.path}: array {product!r} has no 'bands' attribute")
        bands.append((product, [str(b) for b in names]))
    n_channels = sum(len(names) for _, names in bands)
    per_sample = math.ceil(n_pixels / len(store))
    rng = np.random.default_rng(seed)

    count = 0
    mean = np.zeros(n_channels)
    comoment = np.zeros((n_channels, n_channels))
    kept: list[np.ndarray] = []
    for _, batch in store.iter_batches(list(products), batch_size):
        chosen = []
        for i in range(len(batch[products[0]])):
            values, valid = _sample_pixels([batch[p][i] for p in products], n_channels)
            positions = np.flatnonzero(valid)
            if len(positions) > per_sample:
                positions = np.sort(rng.choice(positions, size=per_sample, replace=False))
            chosen.append(values[:, positions].T)
        x = np.concatenate(chosen)
        if not len(x):
            continue
        if keep_pixels:
            kept.append(x)
        # Chan et al.: merge the batch's mean and centred co-moment into the running ones.
        batch_mean = x.mean(axis=0)
        centred = x - batch_mean
        delta = batch_mean - mean
        total = count + len(x)
        comoment += centred.T @ centred + np.outer(delta, delta) * (count * len(x) / total)
        mean += delta * (len(x) / total)
        count = total
    if count < 2:
        raise EobenchError(f"{store.path}: fewer than 2 valid pixels to correlate")

    scale = np.sqrt(np.diag(comoment))
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = comoment / np.outer(scale, scale)
    matrix = np.clip(matrix, -1.0, 1.0)
    constant = scale == 0
    matrix[constant, :] = np.nan
    matrix[:, constant] = np.nan
    np.fill_diagonal(matrix, np.where(constant, np.nan, 1.0))
    matrix = (matrix + matrix.T) / 2  # exactly symmetric
    names = [f"{product}_{band}" for product, product_bands in bands for band in product_bands]
    return ChannelCorrelation(
        matrix=pd.DataFrame(matrix, index=names, columns=names),
        products=bands,
        n_pixels=count,
        n_samples=len(store),
        pixels=np.concatenate(kept) if keep_pixels else None,
    )


def _sample_pixels(cubes: Sequence[np.ndarray], n_channels: int) -> tuple[np.ndarray, np.ndarray]:
    """One sample's products ``[T, C, H, W]`` as ``[channels, T*H*W]`` and the valid mask."""
    columns = []
    valid = None
    for cube in cubes:
        flat = np.moveaxis(np.asarray(cube, dtype=np.float64), 1, 0).reshape(cube.shape[1], -1)
        ok = (flat != 0).any(axis=0) & np.isfinite(flat).all(axis=0)
        valid = ok if valid is None else valid & ok
        columns.append(flat)
    values = np.concatenate(columns)
    assert values.shape[0] == n_channels
    return values, valid


def plot_channel_correlation(
    store_path,
    out_pdf,
    out_png,
    out_csv,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> ChannelCorrelation:
    """Compute the channel correlation of the store at ``store_path``, plot and save it.

    Writes the heatmap as PDF and PNG (``width * dpi`` by ``height * dpi`` pixels) and
    the matrix as CSV (a ``channel`` column, then one column per channel). ``settings``:
    ``n_pixels``, ``seed``, ``batch_size`` (sampling), ``annotate`` (print r in every
    cell), ``cmap`` (a diverging matplotlib colormap), ``width``, ``height``, ``dpi``,
    ``title``.
    """
    settings = checked_settings(settings, SETTINGS, WHAT)
    _check_cmap(settings["cmap"])
    result = channel_correlation(
        CubeStore(store_path),
        n_pixels=settings["n_pixels"],
        seed=settings["seed"],
        batch_size=settings["batch_size"],
    )
    figure = channel_correlation_figure(result, settings)
    write_csv(out_csv, result.matrix.rename_axis("channel").reset_index())
    save_figure(figure, out_pdf, out_png, settings["dpi"], provenance)
    return result


def channel_correlation_figure(result: ChannelCorrelation, settings: dict[str, Any] | None = None):
    """The heatmap: channels in store order, products separated and named on both axes."""
    settings = checked_settings(settings, SETTINGS, WHAT)
    _check_cmap(settings["cmap"])
    matrix = result.matrix.to_numpy()
    n = len(matrix)
    figure, axis = plt.subplots(
        figsize=(settings["width"], settings["height"]), layout="constrained"
    )
    cmap = plt.get_cmap(settings["cmap"]).with_extremes(bad="0.8")
    image = axis.imshow(
        np.ma.masked_invalid(matrix), cmap=cmap, vmin=-1, vmax=1, interpolation="nearest"
    )
    colourbar = figure.colorbar(image, ax=axis, shrink=0.8, pad=0.02, aspect=30)
    colourbar.set_label("Pearson r", fontsize=10)
    colourbar.ax.tick_params(labelsize=9)

    band_labels = [band for _, bands in result.products for band in bands]
    axis.set_xticks(np.arange(n), band_labels, rotation=90, fontsize=8)
    axis.set_yticks(np.arange(n), band_labels, fontsize=8)
    axis.tick_params(length=2, pad=1.5)
    axis.tick_params(axis="x", top=True, labeltop=True, bottom=False, labelbottom=False)

    # Products: a white gap between them and their names outside the tick labels.
    start = 0
    for product, bands in result.products:
        end = start + len(bands)
        if end < n:
            axis.axhline(end - 0.5, color="white", linewidth=2.5)
            axis.axvline(end - 0.5, color="white", linewidth=2.5)
        middle = (start + end - 1) / 2
        name = PRODUCT_NAMES.get(product, product)
        axis.annotate(
            name,
            xy=(middle, 0),
            xycoords=("data", "axes fraction"),
            xytext=(0, -6),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=10,
            fontweight="bold",
        )
        axis.annotate(
            name,
            xy=(0, middle),
            xycoords=("axes fraction", "data"),
            xytext=(-34, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            rotation=90,
            fontsize=10,
            fontweight="bold",
        )
        start = end

    if settings["annotate"]:
        fontsize = min(7.0, 190.0 / n * min(settings["width"], settings["height"]) / 10)
        for i in range(n):
            for j in range(n):
                value = matrix[i, j]
                if not np.isfinite(value):
                    continue
                text = "1" if i == j else _cell_text(value)
                axis.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=fontsize,
                    color="white" if abs(value) > 0.6 else "0.15",
                )
    axis.set_title(
        f"{settings['title']}\n{result.n_pixels:,} pixels of {result.n_samples:,} samples, "
        "all seasons, nodata excluded",
        fontsize=11,
    )
    return figure


def _cell_text(value: float) -> str:
    """``0.93`` -> ``.93``, ``-0.004`` -> ``.00``: short enough for a cell (``1.00`` stays)."""
    rounded = round(float(value), 2) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{rounded:.2f}".replace("0.", ".", 1)


def _check_cmap(name: str) -> None:
    if name not in plt.colormaps():
        raise EobenchError(f"{WHAT}.cmap: {name!r} is not a matplotlib colormap")
