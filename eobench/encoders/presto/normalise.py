"""Presto's input normalisation from physical units (facts of nasaharvest/presto @ 13173d0).

Every band ``b`` is mapped to ``(value + shift_b) / divisor_b`` with upstream's fixed
constants (:data:`SHIFT_AND_DIVISOR`): Sentinel-1 dB ``(x + 25) / 25``, Sentinel-2 digital
numbers ``x / 10000``, ERA5 2 m temperature ``(K - 272.15) / 35`` (upstream's constant,
not 273.15) and precipitation ``m / 0.03``, SRTM elevation ``m / 2000`` and slope
``degrees / 50``. NDVI is computed from the normalised B8 and B4 as
``(B8 - B4) / (B8 + B4)`` where ``B8 + B4 > 0``, else 0.

:func:`presto_inputs` assembles the network's ``x``, ``mask`` and ``dynamic_world`` from
whichever modalities are given, as upstream's ``construct_single_presto_input(...,
normalize=True)`` does for full band sets; :func:`normalise_s1_s2_era5_srtm` normalises
upstream's 18-channel evaluation arrays as its ``S1_S2_ERA5_SRTM.normalize`` does.
"""

from __future__ import annotations

import numpy as np

from eobench.encoders.presto.bands import (
    DYNAMIC_WORLD_MISSING,
    ERA5_BANDS,
    NORMED_BANDS,
    S1_BANDS,
    S1_S2_ERA5_SRTM_BANDS,
    S2_BANDS,
    SRTM_BANDS,
)

#: Band -> (shift, divisor) of ``(value + shift) / divisor``.
SHIFT_AND_DIVISOR: dict[str, tuple[float, float]] = {
    **{band: (25.0, 25.0) for band in S1_BANDS},
    **{band: (0.0, 1e4) for band in S2_BANDS},
    "temperature_2m": (-272.15, 35.0),
    "total_precipitation": (0.0, 0.03),
    "elevation": (0.0, 2000.0),
    "slope": (0.0, 50.0),
    "NDVI": (0.0, 1.0),
}
#: Sentinel-2 bands the network reads, in :data:`NORMED_BANDS` order.
S2_KEPT_BANDS: tuple[str, ...] = tuple(b for b in NORMED_BANDS if b in S2_BANDS)

_NDVI = NORMED_BANDS.index("NDVI")


def normalise_bands(values: np.ndarray, bands: tuple[str, ...]) -> np.ndarray:
    """``(values + shift) / divisor`` per band along the last axis, as float32.

    Computed in float64 and rounded once, as upstream does for numpy input.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.shape[-1] != len(bands):
        raise ValueError(
            f"expected {len(bands)} bands {bands} on the last axis, got {values.shape}"
        )
    shift, divisor = np.array([SHIFT_AND_DIVISOR[b] for b in bands]).T
    return ((values + shift) / divisor).astype(np.float32)


def ndvi(near_infrared: np.ndarray, red: np.ndarray) -> np.ndarray:
    """Upstream's NDVI of normalised B8 and B4: 0 where ``B8 + B4 <= 0``."""
    total = near_infrared + red
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, (near_infrared - red) / total, 0).astype(np.float32)


def normalise_s1(s1_db: np.ndarray) -> np.ndarray:
    """Sentinel-1 VV, VH in dB ``[..., 2]`` -> normalised ``[..., 2]``."""
    return normalise_bands(s1_db, S1_BANDS)


def normalise_s2(s2_dn: np.ndarray) -> np.ndarray:
    """Sentinel-2 L1C digital numbers ``[..., 13]`` (B1..B12, B8A after B8) -> the
    network's ten bands ``[..., 10]`` (:data:`S2_KEPT_BANDS`) normalised."""
    s2_dn = np.asarray(s2_dn)
    if s2_dn.shape[-1] != len(S2_BANDS):
        raise ValueError(
            f"expected the {len(S2_BANDS)} Sentinel-2 bands {S2_BANDS}, got {s2_dn.shape}"
        )
    kept = [S2_BANDS.index(b) for b in S2_KEPT_BANDS]
    return normalise_bands(s2_dn[..., kept], S2_KEPT_BANDS)


def normalise_era5(era5: np.ndarray) -> np.ndarray:
    """ERA5 2 m temperature (K) and total precipitation (m) ``[..., 2]`` -> normalised."""
    return normalise_bands(era5, ERA5_BANDS)


def normalise_srtm(srtm: np.ndarray) -> np.ndarray:
    """SRTM elevation (m) and slope (degrees) ``[..., 2]`` -> normalised."""
    return normalise_bands(srtm, SRTM_BANDS)


def _set_ndvi(x: np.ndarray) -> np.ndarray:
    """Overwrite the NDVI channel of normalised ``x [..., 17]`` from its B8 and B4."""
    x[..., _NDVI] = ndvi(x[..., NORMED_BANDS.index("B8")], x[..., NORMED_BANDS.index("B4")])
    return x


def presto_inputs(
    s1: np.ndarray | None = None,
    s2: np.ndarray | None = None,
    era5: np.ndarray | None = None,
    srtm: np.ndarray | None = None,
    dynamic_world: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The network's inputs from physical units; absent modalities are masked.

    Parameters
    ----------
    s1, s2, era5, srtm : ndarray, optional
        ``[..., T, C]`` in the units and band orders of :func:`normalise_s1`,
        :func:`normalise_s2`, :func:`normalise_era5` and :func:`normalise_srtm`.
    dynamic_world : ndarray, optional
        ``[..., T]`` class per timestep; missing (class 9) everywhere when absent.

    Returns
    -------
    x : float32 ``[..., T, 17]`` in :data:`NORMED_BANDS` order. Channels of absent
        modalities hold the normalisation of 0, as upstream's do; they are masked.
    mask : float32 ``[..., T, 17]``, 1 where a channel is missing (NDVI is present with S2).
    dynamic_world : int64 ``[..., T]``.
    """
    given = {"s1": s1, "s2": s2, "era5": era5, "srtm": srtm}
    shapes = {name: np.shape(a)[:-1] for name, a in given.items() if a is not None}
    if dynamic_world is not None:
        shapes["dynamic_world"] = np.shape(dynamic_world)
    if not shapes:
        raise ValueError("presto_inputs needs at least one modality")
    if len(set(shapes.values())) > 1:
        raise ValueError(f"modalities disagree on [..., T]: {shapes}")
    leading = next(iter(shapes.values()))
    # Upstream fills absent channels with 0 before normalising them.
    physical = np.zeros((*leading, len(S1_S2_ERA5_SRTM_BANDS)), dtype=np.float64)
    mask = np.ones((*leading, len(NORMED_BANDS)), dtype=np.float32)
    for array, bands in ((s1, S1_BANDS), (s2, S2_BANDS), (era5, ERA5_BANDS), (srtm, SRTM_BANDS)):
        if array is None:
            continue
        array = np.asarray(array)
        if array.shape[-1] != len(bands):
            raise ValueError(f"expected the {len(bands)} bands {bands}, got {array.shape}")
        for index, band in enumerate(bands):
            if band in S1_S2_ERA5_SRTM_BANDS:
                physical[..., S1_S2_ERA5_SRTM_BANDS.index(band)] = array[..., index]
            if band in NORMED_BANDS:
                mask[..., NORMED_BANDS.index(band)] = 0
    if s2 is not None:
        mask[..., _NDVI] = 0
    x = normalise_s1_s2_era5_srtm(physical)
    if dynamic_world is None:
        dynamic_world = np.full(leading, DYNAMIC_WORLD_MISSING, dtype=np.int64)
    return x, mask, np.asarray(dynamic_world, dtype=np.int64)


def normalise_s1_s2_era5_srtm(array: np.ndarray) -> np.ndarray:
    """Upstream's 18-channel arrays (:data:`S1_S2_ERA5_SRTM_BANDS`, physical units) ->
    the network's 17 normalised channels (B9 dropped, NDVI recomputed), float32."""
    normalised = normalise_bands(array, S1_S2_ERA5_SRTM_BANDS)
    keep = [S1_S2_ERA5_SRTM_BANDS.index(b) for b in NORMED_BANDS]
    return _set_ndvi(normalised[..., keep])
