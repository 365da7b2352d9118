"""Galileo's inputs from the canonical store's Sentinel-1 and Sentinel-2 L1C cubes.

The store holds ``s1`` ``[B, T, 2, H, W]`` (VV, VH in dB) and ``s2l1c`` ``[B, T, 13, H, W]``
(digital numbers without ESA's +1000 offset, B01..B12 with B8A after B08). Galileo's
Sentinel-2 came from Earth Engine's ``COPERNICUS/S2_HARMONIZED`` (L1C with the offset
removed), so the store's digital numbers are in its units; it drops B01, B09 and B10.
Everything Galileo reads but the store lacks (ERA5, TerraClimate, VIIRS, SRTM, Dynamic
World, WorldCereal, LandScan) is zero-filled and masked.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from eobench.data.bands import S1_BANDS as STORE_S1_BANDS
from eobench.data.bands import S2L1C_BANDS
from eobench.encoders.galileo.bands import (
    S1_BANDS,
    S2_BANDS,
    SPACE_BANDS,
    SPACE_GROUPS,
    SPACE_TIME_BANDS,
    SPACE_TIME_GROUPS,
    STATIC_BANDS,
    STATIC_GROUPS,
    TIME_BANDS,
    TIME_GROUPS,
)
from eobench.errors import EobenchError

#: Galileo writes band names without the leading zero (B2, not B02).
_STORE_S2_NAMES = tuple(b[0] + str(int(b[1:])) if b[1:].isdigit() else b for b in S2L1C_BANDS)
#: Positions of Galileo's Sentinel-2 bands in the store's 13 L1C bands.
S2L1C_TO_GALILEO: tuple[int, ...] = tuple(_STORE_S2_NAMES.index(b) for b in S2_BANDS)
#: Positions of Galileo's Sentinel-1 bands in the store's 2 bands.
S1_TO_GALILEO: tuple[int, ...] = tuple(STORE_S1_BANDS.index(b) for b in S1_BANDS)


class GalileoInputs(NamedTuple):
    """Galileo's forward inputs in its layout (band axis last); masks are 1 where masked."""

    space_time_x: np.ndarray  # [B, H, W, T, 13]
    space_x: np.ndarray  # [B, H, W, 16]
    time_x: np.ndarray  # [B, T, 6]
    static_x: np.ndarray  # [B, 18]
    space_time_mask: np.ndarray  # [B, H, W, T, 7]
    space_mask: np.ndarray  # [B, H, W, 3]
    time_mask: np.ndarray  # [B, T, 3]
    static_mask: np.ndarray  # [B, 4]
    months: np.ndarray  # [B, T] int64, 0 = January


def ndvi(nir: np.ndarray, red: np.ndarray) -> np.ndarray:
    """``(nir - red) / (nir + red)``, 0 where ``nir + red <= 0`` (upstream's ``calculate_ndi``)."""
    total = nir + red
    safe = np.where(total > 0, total, 1)
    return np.where(total > 0, (nir - red) / safe, 0).astype(nir.dtype)


def latlon_to_unit_vector(latlon: np.ndarray) -> np.ndarray:
    """Latitude, longitude in degrees ``[B, 2]`` -> ``[B, 3]`` (x, y, z) on the unit sphere.

    Raises
    ------
    EobenchError
        For coordinates outside [-90, 90] x [-180, 180] (not EPSG:4326 degrees) or NaN.
    """
    latlon = np.asarray(latlon, dtype=np.float64)
    lat, lon = latlon[:, 0], latlon[:, 1]
    if not (np.all(np.abs(lat) <= 90) and np.all(np.abs(lon) <= 180)):
        raise EobenchError(
            "galileo: sample latitude/longitude must be degrees within [-90, 90] x [-180, 180] "
            f"(found lat {np.nanmin(lat)}..{np.nanmax(lat)}, "
            f"lon {np.nanmin(lon)}..{np.nanmax(lon)})"
        )
    lat, lon = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def inputs_from_cubes(
    s1: np.ndarray, s2l1c: np.ndarray, latlon: np.ndarray, months: np.ndarray
) -> GalileoInputs:
    """Galileo's inputs in physical units (not normalised) from store cubes.

    Parameters
    ----------
    s1 : ndarray ``[B, T, 2, H, W]``
        VV, VH in dB.
    s2l1c : ndarray ``[B, T, 13, H, W]``
        Sentinel-2 L1C digital numbers without the +1000 offset.
    latlon : ndarray ``[B, 2]``
        Latitude, longitude in degrees.
    months : ndarray ``[B, T]`` or ``[T]``
        Month of each time step, 0 = January.

    Returns
    -------
    GalileoInputs
        Sentinel-1, Sentinel-2, NDVI and location unmasked, every other group masked.
    """
    n, t, _, h, w = s2l1c.shape
    # [B, T, C, H, W] -> [B, H, W, T, C]
    s1_last = np.asarray(s1, dtype=np.float32).transpose(0, 3, 4, 1, 2)
    s2_last = np.asarray(s2l1c, dtype=np.float32).transpose(0, 3, 4, 1, 2)
    space_time = np.zeros((n, h, w, t, len(SPACE_TIME_BANDS)), dtype=np.float32)
    space_time[..., [SPACE_TIME_BANDS.index(b) for b in S1_BANDS]] = s1_last[..., S1_TO_GALILEO]
    s2 = s2_last[..., S2L1C_TO_GALILEO]
    space_time[..., [SPACE_TIME_BANDS.index(b) for b in S2_BANDS]] = s2
    space_time[..., SPACE_TIME_BANDS.index("NDVI")] = ndvi(
        s2[..., S2_BANDS.index("B8")], s2[..., S2_BANDS.index("B4")]
    )
    static = np.zeros((n, len(STATIC_BANDS)), dtype=np.float32)
    static[:, list(STATIC_GROUPS["location"])] = latlon_to_unit_vector(latlon)
    static_mask = np.ones((n, len(STATIC_GROUPS)), dtype=np.float32)
    static_mask[:, list(STATIC_GROUPS).index("location")] = 0
    months = np.broadcast_to(np.asarray(months, dtype=np.int64), (n, t)).copy()
    return GalileoInputs(
        space_time_x=space_time,
        space_x=np.zeros((n, h, w, len(SPACE_BANDS)), dtype=np.float32),
        time_x=np.zeros((n, t, len(TIME_BANDS)), dtype=np.float32),
        static_x=static,
        space_time_mask=np.zeros((n, h, w, t, len(SPACE_TIME_GROUPS)), dtype=np.float32),
        space_mask=np.ones((n, h, w, len(SPACE_GROUPS)), dtype=np.float32),
        time_mask=np.ones((n, t, len(TIME_GROUPS)), dtype=np.float32),
        static_mask=static_mask,
        months=months,
    )
