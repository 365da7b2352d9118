"""Presto's input layout (facts of nasaharvest/presto @ 13173d0).

The network reads 17 channels per timestep in :data:`NORMED_BANDS` order: Sentinel-1
VV, VH; ten Sentinel-2 L1C bands (B1, B9 and B10 are not used); ERA5 2 m temperature and
total precipitation; SRTM elevation and slope; NDVI. The channels are embedded in the
groups of :data:`BAND_GROUPS`, each group one token per timestep (SRTM one token only),
followed by one Dynamic World token per timestep.
"""

from __future__ import annotations

#: Sentinel-1 bands (dB).
S1_BANDS: tuple[str, ...] = ("VV", "VH")
#: Sentinel-2 L1C bands in upstream's order (the Earth Engine collection COPERNICUS/S2).
S2_BANDS: tuple[str, ...] = (
    "B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12",
)  # fmt: skip
ERA5_BANDS: tuple[str, ...] = ("temperature_2m", "total_precipitation")
SRTM_BANDS: tuple[str, ...] = ("elevation", "slope")

#: The 18 channels of upstream's S1_S2_ERA5_SRTM arrays (its evaluation npy files).
S1_S2_ERA5_SRTM_BANDS: tuple[str, ...] = (
    *S1_BANDS,
    *(b for b in S2_BANDS if b not in ("B1", "B10")),
    *ERA5_BANDS,
    *SRTM_BANDS,
    "NDVI",
)
#: The 17 channels the network reads (B9 dropped).
NORMED_BANDS: tuple[str, ...] = tuple(b for b in S1_S2_ERA5_SRTM_BANDS if b != "B9")

#: Token groups: name -> channels of :data:`NORMED_BANDS`, in the network's token order.
BAND_GROUPS: dict[str, tuple[int, ...]] = {
    group: tuple(NORMED_BANDS.index(b) for b in bands)
    for group, bands in (
        ("S1", S1_BANDS),
        ("S2_RGB", ("B2", "B3", "B4")),
        ("S2_Red_Edge", ("B5", "B6", "B7")),
        ("S2_NIR_10m", ("B8",)),
        ("S2_NIR_20m", ("B8A",)),
        ("S2_SWIR", ("B11", "B12")),
        ("ERA5", ERA5_BANDS),
        ("SRTM", SRTM_BANDS),
        ("NDVI", ("NDVI",)),
    )
}
#: The group with one token per sample (read at timestep 0) instead of one per timestep.
STATIC_GROUP = "SRTM"

#: Dynamic World land-cover classes; the class index equal to this count means "missing".
DYNAMIC_WORLD_CLASSES = 9
DYNAMIC_WORLD_MISSING = DYNAMIC_WORLD_CLASSES
