"""Spectral and backscatter constants of the synthetic generator, and its atmosphere model.

Levels come from real Sentinel-2 L1C and Sentinel-1 data: the per-class top-of-atmosphere
(TOA) means below are copied from ``derived/terramesh_class_spectra_l1c.csv`` of the
project's real-sample collection (five TerraMesh example locations of IBM/terramind,
Apache-2.0; the +1000 offset of newer processing baselines removed). They are constants
because a user's clone of the project does not carry that collection.

Surface reflectance endmembers are those TOA spectra run backwards through the simple
atmosphere of :func:`toa_from_surface` at its nominal state, so that the generator's clear
sky TOA reproduces the real levels and its L2A is their atmospheric correction.
All values are digital numbers (reflectance x 10000) without ESA's +1000 offset.
"""

from __future__ import annotations

import numpy as np

from eobench.data.bands import S2L1C_BANDS

#: Land-cover classes of the generator (order of the ``landcover`` array).
CLASSES: tuple[str, ...] = (
    "forest", "cropland", "grassland", "urban", "water", "bare", "snow_ice",
)  # fmt: skip
N_BANDS = len(S2L1C_BANDS)
BAND_INDEX = {band: i for i, band in enumerate(S2L1C_BANDS)}
#: Native ground resolution (m) of each L1C band; the cubes are resampled to 10 m.
BAND_RESOLUTION_M = np.array([60, 10, 10, 10, 20, 20, 20, 10, 20, 60, 60, 20, 20], dtype=float)

# Per-class L1C TOA means (B01..B12 with B8A, rounded to whole DN) and S1 means (dB),
# copied from terramesh_class_spectra_l1c.csv (columns <band>_mean, VV_db_mean, VH_db_mean).
_TERRAMESH_TABLE = """
class       B01  B02  B03  B04  B05  B06  B07  B08  B8A  B09  B10  B11  B12     VV     VH
water      1600 1376 1234 1064 1053 1053 1118 1044 1138  349   10 1037  760 -16.71 -21.73
trees      1254  908  709  467  736 1737 2163 2150 2451  776   11 1062  464  -8.58 -14.48
crops      1480 1178 1030 1007 1266 1921 2228 2215 2529  840   28 2180 1389 -11.64 -18.05
built      1376 1083  908  867 1035 1535 1777 1797 2016  829   16 1778 1194 -11.45 -17.14
bare       2194 2329 2474 2810 2911 3108 3348 3238 3586  890   15 4120 3505 -16.70 -21.56
snow_ice   6014 5491 4340 4835 5163 5362 5384 5196 5374 2896   69  901  880 -14.34 -21.71
rangeland  1405 1216 1200 1376 1624 2161 2479 2442 2820  795   48 3041 2084 -12.32 -17.64
"""
_rows = [line.split() for line in _TERRAMESH_TABLE.strip().splitlines()[1:]]
TERRAMESH_TOA_L1C: dict[str, np.ndarray] = {
    row[0]: np.array(row[1:14], dtype=float) for row in _rows
}
TERRAMESH_S1_DB: dict[str, tuple[float, float]] = {
    row[0]: (float(row[14]), float(row[15])) for row in _rows
}

# ---------------------------------------------------------------------------------------
# Atmosphere: TOA = path + T * surface, per band (a linearised 6S-style model).
# Path radiance in DN at the nominal aerosol optical depth, split into a Rayleigh part
# (falls as lambda^-4) and an aerosol part (scales with AOD). B10 (1375 nm) sits in a
# saturated water-vapour absorption band: almost no surface signal reaches the sensor.
# The levels reproduce the L1C - L2A differences of the real SSL4EO-S12 pair (June 2020,
# tile 43RCP): about 870 DN of path radiance in B01, 570 in B02, 260 in B03.
NOMINAL_AOD = 0.15
NOMINAL_WATER_VAPOUR_CM = 2.0
RAYLEIGH_PATH = np.array([600, 400, 180, 80, 60, 45, 35, 28, 25, 15, 2, 3, 1], dtype=float)
AEROSOL_PATH = np.array([300, 220, 140, 100, 85, 70, 60, 55, 50, 35, 0, 25, 15], dtype=float)
TRANSMITTANCE = np.array(
    [0.80, 0.84, 0.88, 0.91, 0.92, 0.93, 0.94, 0.94, 0.95, 1.0, 1.0, 0.92, 0.86]
)
#: Extra extinction per unit AOD above nominal (larger at short wavelengths).
AEROSOL_EXTINCTION = np.array(
    [0.9, 0.8, 0.7, 0.55, 0.5, 0.45, 0.42, 0.38, 0.36, 0.33, 0.0, 0.2, 0.15]
)
_B09, _B10 = BAND_INDEX["B09"], BAND_INDEX["B10"]


def path_radiance(aod: float | np.ndarray) -> np.ndarray:
    """Atmospheric path radiance (DN) of the 13 L1C bands at aerosol optical depth ``aod``."""
    aod = np.asarray(aod, dtype=float)[..., None]
    return RAYLEIGH_PATH + AEROSOL_PATH * aod / NOMINAL_AOD


def transmittance(aod: float | np.ndarray, water_vapour_cm: float | np.ndarray) -> np.ndarray:
    """Two-way transmittance of the 13 L1C bands.

    B09 (945 nm) is a water-vapour band and B10 (1375 nm) is nearly opaque; both fall
    with the water-vapour column (cm).
    """
    aod = np.asarray(aod, dtype=float)[..., None]
    wv = np.asarray(water_vapour_cm, dtype=float)[..., None]
    trans = TRANSMITTANCE * np.exp(-AEROSOL_EXTINCTION * (aod - NOMINAL_AOD))
    trans = np.broadcast_to(trans, np.broadcast_shapes(trans.shape, wv.shape)).copy()
    trans[..., _B09] = 0.62 * np.exp(-0.35 * wv[..., 0])
    trans[..., _B10] = 0.02 * np.exp(-0.8 * wv[..., 0])
    return trans


def toa_from_surface(surface: np.ndarray, aod, water_vapour_cm, band_axis: int = 0) -> np.ndarray:
    """L1C TOA DN from surface reflectance DN (13 bands on ``band_axis``)."""
    shape = [1] * surface.ndim
    shape[band_axis] = N_BANDS
    path = path_radiance(aod).reshape(shape)
    trans = transmittance(aod, water_vapour_cm).reshape(shape)
    return path + trans * surface


def surface_from_toa(toa: np.ndarray, aod, water_vapour_cm, band_axis: int = 0) -> np.ndarray:
    """Atmospheric correction: the inverse of :func:`toa_from_surface`."""
    shape = [1] * toa.ndim
    shape[band_axis] = N_BANDS
    path = path_radiance(aod).reshape(shape)
    trans = transmittance(aod, water_vapour_cm).reshape(shape)
    return (toa - path) / trans


def _surface_from_terramesh(name: str) -> np.ndarray:
    toa = np.array(TERRAMESH_TOA_L1C[name])
    surface = surface_from_toa(toa, NOMINAL_AOD, NOMINAL_WATER_VAPOUR_CM)
    # B09 and B10 at TOA mostly measure the water-vapour column of that day; at the
    # surface 945 nm follows the NIR plateau and 1375 nm lies between NIR and SWIR.
    surface[_B09] = 0.97 * surface[BAND_INDEX["B8A"]]
    surface[_B10] = 0.5 * (surface[BAND_INDEX["B8A"]] + surface[BAND_INDEX["B11"]])
    return np.maximum(surface, 10.0)


#: Green-minus-senescent difference of a vegetation canopy in surface DN: less red and
#: blue (chlorophyll absorption), much more NIR (leaf scattering), less SWIR (leaf water).
GREENNESS_DIRECTION = np.array(
    [-150, -250, -150, -700, -450, 900, 1500, 1700, 1700, 1650, 1200, -900, -1300], dtype=float
)

# Water: the TerraMesh water mean mixes shorelines and turbid pixels (B11 ~ 1000 DN is
# land signal). Open water here is moderately turbid: darkest in NIR and SWIR, as water
# absorbs there, with the levels of the real water-pixel medians in the visible.
_WATER_SURFACE = np.array(
    [520, 560, 650, 470, 400, 300, 280, 250, 220, 150, 120, 200, 130], dtype=float
)


def _endmembers() -> dict[str, np.ndarray]:
    """Surface reflectance endmembers (13 bands, DN) of every class state."""
    trees = _surface_from_terramesh("trees")
    crops = _surface_from_terramesh("crops")
    grass = _surface_from_terramesh("rangeland")
    v = GREENNESS_DIRECTION
    return {
        # Vegetation classes: a green and a senescent/leaf-off/bare-field state; the
        # TerraMesh mean sits between them (crops and rangeland are partly green there).
        "forest_green": trees,
        "forest_leafoff": np.maximum(trees - 0.6 * v, 10.0),
        "cropland_green": np.maximum(crops + 0.5 * v, 10.0),
        "cropland_bare": np.maximum(crops - 0.5 * v, 10.0),
        "grassland_green": np.maximum(grass + 0.5 * v, 10.0),
        "grassland_dry": np.maximum(grass - 0.5 * v, 10.0),
        "urban": _surface_from_terramesh("built"),
        "water": _WATER_SURFACE,
        "bare": _surface_from_terramesh("bare"),
        "snow": _surface_from_terramesh("snow_ice"),
    }


SURFACE_ENDMEMBERS: dict[str, np.ndarray] = _endmembers()

#: TOA DN of an opaque cloud (bright and spectrally flat to the NIR, darker in SWIR; B10
#: sees the cloud top above the water vapour) and of optically thick cirrus.
THICK_CLOUD_TOA = np.array(
    [7800, 7600, 7400, 7300, 7300, 7300, 7300, 7200, 7200, 4500, 900, 4800, 3000], dtype=float
)
CIRRUS_TOA = np.array(
    [3200, 3000, 2900, 2800, 2800, 2800, 2750, 2700, 2700, 1600, 1400, 2200, 1400], dtype=float
)
#: Fraction of the direct surface signal kept under a cloud shadow.
SHADOW_TRANSMISSION = 0.45

# ---------------------------------------------------------------------------------------
# Sentinel-1 backscatter (sigma0, dB) of each class, from the TerraMesh class means and
# the usual scattering mechanisms: volume scattering grows with biomass (strongly in VH),
# urban double bounce is bright in VV, calm water is a specular mirror (dark, below the
# noise floor in VH), dry sand and snow are dark.
S1_FOREST_DB = {"VV": (-10.0, 3.0), "VH": (-17.5, 4.5)}  # base + gain x (1 - exp(-AGB/120))
S1_CROPLAND_DB = {"VV": (-13.0, 2.5), "VH": (-21.0, 5.5)}  # base + gain x greenness
S1_GRASSLAND_DB = {"VV": (-13.0, 1.5), "VH": (-19.5, 3.0)}
S1_URBAN_DB = (-8.5, -15.0)
S1_WATER_DB = (-21.0, -27.0)
S1_BARE_DB = (-15.5, -22.0)
S1_DRY_SNOW_DB = (-13.5, -20.5)
S1_WET_SNOW_DB = (-19.0, -25.5)
#: Noise-equivalent sigma0 of Sentinel-1 IW (about -25 dB), added in linear power.
S1_NOISE_FLOOR_DB = -25.0
#: Equivalent number of looks of IW GRD high-resolution products.
S1_LOOKS = 4.4
S1_DB_RANGE = (-35.0, 5.0)
