"""The embedded dataset ``synth``: seeded 4-season Sentinel-1/2 cubes with known latents.

Every sample is drawn from its own random stream (``seed``, sample index), so a dataset
of ``n`` samples is the first ``n`` samples of any larger one with the same seed.

Generative process of one sample
--------------------------------
1. **Place and climate** (:mod:`eobench.data.geography`): a continent by land area
   (Africa included), a point in one of its land boxes, a mean elevation; annual mean
   temperature from latitude, elevation and region, a seasonal amplitude growing with
   latitude, aridity peaking in the subtropical belts.
2. **Terrain**: an elevation map, mean elevation plus a power-law random field
   (spectral exponent 4) whose relief grows with the mean elevation.
3. **Land cover**: fraction maps of 7 classes (forest, cropland, grassland, urban,
   water, bare, snow_ice) as a softmax over per-class logits = climate prior (forest
   where warm and humid, bare where arid, snow_ice where polar or high, ...) + a
   per-sample offset + a spatially correlated field (exponent 3), water pulled into the
   valleys and ice onto the ridges of the terrain.
4. **Seasons** (calendar spring, summer, fall, winter; hemisphere-aware): air
   temperature per pixel (lapse rate), snow cover where it freezes and precipitation
   allows, vegetation greenness: deciduous forest leaf-off in the local winter,
   grassland limited by cold and drought, cropland following the sample's crop type
   (winter crop: green in spring, harvested in summer; summer crop: bare in spring,
   green in summer) in rectangular parcels with their own timing.
5. **Surface reflectance**: linear mixing of class endmembers (green and senescent
   states for vegetation; levels from real TerraMesh L1C spectra,
   :mod:`eobench.data.spectra`), micro-texture, snow on top.
6. **Atmosphere and clouds**: per season aerosol optical depth and water vapour give
   band-dependent path radiance and transmittance (L1C TOA = path + T x surface); a
   season is cloudy with ``cloud_probability`` (more in humid climates): opaque cumulus
   with shadows or translucent cirrus, bright and flat in the VNIR with a B10 cirrus
   signal. Bands are blurred to their native 20 m / 60 m resolution, sensor noise added.
7. **L2A**: the L1C atmospherically corrected with a slightly wrong aerosol and water
   vapour estimate; no B10.
8. **Sentinel-1**: sigma0 of every class from its structure (volume scattering growing
   with above-ground biomass, urban double bounce, specular water roughened by wind,
   wet snow absorbing, frozen soil darker, terrain slopes facing the radar brighter),
   mixed in linear power, plus the noise floor, multiplied by gamma speckle (4.4
   looks), in dB. Clouds are invisible to the radar.
9. **Nodata**: with ``nodata_probability`` a sample loses a swath edge or a stripe in
   some seasons; every modality is exactly 0 there.
10. **Labels** of the 11 Embed2Scale tasks (:data:`TASK_SPECS`): a defined function of
    the latents plus Gaussian noise whose standard deviation is a fixed fraction of the
    signal's (regression) or a label flip (classification), so every task has a known
    ceiling; the two random tasks are pure noise.

Units are those of the real products: S2 digital numbers (reflectance x 10000, without
ESA's +1000 offset, like the Embed2Scale cubes), S1 sigma0 in dB.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter
from scipy.special import expit

from eobench.data import spectra
from eobench.data.bands import S1_BANDS, S2L1C_BANDS, S2L2A_BANDS, SEASONS
from eobench.data.fields import parcel_map, random_fields, soft_cover, stripe_mask
from eobench.data.geography import (
    LAPSE_RATE_K_PER_M,
    climate,
    local_season_index,
    local_season_phase,
    sample_base_elevation,
    sample_location,
)
from eobench.data.labels import write_task_labels
from eobench.data.spectra import CLASSES
from eobench.data.store import CubeStoreWriter
from eobench.errors import EobenchError
from eobench.io import atomic_path, write_csv, write_parquet

log = logging.getLogger(__name__)

GENERATOR_VERSION = "1.0"
DATASET_NAME = "synth"
LICENSE = "Apache-2.0"
ATTRIBUTION = (
    "spectral levels from the TerraMesh examples of IBM/terramind (Apache-2.0), "
    "see eobench/data/spectra.py"
)
DEFAULT_CLOUD_PROBABILITY = 0.3
DEFAULT_NODATA_PROBABILITY = 0.1
#: Samples with at least this cropland fraction carry a ``crops`` label.
CROPS_MIN_CROPLAND = 0.25
#: Memory for the samples buffered between two writes to the store.
WRITE_BATCH_BYTES = 8_000_000
#: Seed of the split columns (MMEarth-Bench convention), independent of the data seed.
SPLIT_SEED = 42

LATENT_NAMES: tuple[str, ...] = (
    "lat",
    "lon",
    "elevation_mean",
    "elevation_std",
    "temperature",
    "temperature_amplitude",
    "aridity",
    *(f"frac_{c}" for c in CLASSES),
    "crop_type",
    "deciduousness",
    "biomass_mean",
    "biomass_std",
    "lst_mean",
    "lst_std",
    *(f"cloud_{s}" for s in SEASONS),
    *(f"snow_{s}" for s in SEASONS),
    "nodata_fraction",
    "aod_mean",
    "water_vapour_mean",
)
LATENT_UNITS: dict[str, str] = {name: "fraction of the image" for name in LATENT_NAMES} | {
    "lat": "degrees north",
    "lon": "degrees east",
    "elevation_mean": "m",
    "elevation_std": "m",
    "temperature": "deg C, annual mean at the mean elevation",
    "temperature_amplitude": "K, half the annual range",
    "aridity": "0 humid .. 1 hyper-arid",
    "crop_type": "0 winter crop, 1 summer crop",
    "deciduousness": "0 evergreen .. 1 deciduous",
    "biomass_mean": "Mg/ha",
    "biomass_std": "Mg/ha",
    "lst_mean": "deg C",
    "lst_std": "K",
    "nodata_fraction": "fraction of pixels x seasons",
    "aod_mean": "aerosol optical depth",
    "water_vapour_mean": "cm",
}


# ---------------------------------------------------------------------------------------
# Tasks


def _column(name: str) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
    def signal(latents: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.asarray(latents[name], dtype=np.float64)

    signal.__doc__ = f"latent {name!r}"
    return signal


def _mean_cloud(latents: Mapping[str, np.ndarray]) -> np.ndarray:
    """mean of the four seasonal cloud fractions"""
    return np.mean([np.asarray(latents[f"cloud_{s}"], np.float64) for s in SEASONS], axis=0)


def _crop_type(latents: Mapping[str, np.ndarray]) -> np.ndarray:
    """crop_type where frac_cropland >= CROPS_MIN_CROPLAND, else unlabelled (NaN)"""
    crop = np.asarray(latents["crop_type"], np.float64)
    return np.where(np.asarray(latents["frac_cropland"]) >= CROPS_MIN_CROPLAND, crop, np.nan)


def _zero(latents: Mapping[str, np.ndarray]) -> np.ndarray:
    """no signal: the label is pure noise"""
    return np.zeros(len(latents["lat"]))


@dataclass(frozen=True)
class TaskSpec:
    """One task: its label is ``signal(latents)`` plus noise.

    Regression: ``label = signal + sd * z``, ``z`` standard normal, ``sd = noise x
    std(signal)`` over the labelled samples (``noise`` itself when the signal is
    constant), so the best possible R^2 is ``1 / (1 + noise^2)``. Classification:
    ``label = signal XOR (u < noise)``, ``u`` uniform, so the best accuracy is
    ``1 - noise``. A NaN signal leaves the sample unlabelled.
    """

    name: str
    task_type: str
    description: str
    signal: Callable[[Mapping[str, np.ndarray]], np.ndarray]
    noise: float
    #: Units of the label as written to the label file.
    units: str = "fraction"

    def noise_sd(self, signal: np.ndarray) -> float:
        """Label noise standard deviation for ``signal`` (regression tasks)."""
        sd = float(np.nanstd(signal))
        return self.noise * sd if sd > 0 else self.noise

    def labels(self, latents: Mapping[str, np.ndarray], draws: np.ndarray) -> np.ndarray:
        """Labels from latents (name -> column) and the per-sample noise ``draws``."""
        signal = self.signal(latents)
        if self.task_type == "regr":
            return signal + self.noise_sd(signal) * draws
        flipped = draws < self.noise
        return np.where(np.isnan(signal), np.nan, np.where(flipped, 1.0 - signal, signal))

    def ceiling(self, signal: np.ndarray) -> dict[str, float | None]:
        """Best achievable scores given the label noise (population values)."""
        if self.task_type == "regr":
            r2 = 0.0 if np.nanstd(signal) == 0 else 1.0 / (1.0 + self.noise**2)
            return {"ceiling_r2": r2}
        # Posterior P(label = 1 | latents) takes two values (1 - e where the signal is 1,
        # e where it is 0), so the F1-best rule predicts the signal or predicts all ones.
        e = self.noise
        p = float(np.nanmean(signal)) if np.any(~np.isnan(signal)) else 0.0
        positive = p * (1 - e) + (1 - p) * e
        precision, recall = 1 - e, (p * (1 - e) / positive if positive > 0 else 0.0)
        f1_signal = 2 * precision * recall / (precision + recall) if recall > 0 else 0.0
        f1_all = 2 * positive / (1 + positive)
        return {"ceiling_r2": None, "ceiling_accuracy": 1 - e, "ceiling_f1": max(f1_signal, f1_all)}


TASK_SPECS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec(
            "biomass_mean",
            "regr",
            "mean above-ground biomass (Mg/ha)",
            _column("biomass_mean"),
            0.35,
            "Mg/ha",
        ),
        TaskSpec(
            "biomass_std",
            "regr",
            "spatial standard deviation of above-ground biomass",
            _column("biomass_std"),
            0.6,
            "Mg/ha",
        ),
        TaskSpec(
            "crops",
            "cls",
            "crop type of cropland samples: 0 winter crop, 1 summer crop "
            "(seen through the phenology)",
            _crop_type,
            0.1,
            "class",
        ),
        TaskSpec(
            "landcover_agriculture", "regr", "cropland fraction", _column("frac_cropland"), 0.25
        ),
        TaskSpec("landcover_forest", "regr", "forest fraction", _column("frac_forest"), 0.2),
        TaskSpec(
            "clouds_reg", "regr", "mean cloud fraction over the four seasons", _mean_cloud, 0.15
        ),
        TaskSpec(
            "heatisland_mean",
            "regr",
            "mean summer daytime land-surface temperature (deg C)",
            _column("lst_mean"),
            0.3,
            "deg C",
        ),
        TaskSpec(
            "heatisland_std",
            "regr",
            "spatial standard deviation of summer land-surface temperature",
            _column("lst_std"),
            0.5,
            "K",
        ),
        TaskSpec(
            "nodata",
            "regr",
            "fraction of nodata pixels over the four seasons",
            _column("nodata_fraction"),
            0.1,
        ),
        TaskSpec("random_reg", "regr", "standard normal noise", _zero, 1.0, "none"),
        TaskSpec("random_cls", "cls", "fair coin", _zero, 0.5, "class"),
    )
}
TASK_NAMES: tuple[str, ...] = tuple(TASK_SPECS)


# ---------------------------------------------------------------------------------------
# One sample

# Local-season (spring, summer, fall, winter) greenness of the vegetation classes.
FOREST_PHENOLOGY = np.array([0.7, 1.0, 0.55, 0.0])
GRASS_PHENOLOGY = np.array([0.8, 0.9, 0.55, 0.3])
CROP_PHENOLOGY = {
    0: np.array([0.85, 0.3, 0.2, 0.3]),  # winter crop: sown in fall, harvested in summer
    1: np.array([0.1, 0.95, 0.4, 0.05]),  # summer crop: sown in spring, harvested in fall
}
#: How much of the seasonal snow shows through each class (canopy hides half of it).
SNOW_VISIBILITY = np.array([0.5, 1.0, 1.0, 0.8, 1.0, 1.0, 0.0])
_I = {c: i for i, c in enumerate(CLASSES)}
_L2A_BANDS = [i for i, b in enumerate(S2L1C_BANDS) if b != "B10"]
_BLUR = {
    sigma: np.flatnonzero(spectra.BAND_RESOLUTION_M == res) for res, sigma in ((20, 0.8), (60, 2.4))
}
S2_MAX_DN = 20000


_sigmoid = expit


def _power(db) -> np.ndarray:
    """dB to linear power, in single precision."""
    return np.exp(np.asarray(db, dtype=np.float32) * np.float32(np.log(10.0) / 10.0))


@dataclass
class SyntheticSample:
    """One generated sample: store arrays, latents (in :data:`LATENT_NAMES` order),
    location and the per-task label noise draws (in :data:`TASK_NAMES` order)."""

    arrays: dict[str, np.ndarray]
    latents: np.ndarray
    region: str
    label_draws: np.ndarray


def generate_sample(
    seed: int,
    index: int,
    size: int,
    cloud_probability: float = DEFAULT_CLOUD_PROBABILITY,
    nodata_probability: float = DEFAULT_NODATA_PROBABILITY,
) -> SyntheticSample:
    """Generate sample ``index`` of the dataset with ``seed`` (see the module docstring)."""
    streams = np.random.SeedSequence([seed, index]).spawn(7)
    rng_place, rng_cover, rng_season, rng_atmo, rng_s1, rng_nodata, rng_label = (
        np.random.default_rng(s) for s in streams
    )
    latent = {}

    # 1. place and climate ---------------------------------------------------------------
    location = sample_location(rng_place)
    base_elevation = sample_base_elevation(rng_place, location.region)
    clim = climate(rng_place, location, base_elevation)
    temperature, aridity = clim.temperature, clim.aridity
    latent.update(
        lat=location.lat,
        lon=location.lon,
        temperature=temperature,
        temperature_amplitude=clim.amplitude,
        aridity=aridity,
    )

    # 2. terrain -----------------------------------------------------------------------
    # relief grows with the mean elevation and with the window (rough terrain is self-affine)
    relief = (5.0 + 0.12 * base_elevation) * rng_cover.uniform(0.3, 1.5) * (size / 64) ** 0.6
    terrain = random_fields(rng_cover, 1, size, length_scale=size, exponent=4.0)[0]
    elevation = np.maximum(base_elevation + relief * terrain, 0.0)
    latent.update(elevation_mean=elevation.mean(), elevation_std=elevation.std())

    # 3. land cover ----------------------------------------------------------------------
    cold = max(0.0, -temperature - 2.0)
    prior = np.array(
        [
            1.2 - 4.0 * aridity - 0.3 * cold,  # forest: warm enough and humid
            0.7
            - 8.0 * (aridity - 0.35) ** 2
            - 0.1 * max(0.0, 8.0 - temperature)
            - 0.6 * base_elevation / 1000,  # cropland: temperate, neither wet nor dry, low
            0.2 + 3.0 * aridity * (1.0 - aridity) - 0.1 * cold,  # grassland: semi-arid
            -3.2 + 5.5 * rng_cover.beta(0.7, 3.0),  # urban: a few samples are towns or cities
            -3.0 + (3.5 if rng_cover.random() < 0.2 else 0.0),  # water: a lake or sea shore
            -2.0 + 5.0 * aridity**2 + 0.8 * max(0.0, base_elevation / 1000 - 3.0),  # bare
            -4.5
            + 0.35 * max(0.0, -temperature - 6.0)
            + 1.5 * max(0.0, base_elevation / 1000 - 4.5),  # snow_ice: polar or high
        ]
    )
    prior = prior + rng_cover.normal(0.0, 1.0, len(CLASSES))
    # correlation lengths (px): lakes and rivers are larger, smoother patches than fields
    length = np.minimum(size * rng_cover.uniform(0.3, 1.0, len(CLASSES)), 80.0)
    length[_I["water"]] = min(size, 120.0)
    fields = random_fields(rng_cover, len(CLASSES), size, length, exponent=3.0)
    amplitude = np.array([1.6, 1.6, 1.4, 2.2, 2.4, 1.4, 1.4])
    terrain_pull = np.array([0.0, -0.3, 0.0, -0.2, -1.5, 0.4, 1.0])
    logits = (
        prior[:, None, None]
        + amplitude[:, None, None] * fields
        + terrain_pull[:, None, None] * terrain[None]
    )
    logits = logits / 0.6  # a temperature below 1 makes most pixels nearly pure
    logits -= logits.max(axis=0, keepdims=True)
    fractions = np.exp(logits)
    # the cubes are large at 264 px: pixel-level work runs in single precision
    fractions = (fractions / fractions.sum(axis=0, keepdims=True)).astype(np.float32)
    frac = {c: fractions[i] for i, c in enumerate(CLASSES)}
    latent.update({f"frac_{c}": frac[c].mean() for c in CLASSES})

    # 4. seasons ---------------------------------------------------------------------------
    phase = local_season_phase(location.lat)
    local = local_season_index(location.lat)
    seasonality = float(np.clip(abs(location.lat) / 30.0, 0.15, 1.0))
    season_temperature = temperature + clim.amplitude * phase  # at the mean elevation
    pixel_temperature = (
        season_temperature[:, None, None]
        - LAPSE_RATE_K_PER_M * (elevation - elevation.mean())[None]
    ).astype(np.float32)
    snow = _sigmoid(-(pixel_temperature - 0.5) / 1.2) * np.clip(1.2 - aridity, 0.0, 1.0)
    snow_cover = snow * np.tensordot(SNOW_VISIBILITY, fractions, axes=1)[None]
    latent.update({f"snow_{s}": snow_cover[k].mean() for k, s in enumerate(SEASONS)})

    deciduousness = float(
        np.clip(
            0.85 * np.exp(-(((temperature - 9.0) / 7.0) ** 2))
            + 0.3 * aridity
            + 0.1 * rng_season.standard_normal(),
            0.0,
            1.0,
        )
    )
    forest_green = 1.0 - deciduousness * seasonality * (1.0 - FOREST_PHENOLOGY[local])
    cold_limit = _sigmoid((season_temperature - 3.0) / 3.0)
    grass_pheno = 0.7 + seasonality * (GRASS_PHENOLOGY[local] - 0.7)
    grass_green = np.clip(grass_pheno * (1.0 - 0.75 * aridity) * cold_limit, 0.0, 1.0)
    crop_type = int(rng_season.random() < 0.5)
    parcels = parcel_map(rng_season, size, 6, 24)
    jitter = rng_season.uniform(-0.15, 0.15, size=(4, parcels.max() + 1))[:, parcels]
    crop_green = np.clip(CROP_PHENOLOGY[crop_type][local][:, None, None] + jitter, 0.0, 1.0)
    crop_green = crop_green.astype(np.float32)
    latent.update(crop_type=crop_type, deciduousness=deciduousness)

    # biomass (Mg/ha): forest density from climate, with canopy texture
    density = (
        20.0 + 330.0 * np.clip((temperature + 12.0) / 38.0, 0.0, 1.0) * (1.0 - aridity) ** 1.5
    ) * np.exp(0.2 * rng_season.standard_normal())
    texture = random_fields(rng_season, 1, size, min(size, 12.0), exponent=2.5)[0]
    biomass = (
        frac["forest"] * density * np.exp(0.3 * texture - 0.045)
        + 4.0 * frac["grassland"]
        + 3.0 * frac["cropland"]
    )
    latent.update(biomass_mean=biomass.mean(), biomass_std=biomass.std())

    # land-surface temperature of a clear local-summer day
    summer = int(np.argmax(phase))
    green_cover = (
        frac["forest"] * forest_green[summer]
        + frac["grassland"] * grass_green[summer]
        + frac["cropland"] * crop_green[summer]
    )
    lst = (
        pixel_temperature[summer]
        + 5.0
        + 9.0 * frac["urban"]
        + (8.0 + 8.0 * aridity) * frac["bare"]
        - 7.0 * green_cover
        - 8.0 * frac["water"]
        - 10.0 * frac["snow_ice"]
        - 8.0 * snow_cover[summer]
    )
    latent.update(lst_mean=lst.mean(), lst_std=lst.std())

    # 5. surface reflectance endmembers and their per-pixel mixing weights ----------------
    em = spectra.SURFACE_ENDMEMBERS
    tilt = 1.0 + np.linspace(-1, 1, spectra.N_BANDS) * rng_season.uniform(-0.1, 0.1, (2, 1))
    brightness = rng_season.uniform(0.85, 1.15, 2)[:, None]
    endmembers = np.stack(
        [
            em["forest_leafoff"],
            em["forest_green"],
            em["cropland_bare"],
            em["cropland_green"],
            em["grassland_dry"],
            em["grassland_green"],
            em["urban"] * tilt[0] * brightness[0],
            em["water"],
            em["bare"] * tilt[1] * brightness[1],
            em["snow"],
        ]
    )
    micro = (1.0 + 0.05 * random_fields(rng_season, 1, size, 3.0, exponent=2.0)[0]).astype(
        np.float32
    )

    # 6. atmosphere, clouds and shadows ------------------------------------------------------
    aod = np.clip(
        spectra.NOMINAL_AOD * (1.0 + aridity) * np.exp(rng_atmo.normal(0, 0.5, 4)), 0.03, 1.2
    )
    water_vapour = (
        (0.3 + 3.5 * _sigmoid((season_temperature - 10.0) / 7.0) * (1 - 0.6 * aridity))
        * np.exp(-base_elevation / 3000.0)
        * np.exp(rng_atmo.normal(0, 0.2, 4))
    )
    latent.update(aod_mean=aod.mean(), water_vapour_mean=water_vapour.mean())
    p_cloudy = min(1.0, cloud_probability * (1.3 - 0.6 * aridity))
    cloud = np.zeros((4, size, size), dtype=np.float32)
    shadow = np.zeros((4, size, size), dtype=np.float32)
    cloud_toa = np.zeros((4, spectra.N_BANDS))
    sun = rng_atmo.uniform(0, 2 * np.pi)
    for k in range(4):
        if rng_atmo.random() >= p_cloudy:
            continue
        cover = rng_atmo.uniform(0.03, 1.0)
        pattern = random_fields(rng_atmo, 1, size, size * rng_atmo.uniform(0.2, 0.8), 3.5)[0]
        if rng_atmo.random() < 0.7:  # opaque cumulus with shadows
            cloud[k] = soft_cover(pattern, cover, softness=0.6)
            cloud_toa[k] = spectra.THICK_CLOUD_TOA * rng_atmo.uniform(0.7, 1.15)
            shift = np.round(
                size * rng_atmo.uniform(0.05, 0.15) * np.array([np.sin(sun), np.cos(sun)])
            ).astype(int)
            shadow[k] = np.roll(cloud[k], tuple(shift), axis=(0, 1))
        else:  # translucent cirrus
            cloud[k] = rng_atmo.uniform(0.2, 0.6) * _sigmoid(
                (pattern - np.quantile(pattern, 1 - cover)) / 0.5
            )
            cloud_toa[k] = spectra.CIRRUS_TOA * rng_atmo.uniform(0.8, 1.2)
    latent.update({f"cloud_{s}": cloud[k].mean() for k, s in enumerate(SEASONS)})

    # TOA = (1 - cloud) (path + T x shade x surface) + cloud x cloud_toa, with surface =
    # (1 - snow) x micro-texture x sum(class fraction x endmember) + snow x snow endmember:
    # linear in 12 "endmembers" (10 surface, path, cloud), so one matrix product per season.
    path = spectra.path_radiance(aod)
    trans = spectra.transmittance(aod, water_vapour)
    shade = 1.0 - (1.0 - spectra.SHADOW_TRANSMISSION) * shadow
    toa = np.empty((4, spectra.N_BANDS, size, size), dtype=np.float32)
    weights = np.empty((12, size, size), dtype=np.float32)
    for k in range(4):
        green = (forest_green[k], crop_green[k], grass_green[k])
        for c, name in enumerate(("forest", "cropland", "grassland")):
            weights[2 * c] = frac[name] * (1.0 - green[c])
            weights[2 * c + 1] = frac[name] * green[c]
        weights[6:10] = fractions[3:]
        weights[:10] *= micro * (1.0 - snow_cover[k])
        weights[9] += snow_cover[k]
        weights[:10] *= shade[k] * (1.0 - cloud[k])
        weights[10] = 1.0 - cloud[k]
        weights[11] = cloud[k]
        mixing = np.concatenate([endmembers * trans[k], path[k][None], cloud_toa[k][None]])
        toa[k] = (mixing.T.astype(np.float32) @ weights.reshape(12, -1)).reshape(-1, size, size)
    for sigma, bands in _BLUR.items():
        toa[:, bands] = gaussian_filter(toa[:, bands], sigma=(0, 0, sigma, sigma), mode="reflect")
    toa += rng_atmo.standard_normal(toa.shape, dtype=np.float32) * (2.0 + 0.002 * toa)

    # 7. L2A: correction with an imperfect retrieval of aerosols and water vapour --------
    aod_retrieved = aod * np.exp(rng_atmo.normal(0, 0.15, 4))
    wv_retrieved = water_vapour * np.exp(rng_atmo.normal(0, 0.08, 4))
    path_retrieved = spectra.path_radiance(aod_retrieved)[:, _L2A_BANDS]
    trans_retrieved = spectra.transmittance(aod_retrieved, wv_retrieved)[:, _L2A_BANDS]
    boa = toa[:, _L2A_BANDS] - path_retrieved.astype(np.float32)[:, :, None, None]
    boa /= trans_retrieved.astype(np.float32)[:, :, None, None]
    s2l1c = np.clip(np.rint(toa), 1, S2_MAX_DN).astype(np.uint16)
    s2l2a = np.clip(np.rint(boa), 1, S2_MAX_DN).astype(np.uint16)

    # 8. Sentinel-1 ---------------------------------------------------------------------
    volume = 1.0 - np.exp(-biomass / 120.0)
    moisture = rng_s1.normal(0.0, 1.0, 4) * (1.2 - 0.6 * aridity)  # rain events, dB
    wind = np.clip(rng_s1.normal(0.0, 2.5, 4), -4.0, 8.0)  # water roughness, dB
    orientation = rng_s1.normal(0.0, 2.0)  # street grid vs look direction, dB
    roughness = rng_s1.normal(0.0, 1.5)
    frozen = 2.0 * _sigmoid(-(pixel_temperature + 1.0) / 1.0)  # dB lost by frozen soil
    wet_snow = snow * _sigmoid(-(np.abs(pixel_temperature) - 1.5) / 0.7)
    look = 1.0 if rng_s1.random() < 0.5 else -1.0  # ascending or descending pass
    slope = np.gradient(elevation, axis=1) / 10.0  # 10 m pixels
    terrain_db = np.clip(-12.0 * look * slope, -8.0, 8.0)
    ice_wetness = _sigmoid((pixel_temperature + 1.0) / 1.0)
    s1 = np.empty((4, 2, size, size), dtype=np.float32)
    for j, band in enumerate(S1_BANDS):
        pol = 1.0 if band == "VV" else 0.5  # VH reacts less to surface moisture
        fb, fg = spectra.S1_FOREST_DB[band]
        cb, cg = spectra.S1_CROPLAND_DB[band]
        gb, gg = spectra.S1_GRASSLAND_DB[band]
        forest_db = fb + fg * volume[None] - (j * deciduousness * (1 - forest_green))[:, None, None]
        crop_db = cb + cg * crop_green + pol * moisture[:, None, None] - frozen
        grass_db = gb + gg * grass_green[:, None, None] + pol * moisture[:, None, None] - frozen
        ice_db = spectra.S1_DRY_SNOW_DB[j] + ice_wetness * (
            spectra.S1_WET_SNOW_DB[j] - spectra.S1_DRY_SNOW_DB[j]
        )
        class_db = [
            forest_db,
            crop_db,
            grass_db,
            np.full((4, 1, 1), spectra.S1_URBAN_DB[j] + orientation),
            (spectra.S1_WATER_DB[j] + (1.0 if j == 0 else 0.6) * wind)[:, None, None],
            spectra.S1_BARE_DB[j] + roughness + 0.5 * pol * moisture[:, None, None] - frozen,
            ice_db,
        ]
        power = sum(fractions[i][None] * _power(db) for i, db in enumerate(class_db))
        power *= _power(terrain_db[None] - 5.0 * wet_snow)
        s1[:, j] = power + 10.0 ** (spectra.S1_NOISE_FLOOR_DB / 10.0)
    s1 *= rng_s1.standard_gamma(spectra.S1_LOOKS, s1.shape, dtype=np.float32) / spectra.S1_LOOKS
    s1 = np.clip(10.0 * np.log10(s1), *spectra.S1_DB_RANGE)

    # 9. nodata ------------------------------------------------------------------------
    nodata = np.zeros((4, size, size), dtype=bool)
    if rng_nodata.random() < nodata_probability:
        seasons = rng_nodata.random(4) < 0.5
        seasons[rng_nodata.integers(4)] = True
        for k in np.flatnonzero(seasons):
            edge = rng_nodata.random() < 0.5
            nodata[k] = stripe_mask(rng_nodata, size, rng_nodata.uniform(0.05, 0.6), edge)
    for cube in (s2l1c, s2l2a, s1):
        cube[np.broadcast_to(nodata[:, None], cube.shape)] = 0
    latent.update(nodata_fraction=nodata.mean())

    # 10. label noise draws: standard normal (regression) or uniform (classification) -----
    normal, uniform = rng_label.standard_normal(len(TASK_NAMES)), rng_label.random(len(TASK_NAMES))
    draws = np.where([TASK_SPECS[t].task_type == "regr" for t in TASK_NAMES], normal, uniform)

    return SyntheticSample(
        arrays={
            "s2l1c": s2l1c,
            "s2l2a": s2l2a,
            "s1": s1,
            "landcover": fractions.astype(np.float16),
            "elevation": elevation.astype(np.float32),
        },
        latents=np.array([latent[name] for name in LATENT_NAMES], dtype=np.float64),
        region=location.region,
        label_draws=draws,
    )


# ---------------------------------------------------------------------------------------
# The dataset


def array_specs(size: int) -> dict[str, tuple[tuple[int, ...], str, dict[str, Any]]]:
    """Per-sample shape, dtype and attributes of every store array."""
    seasons = list(SEASONS)
    return {
        "s2l1c": (
            (4, 13, size, size),
            "uint16",
            {
                "bands": list(S2L1C_BANDS),
                "seasons": seasons,
                "nodata": 0,
                "scale": 1e-4,
                "offset": 0.0,
                "units": "digital number (top-of-atmosphere reflectance x 10000, no +1000 offset)",
            },
        ),
        "s2l2a": (
            (4, 12, size, size),
            "uint16",
            {
                "bands": list(S2L2A_BANDS),
                "seasons": seasons,
                "nodata": 0,
                "scale": 1e-4,
                "offset": 0.0,
                "units": "digital number (surface reflectance x 10000, no +1000 offset)",
            },
        ),
        "s1": (
            (4, 2, size, size),
            "float32",
            {
                "bands": list(S1_BANDS),
                "seasons": seasons,
                "nodata": 0.0,
                "units": "dB (backscatter coefficient sigma0, 10 log10)",
            },
        ),
        "landcover": (
            (len(CLASSES), size, size),
            "float16",
            {
                "classes": list(CLASSES),
                "units": "fraction of the pixel",
            },
        ),
        "elevation": ((size, size), "float32", {"units": "m above sea level"}),
        "latents": (
            (len(LATENT_NAMES),),
            "float32",
            {
                "names": list(LATENT_NAMES),
                "units": [LATENT_UNITS[n] for n in LATENT_NAMES],
            },
        ),
        "label_noise": (
            (len(TASK_NAMES),),
            "float32",
            {
                "names": list(TASK_NAMES),
                "description": "per-sample label noise draws: standard normal for regression "
                "tasks, uniform [0, 1) for classification tasks (see attribute 'tasks')",
            },
        ),
    }


def task_summary(latents: np.ndarray) -> dict[str, dict[str, Any]]:
    """Type, description, noise and ceilings of every task for these latents ``[n, L]``."""
    columns = dict(zip(LATENT_NAMES, latents.T, strict=True))
    summary = {}
    for name, spec in TASK_SPECS.items():
        signal = spec.signal(columns)
        entry: dict[str, Any] = {"type": spec.task_type, "description": spec.description}
        if spec.task_type == "regr":
            entry.update(
                noise=spec.noise_sd(signal),
                noise_kind="gaussian sd (label units)",
                noise_ratio=spec.noise,
            )
        else:
            entry.update(noise=spec.noise, noise_kind="flip probability")
        entry["signal"] = spec.signal.__doc__
        entry["n_labelled"] = int(np.sum(~np.isnan(signal)))
        entry.update(spec.ceiling(signal))
        summary[name] = entry
    return summary


#: Columns of a dataset's ``tasks.csv``: what every stage needs to read a task's scores.
TASK_TABLE_COLUMNS = (
    "task",
    "task_type",
    "metric",
    "units",
    "description",
    "n_labelled",
    "ceiling",
    "chance",
)


def chance_level(task_type: str, labels: np.ndarray) -> float:
    """Score of the best constant prediction: R^2 0; F1 of predicting every sample positive.

    Predicting all ones is the constant that maximises the positive class's F1,
    ``2p / (1 + p)`` for a positive rate ``p`` (0.667 on a balanced task).
    """
    if task_type == "regr":
        return 0.0
    known = labels[~np.isnan(labels)]
    p = float(np.mean(known == 1)) if len(known) else 0.0
    return 2 * p / (1 + p)


def task_table(summary: Mapping[str, Mapping[str, Any]], labels: Mapping[str, np.ndarray]):
    """One row per task: type, metric, label units, ceiling and chance level of its score."""
    rows = []
    for name, entry in summary.items():
        task_type = entry["type"]
        ceiling = entry["ceiling_r2"] if task_type == "regr" else entry["ceiling_f1"]
        rows.append(
            {
                "task": name,
                "task_type": task_type,
                "metric": "r2" if task_type == "regr" else "f1",
                "units": TASK_SPECS[name].units,
                "description": entry["description"],
                "n_labelled": entry["n_labelled"],
                "ceiling": ceiling,
                "chance": chance_level(task_type, labels[name]),
            }
        )
    return pd.DataFrame(rows, columns=list(TASK_TABLE_COLUMNS))


def compute_labels(latents: np.ndarray, draws: np.ndarray) -> dict[str, np.ndarray]:
    """Labels of every task (NaN = unlabelled) from latents ``[n, L]`` and draws ``[n, T]``."""
    columns = dict(zip(LATENT_NAMES, latents.T, strict=True))
    return {
        name: TASK_SPECS[name].labels(columns, draws[:, t]) for t, name in enumerate(TASK_NAMES)
    }


def split_columns(regions: np.ndarray, seed: int = SPLIT_SEED) -> dict[str, np.ndarray]:
    """MMEarth-Bench splits: random 70/15/15 and geographic (Africa = test, rest 85/15)."""
    n = len(regions)
    split_random = np.empty(n, dtype=object)
    order = np.random.default_rng(seed).permutation(n)
    n_train, n_val = round(0.7 * n), round(0.15 * n)
    split_random[order[:n_train]] = "train"
    split_random[order[n_train : n_train + n_val]] = "val"
    split_random[order[n_train + n_val :]] = "test"
    split_geographic = np.full(n, "test", dtype=object)
    rest = np.flatnonzero(regions != "Africa")
    rest = rest[np.random.default_rng(seed).permutation(len(rest))]
    n_train = round(0.85 * len(rest))
    split_geographic[rest[:n_train]] = "train"
    split_geographic[rest[n_train:]] = "val"
    return {"split_random": split_random, "split_geographic": split_geographic}


def build_synthetic_dataset(
    cubes_path: str | os.PathLike,
    samples_path: str | os.PathLike,
    labels_dir: str | os.PathLike,
    tasks_path: str | os.PathLike | None = None,
    *,
    n_samples: int,
    size: int,
    seed: int,
    cloud_probability: float = DEFAULT_CLOUD_PROBABILITY,
    nodata_probability: float = DEFAULT_NODATA_PROBABILITY,
    progress: bool = True,
) -> None:
    """Generate the synthetic dataset and write its store, samples table and labels.

    Samples are generated one at a time and written in small batches, so memory does not
    grow with ``n_samples``. Each output appears atomically, only when complete.

    Parameters
    ----------
    cubes_path : path
        Zarr v3 store (see :mod:`eobench.data.store`).
    samples_path : path
        Parquet table: id, row, lat, lon, region, elevation_m, split_random,
        split_geographic.
    labels_dir : path
        Folder of ``<task>__regr.csv`` / ``<task>__cls.csv`` label files.
    tasks_path : path, optional
        CSV of :data:`TASK_TABLE_COLUMNS`: every task's metric, label units, ceiling and
        chance level.
    n_samples, size, seed : int
        Number of samples, image height and width (10 m pixels), generator seed.
    cloud_probability : float
        Chance that a season is cloudy (scaled up in humid, down in arid climates).
    nodata_probability : float
        Chance that a sample has nodata stripes.
    progress : bool
        Show a tqdm progress bar.
    """
    from tqdm.auto import tqdm

    _check_settings(n_samples, size, seed, cloud_probability, nodata_probability)
    ids = [f"{DATASET_NAME}-{i:06d}" for i in range(n_samples)]
    specs = array_specs(size)
    settings = {
        "n_samples": n_samples,
        "size": size,
        "seed": seed,
        "cloud_probability": cloud_probability,
        "nodata_probability": nodata_probability,
    }
    attrs = {
        "dataset": DATASET_NAME,
        "source": "eobench synthetic generator",
        "license": LICENSE,
        "attribution": ATTRIBUTION,
        "generator": "eobench.data.synth",
        "generator_version": GENERATOR_VERSION,
        **settings,
        "seasons": list(SEASONS),
        "classes": list(CLASSES),
    }
    latents = np.empty((n_samples, len(LATENT_NAMES)))
    draws = np.empty((n_samples, len(TASK_NAMES)))
    regions = np.empty(n_samples, dtype=object)
    elevation_m = np.empty(n_samples)
    # Writing a few samples per call amortises zarr's per-call overhead.
    bytes_per_sample = sum(np.prod(s) * np.dtype(d).itemsize for s, d, _ in specs.values())
    batch_size = int(max(1, min(64, WRITE_BATCH_BYTES // bytes_per_sample)))

    with CubeStoreWriter(cubes_path, ids, attrs) as writer:
        for name, (shape, dtype, array_attrs) in specs.items():
            writer.create_array(name, shape, dtype, array_attrs)
        with tqdm(total=n_samples, desc="synth", unit="sample", disable=not progress) as bar:
            for start in range(0, n_samples, batch_size):
                rows = range(start, min(start + batch_size, n_samples))
                batch = {name: np.empty((len(rows), *s), d) for name, (s, d, _) in specs.items()}
                for b, i in enumerate(rows):
                    sample = generate_sample(seed, i, size, cloud_probability, nodata_probability)
                    for name, value in sample.arrays.items():
                        batch[name][b] = value
                    batch["latents"][b] = sample.latents
                    batch["label_noise"][b] = sample.label_draws
                    latents[i], draws[i] = sample.latents, sample.label_draws
                    regions[i] = sample.region
                    elevation_m[i] = sample.arrays["elevation"].mean()
                    bar.update()
                # CubeStoreWriter.write assigns rows by index, so a slice writes the batch
                writer.write(slice(rows.start, rows.stop), batch)
        # Labels use the latents and draws as stored (float32), so that they can be
        # recomputed from the store. Task noise and ceilings depend on the whole dataset,
        # known only now: added to the group before the store is moved into place.
        stored_latents = latents.astype(np.float32).astype(np.float64)
        stored_draws = draws.astype(np.float32).astype(np.float64)
        summary = task_summary(stored_latents)
        writer.update_attrs({"tasks": summary})

    samples = pd.DataFrame(
        {
            "id": ids,
            "row": np.arange(n_samples),
            "lat": latents[:, LATENT_NAMES.index("lat")],
            "lon": latents[:, LATENT_NAMES.index("lon")],
            "region": regions.astype(str),
            "elevation_m": elevation_m,
            **split_columns(regions),
        }
    )
    write_parquet(samples_path, samples, metadata={"dataset": DATASET_NAME, **settings})

    labels = compute_labels(stored_latents, stored_draws)
    with atomic_path(labels_dir, directory=True) as folder:
        for name, values in labels.items():
            spec = TASK_SPECS[name]
            known = values[~np.isnan(values)]
            if len(np.unique(known)) < 2:
                log.warning("synth: task %s has fewer than 2 distinct labels; not written", name)
                continue
            write_task_labels(folder, name, spec.task_type, ids, values)
    if tasks_path is not None:
        write_csv(tasks_path, task_table(summary, labels))


def _check_settings(n_samples, size, seed, cloud_probability, nodata_probability) -> None:
    if int(n_samples) != n_samples or n_samples < 1:
        raise EobenchError(f"synth: n_samples must be a positive integer, got {n_samples!r}")
    if int(size) != size or size < 8:
        raise EobenchError(f"synth: size must be an integer of at least 8, got {size!r}")
    if int(seed) != seed or seed < 0:
        raise EobenchError(f"synth: seed must be a non-negative integer, got {seed!r}")
    for key, value in (
        ("cloud_probability", cloud_probability),
        ("nodata_probability", nodata_probability),
    ):
        if not 0.0 <= value <= 1.0:
            raise EobenchError(f"synth: {key} must lie in [0, 1], got {value!r}")
