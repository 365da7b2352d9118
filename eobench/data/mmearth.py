"""MMEarth-Bench modalities and tasks of the embedded dataset (task family ``mmearth``).

A sample of the ``mmearth`` family (:mod:`eobench.data.synth`, dataset setting
``families: [mmearth]``) lies on the global ice-free land, continents by land area, Africa
included, and carries, besides the cubes, land cover fractions, elevation and latents of
every sample, the arrays below. Each is a defined function of the sample's latents
(climate, land cover, elevation, biomass density, location) plus noise drawn from the
sample's own stream ``SeedSequence([seed, index, 1])``, which the NeuCo families never use,
so adding the family changes no other sample.

Modalities (the inputs MMEarth-Bench reconstructs, besides Sentinel-1/2 and elevation)
-------------------------------------------------------------------------------------
``acquisition_season`` (uint8, index into SEASONS)
    The season the adaptation input uses: the one with the least cloud and nodata (as
    MMEarth picks the clearest Sentinel-2 scene of a year), ties drawn at random.
``month`` (uint8, 0 = January)
    Acquisition month: the middle month of that season (SEASON_MONTHS) jittered by -1, 0
    or +1.
``temperature`` (float32 [3], deg C)
    Mean, minimum and maximum air temperature of the acquisition month: the annual mean at
    the sample's mean elevation plus the seasonal amplitude times the month's phase
    (cosine peaking in July in the north, January in the south, spring a little colder
    than fall as in the cubes' seasons) plus N(0, 0.8 K); the diurnal range
    ``(6 + 10 aridity) K`` (x log-normal 0.15) spans minimum to maximum. NaN for 3 % of
    samples.
``precipitation`` (float32 [3], mm per month)
    Acquisition month, previous month and the annual mean per month. The annual mean falls
    with aridity, ``8 + 160 (1 - aridity)^2`` (x log-normal 0.25); months follow the
    phase, wet summers in the tropics (+60 %), wet winters in the Mediterranean belt (30
    to 42 deg, -50 %), little seasonality elsewhere (+20 %); each month x log-normal 0.3.
    NaN for 3 % of samples.
``geolocation`` (float32 [2], degrees)
    Latitude and longitude.
``biome`` (uint8, 14 WWF biomes, :data:`BIOMES`)
    A rule on the latents (:func:`biome_of`): mangroves and flooded grasslands on tiles
    with 30 % open water, tundra below -4 deg C, montane grasslands above 2,500 m, deserts at
    aridity 0.65 and more, boreal forest below 3 deg C, tropical (20 deg C and more) moist,
    dry or coniferous forest or savanna by aridity and elevation, Mediterranean scrub in
    the 30-42 deg belt when semi-arid, temperate broadleaf or conifer forest when humid,
    temperate grassland otherwise.
``ecoregion`` (uint16, :data:`ECOREGIONS`)
    The biome within the continent: ``biome x 6 + continent`` (84 classes).
``canopy_height`` (float32 [H, W], m)
    The stand height whose biomass, by the global allometry :data:`ALLOMETRY` ``AGB = a
    H^b``, is the sample's biomass density map (forest density from climate, canopy
    texture, grass and crops), observed with log-normal noise 0.1 per pixel. The whole
    map is NaN for 10 % of samples (no canopy height product).
``landcover_esa`` (uint8 [H, W], 11 WorldCover classes)
    The dominant land cover class of each pixel mapped to WorldCover (grassland becomes
    shrubland where arid, moss and lichen in tundra, herbaceous wetland beside water;
    forest becomes mangroves in the mangrove biome); 5 % of pixels take the second most
    abundant class (classification error). Never missing.
``landcover_dw`` (uint8 [H, W], 9 Dynamic World classes)
    The same from the acquisition season's view: snow where it lies in that season,
    flooded vegetation beside water, 8 % of pixels the second class; 255 where that
    season's image is nodata or cloudy (cloud fraction above 0.5), and the whole map 255
    for 15 % of samples (no Dynamic World scene).

Tasks (targets; store attribute ``targets``)
--------------------------------------------
``biomass_map`` (float32 [H, W], Mg/ha, pixel regression)
    ``a_region H^b x exp(0.2 z - 0.02)`` of the true canopy height with one standard
    normal ``z`` per pixel; NaN (unlabelled) where water or ice covers half of the pixel.
``soil_organic_carbon``, ``soil_nitrogen``, ``soil_ph`` (float32 [1], tile regression)
    From climate, land cover, elevation and biome (:func:`soil_signals`): organic carbon
    (g/kg) is log-normal (0.25) around ``exp(2.2 - 0.035 (T - 10) + 1.8 (0.45 - aridity) +
    0.5 forest - 0.4 cropland + 0.15 elevation_km + biome term)``, high in boreal, tundra
    and wetland soils, low in deserts; nitrogen (g/kg) is that carbon divided by a C:N
    ratio (11 + 5 forest + biome term) with its own log-normal noise (0.2); pH is Gaussian
    (0.3) around ``6.3 + 2.6 (aridity - 0.4) - 0.7 forest + 0.25 cropland + biome term``,
    clipped to [3.5, 9.5]. NaN where urban, water and ice cover more than 60 % of the
    tile (soil maps mask them). Noise draws are stored (``mmearth_noise``).
``species`` (uint8 [S], multi-label occurrence of :data:`N_SPECIES` species)
    Species ``s`` occurs with probability ``expit(base_s + 3 exp(niche_s) + biome_s +
    africa_s)``: a Gaussian niche in annual temperature and aridity, a bonus of 1 in two
    preferred biomes, an African offset; ``base_s`` is calibrated so that the global
    prevalence is the species' target (5 to 45 %). The occurrence is ``u < p`` with one
    stored uniform draw per species.

Store layout
------------
One array per item above, one sample per chunk (:func:`array_specs`), with attributes
``role`` (modality, target or metadata), ``kind`` (continuous, categorical, cyclic),
``units``, ``missing`` (``"NaN"``, 255 or 65535) and ``classes`` or ``names``; the species
array also lists each species' ``ranges``. ``mmearth_noise`` holds the noise draws of the
tile targets (3 standard normal, then one uniform per species), so that they can be
recomputed from the stored latents. The group attribute ``targets`` names each task's
array, kind (pixel_regression, tile_regression, multilabel), units and classes. Samples of
other families in the same dataset hold missing values (:func:`missing_arrays`).

Geographic shift (what makes the African test harder)
-----------------------------------------------------
At equal climate, land cover and biome, African soils hold less organic carbon
(:data:`AFRICA_LOG_SOC`: x 0.70) and, on top of it, less nitrogen (:data:`AFRICA_LOG_N`:
x 0.86), and are more acidic (:data:`AFRICA_PH`: -0.4); African trees carry more biomass
per metre of canopy height (:data:`ALLOMETRY`: a = 2.6 instead of 2.0, x 1.3); and the
species' class priors differ: :data:`N_AFRICA_ONLY` species occur only in Africa,
:data:`N_NEVER_AFRICA` never there, and every other species has its own African logit
offset (N(0, 0.7)).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit

from eobench.data.bands import SEASON_MONTHS, SEASONS
from eobench.data.geography import (
    ICE_FREE_WEIGHTS,
    climate,
    sample_base_elevation,
    sample_family_location,
)
from eobench.data.spectra import CLASSES

FAMILY = "mmearth"
#: The 14 biomes of the WWF terrestrial ecoregions, in WWF order.
BIOMES: tuple[str, ...] = (
    "tropical_moist_broadleaf_forest",
    "tropical_dry_broadleaf_forest",
    "tropical_coniferous_forest",
    "temperate_broadleaf_mixed_forest",
    "temperate_conifer_forest",
    "boreal_forest_taiga",
    "tropical_grassland_savanna",
    "temperate_grassland_savanna",
    "flooded_grassland_savanna",
    "montane_grassland_shrubland",
    "tundra",
    "mediterranean_forest_woodland_scrub",
    "desert_xeric_shrubland",
    "mangroves",
)
_B = {name: i for i, name in enumerate(BIOMES)}
#: Continents of the ice-free land, the second level of an ecoregion.
ECOREGION_CONTINENTS: tuple[str, ...] = tuple(ICE_FREE_WEIGHTS)
ECOREGIONS: tuple[str, ...] = tuple(f"{b}/{c}" for b in BIOMES for c in ECOREGION_CONTINENTS)
ESA_CLASSES: tuple[str, ...] = (
    "tree_cover",
    "shrubland",
    "grassland",
    "cropland",
    "built_up",
    "bare_sparse_vegetation",
    "snow_and_ice",
    "permanent_water_bodies",
    "herbaceous_wetland",
    "mangroves",
    "moss_and_lichen",
)
DW_CLASSES: tuple[str, ...] = (
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
#: Missing value of the categorical maps and indices.
MISSING_UINT8 = 255
MISSING_UINT16 = 65535

#: AGB (Mg/ha) = a H^b of canopy height H (m): ``(a_rest, a_africa, b)``.
ALLOMETRY = (2.0, 2.6, 1.6)
BIOMASS_NOISE = 0.2
CANOPY_HEIGHT_NOISE = 0.1
#: Shares of samples without a canopy height map / without a Dynamic World map / without
#: each climate record.
P_NO_CANOPY_HEIGHT = 0.10
P_NO_DYNAMIC_WORLD = 0.15
P_NO_CLIMATE = 0.03
P_ESA_CONFUSION = 0.05
P_DW_CONFUSION = 0.08

#: African soils at equal climate: log SOC offset, extra log N offset, pH offset.
AFRICA_LOG_SOC = -0.35
AFRICA_LOG_N = -0.15
AFRICA_PH = -0.4
SOIL_NOISE = {"soil_organic_carbon": 0.25, "soil_nitrogen": 0.2, "soil_ph": 0.3}
SOIL_TARGETS: tuple[str, ...] = tuple(SOIL_NOISE)
SOC_BIOME = {
    "boreal_forest_taiga": 0.6,
    "tundra": 0.8,
    "flooded_grassland_savanna": 0.7,
    "mangroves": 0.6,
    "montane_grassland_shrubland": 0.3,
    "desert_xeric_shrubland": -0.4,
}
CN_BIOME = {"boreal_forest_taiga": 6.0, "tundra": 6.0, "desert_xeric_shrubland": -2.0}
PH_BIOME = {
    "boreal_forest_taiga": -0.6,
    "tundra": -0.3,
    "desert_xeric_shrubland": 0.5,
    "tropical_moist_broadleaf_forest": -0.5,
    "mediterranean_forest_woodland_scrub": 0.3,
}
#: Soils are unlabelled where urban, water and ice cover more than this share of the tile.
SOIL_MASK_SHARE = 0.6

N_SPECIES = 32
N_AFRICA_ONLY = 4
N_NEVER_AFRICA = 4
SPECIES: tuple[str, ...] = tuple(f"species_{s:02d}" for s in range(N_SPECIES))
#: Seed of the species table and of the climate sample that calibrates the prevalences:
#: the species are the same in every dataset.
SPECIES_TABLE_SEED = 20240521
N_REFERENCE = 4000
NOISE_NAMES: tuple[str, ...] = (*SOIL_TARGETS, *(f"{s}_uniform" for s in SPECIES))

#: Latents the tile-level functions read (from the store's ``latents``).
TILE_LATENTS = ("lat", "temperature", "aridity", "elevation_mean", *(f"frac_{c}" for c in CLASSES))


# ---------------------------------------------------------------------------------------
# Tile-level functions of the latents (vectorised over samples)


def _col(latents: Mapping[str, Any], name: str) -> np.ndarray:
    return np.atleast_1d(np.asarray(latents[name], dtype=np.float64))


def biome_of(latents: Mapping[str, Any]) -> np.ndarray:
    """Biome index (:data:`BIOMES`) of samples from their latents (name -> column)."""
    t, a = _col(latents, "temperature"), _col(latents, "aridity")
    elevation, lat = _col(latents, "elevation_mean"), np.abs(_col(latents, "lat"))
    water, forest = _col(latents, "frac_water"), _col(latents, "frac_forest")
    grass = _col(latents, "frac_grassland")
    wet = water >= 0.3
    tropical_dry = np.where(
        elevation >= 1200, _B["tropical_coniferous_forest"], _B["tropical_dry_broadleaf_forest"]
    )
    tropical = np.select(
        [a < 0.3, a < 0.45],
        [_B["tropical_moist_broadleaf_forest"], tropical_dry],
        _B["tropical_grassland_savanna"],
    )
    temperate_forest = np.where(
        (t < 8) | (elevation >= 1000),
        _B["temperate_conifer_forest"],
        _B["temperate_broadleaf_mixed_forest"],
    )
    conditions = [
        wet & (t >= 20) & (a < 0.45) & (forest >= 0.2),
        wet & (grass >= 0.3),
        t < -4,
        elevation >= 2500,
        a >= 0.65,
        t < 3,
        t >= 20,
        (lat >= 30) & (lat <= 42) & (a >= 0.35),
        a < 0.35,
    ]
    choices = [
        _B["mangroves"],
        _B["flooded_grassland_savanna"],
        _B["tundra"],
        _B["montane_grassland_shrubland"],
        _B["desert_xeric_shrubland"],
        _B["boreal_forest_taiga"],
        tropical,
        _B["mediterranean_forest_woodland_scrub"],
        temperate_forest,
    ]
    return np.select(conditions, choices, _B["temperate_grassland_savanna"]).astype(np.int64)


def ecoregion_of(biome: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Ecoregion index (:data:`ECOREGIONS`): the biome within the continent."""
    continent = np.array([ECOREGION_CONTINENTS.index(r) for r in np.atleast_1d(regions)])
    return np.asarray(biome, dtype=np.int64) * len(ECOREGION_CONTINENTS) + continent


def _biome_term(table: Mapping[str, float], biome: np.ndarray) -> np.ndarray:
    values = np.zeros(len(BIOMES))
    for name, value in table.items():
        values[_B[name]] = value
    return values[np.asarray(biome, dtype=np.int64)]


def soil_signals(
    latents: Mapping[str, Any], biome: np.ndarray, africa: np.ndarray
) -> dict[str, np.ndarray]:
    """Noiseless soil targets: log organic carbon and log nitrogen (g/kg), pH.

    Parameters
    ----------
    latents : mapping
        Latent name -> values per sample (:data:`TILE_LATENTS`).
    biome : array of int
        Biome index per sample (:func:`biome_of`).
    africa : array of bool
        Whether the sample lies in Africa (the geographic shift).
    """
    t, a = _col(latents, "temperature"), _col(latents, "aridity")
    forest, crop = _col(latents, "frac_forest"), _col(latents, "frac_cropland")
    elevation_km = _col(latents, "elevation_mean") / 1000.0
    africa = np.asarray(africa, dtype=np.float64)
    log_soc = (
        2.2
        - 0.035 * (t - 10.0)
        + 1.8 * (0.45 - a)
        + 0.5 * forest
        - 0.4 * crop
        + 0.15 * elevation_km
        + _biome_term(SOC_BIOME, biome)
        + AFRICA_LOG_SOC * africa
    )
    carbon_nitrogen = 11.0 + 5.0 * forest + _biome_term(CN_BIOME, biome)
    log_n = log_soc - np.log(carbon_nitrogen) + AFRICA_LOG_N * africa
    ph = (
        6.3
        + 2.6 * (a - 0.4)
        - 0.7 * forest
        + 0.25 * crop
        + _biome_term(PH_BIOME, biome)
        + AFRICA_PH * africa
    )
    return {"soil_organic_carbon": log_soc, "soil_nitrogen": log_n, "soil_ph": ph}


def soil_targets(
    latents: Mapping[str, Any],
    biome: np.ndarray,
    africa: np.ndarray,
    draws: Mapping[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Soil targets (g/kg, g/kg, pH; NaN = unlabelled) from the latents and standard
    normal ``draws`` (target name -> one per sample)."""
    signals = soil_signals(latents, biome, africa)
    masked = sum(_col(latents, f"frac_{c}") for c in ("urban", "water", "snow_ice"))
    labelled = masked <= SOIL_MASK_SHARE
    out = {}
    for name, signal in signals.items():
        value = signal + SOIL_NOISE[name] * np.asarray(draws[name], dtype=np.float64)
        value = np.clip(value, 3.5, 9.5) if name == "soil_ph" else np.exp(value)
        out[name] = np.where(labelled, value, np.nan)
    return out


@cache
def species_table() -> dict[str, np.ndarray]:
    """Niche of every species (:data:`SPECIES`), drawn once from :data:`SPECIES_TABLE_SEED`.

    Keys: ``temperature_optimum``, ``temperature_width`` (deg C), ``aridity_optimum``,
    ``aridity_width``, ``biome_bonus`` [S, 14], ``africa_offset`` (logit), ``range``
    (``africa_only``, ``never_africa``, ``global``), ``prevalence`` (the global target)
    and ``base`` (the calibrated logit).
    """
    rng = np.random.default_rng(SPECIES_TABLE_SEED)
    kind = np.array(
        ["africa_only"] * N_AFRICA_ONLY
        + ["never_africa"] * N_NEVER_AFRICA
        + ["global"] * (N_SPECIES - N_AFRICA_ONLY - N_NEVER_AFRICA)
    )
    endemic = kind == "africa_only"

    def uniform(endemic_range, other_range):
        # African endemics live where Africa's climate is: warm, humid to semi-arid
        endemic_values = rng.uniform(*endemic_range, N_SPECIES)
        return np.where(endemic, endemic_values, rng.uniform(*other_range, N_SPECIES))

    table = {
        "temperature_optimum": uniform((18, 27), (-2, 27)),
        "temperature_width": rng.uniform(5, 10, N_SPECIES),
        "aridity_optimum": uniform((0.2, 0.7), (0.05, 0.8)),
        "aridity_width": rng.uniform(0.12, 0.3, N_SPECIES),
        "africa_offset": np.where(kind == "global", rng.normal(0, 0.7, N_SPECIES), 0.0),
        "prevalence": uniform((0.05, 0.1), (0.06, 0.45)),
        "range": kind,
    }
    bonus = np.zeros((N_SPECIES, len(BIOMES)))
    for s in range(N_SPECIES):
        bonus[s, rng.choice(len(BIOMES), 2, replace=False)] = 1.0
    table["biome_bonus"] = bonus
    table["base"] = _calibrate_bases(table)
    return table


def _reference_population() -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Latents (no land cover) and Africa flags of a fixed sample of mmearth climates."""
    rng = np.random.default_rng([SPECIES_TABLE_SEED, 1])
    rows = []
    for _ in range(N_REFERENCE):
        location = sample_family_location(rng, FAMILY)
        elevation = sample_base_elevation(rng, location.region)
        clim = climate(rng, location, elevation)
        rows.append((location.lat, clim.temperature, clim.aridity, elevation, location.region))
    lat, temperature, aridity, elevation, region = zip(*rows, strict=True)
    latents = {f"frac_{c}": np.zeros(N_REFERENCE) for c in CLASSES}
    latents.update(
        lat=np.array(lat),
        temperature=np.array(temperature),
        aridity=np.array(aridity),
        elevation_mean=np.array(elevation),
    )
    return latents, np.array(region) == "Africa"


def _species_logit_without_base(table, latents, biome, africa) -> tuple[np.ndarray, np.ndarray]:
    """Logit less the base ``[n, S]`` and the mask of samples in the species' range."""
    t, a = _col(latents, "temperature")[:, None], _col(latents, "aridity")[:, None]
    niche = -0.5 * ((t - table["temperature_optimum"]) / table["temperature_width"]) ** 2
    niche -= 0.5 * ((a - table["aridity_optimum"]) / table["aridity_width"]) ** 2
    africa = np.asarray(africa, dtype=bool)[:, None]
    logit = 3.0 * np.exp(niche) + table["biome_bonus"][:, np.asarray(biome)].T
    logit += table["africa_offset"] * africa
    in_range = np.where(table["range"] == "never_africa", ~africa, True)
    in_range = np.where(table["range"] == "africa_only", africa, in_range)
    return logit, in_range


def _calibrate_bases(table) -> np.ndarray:
    latents, africa = _reference_population()
    logit, in_range = _species_logit_without_base(table, latents, biome_of(latents), africa)
    bases = np.empty(N_SPECIES)
    for s in range(N_SPECIES):

        def excess(base, s=s):
            return (
                float(np.mean(expit(base + logit[:, s]) * in_range[:, s])) - table["prevalence"][s]
            )

        bases[s] = brentq(excess, -40.0, 20.0, xtol=1e-10)
    return bases


def species_probability(
    latents: Mapping[str, Any], biome: np.ndarray, africa: np.ndarray
) -> np.ndarray:
    """Occurrence probability ``[n, S]`` of every species (0 outside its range)."""
    table = species_table()
    logit, in_range = _species_logit_without_base(table, latents, biome, africa)
    return expit(table["base"] + logit) * in_range


def species_occurrence(
    latents: Mapping[str, Any], biome: np.ndarray, africa: np.ndarray, uniform: np.ndarray
) -> np.ndarray:
    """Occurrence ``[n, S]`` (uint8 0/1): ``uniform < probability``."""
    probability = species_probability(latents, biome, africa)
    return (np.asarray(uniform, dtype=np.float64) < probability).astype(np.uint8)


def month_phase(lat: float, month: int) -> float:
    """Temperature phase of a month (+1 local summer peak, -1 winter; spring -0.1 colder
    than fall), equal to the cubes' season phases at the seasons' middle months."""
    angle = 2 * np.pi * (int(month) - 6) / 12
    phase = np.cos(angle) + 0.1 * np.sin(angle)
    return float(phase if lat >= 0 else -phase)


# ---------------------------------------------------------------------------------------
# One sample


def _dominant_two(fractions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(fractions, axis=0, kind="stable")
    return order[-1], order[-2]


def _confused(rng, first, second, p) -> np.ndarray:
    """The dominant class, the second one on a share ``p`` of pixels."""
    return np.where(rng.random(first.shape) < p, second, first)


def _esa_map(classes, fractions, biome, aridity) -> np.ndarray:
    i = {c: k for k, c in enumerate(CLASSES)}
    e = {c: k for k, c in enumerate(ESA_CLASSES)}
    grass = e["shrubland"] if aridity > 0.5 else e["grassland"]
    if biome == _B["tundra"]:
        grass = e["moss_and_lichen"]
    forest = e["mangroves"] if biome == _B["mangroves"] else e["tree_cover"]
    lookup = np.array(
        [
            forest,
            e["cropland"],
            grass,
            e["built_up"],
            e["permanent_water_bodies"],
            e["bare_sparse_vegetation"],
            e["snow_and_ice"],
        ]
    )
    out = lookup[classes]
    wetland = (classes == i["grassland"]) & (fractions[i["water"]] > 0.25)
    return np.where(wetland, e["herbaceous_wetland"], out).astype(np.uint8)


def _dw_map(classes, fractions, aridity, snow, unseen) -> np.ndarray:
    i = {c: k for k, c in enumerate(CLASSES)}
    d = {c: k for k, c in enumerate(DW_CLASSES)}
    grass = d["shrub_and_scrub"] if aridity > 0.5 else d["grass"]
    lookup = np.array(
        [d["trees"], d["crops"], grass, d["built"], d["water"], d["bare"], d["snow_and_ice"]]
    )
    out = lookup[classes]
    flooded = np.isin(classes, [i["grassland"], i["cropland"]]) & (fractions[i["water"]] > 0.25)
    out = np.where(flooded, d["flooded_vegetation"], out)
    out = np.where(snow > 0.5, d["snow_and_ice"], out)
    return np.where(unseen, MISSING_UINT8, out).astype(np.uint8)


def generate_sample_arrays(
    rng: np.random.Generator,
    latent: Mapping[str, float],
    region: str,
    fractions: np.ndarray,
    biomass: np.ndarray,
    snow_cover: np.ndarray,
    cloud: np.ndarray,
    nodata: np.ndarray,
) -> dict[str, np.ndarray]:
    """The MMEarth arrays of one sample (see the module docstring).

    Parameters
    ----------
    rng : numpy.random.Generator
        The sample's MMEarth stream (``SeedSequence([seed, index, 1])``).
    latent : mapping
        The sample's latents (:data:`eobench.data.synth.LATENT_NAMES`).
    region : str
        Continent.
    fractions : array [7, H, W]
        Land cover fractions (:data:`eobench.data.spectra.CLASSES`).
    biomass : array [H, W]
        Above-ground biomass density (Mg/ha) behind the cubes.
    snow_cover, cloud : arrays [4, H, W]
        Visible snow and cloud fractions per season.
    nodata : bool array [4, H, W]
        Nodata pixels per season.
    """
    # Tile targets read the latents as stored (float32), so that they can be recomputed
    # from the store.
    tile = {name: np.float64(np.float32(latent[name])) for name in TILE_LATENTS}
    africa = np.array([region == "Africa"])
    biome = biome_of(tile)
    draws = np.concatenate([rng.standard_normal(len(SOIL_TARGETS)), rng.random(N_SPECIES)])
    draws = draws.astype(np.float32)
    soils = soil_targets(tile, biome, africa, dict(zip(SOIL_TARGETS, draws[:, None], strict=False)))
    species = species_occurrence(tile, biome, africa, draws[None, len(SOIL_TARGETS) :])

    # acquisition: the clearest season, its month
    clutter = cloud.mean(axis=(1, 2)) + nodata.mean(axis=(1, 2))
    clearest = np.flatnonzero(clutter <= clutter.min() + 1e-6)
    season = int(rng.choice(clearest))
    month = int((SEASON_MONTHS[season] + rng.integers(-1, 2)) % 12)
    previous = (month - 1) % 12

    # climate records of the acquisition month
    t, amplitude, aridity = (
        latent["temperature"],
        latent["temperature_amplitude"],
        latent["aridity"],
    )
    lat = float(latent["lat"])
    mean_t = t + amplitude * month_phase(lat, month) + 0.8 * rng.standard_normal()
    diurnal = (6.0 + 10.0 * aridity) * np.exp(0.15 * rng.standard_normal())
    temperature = np.array([mean_t, mean_t - diurnal / 2, mean_t + diurnal / 2])
    annual = (8.0 + 160.0 * (1.0 - aridity) ** 2) * np.exp(0.25 * rng.standard_normal())
    wet_season = 0.6 if abs(lat) < 30 else (-0.5 if abs(lat) <= 42 else 0.2)
    monthly = [
        annual
        * max(0.05, 1.0 + wet_season * month_phase(lat, m))
        * np.exp(0.3 * rng.standard_normal())
        for m in (month, previous)
    ]
    precipitation = np.array([*monthly, annual])
    if rng.random() < P_NO_CLIMATE:
        temperature[:] = np.nan
    if rng.random() < P_NO_CLIMATE:
        precipitation[:] = np.nan

    # canopy height and biomass by the allometry
    a_rest, a_africa, b = ALLOMETRY
    height = (np.maximum(biomass, 0.0) / a_rest) ** (1.0 / b)
    observed = height * np.exp(CANOPY_HEIGHT_NOISE * rng.standard_normal(height.shape))
    if rng.random() < P_NO_CANOPY_HEIGHT:
        observed[:] = np.nan
    a = a_africa if region == "Africa" else a_rest
    z = rng.standard_normal(height.shape)
    biomass_map = a * height**b * np.exp(BIOMASS_NOISE * z - BIOMASS_NOISE**2 / 2)
    unlabelled = (fractions[CLASSES.index("water")] > 0.5) | (
        fractions[CLASSES.index("snow_ice")] > 0.5
    )
    biomass_map[unlabelled] = np.nan

    # land cover products
    first, second = _dominant_two(fractions)
    esa = _esa_map(_confused(rng, first, second, P_ESA_CONFUSION), fractions, biome[0], aridity)
    unseen = nodata[season] | (cloud[season] > 0.5)
    if rng.random() < P_NO_DYNAMIC_WORLD:
        unseen = np.ones_like(unseen)
    dw_classes = _confused(rng, first, second, P_DW_CONFUSION)
    dw = _dw_map(dw_classes, fractions, aridity, snow_cover[season], unseen)

    return {
        "acquisition_season": np.array([season], np.uint8),
        "month": np.array([month], np.uint8),
        "temperature": temperature.astype(np.float32),
        "precipitation": precipitation.astype(np.float32),
        "geolocation": np.array([latent["lat"], latent["lon"]], np.float32),
        "biome": biome.astype(np.uint8),
        "ecoregion": ecoregion_of(biome, np.array([region])).astype(np.uint16),
        "canopy_height": observed.astype(np.float32),
        "landcover_esa": esa,
        "landcover_dw": dw,
        "biomass_map": biomass_map.astype(np.float32),
        **{name: soils[name].astype(np.float32) for name in SOIL_TARGETS},
        "species": species[0],
        "mmearth_noise": draws,
    }


# ---------------------------------------------------------------------------------------
# Store layout


def array_specs(size: int) -> dict[str, tuple[tuple[int, ...], str, dict[str, Any]]]:
    """Per-sample shape, dtype and attributes of the MMEarth arrays.

    Attributes: ``role`` (``modality``, ``target`` or ``metadata``), ``kind`` (``continuous``,
    ``categorical`` or ``cyclic``), ``units``, ``missing`` and ``classes`` or ``names``.
    """
    px = (size, size)
    nan = "NaN"

    def spec(shape, dtype, role, kind, units, missing, **extra):
        return (
            shape,
            dtype,
            {"role": role, "kind": kind, "units": units, "missing": missing, **extra},
        )

    return {
        "acquisition_season": spec((1,), "uint8", "metadata", "categorical", "index into seasons",
                                   MISSING_UINT8, classes=list(SEASONS)),
        "month": spec((1,), "uint8", "modality", "cyclic", "month, 0 = January", MISSING_UINT8,
                      period=12),
        "temperature": spec((3,), "float32", "modality", "continuous", "deg C", nan,
                            names=["mean", "min", "max"]),
        "precipitation": spec((3,), "float32", "modality", "continuous", "mm per month", nan,
                              names=["month", "previous_month", "annual_mean_per_month"]),
        "geolocation": spec((2,), "float32", "modality", "continuous", "degrees", nan,
                            names=["lat", "lon"]),
        "biome": spec((1,), "uint8", "modality", "categorical", "class", MISSING_UINT8,
                      classes=list(BIOMES)),
        "ecoregion": spec((1,), "uint16", "modality", "categorical", "class", MISSING_UINT16,
                          classes=list(ECOREGIONS)),
        "canopy_height": spec(px, "float32", "modality", "continuous", "m", nan),
        "landcover_esa": spec(px, "uint8", "modality", "categorical", "class", MISSING_UINT8,
                              classes=list(ESA_CLASSES)),
        "landcover_dw": spec(px, "uint8", "modality", "categorical", "class", MISSING_UINT8,
                             classes=list(DW_CLASSES)),
        "biomass_map": spec(px, "float32", "target", "continuous", "Mg/ha", nan),
        "soil_nitrogen": spec((1,), "float32", "target", "continuous", "g/kg", nan),
        "soil_organic_carbon": spec((1,), "float32", "target", "continuous", "g/kg", nan),
        "soil_ph": spec((1,), "float32", "target", "continuous", "pH", nan),
        "species": spec((N_SPECIES,), "uint8", "target", "categorical", "occurrence (0/1)",
                        MISSING_UINT8, classes=list(SPECIES),
                        ranges=[str(r) for r in species_table()["range"]]),
        "mmearth_noise": spec((len(NOISE_NAMES),), "float32", "metadata", "continuous",
                              "standard normal (soils), uniform [0, 1) (species)", nan,
                              names=list(NOISE_NAMES)),
    }  # fmt: skip


def missing_arrays(size: int) -> dict[str, np.ndarray]:
    """The MMEarth arrays of a sample of another family: every value missing."""
    out = {}
    for name, (shape, dtype, attrs) in array_specs(size).items():
        fill = np.nan if attrs["missing"] == "NaN" else attrs["missing"]
        out[name] = np.full(shape, fill, dtype=dtype)
    return out


#: Targets of the family: task name -> array, kind, units (store attribute ``targets``).
TARGETS: dict[str, dict[str, Any]] = {
    "biomass": {"array": "biomass_map", "kind": "pixel_regression", "units": "Mg/ha"},
    "soil_nitrogen": {"array": "soil_nitrogen", "kind": "tile_regression", "units": "g/kg"},
    "soil_organic_carbon": {
        "array": "soil_organic_carbon",
        "kind": "tile_regression",
        "units": "g/kg",
    },
    "soil_ph": {"array": "soil_ph", "kind": "tile_regression", "units": "pH"},
    "species": {"array": "species", "kind": "multilabel", "units": "occurrence (0/1)"},
}


def target_attrs() -> dict[str, dict[str, Any]]:
    """The store attribute ``targets``: every target's array, kind, units, missing value
    and (multi-label) classes."""
    out = {}
    for name, entry in TARGETS.items():
        entry = {**entry, "missing": "NaN"}
        if entry["kind"] == "multilabel":
            entry.update(missing=MISSING_UINT8, classes=list(SPECIES))
        out[name] = entry
    return out
