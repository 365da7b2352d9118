"""Locations and climate of the synthetic samples.

Every sample belongs to one task family (see :data:`FAMILY_REGIONS`), and its location is
drawn in that family's region, as the tasks of the NeuCo-Bench paper are (its Table 1):
``crops`` in the US Corn Belt, ``landcover`` in Europe, ``biomass`` and ``clouds`` over
the ice-free land of the globe, ``heatisland`` over urban areas of the northern
hemisphere; the MMEarth-Bench family ``mmearth`` over the ice-free land too. Global
locations are drawn uniformly inside rough land bounding boxes of each continent, the
continents weighted by their land area; regional ones uniformly inside the region's boxes,
weighted by area. Climate is a zonal caricature: annual mean temperature falls with
latitude (``28 - 40 sin^2(lat)`` deg C) and with elevation (lapse rate 6.5 K/km); the
seasonal amplitude grows with latitude; aridity peaks in the subtropical desert belts
(about 24 deg N/S) and is low in the humid tropics, with regional offsets (dry Australia
and Africa, humid Europe).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: (lat_min, lat_max, lon_min, lon_max) boxes that lie mostly on land.
CONTINENT_BOXES: dict[str, tuple[tuple[float, float, float, float], ...]] = {
    "Africa": ((-34, -15, 14, 35), (-15, 5, 10, 40), (5, 15, -16, 42), (15, 33, -10, 32)),
    "Asia": (
        (8, 30, 68, 90), (20, 45, 90, 122), (25, 40, 36, 60), (40, 55, 50, 90),
        (50, 70, 60, 140), (60, 72, 90, 170), (-8, 8, 95, 120), (33, 45, 125, 142),
    ),
    "Europe": ((36, 44, -9, 28), (44, 55, -4, 40), (55, 70, 8, 40), (50, 58, -6, 0)),
    "North America": (
        (30, 49, -123, -75), (49, 60, -125, -60), (60, 70, -160, -95), (15, 30, -110, -88),
        (65, 80, -55, -25),
    ),
    "South America": ((-20, 8, -78, -38), (-40, -20, -72, -50), (-55, -40, -74, -65)),
    "Oceania": (
        (-34, -18, 116, 150), (-18, -12, 125, 145), (-46, -36, 168, 178), (-8, -3, 135, 150),
    ),
    "Antarctica": ((-85, -68, -180, 180),),
}  # fmt: skip
#: Share of samples per continent (about its share of the ice-free land, Antarctica less).
CONTINENT_WEIGHTS: dict[str, float] = {
    "Asia": 0.29, "Africa": 0.2, "North America": 0.16, "South America": 0.12,
    "Europe": 0.09, "Oceania": 0.07, "Antarctica": 0.07,
}  # fmt: skip
#: Median elevation (m) and spread (log-normal sigma) of sample locations.
CONTINENT_ELEVATION: dict[str, tuple[float, float]] = {
    "Africa": (600, 0.8), "Asia": (700, 1.0), "Europe": (250, 0.9),
    "North America": (450, 1.0), "South America": (350, 1.1), "Oceania": (250, 0.9),
    "Antarctica": (2200, 0.5),
}  # fmt: skip
#: Regional aridity and temperature (deg C) offsets.
CONTINENT_ARIDITY: dict[str, float] = {
    "Africa": 0.1, "Asia": 0.05, "Europe": -0.15, "North America": 0.0,
    "South America": -0.1, "Oceania": 0.2, "Antarctica": 0.0,
}  # fmt: skip
CONTINENT_TEMPERATURE: dict[str, float] = {"Antarctica": -10.0}
LAPSE_RATE_K_PER_M = 0.0065
#: Continent weights of the global families: the ice-free land (no Antarctica).
ICE_FREE_WEIGHTS: dict[str, float] = {
    region: weight for region, weight in CONTINENT_WEIGHTS.items() if region != "Antarctica"
}
#: The US Corn Belt (Iowa, Illinois, Indiana, western Ohio, southern Minnesota, eastern
#: Nebraska): (continent, (lat_min, lat_max, lon_min, lon_max)).
US_CORN_BELT_BOXES: tuple[tuple[str, tuple[float, float, float, float]], ...] = (
    ("North America", (38.5, 45.0, -98.0, -83.0)),
)
#: Large urban agglomerations of the northern hemisphere.
NH_URBAN_BOXES: tuple[tuple[str, tuple[float, float, float, float]], ...] = (
    ("North America", (38.5, 42.5, -77.5, -71.0)),  # Washington - Boston corridor
    ("North America", (41.0, 43.0, -89.0, -83.0)),  # Chicago - Detroit
    ("North America", (33.5, 38.0, -122.5, -117.0)),  # California
    ("North America", (29.0, 33.0, -98.0, -95.0)),  # Texas triangle
    ("Europe", (48.0, 53.0, -1.0, 10.0)),  # Paris - Ruhr - Randstad
    ("Europe", (44.5, 46.0, 7.0, 12.5)),  # Po valley
    ("Asia", (30.0, 40.0, 114.0, 122.0)),  # North China plain, Yangtze delta
    ("Asia", (34.0, 36.0, 135.0, 140.0)),  # Osaka - Tokyo
    ("Asia", (22.0, 29.0, 75.0, 88.5)),  # Indo-Gangetic plain
)
#: Each task family's region in words and its location sampler's settings: continent
#: weights (global) or boxes (regional), and the median and log-normal spread of the
#: mean elevation (m) where it differs from the continent's.
FAMILY_REGIONS: dict[str, dict] = {
    "crops": {"region": "US Corn Belt", "boxes": US_CORN_BELT_BOXES, "elevation": (300, 0.3)},
    "landcover": {
        "region": "Europe",
        "boxes": tuple(("Europe", b) for b in CONTINENT_BOXES["Europe"]),
    },
    "biomass": {"region": "global ice-free land", "weights": ICE_FREE_WEIGHTS},
    "clouds": {"region": "global ice-free land", "weights": ICE_FREE_WEIGHTS},
    # not a NeuCo family: the MMEarth-Bench tasks (eobench.data.mmearth)
    "mmearth": {"region": "global ice-free land", "weights": ICE_FREE_WEIGHTS},
    "heatisland": {
        "region": "northern-hemisphere urban areas",
        "boxes": NH_URBAN_BOXES,
        "elevation": (100, 0.9),
    },
}
#: Highest mean elevation of a sample (the Tibetan plateau and the Antarctic dome).
MAX_BASE_ELEVATION_M = 5000.0


@dataclass(frozen=True)
class Location:
    region: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Climate:
    """Climate of one sample: annual mean temperature (deg C) at the mean elevation,
    half the annual temperature range (K), aridity (0 humid .. 1 hyper-arid)."""

    temperature: float
    amplitude: float
    aridity: float


def _point_in_boxes(rng: np.random.Generator, boxes) -> tuple[int, float, float]:
    """A box by area, then a point uniformly (on the sphere) in it: box index, lat, lon."""
    boxes = np.array(boxes, dtype=float)
    mid_lat = np.deg2rad(boxes[:, :2].mean(axis=1))
    areas = (boxes[:, 1] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 2]) * np.cos(mid_lat)
    k = rng.choice(len(boxes), p=areas / areas.sum())
    lat0, lat1, lon0, lon1 = boxes[k]
    # uniform on the sphere within the box: uniform in sin(latitude)
    lat = np.rad2deg(np.arcsin(rng.uniform(np.sin(np.deg2rad(lat0)), np.sin(np.deg2rad(lat1)))))
    lon = rng.uniform(lon0, lon1)
    return int(k), float(lat), float(lon)


def sample_location(rng: np.random.Generator, weights: dict[str, float] | None = None) -> Location:
    """Draw a continent by weight (default :data:`CONTINENT_WEIGHTS`), a box by area,
    then a point uniformly in the box."""
    weights = CONTINENT_WEIGHTS if weights is None else weights
    regions = list(weights)
    p = np.array([weights[r] for r in regions])
    region = regions[rng.choice(len(regions), p=p / p.sum())]
    _, lat, lon = _point_in_boxes(rng, CONTINENT_BOXES[region])
    return Location(region, lat, lon)


def sample_family_location(rng: np.random.Generator, family: str) -> Location:
    """A location in the region of task family ``family`` (:data:`FAMILY_REGIONS`)."""
    spec = FAMILY_REGIONS[family]
    if "weights" in spec:
        return sample_location(rng, spec["weights"])
    continents, boxes = zip(*spec["boxes"], strict=True)
    k, lat, lon = _point_in_boxes(rng, boxes)
    return Location(continents[k], lat, lon)


def in_family_region(family: str, lat: float, lon: float) -> bool:
    """Whether (lat, lon) lies in one of the boxes of ``family``'s region."""
    spec = FAMILY_REGIONS[family]
    if "weights" in spec:
        boxes = [b for region in spec["weights"] for b in CONTINENT_BOXES[region]]
    else:
        boxes = [b for _, b in spec["boxes"]]
    return any(la0 <= lat <= la1 and lo0 <= lon <= lo1 for la0, la1, lo0, lo1 in boxes)


def sample_base_elevation(
    rng: np.random.Generator, region: str, elevation: tuple[float, float] | None = None
) -> float:
    """Mean elevation (m) of a sample, log-normal around the continent's median (or
    around ``elevation = (median, sigma)``, a family region's)."""
    median, sigma = CONTINENT_ELEVATION[region] if elevation is None else elevation
    elevation = median * np.exp(sigma * np.clip(rng.standard_normal(), -2.5, 2.5))
    return float(min(elevation, MAX_BASE_ELEVATION_M))


def climate(rng: np.random.Generator, location: Location, elevation_m: float) -> Climate:
    """Zonal climate at ``location`` and ``elevation_m``, with a little local noise."""
    sin2 = np.sin(np.deg2rad(location.lat)) ** 2
    abs_lat = abs(location.lat)
    temperature = (
        28.0
        - 40.0 * sin2
        - LAPSE_RATE_K_PER_M * elevation_m
        + CONTINENT_TEMPERATURE.get(location.region, 0.0)
        + 1.5 * np.clip(rng.standard_normal(), -2.0, 2.0)
    )
    amplitude = (2.0 + 16.0 * np.sin(np.deg2rad(abs_lat)) ** 1.5) * rng.uniform(0.8, 1.2)
    aridity = (
        0.2
        + 0.5 * np.exp(-(((abs_lat - 24.0) / 10.0) ** 2))
        - 0.15 * np.exp(-((location.lat / 8.0) ** 2))
        + CONTINENT_ARIDITY[location.region]
        + 0.18 * rng.standard_normal()
    )
    return Climate(float(temperature), float(amplitude), float(np.clip(aridity, 0.0, 1.0)))


def local_season_phase(lat: float) -> np.ndarray:
    """Temperature phase (+1 local summer, -1 local winter) of the calendar seasons.

    The cubes' seasons are calendar seasons (spring = March-May, ...), so in the southern
    hemisphere the 'winter' cube (December-February) is the local summer. Spring is a
    little colder than fall (the ground and the sea lag the sun).
    """
    northern = np.array([-0.1, 1.0, 0.1, -1.0])
    return northern if lat >= 0 else -northern


def local_season_index(lat: float) -> np.ndarray:
    """Local season (0 spring, 1 summer, 2 fall, 3 winter) of each calendar season."""
    calendar = np.arange(4)
    return calendar if lat >= 0 else (calendar + 2) % 4
