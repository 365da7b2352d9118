"""The MMEarth-Bench family of the embedded dataset: layout, defined targets, Africa shift."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu, spearmanr

from eobench.data import mmearth
from eobench.data.bands import SEASON_MONTHS
from eobench.data.store import CubeStore
from eobench.data.synth import LATENT_NAMES, build_synthetic_dataset, generate_sample
from eobench.errors import EobenchError

N, SIZE, SEED = 80, 16, 5
#: The contract of common.md: per-sample shape, dtype, missing value (None: never missing).
CONTRACT = {
    "acquisition_season": ((1,), np.uint8, None),
    "canopy_height": ((SIZE, SIZE), np.float32, "nan"),
    "landcover_esa": ((SIZE, SIZE), np.uint8, 255),
    "landcover_dw": ((SIZE, SIZE), np.uint8, 255),
    "precipitation": ((3,), np.float32, "nan"),
    "temperature": ((3,), np.float32, "nan"),
    "geolocation": ((2,), np.float32, None),
    "month": ((1,), np.uint8, None),
    "biome": ((1,), np.uint8, None),
    "ecoregion": ((1,), np.uint16, None),
    "biomass_map": ((SIZE, SIZE), np.float32, "nan"),
    "soil_nitrogen": ((1,), np.float32, "nan"),
    "soil_organic_carbon": ((1,), np.float32, "nan"),
    "soil_ph": ((1,), np.float32, "nan"),
    "species": ((mmearth.N_SPECIES,), np.uint8, None),
}
KINDS = {
    "biomass": "pixel_regression",
    "soil_nitrogen": "tile_regression",
    "soil_organic_carbon": "tile_regression",
    "soil_ph": "tile_regression",
    "species": "multilabel",
}


def build(folder, **settings):
    settings = {"n_samples": N, "size": SIZE, "seed": SEED, "progress": False, **settings}
    paths = (folder / "cubes.zarr", folder / "samples.parquet", folder / "labels")
    build_synthetic_dataset(*paths, **settings)
    return CubeStore(paths[0]), pd.read_parquet(paths[1])


class Data:
    def __init__(self, store, samples):
        self.store, self.samples = store, samples
        names, values = store.latents()
        self.latents = {n: values[:, i].astype(np.float64) for i, n in enumerate(names)}
        self.africa = (samples["region"] == "Africa").to_numpy()
        self.arrays = {name: store.read(name) for name in (*CONTRACT, "mmearth_noise")}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return Data(*build(tmp_path_factory.mktemp("mmearth"), families=["mmearth"]))


def _missing(values, missing):
    return np.isnan(values) if missing == "nan" else values == missing


# --- layout ---------------------------------------------------------------------------


def test_every_array_has_the_contracts_shape_dtype_and_missing_value(data):
    for name, (shape, dtype, missing) in CONTRACT.items():
        values = data.arrays[name]
        assert values.shape == (N, *shape), name
        assert values.dtype == dtype, name
        attrs = data.store.array_attrs(name)
        assert attrs["units"], name
        if missing is None:
            assert not np.isnan(values.astype(np.float64)).any(), name
        else:
            assert str(attrs["missing"]).lower() == str(missing), name
    for name in ("landcover_esa", "landcover_dw", "biome", "ecoregion", "species"):
        classes = data.store.array_attrs(name)["classes"]
        known = data.arrays[name][data.arrays[name] != data.store.array_attrs(name)["missing"]]
        assert known.max() < len(classes), name
    assert len(data.store.array_attrs("biome")["classes"]) == 14
    assert 20 <= len(data.store.array_attrs("ecoregion")["classes"]) <= 100
    assert 24 <= mmearth.N_SPECIES <= 40
    assert set(np.unique(data.arrays["species"])) <= {0, 1}
    neuco = {"s2l1c", "s2l2a", "s1", "landcover", "elevation", "latents", "label_noise"}
    assert data.store.arrays == sorted({*CONTRACT, "mmearth_noise", *neuco})


def test_store_lists_every_target_with_kind_units_and_classes(data):
    targets = data.store.attrs["targets"]
    assert {name: entry["kind"] for name, entry in targets.items()} == KINDS
    assert targets["biomass"]["units"] == "Mg/ha" and targets["biomass"]["array"] == "biomass_map"
    assert targets["species"]["classes"] == list(mmearth.SPECIES)
    for entry in targets.values():
        assert entry["array"] in data.store.arrays


def test_every_sample_is_mmearth_on_the_ice_free_land_with_africa(data):
    assert set(data.samples["task_group"]) == {"mmearth"}
    assert "Antarctica" not in set(data.samples["region"])
    assert 0.08 < data.africa.mean() < 0.35  # Africa's 20 % of the ice-free land
    np.testing.assert_array_equal(
        data.arrays["geolocation"], data.samples[["lat", "lon"]].to_numpy(np.float32)
    )


def test_missing_modalities_are_whole_maps_or_unseen_pixels(data):
    canopy = np.isnan(data.arrays["canopy_height"])
    whole = canopy.all(axis=(1, 2))
    assert (canopy.any(axis=(1, 2)) == whole).all()  # never a partial canopy map
    assert 1 <= whole.sum() <= 0.25 * N  # ~10 %
    dw = data.arrays["landcover_dw"] == 255
    assert 1 <= dw.all(axis=(1, 2)).sum() <= 0.3 * N  # ~15 %
    assert not (data.arrays["landcover_esa"] == 255).any()
    # Dynamic World is the acquisition season's view: nodata pixels of that season are missing
    l1c = data.store.read("s2l1c")
    season = data.arrays["acquisition_season"][:, 0]
    nodata = (l1c[np.arange(N), season] == 0).all(axis=1)
    assert dw[nodata].all()


def test_month_lies_in_the_acquisition_season_and_climate_follows_it(data):
    season, month = data.arrays["acquisition_season"][:, 0], data.arrays["month"][:, 0]
    offset = (month.astype(int) - np.array(SEASON_MONTHS)[season]) % 12
    assert set(offset) <= {11, 0, 1}
    mean, low, high = data.arrays["temperature"].T
    known = ~np.isnan(mean)
    assert (low[known] < mean[known]).all() and (mean[known] < high[known]).all()
    # the anomaly of the month against the annual mean follows the seasonal cycle
    places = zip(data.latents["lat"], month, strict=True)
    phase = np.array([mmearth.month_phase(lat, m) for lat, m in places])
    anomaly = mean - data.latents["temperature"]
    cycle = data.latents["temperature_amplitude"] * phase
    assert np.corrcoef(anomaly[known], cycle[known])[0, 1] > 0.9
    precipitation = data.arrays["precipitation"]
    known = ~np.isnan(precipitation[:, 2])
    wet = spearmanr(precipitation[known, 2], -data.latents["aridity"][known]).statistic
    assert (precipitation[known] > 0).all() and wet > 0.6


# --- targets are defined functions of the latents -------------------------------------


def test_biome_and_ecoregion_are_the_rule_on_the_stored_latents(data):
    biome = mmearth.biome_of(data.latents)
    np.testing.assert_array_equal(data.arrays["biome"][:, 0], biome)
    continent = [mmearth.ECOREGION_CONTINENTS.index(r) for r in data.samples["region"]]
    np.testing.assert_array_equal(data.arrays["ecoregion"][:, 0], biome * 6 + continent)
    assert len(np.unique(biome)) >= 6


def test_soil_targets_recompute_from_latents_and_stored_draws(data):
    names = list(mmearth.NOISE_NAMES)
    noise = data.arrays["mmearth_noise"].astype(np.float64)
    draws = {t: noise[:, names.index(t)] for t in mmearth.SOIL_TARGETS}
    biome = data.arrays["biome"][:, 0]
    soils = mmearth.soil_targets(data.latents, biome, data.africa, draws)
    for name in mmearth.SOIL_TARGETS:
        np.testing.assert_allclose(data.arrays[name][:, 0], soils[name], rtol=1e-6, err_msg=name)
    # an independent check of one sample: SOC by hand from the docstring's formula
    i = int(np.flatnonzero(~np.isnan(data.arrays["soil_organic_carbon"][:, 0]))[0])
    lat = {k: v[i] for k, v in data.latents.items()}
    by_hand = (
        2.2
        - 0.035 * (lat["temperature"] - 10)
        + 1.8 * (0.45 - lat["aridity"])
        + 0.5 * lat["frac_forest"]
        - 0.4 * lat["frac_cropland"]
        + 0.15 * lat["elevation_mean"] / 1000
        + mmearth.SOC_BIOME.get(mmearth.BIOMES[biome[i]], 0.0)
        + mmearth.AFRICA_LOG_SOC * data.africa[i]
        + 0.25 * draws["soil_organic_carbon"][i]
    )
    assert data.arrays["soil_organic_carbon"][i, 0] == pytest.approx(np.exp(by_hand), rel=1e-5)
    assert np.nanmin(data.arrays["soil_ph"]) >= 3.5 and np.nanmax(data.arrays["soil_ph"]) <= 9.5


def test_species_are_occurrence_draws_below_their_niche_probability(data):
    uniform = data.arrays["mmearth_noise"][:, len(mmearth.SOIL_TARGETS) :].astype(np.float64)
    biome = data.arrays["biome"][:, 0]
    expected = mmearth.species_occurrence(data.latents, biome, data.africa, uniform)
    np.testing.assert_array_equal(data.arrays["species"], expected)
    prevalence = mmearth.species_table()["prevalence"]
    assert prevalence.min() >= 0.05 and prevalence.max() <= 0.45
    assert 0.1 < data.arrays["species"].mean() < 0.4


def test_biomass_grows_with_canopy_height(data):
    height, biomass = data.arrays["canopy_height"], data.arrays["biomass_map"]
    known = ~np.isnan(height) & ~np.isnan(biomass)
    assert spearmanr(height[known], biomass[known]).statistic > 0.9
    assert np.nanmin(biomass) >= 0 and np.nanmax(height) < 80
    # unlabelled pixels are those under water or ice
    cover = data.store.read("landcover").astype(np.float64)
    classes = data.store.array_attrs("landcover")["classes"]
    covered = np.maximum(cover[:, classes.index("water")], cover[:, classes.index("snow_ice")])
    assert (covered[np.isnan(biomass)] > 0.49).all() and (covered[~np.isnan(biomass)] < 0.51).all()


# --- the geographic shift -------------------------------------------------------------


def test_african_soils_differ_at_matched_climate_and_land_cover(data):
    lat = data.latents
    covariates = np.column_stack(
        [np.ones(N), lat["temperature"], lat["aridity"], lat["frac_forest"],
         lat["frac_cropland"], lat["elevation_mean"] / 1000, data.africa]
    )  # fmt: skip
    for name, sign in (("soil_organic_carbon", -1), ("soil_nitrogen", -1), ("soil_ph", -1)):
        values = data.arrays[name][:, 0].astype(np.float64)
        target = values if name == "soil_ph" else np.log(values)
        known = ~np.isnan(target)
        x, y = covariates[known], target[known]
        coef = np.linalg.lstsq(x, y, rcond=None)[0]
        residual = y - x @ coef
        variance = residual @ residual / (len(y) - x.shape[1]) * np.linalg.inv(x.T @ x)
        t_africa = coef[-1] / np.sqrt(variance[-1, -1])
        assert sign * t_africa > 3, (name, coef[-1], t_africa)


def test_species_priors_differ_in_africa(data):
    ranges = np.array(data.store.array_attrs("species")["ranges"])
    species = data.arrays["species"]
    assert species[~data.africa][:, ranges == "africa_only"].sum() == 0
    assert species[data.africa][:, ranges == "africa_only"].sum() > 0
    assert species[data.africa][:, ranges == "never_africa"].sum() == 0
    assert species[~data.africa][:, ranges == "never_africa"].sum() > 0


def test_african_trees_carry_more_biomass_per_metre_of_height(data):
    height, biomass = data.arrays["canopy_height"], data.arrays["biomass_map"]
    _, _, exponent = mmearth.ALLOMETRY
    trees = (height > 3) & ~np.isnan(biomass)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_a = np.where(trees, np.log(biomass) - exponent * np.log(height), np.nan)
    has_trees = trees.any(axis=(1, 2))
    per_sample = np.nanmedian(log_a[has_trees].reshape(has_trees.sum(), -1), axis=1)
    africa = data.africa[has_trees]
    difference = np.mean(per_sample[africa]) - np.mean(per_sample[~africa])
    a_rest, a_africa, _ = mmearth.ALLOMETRY
    assert difference == pytest.approx(np.log(a_africa / a_rest), abs=0.1)
    assert mannwhitneyu(per_sample[africa], per_sample[~africa]).pvalue < 0.01


# --- independence of the NeuCo dataset, determinism, errors ---------------------------


def test_a_dataset_without_families_is_the_neuco_dataset(tmp_path):
    default, default_samples = build(tmp_path / "default", n_samples=24)
    explicit, explicit_samples = build(tmp_path / "none", n_samples=24, families=None)
    assert default.arrays == explicit.arrays
    assert not set(CONTRACT) & set(default.arrays)
    assert "targets" not in default.attrs and "families" not in default.attrs
    np.testing.assert_array_equal(default.read("s2l1c", [0]), explicit.read("s2l1c", [0]))
    assert default.attrs == explicit.attrs
    pd.testing.assert_frame_equal(default_samples, explicit_samples)
    assert set(default_samples["task_group"]) == {
        "crops", "landcover", "biomass", "clouds", "heatisland",
    }  # fmt: skip


def test_the_mmearth_stream_leaves_the_existing_arrays_as_they_are():
    # biomass and mmearth samples share the global sampler and land-cover prior, so one
    # index gives the same cubes and latents in both families
    neuco = generate_sample(SEED, 11, SIZE, task_group="biomass")
    mm = generate_sample(SEED, 11, SIZE, task_group="mmearth")
    for name, values in neuco.arrays.items():
        np.testing.assert_array_equal(values, mm.arrays[name], err_msg=name)
    np.testing.assert_array_equal(neuco.latents, mm.latents)
    assert set(mm.arrays) - set(neuco.arrays) == {*CONTRACT, "mmearth_noise"}


def test_same_seed_same_arrays_and_another_seed_differs(data, tmp_path):
    store, _ = build(tmp_path / "again", n_samples=12, families=["mmearth"])
    other, _ = build(tmp_path / "other", n_samples=12, families=["mmearth"], seed=SEED + 1)
    for name in CONTRACT:
        np.testing.assert_array_equal(store.read(name), data.arrays[name][:12], err_msg=name)
    assert not np.array_equal(other.read("geolocation"), store.read("geolocation"))
    assert not np.array_equal(other.read("species"), store.read("species"))


def test_a_mixed_dataset_fills_other_families_with_missing_values(tmp_path):
    store, samples = build(tmp_path / "mixed", n_samples=12, families=["clouds", "mmearth"])
    other = (samples["task_group"] != "mmearth").to_numpy()
    assert 0 < other.sum() < 12
    assert (store.read("biome")[other] == 255).all()
    assert np.isnan(store.read("soil_ph")[other]).all()
    assert not np.isnan(store.read("soil_ph")[~other]).all()
    assert (store.read("ecoregion")[other] == 65535).all()


@pytest.mark.parametrize("families", [[], ["moon"], ["mmearth", "mmearth"], "mmearth"])
def test_bad_families_are_one_line_errors(tmp_path, families):
    with pytest.raises(EobenchError, match="families") as error:
        build(tmp_path, families=families)
    assert "\n" not in str(error.value)


def test_tile_latents_are_latents_of_the_store():
    assert set(mmearth.TILE_LATENTS) <= set(LATENT_NAMES)
