"""Readers for small real Sentinel-1/2 sample files (GeoTIFFs, read with tifffile).

Two layouts are supported, as found in the project's real-sample collection:

- TerraMesh examples (IBM/terramind ``examples/``): one multi-band GeoTIFF per modality
  and location, ``<root>/<MODALITY>/<location>.tif`` with modalities ``S2L1C`` (13 bands),
  ``S2L2A`` (12), ``S1RTC`` (VV, VH in dB), ``DEM`` and ``LULC``.
- SSL4EO-S12 v1 (``<root>/<s2c|s2a|s1>/<location>/<scene>/<band>.tif``): one GeoTIFF per
  band at its native resolution (10, 20 or 60 m) and a ``metadata.json`` per scene.

Sentinel-2 digital numbers of processing baseline 04.00 and later carry ESA's +1000
offset; :func:`has_baseline_offset` detects it from the cirrus band B10 (near 0 over
clear land without the offset), :func:`ssl4eo_baseline_offset` from the metadata.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import tifffile

from eobench.data.bands import S1_BANDS, S2_BASELINE_OFFSET, S2L1C_BANDS, S2L2A_BANDS
from eobench.errors import EobenchError

TERRAMESH_BANDS: dict[str, tuple[str, ...]] = {
    "S2L1C": S2L1C_BANDS,
    "S2L2A": S2L2A_BANDS,
    "S1RTC": S1_BANDS,
    "DEM": ("elevation",),
    "LULC": ("landcover",),
}
SSL4EO_BANDS: dict[str, tuple[str, ...]] = {"s2c": S2L1C_BANDS, "s2a": S2L2A_BANDS, "s1": S1_BANDS}
#: Mean B10 (DN) above which an L1C image carries the +1000 offset.
B10_OFFSET_THRESHOLD = 900.0


def read_geotiff(path: str | os.PathLike) -> np.ndarray:
    """Read a GeoTIFF as a band-first array ``[C, H, W]`` in its stored dtype."""
    path = Path(path)
    if not path.exists():
        raise EobenchError(f"{path}: file not found")
    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            data, axes = series.asarray(), series.axes
    except Exception as exc:  # tifffile raises several types for a broken file
        raise EobenchError(f"{path}: not a readable GeoTIFF ({exc})") from exc
    if data.ndim == 2:
        return data[None]
    if data.ndim == 3 and axes[-1] == "S":  # pixel-interleaved samples: Y X S
        return np.moveaxis(data, -1, 0)
    if data.ndim == 3:
        return data
    raise EobenchError(f"{path}: expected a 2-D or 3-D raster, got axes {axes!r}")


def has_baseline_offset(l1c: np.ndarray, band_axis: int = 0) -> bool:
    """Whether an L1C image (13 bands) carries the +1000 offset, judged from B10."""
    b10 = np.take(l1c, S2L1C_BANDS.index("B10"), axis=band_axis)
    valid = b10[b10 > 0]
    return bool(valid.size and valid.mean() > B10_OFFSET_THRESHOLD)


def remove_baseline_offset(cube: np.ndarray, offset: float = S2_BASELINE_OFFSET) -> np.ndarray:
    """Subtract the offset from valid (non-zero) digital numbers, as float32, floored at 0."""
    cube = cube.astype(np.float32)
    return np.where(cube > 0, np.maximum(cube - offset, 0.0), 0.0).astype(np.float32)


def terramesh_locations(root: str | os.PathLike, modality: str = "S2L1C") -> list[str]:
    """Location ids (file stems) available for ``modality`` under a TerraMesh root."""
    folder = Path(root) / modality
    if not folder.is_dir():
        raise EobenchError(f"{folder}: TerraMesh modality folder not found")
    return sorted(p.stem for p in folder.glob("*.tif"))


def read_terramesh(
    root: str | os.PathLike, modality: str, location: str, *, remove_offset: bool = True
) -> np.ndarray:
    """One TerraMesh image ``[C, H, W]``; L1C as float32 without the +1000 offset.

    The examples mix processing baselines; with ``remove_offset`` an L1C image whose B10
    reveals the offset has it subtracted. L2A images cannot be judged that way (no B10)
    and are returned as stored.
    """
    if modality not in TERRAMESH_BANDS:
        known = list(TERRAMESH_BANDS)
        raise EobenchError(f"unknown TerraMesh modality {modality!r} (known: {known})")
    path = Path(root) / modality / f"{location}.tif"
    data = read_geotiff(path)
    if data.shape[0] != len(TERRAMESH_BANDS[modality]):
        raise EobenchError(
            f"{path}: expected {len(TERRAMESH_BANDS[modality])} bands, found {data.shape[0]}"
        )
    if modality == "S2L1C" and remove_offset:
        return (
            remove_baseline_offset(data) if has_baseline_offset(data) else data.astype(np.float32)
        )
    return data


def ssl4eo_scenes(root: str | os.PathLike, product: str) -> list[Path]:
    """Scene folders ``<root>/<product>/<location>/<scene>`` of an SSL4EO-S12 tree."""
    folder = Path(root) / product
    if not folder.is_dir():
        raise EobenchError(f"{folder}: SSL4EO-S12 product folder not found")
    return sorted(p for p in folder.glob("*/*") if p.is_dir())


def ssl4eo_baseline_offset(scene: str | os.PathLike) -> float:
    """The DN offset of an SSL4EO-S12 Sentinel-2 scene from its ``PROCESSING_BASELINE``."""
    path = Path(scene) / "metadata.json"
    try:
        baseline = json.loads(path.read_text())["PROCESSING_BASELINE"]
    except (OSError, KeyError, ValueError) as exc:
        raise EobenchError(f"{path}: no readable PROCESSING_BASELINE ({exc})") from exc
    return S2_BASELINE_OFFSET if float(baseline) >= 4.0 else 0.0


def _ssl4eo_file(scene: Path, band: str) -> Path:
    # SSL4EO-S12 v1 names bands without the leading zero: B1 ... B9, B8A, B10 ... B12
    name = band if band in S1_BANDS or band == "B8A" else f"B{int(band[1:])}"
    return scene / f"{name}.tif"


def read_ssl4eo_scene(
    scene: str | os.PathLike, bands: tuple[str, ...], *, remove_offset: bool = True
) -> np.ndarray:
    """Stack an SSL4EO-S12 scene's per-band GeoTIFFs into ``[C, H, W]`` at 10 m (float32).

    Bands stored at 20 m or 60 m are repeated to the 10 m grid (nearest neighbour). For
    Sentinel-2 scenes with ``remove_offset`` the baseline offset from the metadata is
    subtracted.
    """
    scene = Path(scene)
    layers = [read_geotiff(_ssl4eo_file(scene, band))[0] for band in bands]
    size = max(layer.shape[0] for layer in layers)
    stacked = np.empty((len(bands), size, size), dtype=np.float32)
    for i, layer in enumerate(layers):
        factor = size // layer.shape[0]
        if factor * layer.shape[0] != size or layer.shape[0] != layer.shape[1]:
            raise EobenchError(
                f"{scene}: band {bands[i]} has shape {layer.shape}, not a 1/k of {size} px"
            )
        stacked[i] = np.repeat(np.repeat(layer, factor, axis=0), factor, axis=1)
    if remove_offset and bands[0] != "VV":
        offset = ssl4eo_baseline_offset(scene)
        if offset:
            stacked = remove_baseline_offset(stacked, offset)
    return stacked
