"""A look at a canonical store: band statistics and example cubes as images.

Used by the data notebook (``report/notebooks/data.ipynb``): statistics per modality,
season and band over every sample, and chosen samples' seasons as true-colour (Sentinel-2
B4, B3, B2) and SAR (VV, VH and the VV/VH composite) images.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from eobench.data.bands import SEASONS
from eobench.data.store import CubeStore
from eobench.errors import EobenchError

#: Time-series image arrays of a store, in the order they are shown.
IMAGE_ARRAYS = ("s2l1c", "s2l2a", "s1")
#: The optical product of the true-colour examples: L2A where the store has it.
OPTICAL_PREFERENCE = ("s2l2a", "s2l1c")
RGB_BANDS = ("B04", "B03", "B02")
STATISTICS_COLUMNS = [
    "array",
    "season",
    "band",
    "units",
    "n_valid",
    "nodata_fraction",
    "mean",
    "std",
    "min",
    "max",
]


def image_arrays(store: CubeStore) -> list[str]:
    """The store's time-series image arrays (``s2l1c``, ``s2l2a``, ``s1``) it has."""
    return [name for name in IMAGE_ARRAYS if name in store.arrays]


def band_statistics(store: CubeStore, name: str, batch_size: int = 64) -> pd.DataFrame:
    """Statistics of every season and band of image array ``name`` over all samples.

    A value equal to the array's ``nodata`` attribute (0 in the canonical store) is
    left out and counted in ``nodata_fraction``; ``std`` has ddof 0. Memory stays
    bounded by one batch of samples.

    Returns
    -------
    DataFrame
        One row per (season, band): the columns of :data:`STATISTICS_COLUMNS`.
    """
    attrs = store.array_attrs(name)
    bands = [str(b) for b in attrs.get("bands", [])]
    seasons = [str(s) for s in attrs.get("seasons", store.attrs.get("seasons", SEASONS))]
    nodata = attrs.get("nodata")
    shape = (len(seasons), len(bands))
    count, total, squares = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    low, high = np.full(shape, np.inf), np.full(shape, -np.inf)
    n_values = 0
    for _, batch in store.iter_batches([name], batch_size):
        cube = batch[name].astype(np.float64)  # [b, T, C, H, W]
        if cube.shape[1:3] != shape:
            raise EobenchError(
                f"{store.path}: array {name!r} has shape {cube.shape[1:3]} of seasons x "
                f"bands, its attributes name {shape}"
            )
        valid = np.isfinite(cube) if nodata is None else np.isfinite(cube) & (cube != nodata)
        values = np.where(valid, cube, 0.0)
        axes = (0, 3, 4)
        count += valid.sum(axis=axes)
        total += values.sum(axis=axes)
        squares += (values**2).sum(axis=axes)
        low = np.minimum(low, np.where(valid, cube, np.inf).min(axis=axes))
        high = np.maximum(high, np.where(valid, cube, -np.inf).max(axis=axes))
        n_values += cube.shape[0] * cube.shape[3] * cube.shape[4]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        std = np.sqrt(np.maximum(squares / count - mean**2, 0.0))
    rows = [
        {
            "array": name,
            "season": season,
            "band": band,
            "units": attrs.get("units", ""),
            "n_valid": int(count[t, c]),
            "nodata_fraction": 1.0 - count[t, c] / n_values if n_values else np.nan,
            "mean": mean[t, c],
            "std": std[t, c],
            "min": low[t, c] if count[t, c] else np.nan,
            "max": high[t, c] if count[t, c] else np.nan,
        }
        for t, season in enumerate(seasons)
        for c, band in enumerate(bands)
    ]
    return pd.DataFrame(rows, columns=STATISTICS_COLUMNS)


def example_rows(n_samples: int, count: int) -> list[int]:
    """``count`` store rows evenly spaced from the first to the last sample."""
    if count < 1:
        raise EobenchError(f"notebooks.data.examples: must be at least 1, got {count}")
    return sorted({round(r) for r in np.linspace(0, n_samples - 1, min(count, n_samples))})


def percentile_stretch(image: np.ndarray, valid: np.ndarray, low: float, high: float):
    """``image`` mapped so its ``low``..``high`` percentiles over ``valid`` are 0..1."""
    values = image[valid]
    if not values.size:
        return np.zeros_like(image, dtype=np.float64)
    lo, hi = np.percentile(values, [low, high])
    hi = hi if hi > lo else lo + 1.0
    return np.where(valid, np.clip((image - lo) / (hi - lo), 0.0, 1.0), 0.0)


def rgb_images(
    cube: np.ndarray, bands: Sequence[str], low: float = 2.0, high: float = 98.0
) -> np.ndarray:
    """True-colour ``[T, H, W, 3]`` images in 0..1 of one optical cube ``[T, C, H, W]``.

    The channels are B4, B3, B2, each season stretched on its own (the ``low``..``high``
    percentiles of its valid values): one stretch for all would leave a summer scene
    black beside a snowy winter. A pixel whose three values are 0 is nodata and stays
    black.
    """
    missing = [b for b in RGB_BANDS if b not in bands]
    if missing:
        raise EobenchError(f"optical cube has no band {missing[0]!r} (has: {list(bands)})")
    rgb = np.moveaxis(cube[:, [list(bands).index(b) for b in RGB_BANDS]], 1, -1)
    rgb = rgb.astype(np.float64)
    valid = np.broadcast_to((rgb != 0).any(axis=-1, keepdims=True), rgb.shape)
    return np.stack([percentile_stretch(i, v, low, high) for i, v in zip(rgb, valid, strict=True)])


def sar_images(cube: np.ndarray, low: float = 2.0, high: float = 98.0) -> dict[str, np.ndarray]:
    """Images in 0..1 of one Sentinel-1 cube ``[T, 2, H, W]`` (VV, VH in dB).

    ``VV`` and ``VH`` ``[T, H, W]`` are each stretched over all seasons (so seasonal
    change in backscatter shows); ``VV/VH`` is
    the composite ``[T, H, W, 3]`` of red VV, green VH and blue the ratio VV/VH (the
    difference in dB), each channel stretched on its own. A pixel with both values 0 is
    nodata and stays black.
    """
    vv, vh = cube[:, 0].astype(np.float64), cube[:, 1].astype(np.float64)
    valid = ((vv != 0) | (vh != 0)) & np.isfinite(vv) & np.isfinite(vh)
    channels = [percentile_stretch(c, valid, low, high) for c in (vv, vh, vv - vh)]
    return {"VV": channels[0], "VH": channels[1], "VV/VH": np.stack(channels, axis=-1)}


def example_images(store: CubeStore, row: int) -> dict[str, np.ndarray]:
    """The images of :func:`rgb_images` (key ``RGB``) and :func:`sar_images` of one
    sample, for the arrays the store has."""
    images = {}
    optical = next((name for name in OPTICAL_PREFERENCE if name in store.arrays), None)
    if optical is not None:
        bands = [str(b) for b in store.array_attrs(optical)["bands"]]
        images["RGB"] = rgb_images(store.read(optical, [row])[0], bands)
    if "s1" in store.arrays:
        images.update(sar_images(store.read("s1", [row])[0]))
    return images
