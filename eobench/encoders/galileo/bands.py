"""Galileo's four input tensors: their bands, channel groups and units.

Galileo (Tseng et al. 2025, nasaharvest/galileo, MIT) reads four tensors, each split
into channel groups that become tokens of their own:

- space-time ``[B, H, W, T, 13]``: Sentinel-1 VV, VH (dB), ten Sentinel-2 L1C bands
  (digital numbers of the harmonised collection, i.e. without ESA's +1000 offset) and
  NDVI; 7 groups;
- space ``[B, H, W, 16]``: SRTM elevation (m) and slope (degrees), Dynamic World class
  probabilities (9), WorldCereal confidences (5, percent); 3 groups;
- time ``[B, T, 6]``: ERA5 2 m temperature (K) and total precipitation (m),
  TerraClimate deficit, soil moisture, actual evapotranspiration (mm), VIIRS night
  lights (nW cm-2 sr-1); 3 groups;
- static ``[B, 18]``: LandScan population, location as a unit vector (x, y, z), and the
  tile means of Dynamic World and WorldCereal; 4 groups.

Orders are upstream's (``single_file_galileo.py`` and ``src/data/earthengine/*.py`` at
0f0b5b9); the model's weights are tied to them.
"""

from __future__ import annotations

S1_BANDS: tuple[str, ...] = ("VV", "VH")
#: The Sentinel-2 bands Galileo reads (B1, B9 and B10 are dropped), in its order.
S2_BANDS: tuple[str, ...] = ("B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B11", "B12")
ERA5_BANDS: tuple[str, ...] = ("temperature_2m", "total_precipitation_sum")
TC_BANDS: tuple[str, ...] = ("def", "soil", "aet")
VIIRS_BANDS: tuple[str, ...] = ("avg_rad",)
SRTM_BANDS: tuple[str, ...] = ("elevation", "slope")
DW_BANDS: tuple[str, ...] = tuple(
    f"DW_{c}"
    for c in (
        "water",
        "trees",
        "grass",
        "flooded_vegetation",
        "crops",
        "shrub_and_scrub",
        "built",
        "bare",
        "snow_and_ice",
    )
)
WC_BANDS: tuple[str, ...] = tuple(
    f"WC_{c}" for c in ("temporarycrops", "maize", "wintercereals", "springcereals", "irrigation")
)
LANDSCAN_BANDS: tuple[str, ...] = ("b1",)
LOCATION_BANDS: tuple[str, ...] = ("x", "y", "z")

SPACE_TIME_BANDS: tuple[str, ...] = (*S1_BANDS, *S2_BANDS, "NDVI")
SPACE_BANDS: tuple[str, ...] = (*SRTM_BANDS, *DW_BANDS, *WC_BANDS)
TIME_BANDS: tuple[str, ...] = (*ERA5_BANDS, *TC_BANDS, *VIIRS_BANDS)
STATIC_BANDS: tuple[str, ...] = (
    *LANDSCAN_BANDS,
    *LOCATION_BANDS,
    *(f"{b}_static" for b in DW_BANDS),
    *(f"{b}_static" for b in WC_BANDS),
)


def _groups(bands: tuple[str, ...], members: dict[str, tuple[str, ...]]):
    return {group: tuple(bands.index(b) for b in names) for group, names in members.items()}


#: Channel groups of each tensor: group name -> channel indices, in token order.
SPACE_TIME_GROUPS: dict[str, tuple[int, ...]] = _groups(
    SPACE_TIME_BANDS,
    {
        "S1": S1_BANDS,
        "S2_RGB": ("B2", "B3", "B4"),
        "S2_Red_Edge": ("B5", "B6", "B7"),
        "S2_NIR_10m": ("B8",),
        "S2_NIR_20m": ("B8A",),
        "S2_SWIR": ("B11", "B12"),
        "NDVI": ("NDVI",),
    },
)
SPACE_GROUPS: dict[str, tuple[int, ...]] = _groups(
    SPACE_BANDS, {"SRTM": SRTM_BANDS, "DW": DW_BANDS, "WC": WC_BANDS}
)
TIME_GROUPS: dict[str, tuple[int, ...]] = _groups(
    TIME_BANDS, {"ERA5": ERA5_BANDS, "TC": TC_BANDS, "VIIRS": VIIRS_BANDS}
)
STATIC_GROUPS: dict[str, tuple[int, ...]] = _groups(
    STATIC_BANDS,
    {
        "LS": LANDSCAN_BANDS,
        "location": LOCATION_BANDS,
        "DW_static": tuple(f"{b}_static" for b in DW_BANDS),
        "WC_static": tuple(f"{b}_static" for b in WC_BANDS),
    },
)

#: The four tensors by name, with their bands and groups.
TENSOR_BANDS: dict[str, tuple[str, ...]] = {
    "space_time": SPACE_TIME_BANDS,
    "space": SPACE_BANDS,
    "time": TIME_BANDS,
    "static": STATIC_BANDS,
}
TENSOR_GROUPS: dict[str, dict[str, tuple[int, ...]]] = {
    "space_time": SPACE_TIME_GROUPS,
    "space": SPACE_GROUPS,
    "time": TIME_GROUPS,
    "static": STATIC_GROUPS,
}

#: Physical units Galileo expects before normalisation.
UNITS: dict[str, str] = {
    "S1": "dB (backscatter coefficient, 10 log10)",
    "S2": "digital number (top-of-atmosphere reflectance x 10000, harmonised, no +1000 offset)",
    "NDVI": "(B8 - B4) / (B8 + B4) of the digital numbers, 0 where B8 + B4 <= 0",
    "ERA5": "K (2 m temperature), m (total precipitation)",
    "TC": "mm (deficit, soil moisture, actual evapotranspiration)",
    "VIIRS": "nW cm-2 sr-1 (average radiance)",
    "SRTM": "m (elevation), degrees (slope)",
    "DW": "class probability (0-1)",
    "WC": "confidence (0-100)",
    "LS": "people per cell",
    "location": "unit vector (cos lat cos lon, cos lat sin lon, sin lat)",
}
