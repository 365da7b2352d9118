"""Locations and climate of the synthetic samples.

Locations are drawn uniformly inside rough land bounding boxes of each continent, the
continents weighted by their land area. Climate is a zonal caricature: annual mean
temperature falls with latitude (``28 - 40 sin^2(lat)`` deg C) and with elevation (lapse
rate 6.5 K/km); the seasonal amplitude grows with latitude; aridity peaks in the
subtropical desert belts (about 24 deg N/S) and is low in the humid tropics, with
regional offsets (dry Australia and Africa, humid Europe).
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


def sample_location(rng: np.random.Generator) -> Location:
    """Draw a continent by weight, a box by area, then a point uniformly in the box."""
    regions = list(CONTINENT_WEIGHTS)
    weights = np.array([CONTINENT_WEIGHTS[r] for r in regions])
    region = regions[rng.choice(len(regions), p=weights / weights.sum())]
    boxes = np.array(CONTINENT_BOXES[region], dtype=float)
    mid_lat = np.deg2rad(boxes[:, :2].mean(axis=1))
    areas = (boxes[:, 1] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 2]) * np.cos(mid_lat)
    lat0, lat1, lon0, lon1 = boxes[rng.choice(len(boxes), p=areas / areas.sum())]
    # uniform on the sphere within the box: uniform in sin(latitude)
    lat = np.rad2deg(np.arcsin(rng.uniform(np.sin(np.deg2rad(lat0)), np.sin(np.deg2rad(lat1)))))
    lon = rng.uniform(lon0, lon1)
    return Location(region, float(lat), float(lon))


def sample_base_elevation(rng: np.random.Generator, region: str) -> float:
    """Mean elevation (m) of a sample, log-normal around the continent's median."""
    median, sigma = CONTINENT_ELEVATION[region]
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
