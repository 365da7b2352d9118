"""The embedded dataset ``synth``: seeded 4-season Sentinel-1/2 cubes with known latents.

Every sample is drawn from its own random stream (``seed``, sample index), and its task
family is a deterministic function of its index (:func:`task_groups`), so a dataset of
``n`` samples is the first ``n`` samples of any larger one with the same seed, labels
included.

Task families
-------------
As in the NeuCo-Bench paper, every task has its own samples and region. A sample belongs
to one family (:data:`FAMILIES`, the ``task_group`` column of the samples table), and
the families share the ``n_samples`` cubes in the proportions of the paper's Table 1
(:data:`FAMILY_SIZES`: crops 3,355, landcover 4,691, biomass 2,415, clouds 1,140,
heat island 1,659; at 1,000 samples 253 / 354 / 182 / 86 / 125), interleaved so that every
prefix of the dataset holds each family's share within one sample:

=============  =================================  ==============================================
family         region                             tasks
=============  =================================  ==============================================
crops          US Corn Belt                       crops
landcover      Europe                             landcover_agriculture, landcover_forest
biomass        global ice-free land               biomass_mean, biomass_std
clouds         global ice-free land               clouds_reg, random_reg, random_cls
heatisland     northern-hemisphere urban areas    heatisland_mean, heatisland_std
(all)          every sample                       nodata
=============  =================================  ==============================================

Corn Belt tiles are mostly cropland and heat-island tiles are cities (urban fraction at
least :data:`HEATISLAND_MIN_URBAN`), through offsets of the land-cover prior.

The dataset setting ``families`` chooses other families (default: the five above). The
family ``mmearth`` (global ice-free land, Africa included) carries the MMEarth-Bench
modalities and tasks instead of the Embed2Scale labels (:mod:`eobench.data.mmearth`:
canopy height, two land-cover maps, climate, month, biome, ecoregion; biomass per pixel,
soil carbon, nitrogen and pH, species occurrence; a geographic shift in Africa). The
listed families share the samples in proportion to :data:`FAMILY_WEIGHTS` (``mmearth``
weighs as much as the other global family, ``biomass``). Its arrays are drawn from one
more stream per sample, ``SeedSequence([seed, index, 1])``, after steps 1-10, and are
written only when ``mmearth`` is among the families (samples of other families then hold
missing values in them), so a dataset without ``families`` is byte for byte what it was
before the family existed.

Generative process of one sample
--------------------------------
1. **Place and climate** (:mod:`eobench.data.geography`): a point in the family's region
   (global families: a continent by ice-free land area, Africa included, then a point in
   one of its land boxes; regional families: a point in the region's boxes), a mean
   elevation; annual mean temperature from latitude, elevation and region, a seasonal
   amplitude growing with latitude, aridity peaking in the subtropical belts.
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
   grassland limited by cold and drought, cropland in rectangular parcels with their own
   timing, each a winter crop (wheat: green in spring, harvested in summer) or a summer
   crop (corn or soybean: bare in spring, green in summer) with the sample's summer-crop
   share (Beta(3, 1.5) in the Corn Belt, mean 2/3; Beta(1.5, 1.5) elsewhere).
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
10. **Labels** of the 11 Embed2Scale tasks (:data:`TASK_SPECS`), on the samples of the
    task's family only, in the paper's units: a noiseless target from the latents and a
    noise model where the error is physical, so every label is valid:

    ======================  ==========  =================================  ==================
    task                    units       noiseless target                   noise
    ======================  ==========  =================================  ==================
    biomass_mean            Mg/ha       mean above-ground biomass          log-normal, 0.35
    biomass_std             Mg/ha       its spatial standard deviation     log-normal, 0.3
    crops                   fraction    corn + soybean fraction of tile    logit, 0.35
    landcover_agriculture   fraction    cropland fraction                  logit, 0.4
    landcover_forest        fraction    forest fraction                    logit, 0.35
    clouds_reg              fraction    mean cloud fraction of 4 seasons   logit, 0.3
    heatisland_mean         K           mean summer daytime LST            Gaussian, 2 K
    heatisland_std          K           its spatial standard deviation     log-normal, 0.07
    nodata                  fraction    nodata fraction of 4 seasons       logit, 0.2
    random_reg              none        none: 70 % zeros, else Exp(1)      (pure noise)
    random_cls              class       none: 30 % ones                    (pure noise)
    ======================  ==========  =================================  ==================

    Log-normal: ``label = s exp(sigma z - sigma^2/2)`` (unbiased, never negative);
    logit: ``label = expit(logit(s) + sigma z)`` (in [0, 1]; a tile without clouds or
    without nodata keeps exactly 0); Gaussian: ``label = s + sigma z``; ``z`` is one
    standard normal draw per sample and task (stored in ``label_noise``). A spread
    (``*_std``) is log-normal so that it stays positive. Each task's ceiling is computed
    numerically for the labels as generated: the R^2 of ``E[label | latents]`` (by
    Gauss-Hermite quadrature over ``z``) against the labels, and for ``random_cls`` the
    best F1 of a constant prediction (predicting every sample positive), as there is no
    signal (:meth:`TaskSpec.ceiling`; the dataset's ``tasks.csv`` lists them).

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
from scipy.special import expit, log_ndtr, logit

from eobench.data import mmearth, spectra
from eobench.data.bands import S1_BANDS, S2L1C_BANDS, S2L2A_BANDS, SEASONS
from eobench.data.fields import parcel_map, random_fields, soft_cover, stripe_mask
from eobench.data.geography import (
    FAMILY_REGIONS,
    LAPSE_RATE_K_PER_M,
    climate,
    local_season_index,
    local_season_phase,
    sample_base_elevation,
    sample_family_location,
)
from eobench.data.labels import write_task_labels
from eobench.data.spectra import CLASSES
from eobench.data.store import CubeStoreWriter
from eobench.errors import EobenchError
from eobench.io import atomic_path, write_csv, write_parquet
from eobench.tables.references import chance_score

log = logging.getLogger(__name__)

GENERATOR_VERSION = "2.0"
DATASET_NAME = "synth"
LICENSE = "Apache-2.0"
ATTRIBUTION = (
    "spectral levels from the TerraMesh examples of IBM/terramind (Apache-2.0), "
    "see eobench/data/spectra.py"
)
DEFAULT_CLOUD_PROBABILITY = 0.3
DEFAULT_NODATA_PROBABILITY = 0.1
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
    "summer_crop_share",
    "frac_summer_crop",
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
    "summer_crop_share": "share of the cropland in summer crops (corn, soybean)",
    "frac_summer_crop": "fraction of the image in summer crops (corn, soybean)",
    "deciduousness": "0 evergreen .. 1 deciduous",
    "biomass_mean": "Mg/ha",
    "biomass_std": "Mg/ha",
    "lst_mean": "K",
    "lst_std": "K",
    "nodata_fraction": "fraction of pixels x seasons",
    "aod_mean": "aerosol optical depth",
    "water_vapour_mean": "cm",
}


# ---------------------------------------------------------------------------------------
# Task families and tasks

#: Samples per task family in the paper's Table 1; a dataset of ``n`` samples gives each
#: family its share of ``n`` (:func:`task_groups`).
FAMILY_SIZES: dict[str, int] = {
    "crops": 3355,
    "landcover": 4691,
    "biomass": 2415,
    "clouds": 1140,
    "heatisland": 1659,
}
FAMILIES: tuple[str, ...] = tuple(FAMILY_SIZES)
#: Relative share of samples of every family a dataset may list in ``families``: the
#: NeuCo families by Table 1, the MMEarth-Bench family as much as the global ``biomass``.
FAMILY_WEIGHTS: dict[str, int] = FAMILY_SIZES | {mmearth.FAMILY: FAMILY_SIZES["biomass"]}
#: Summer crops (corn or soybean in the US Corn Belt) as a share of the cropland:
#: Beta parameters per family (corn and soybean cover about 75 % of the Corn Belt's
#: cropland; elsewhere summer and winter crops are about even).
SUMMER_CROP_SHARE_BETA: dict[str, tuple[float, float]] = {"crops": (3.0, 1.5)}
DEFAULT_SUMMER_CROP_SHARE_BETA = (1.5, 1.5)
#: Cover-prior offsets (logits) of a family's samples: cropland-dominated Corn Belt tiles,
#: cities for the heat-island family.
FAMILY_COVER_OFFSET: dict[str, dict[str, float]] = {
    "crops": {"cropland": 2.5, "urban": -1.0},
    "heatisland": {"urban": 3.5},
}
#: Heat-island samples have at least this urban fraction (the urban logit is raised until
#: they do).
HEATISLAND_MIN_URBAN = 0.3
KELVIN = 273.15
#: Gauss-Hermite nodes for the conditional mean and variance of a label.
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(80)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


def _apportion(n: int, families: tuple[str, ...] = FAMILIES) -> np.ndarray:
    """Index into ``families`` of samples ``0..n-1``: every prefix holds each family's
    share (:data:`FAMILY_WEIGHTS`) within 1.

    The quota method (Balinski and Young): sample ``i`` goes to the family furthest below
    its share of ``i + 1`` among those still under their upper quota, so a dataset of
    ``n`` samples is the first ``n`` samples of any larger one.
    """
    weights = np.array([FAMILY_WEIGHTS[f] for f in families], dtype=np.float64)
    weights /= weights.sum()
    counts = np.zeros(len(weights))
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        quota = (i + 1) * weights
        deficit = np.where(counts < np.ceil(quota), quota - counts, -np.inf)
        k = int(np.argmax(deficit))
        out[i] = k
        counts[k] += 1
    return out


def task_groups(n: int, families: tuple[str, ...] | None = None) -> np.ndarray:
    """Task family of samples ``0..n-1`` among ``families`` (default :data:`FAMILIES`), a
    deterministic interleaving."""
    families = FAMILIES if families is None else tuple(families)
    return np.array(families, dtype=object)[_apportion(n, families)]


def task_group_of(index: int, families: tuple[str, ...] | None = None) -> str:
    """Task family of sample ``index`` among ``families`` (default :data:`FAMILIES`)."""
    families = FAMILIES if families is None else tuple(families)
    return families[int(_apportion(index + 1, families)[-1])]


def _column(name: str, offset: float = 0.0) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
    def signal(latents: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.asarray(latents[name], dtype=np.float64) + offset

    signal.__doc__ = f"latent {name!r}" + (f" + {offset:g}" if offset else "")
    return signal


def _mean_cloud(latents: Mapping[str, np.ndarray]) -> np.ndarray:
    """mean of the four seasonal cloud fractions"""
    return np.mean([np.asarray(latents[f"cloud_{s}"], np.float64) for s in SEASONS], axis=0)


def _constant(value: float) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
    def signal(latents: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.full(len(latents["lat"]), value)

    signal.__doc__ = f"no signal (the constant {value:g})"
    return signal


#: Noise models: how a label follows from the noiseless target ``s`` and a standard
#: normal draw ``z`` (classification: a uniform draw ``u``).
NOISE_MODELS = {
    "lognormal": "label = s exp(sigma z - sigma^2 / 2): multiplicative, unbiased, >= 0",
    "logit": "label = expit(logit(s) + sigma z): in [0, 1], exact 0 and 1 stay",
    "gaussian": "label = s + sigma z (label units)",
    "zero_inflated": "label = 0 with probability p0, else exponential with mean 1 "
    "(from z through its normal probability); s is not used",
    "bernoulli": "label = 1 if u < s (s the probability of a positive) else 0",
}


@dataclass(frozen=True)
class TaskSpec:
    """One task: which samples carry it, its noiseless target and its noise model.

    ``family`` names the task family whose samples are labelled (``"all"``: every
    sample); the others are unlabelled (NaN). ``signal(latents)`` is the noiseless target
    ``s`` in the label's units, and the label is drawn from it by ``noise_model`` (see
    :data:`NOISE_MODELS`) with parameter ``noise``: ``sigma`` in log units
    (``lognormal``), logit units (``logit``) or label units (``gaussian``), the share of
    zeros ``p0`` (``zero_inflated``). Regression labels use one standard normal draw
    ``z`` per sample and task, classification labels one uniform draw.

    The ceiling is computed numerically for the labels as generated: the best predictor
    of a label from the latents is its conditional mean ``E[label | latents]`` (computed
    by Gauss-Hermite quadrature over ``z``), and the regression ceiling is the R^2 of
    that predictor against the labels (at least 0, the score of the labels' mean). For
    classification the F1-best rule thresholds ``P(label = 1 | latents) = s``, and the
    ceiling is the best F1 of such a threshold on the labels (with no signal: the F1 of
    predicting every sample positive).
    """

    name: str
    task_type: str
    family: str
    description: str
    signal: Callable[[Mapping[str, np.ndarray]], np.ndarray]
    noise_model: str
    noise: float
    #: Units of the label as written to the label file.
    units: str = "fraction"

    @property
    def region(self) -> str:
        """The family's region in words."""
        if self.family == "all":
            return "all samples"
        return FAMILY_REGIONS[self.family]["region"]

    def transform(self, signal: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Label of a regression task from its noiseless target and a standard normal draw."""
        s, sigma = np.asarray(signal, dtype=np.float64), self.noise
        if self.noise_model == "lognormal":
            return s * np.exp(sigma * z - sigma**2 / 2)
        if self.noise_model == "logit":
            s = np.clip(s, 0.0, 1.0)
            with np.errstate(divide="ignore"):
                return expit(logit(s) + sigma * z)
        if self.noise_model == "gaussian":
            return s + sigma * z
        if self.noise_model == "zero_inflated":
            # exceedance 1 - Phi(z), in logs for precision: exponential above the zeros
            return np.maximum(0.0, np.log1p(-sigma) - log_ndtr(-z)) + 0.0 * s
        raise ValueError(f"{self.name}: unknown regression noise model {self.noise_model!r}")

    def labelled(self, groups: np.ndarray) -> np.ndarray:
        """Which samples (task families ``groups``) carry this task's label."""
        groups = np.asarray(groups)
        return np.ones(len(groups), bool) if self.family == "all" else groups == self.family

    def labels(
        self, latents: Mapping[str, np.ndarray], draws: np.ndarray, groups: np.ndarray
    ) -> np.ndarray:
        """Labels from latents (name -> column), per-sample noise ``draws`` and families."""
        signal = self.signal(latents)
        if self.task_type == "regr":
            values = self.transform(signal, draws)
        else:
            values = (draws < signal).astype(np.float64)
        return np.where(self.labelled(groups), values, np.nan)

    def conditional_moments(self, signal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``E[label | latents]`` and ``Var[label | latents]`` (quadrature over the noise)."""
        if self.task_type == "cls":
            p = np.asarray(signal, dtype=np.float64)
            return p, p * (1 - p)
        values = self.transform(np.asarray(signal, np.float64)[:, None], _GH_NODES[None])
        mean = values @ _GH_WEIGHTS
        variance = np.maximum((values - mean[:, None]) ** 2 @ _GH_WEIGHTS, 0.0)
        return mean, variance

    def ceiling(self, signal: np.ndarray, labels: np.ndarray) -> dict[str, float]:
        """Best achievable scores for these labels (labelled samples only)."""
        known = ~np.isnan(labels)
        signal, labels = np.asarray(signal, np.float64)[known], labels[known]
        mean, variance = self.conditional_moments(signal)
        if self.task_type == "regr":
            spread = float(np.sum((labels - labels.mean()) ** 2))
            r2 = 1.0 - float(np.sum((labels - mean) ** 2)) / spread if spread > 0 else 0.0
            total = float(np.var(mean) + np.mean(variance))
            expected = float(np.var(mean)) / total if total > 0 and np.ptp(mean) > 0 else 0.0
            return {"ceiling_r2": max(r2, 0.0), "ceiling_r2_expected": expected}
        return {"ceiling_f1": best_threshold_f1(mean, labels)}


def best_threshold_f1(probability: np.ndarray, labels: np.ndarray) -> float:
    """Best F1 of predicting positive where ``probability >= t``, over every threshold."""
    order = np.argsort(-probability, kind="stable")
    p, y = probability[order], labels[order] == 1
    positives = y.sum()
    if positives == 0:
        return 0.0
    true_pos = np.cumsum(y)
    # a threshold keeps every sample of equal probability together: end of each run only
    ends = np.flatnonzero(np.r_[p[1:] != p[:-1], True])
    predicted = ends + 1
    f1 = 2 * true_pos[ends] / (predicted + positives)
    return float(f1.max())


TASK_SPECS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec(
            "biomass_mean",
            "regr",
            "biomass",
            "mean above-ground biomass of the tile",
            _column("biomass_mean"),
            "lognormal",
            0.35,
            "Mg/ha",
        ),
        TaskSpec(
            "biomass_std",
            "regr",
            "biomass",
            "spatial standard deviation of above-ground biomass in the tile",
            _column("biomass_std"),
            "lognormal",
            0.3,
            "Mg/ha",
        ),
        TaskSpec(
            "crops",
            "regr",
            "crops",
            "combined fraction of soybean and corn (the summer crops) in the tile",
            _column("frac_summer_crop"),
            "logit",
            0.35,
        ),
        TaskSpec(
            "landcover_agriculture",
            "regr",
            "landcover",
            "cropland fraction of the tile",
            _column("frac_cropland"),
            "logit",
            0.4,
        ),
        TaskSpec(
            "landcover_forest",
            "regr",
            "landcover",
            "forest fraction of the tile",
            _column("frac_forest"),
            "logit",
            0.35,
        ),
        TaskSpec(
            "clouds_reg",
            "regr",
            "clouds",
            "mean cloud fraction over the four seasons",
            _mean_cloud,
            "logit",
            0.3,
        ),
        TaskSpec(
            "heatisland_mean",
            "regr",
            "heatisland",
            "mean summer daytime land-surface temperature of the tile",
            _column("lst_mean"),
            "gaussian",
            2.0,
            "K",
        ),
        TaskSpec(
            "heatisland_std",
            "regr",
            "heatisland",
            "spatial standard deviation of summer daytime land-surface temperature",
            _column("lst_std"),
            "lognormal",
            0.07,
            "K",
        ),
        TaskSpec(
            "nodata",
            "regr",
            "all",
            "fraction of nodata pixels over the four seasons",
            _column("nodata_fraction"),
            "logit",
            0.2,
        ),
        TaskSpec(
            "random_reg",
            "regr",
            "clouds",
            "no signal: 0 for 70 % of the samples, else an exponential draw with mean 1",
            _constant(0.0),
            "zero_inflated",
            0.7,
            "none",
        ),
        TaskSpec(
            "random_cls",
            "cls",
            "clouds",
            "no signal: 1 for 30 % of the samples (a biased coin)",
            _constant(0.3),
            "bernoulli",
            0.0,
            "class",
        ),
    )
}
TASK_NAMES: tuple[str, ...] = tuple(TASK_SPECS)


# ---------------------------------------------------------------------------------------
# One sample

# Local-season (spring, summer, fall, winter) greenness of the vegetation classes.
FOREST_PHENOLOGY = np.array([0.7, 1.0, 0.55, 0.0])
GRASS_PHENOLOGY = np.array([0.8, 0.9, 0.55, 0.3])
CROP_PHENOLOGY = np.array(
    [
        [0.85, 0.3, 0.2, 0.3],  # winter crop (wheat, ...): sown in fall, harvested in summer
        [0.1, 0.95, 0.4, 0.05],  # summer crop (corn, soybean): sown in spring, harvested in fall
    ]
)
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
    location, task family and the per-task label noise draws (in :data:`TASK_NAMES`
    order)."""

    arrays: dict[str, np.ndarray]
    latents: np.ndarray
    region: str
    label_draws: np.ndarray
    task_group: str


def generate_sample(
    seed: int,
    index: int,
    size: int,
    cloud_probability: float = DEFAULT_CLOUD_PROBABILITY,
    nodata_probability: float = DEFAULT_NODATA_PROBABILITY,
    task_group: str | None = None,
) -> SyntheticSample:
    """Generate sample ``index`` of the dataset with ``seed`` (see the module docstring).

    ``task_group`` is the sample's task family (:data:`FAMILIES`), by default the one
    :func:`task_groups` gives sample ``index``.
    """
    family = task_group_of(index) if task_group is None else task_group
    if family not in FAMILY_WEIGHTS:
        raise EobenchError(f"synth: unknown task family {family!r} (known: {list(FAMILY_WEIGHTS)})")
    streams = np.random.SeedSequence([seed, index]).spawn(7)
    rng_place, rng_cover, rng_season, rng_atmo, rng_s1, rng_nodata, rng_label = (
        np.random.default_rng(s) for s in streams
    )
    latent = {}

    # 1. place and climate ---------------------------------------------------------------
    location = sample_family_location(rng_place, family)
    region_elevation = FAMILY_REGIONS[family].get("elevation")
    base_elevation = sample_base_elevation(rng_place, location.region, region_elevation)
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
    for name, offset in FAMILY_COVER_OFFSET.get(family, {}).items():
        prior[_I[name]] += offset
    # correlation lengths (px): lakes and rivers are larger, smoother patches than fields
    length = np.minimum(size * rng_cover.uniform(0.3, 1.0, len(CLASSES)), 80.0)
    length[_I["water"]] = min(size, 120.0)
    fields = random_fields(rng_cover, len(CLASSES), size, length, exponent=3.0)
    amplitude = np.array([1.6, 1.6, 1.4, 2.2, 2.4, 1.4, 1.4])
    terrain_pull = np.array([0.0, -0.3, 0.0, -0.2, -1.5, 0.4, 1.0])
    pattern = amplitude[:, None, None] * fields + terrain_pull[:, None, None] * terrain[None]

    def cover(prior: np.ndarray) -> np.ndarray:
        logits = (prior[:, None, None] + pattern) / 0.6  # temperature < 1: most pixels pure
        logits -= logits.max(axis=0, keepdims=True)
        fractions = np.exp(logits)
        # the cubes are large at 264 px: pixel-level work runs in single precision
        return (fractions / fractions.sum(axis=0, keepdims=True)).astype(np.float32)

    fractions = cover(prior)
    if family == "heatisland":  # a city: raise the urban logit until it covers enough
        while fractions[_I["urban"]].mean() < HEATISLAND_MIN_URBAN:
            prior[_I["urban"]] += 0.25
            fractions = cover(prior)
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
    # crops: every parcel is a summer crop (corn or soybean) with the sample's share
    share = rng_season.beta(*SUMMER_CROP_SHARE_BETA.get(family, DEFAULT_SUMMER_CROP_SHARE_BETA))
    parcels = parcel_map(rng_season, size, 6, 24)
    n_parcels = parcels.max() + 1
    summer_crop = rng_season.random(n_parcels) < share
    jitter = rng_season.uniform(-0.15, 0.15, size=(4, n_parcels))
    parcel_green = CROP_PHENOLOGY[summer_crop.astype(int)][:, local].T + jitter  # [4, parcel]
    crop_green = np.clip(parcel_green[:, parcels], 0.0, 1.0).astype(np.float32)
    summer_cropland = frac["cropland"] * summer_crop[parcels]
    frac_summer_crop = float(summer_cropland.mean())
    cropland = float(frac["cropland"].mean())
    latent.update(
        summer_crop_share=frac_summer_crop / cropland if cropland > 0 else share,
        frac_summer_crop=frac_summer_crop,
        deciduousness=deciduousness,
    )

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
    latent.update(lst_mean=lst.mean() + KELVIN, lst_std=lst.std())

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

    arrays = {
        "s2l1c": s2l1c,
        "s2l2a": s2l2a,
        "s1": s1,
        "landcover": fractions.astype(np.float16),
        "elevation": elevation.astype(np.float32),
    }
    if family == mmearth.FAMILY:  # its own stream: the seven above stay as they were
        rng_mmearth = np.random.default_rng(np.random.SeedSequence([seed, index, 1]))
        arrays |= mmearth.generate_sample_arrays(
            rng_mmearth, latent, location.region, fractions, biomass, snow_cover, cloud, nodata
        )
    return SyntheticSample(
        arrays=arrays,
        latents=np.array([latent[name] for name in LATENT_NAMES], dtype=np.float64),
        region=location.region,
        label_draws=draws,
        task_group=family,
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
                "tasks, uniform [0, 1) for classification tasks (noise models in the "
                "group's attribute 'tasks'); drawn for every sample, used where the sample's "
                "task family carries the task",
            },
        ),
    }


def dataset_tasks(families: tuple[str, ...] = FAMILIES) -> tuple[str, ...]:
    """The Embed2Scale tasks a dataset of ``families`` carries (those of every sample
    included)."""
    return tuple(t for t in TASK_NAMES if TASK_SPECS[t].family in ("all", *families))


def task_summary(
    latents: np.ndarray,
    labels: Mapping[str, np.ndarray],
    groups: np.ndarray,
    tasks: tuple[str, ...] = TASK_NAMES,
) -> dict[str, dict[str, Any]]:
    """Type, family, noise model and ceilings of ``tasks`` (default: all) for latents
    ``[n, L]``, the labels as generated and the samples' task families."""
    columns = dict(zip(LATENT_NAMES, latents.T, strict=True))
    counts = pd.Series(np.asarray(groups)).value_counts()
    summary = {}
    for name in tasks:
        spec = TASK_SPECS[name]
        signal = spec.signal(columns)
        values = labels[name]
        entry: dict[str, Any] = {
            "type": spec.task_type,
            "description": spec.description,
            "family": spec.family,
            "region": spec.region,
            "units": spec.units,
            "noise_model": spec.noise_model,
            "noise_kind": NOISE_MODELS[spec.noise_model],
            "noise": spec.noise,
            "signal": spec.signal.__doc__,
            "n_labelled": int(np.sum(~np.isnan(values))),
            "n_family": int(len(groups) if spec.family == "all" else counts.get(spec.family, 0)),
        }
        known = values[~np.isnan(values)]
        if len(known):
            entry.update(minimum=float(known.min()), maximum=float(known.max()))
            entry.update(spec.ceiling(signal, values))
        summary[name] = entry
    return summary


#: Columns of a dataset's ``tasks.csv``: what every stage needs to read a task's scores.
TASK_TABLE_COLUMNS = (
    "task",
    "task_type",
    "metric",
    "units",
    "region",
    "description",
    "n_labelled",
    "ceiling",
    "chance",
)


def task_table(summary: Mapping[str, Mapping[str, Any]], labels: Mapping[str, np.ndarray]):
    """One row per task: type, metric, label units, region, ceiling and chance level."""
    rows = []
    for name, entry in summary.items():
        task_type = entry["type"]
        key = "ceiling_r2" if task_type == "regr" else "ceiling_f1"
        rows.append(
            {
                "task": name,
                "task_type": task_type,
                "metric": "r2" if task_type == "regr" else "f1",
                "units": TASK_SPECS[name].units,
                "region": TASK_SPECS[name].region,
                "description": entry["description"],
                "n_labelled": entry["n_labelled"],
                "ceiling": entry.get(key, np.nan),
                "chance": chance_score(task_type, labels[name]),
            }
        )
    return pd.DataFrame(rows, columns=list(TASK_TABLE_COLUMNS))


def compute_labels(
    latents: np.ndarray, draws: np.ndarray, groups: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Labels of every task (NaN = unlabelled) from latents ``[n, L]``, draws ``[n, T]``
    and the samples' task families (default: :func:`task_groups` of ``n``)."""
    groups = task_groups(len(latents)) if groups is None else np.asarray(groups)
    columns = dict(zip(LATENT_NAMES, latents.T, strict=True))
    return {
        name: TASK_SPECS[name].labels(columns, draws[:, t], groups)
        for t, name in enumerate(TASK_NAMES)
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
    families: list[str] | tuple[str, ...] | None = None,
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
        Parquet table: id, row, lat, lon, region (continent), task_group (the task
        family, :data:`FAMILIES`), elevation_m, split_random, split_geographic.
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
    families : list of str, optional
        Task families sharing the samples (:data:`FAMILY_WEIGHTS`); default: the NeuCo
        families (:data:`FAMILIES`) in their Table 1 proportions. With ``mmearth`` the
        store also holds the arrays of :func:`eobench.data.mmearth.array_specs` and the
        group attribute ``targets``; only the Embed2Scale tasks of the listed families
        (and ``nodata``) get label files.
    progress : bool
        Show a tqdm progress bar.
    """
    from tqdm.auto import tqdm

    _check_settings(n_samples, size, seed, cloud_probability, nodata_probability)
    families = _check_families(families)
    with_mmearth = mmearth.FAMILY in families
    ids = [f"{DATASET_NAME}-{i:06d}" for i in range(n_samples)]
    specs = array_specs(size) | (mmearth.array_specs(size) if with_mmearth else {})
    missing = mmearth.missing_arrays(size) if with_mmearth else {}
    settings = {
        "n_samples": n_samples,
        "size": size,
        "seed": seed,
        "cloud_probability": cloud_probability,
        "nodata_probability": nodata_probability,
    }
    if families != FAMILIES:  # recorded only when set: default datasets stay as they were
        settings["families"] = list(families)
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
    groups = task_groups(n_samples, families)
    tasks = dataset_tasks(families)
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
                    sample = generate_sample(
                        seed, i, size, cloud_probability, nodata_probability, groups[i]
                    )
                    for name, value in (missing | sample.arrays).items():
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
        # recomputed from the store. Task ceilings depend on the whole dataset, known
        # only now: added to the group before the store is moved into place.
        stored_latents = latents.astype(np.float32).astype(np.float64)
        stored_draws = draws.astype(np.float32).astype(np.float64)
        labels = compute_labels(stored_latents, stored_draws, groups)
        labels = {name: labels[name] for name in tasks}
        summary = task_summary(stored_latents, labels, groups, tasks)
        shares = {f: FAMILY_WEIGHTS[f] for f in families}
        writer.update_attrs({"tasks": summary, "task_families": shares})
        if with_mmearth:
            writer.update_attrs({"targets": mmearth.target_attrs()})

    samples = pd.DataFrame(
        {
            "id": ids,
            "row": np.arange(n_samples),
            "lat": latents[:, LATENT_NAMES.index("lat")],
            "lon": latents[:, LATENT_NAMES.index("lon")],
            "region": regions.astype(str),
            "task_group": groups.astype(str),
            "elevation_m": elevation_m,
            **split_columns(regions),
        }
    )
    write_parquet(samples_path, samples, metadata={"dataset": DATASET_NAME, **settings})

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


def _check_families(families) -> tuple[str, ...]:
    """The dataset's families as a tuple (default :data:`FAMILIES`), or a one-line error."""
    if families is None:
        return FAMILIES
    if (
        isinstance(families, str)
        or not families
        or len(set(families)) != len(families)
        or not set(families) <= set(FAMILY_WEIGHTS)
    ):
        raise EobenchError(
            f"synth: families must be a non-empty list of distinct families from "
            f"{list(FAMILY_WEIGHTS)}, got {families!r}"
        )
    return tuple(families)


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
