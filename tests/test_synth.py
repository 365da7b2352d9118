"""The embedded synthetic dataset: layout, units, determinism, labels and physics."""

import filecmp
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from scipy.stats import norm
from sklearn.metrics import f1_score, r2_score

from eobench.data import synth
from eobench.data.bands import S1_BANDS, S2L1C_BANDS, S2L2A_BANDS, SEASONS
from eobench.data.geography import (
    CONTINENT_BOXES,
    NH_URBAN_BOXES,
    US_CORN_BELT_BOXES,
    in_family_region,
)
from eobench.data.labels import read_annotations
from eobench.data.store import CubeStore
from eobench.data.synth import (
    FAMILY_SIZES,
    HEATISLAND_MIN_URBAN,
    LATENT_NAMES,
    TASK_SPECS,
    build_synthetic_dataset,
    generate_sample,
    task_groups,
)
from eobench.errors import EobenchError

N, SIZE, SEED = 160, 16, 7
TASKS = {
    "biomass_mean": "regr", "biomass_std": "regr", "crops": "regr",
    "landcover_agriculture": "regr", "landcover_forest": "regr", "clouds_reg": "regr",
    "heatisland_mean": "regr", "heatisland_std": "regr", "nodata": "regr",
    "random_reg": "regr", "random_cls": "cls",
}  # fmt: skip
CONTINENTS = {
    "Africa", "Asia", "Europe", "North America", "South America", "Oceania", "Antarctica",
}  # fmt: skip
#: Samples of each task family that carry each task (nodata: every sample).
FAMILY_OF = {
    "biomass_mean": "biomass", "biomass_std": "biomass", "crops": "crops",
    "landcover_agriculture": "landcover", "landcover_forest": "landcover",
    "clouds_reg": "clouds", "heatisland_mean": "heatisland", "heatisland_std": "heatisland",
    "nodata": None, "random_reg": "clouds", "random_cls": "clouds",
}  # fmt: skip
B = {band: i for i, band in enumerate(S2L1C_BANDS)}


def build(folder, **settings):
    settings = {"n_samples": N, "size": SIZE, "seed": SEED, "progress": False, **settings}
    paths = (folder / "cubes.zarr", folder / "samples.parquet", folder / "labels")
    build_synthetic_dataset(*paths, **settings)
    return paths


class Dataset:
    def __init__(self, paths):
        self.cubes_path, self.samples_path, self.labels_dir = paths
        self.store = CubeStore(self.cubes_path)
        self.samples = pd.read_parquet(self.samples_path)
        names, values = self.store.latents()
        self.latents = {name: values[:, i].astype(np.float64) for i, name in enumerate(names)}
        self.l1c = self.store.read("s2l1c")
        self.l2a = self.store.read("s2l2a")
        self.s1 = self.store.read("s1")
        self.landcover = self.store.read("landcover").astype(np.float64)
        self.elevation = self.store.read("elevation")
        self.classes = self.store.array_attrs("landcover")["classes"]
        self.cloud = np.stack([self.latents[f"cloud_{s}"] for s in SEASONS], axis=1)
        self.snow = np.stack([self.latents[f"snow_{s}"] for s in SEASONS], axis=1)
        self.nodata = (self.l1c == 0).all(axis=2)  # [n, season, H, W]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    return Dataset(build(folder, nodata_probability=0.25))


# --- layout, units, ranges ------------------------------------------------------------


def test_store_arrays_have_documented_shapes_dtypes_and_attributes(data):
    store = data.store
    expected = {
        "s2l1c": ((N, 4, 13, SIZE, SIZE), np.uint16),
        "s2l2a": ((N, 4, 12, SIZE, SIZE), np.uint16),
        "s1": ((N, 4, 2, SIZE, SIZE), np.float32),
        "latents": ((N, len(LATENT_NAMES)), np.float32),
        "landcover": ((N, 7, SIZE, SIZE), np.float16),
        "elevation": ((N, SIZE, SIZE), np.float32),
    }
    for name, (shape, dtype) in expected.items():
        array = store.read(name, slice(0, 2))
        assert store.group[name].shape == shape, name
        assert array.dtype == dtype, name
    for name, bands in (("s2l1c", S2L1C_BANDS), ("s2l2a", S2L2A_BANDS), ("s1", S1_BANDS)):
        attrs = store.array_attrs(name)
        assert attrs["bands"] == list(bands)
        assert attrs["seasons"] == list(SEASONS) == ["spring", "summer", "fall", "winter"]
        assert attrs["nodata"] == 0
    assert "B10" not in store.array_attrs("s2l2a")["bands"]
    assert "no +1000 offset" in store.array_attrs("s2l1c")["units"]
    assert store.array_attrs("s1")["units"].startswith("dB")
    assert store.array_attrs("latents")["names"] == list(LATENT_NAMES)
    assert len(set(LATENT_NAMES)) == len(LATENT_NAMES)
    assert store.array_attrs("landcover")["classes"] == [
        "forest", "cropland", "grassland", "urban", "water", "bare", "snow_ice",
    ]  # fmt: skip
    attrs = store.attrs
    assert attrs["dataset"] == "synth"
    assert attrs["source"] == "eobench synthetic generator"
    assert attrs["license"] and attrs["generator_version"]
    assert (attrs["seed"], attrs["size"], attrs["n_samples"]) == (SEED, SIZE, N)
    assert store.sample_ids[:2] == ["synth-000000", "synth-000001"]
    assert {name: t["type"] for name, t in attrs["tasks"].items()} == TASKS
    assert {name: spec.task_type for name, spec in TASK_SPECS.items()} == TASKS


def test_values_lie_in_the_products_ranges(data):
    valid = ~data.nodata[:, :, None]
    l1c = data.l1c[np.broadcast_to(valid, data.l1c.shape)]
    l2a = data.l2a[np.broadcast_to(valid, data.l2a.shape)]
    assert l1c.min() >= 1 and l1c.max() <= 20000
    assert l2a.min() >= 1 and l2a.max() <= 20000
    s1 = data.s1[np.broadcast_to(valid, data.s1.shape)]
    assert s1.min() >= -35.0 and s1.max() <= 5.0
    assert -16 < np.median(s1[::2]) < -8  # mostly land: VV around -12 dB
    # clear-sky visible and NIR reflectances of land: a few thousand DN, not 0..65535 noise
    clear = (data.cloud == 0)[:, :, None, None] & ~data.nodata
    assert 500 < np.median(data.l1c[:, :, B["B04"]][clear]) < 3000
    assert 1500 < np.median(data.l1c[:, :, B["B08"]][clear]) < 4000
    assert np.median(data.l1c[:, :, B["B10"]][clear]) < 60  # cirrus band: dark without offset
    np.testing.assert_allclose(data.landcover.sum(axis=1), 1.0, atol=5e-3)
    assert data.landcover.min() >= 0 and data.elevation.min() >= 0


def test_nodata_stripes_are_exactly_zero_in_every_modality(data):
    mask = data.nodata
    assert mask.any(axis=(1, 2, 3)).sum() >= 10  # nodata_probability = 0.25
    for cube in (data.l1c, data.l2a, data.s1):
        per_pixel = np.broadcast_to(mask[:, :, None], cube.shape)
        assert (cube[per_pixel] == 0).all()
    # no other zeros: a pixel is either wholly nodata or wholly valid
    assert not ((data.l1c == 0).any(axis=2) & ~mask).any()
    assert not ((data.l2a == 0).any(axis=2) & ~mask).any()
    np.testing.assert_allclose(
        mask.mean(axis=(1, 2, 3)), data.latents["nodata_fraction"], atol=1e-6
    )


def test_latents_summarise_the_stored_rasters(data):
    for k, name in enumerate(data.classes):
        np.testing.assert_allclose(
            data.landcover[:, k].mean(axis=(1, 2)), data.latents[f"frac_{name}"], atol=2e-3
        )
    elevation = data.elevation.reshape(N, -1)
    np.testing.assert_allclose(elevation.mean(axis=1), data.latents["elevation_mean"], rtol=1e-4)
    np.testing.assert_allclose(elevation.std(axis=1), data.latents["elevation_std"], rtol=1e-3)
    np.testing.assert_allclose(data.samples["elevation_m"], data.latents["elevation_mean"], 1e-4)
    # biomass comes from forest: samples without forest carry (almost) none
    assert np.corrcoef(data.latents["frac_forest"], data.latents["biomass_mean"])[0, 1] > 0.7


# --- samples table ------------------------------------------------------------------------


def test_samples_table_locations_and_splits(data):
    samples = data.samples
    assert list(samples.columns) == [
        "id", "row", "lat", "lon", "region", "task_group", "elevation_m", "split_random",
        "split_geographic",
    ]  # fmt: skip
    assert samples["id"].tolist() == data.store.sample_ids
    assert samples["row"].tolist() == list(range(N))
    # no sample on Antarctica: the global families cover the ice-free land
    assert set(samples["region"]) == CONTINENTS - {"Antarctica"}
    for row in samples.itertuples():
        assert (
            any(
                la0 <= row.lat <= la1 and lo0 <= row.lon <= lo1
                for la0, la1, lo0, lo1 in CONTINENT_BOXES[row.region]
            )
            or row.task_group == "heatisland"
        ), row  # some city boxes lie outside the rough land
    np.testing.assert_allclose(samples["lat"], data.latents["lat"], atol=1e-4)
    counts = samples["split_random"].value_counts()
    assert (counts["train"], counts["val"], counts["test"]) == (112, 24, 24)  # 70/15/15
    africa = samples["region"] == "Africa"
    assert africa.sum() >= 3
    assert (samples.loc[africa, "split_geographic"] == "test").all()
    rest = samples.loc[~africa, "split_geographic"]
    assert set(rest) == {"train", "val"}
    assert (rest == "train").sum() == round(0.85 * len(rest))


def test_every_family_lies_in_its_region(data):
    samples, lat = data.samples, data.latents
    group = samples["task_group"].to_numpy()
    assert set(group) == set(FAMILY_SIZES)
    for row in samples.itertuples():
        assert in_family_region(row.task_group, row.lat, row.lon), row
    ((la0, la1, lo0, lo1),) = [box for _, box in US_CORN_BELT_BOXES]
    crops = samples[group == "crops"]
    assert crops["lat"].between(la0, la1).all() and crops["lon"].between(lo0, lo1).all()
    assert (crops["region"] == "North America").all()
    # Corn Belt tiles are mostly cropland, with corn and soybean on most of it
    assert np.median(lat["frac_cropland"][group == "crops"]) > 0.4
    assert np.median(lat["summer_crop_share"][group == "crops"]) > 0.5
    assert (samples.loc[group == "landcover", "region"] == "Europe").all()
    heat = group == "heatisland"
    assert (samples.loc[heat, "lat"] > 0).all()
    assert (lat["frac_urban"][heat] >= HEATISLAND_MIN_URBAN - 1e-3).all()
    assert np.median(lat["frac_urban"][~heat]) < 0.15  # the cities are the heat-island tiles
    cities = [box for _, box in NH_URBAN_BOXES]
    for row in samples[heat].itertuples():
        assert any(a <= row.lat <= b and c <= row.lon <= d for a, b, c, d in cities), row
    # the global families span several continents
    for family in ("biomass", "clouds"):
        assert samples.loc[group == family, "region"].nunique() >= 4, family


@pytest.mark.parametrize("n", [1, 7, 160, 1000, 13260])
def test_family_sizes_follow_table_1_in_every_prefix(n):
    groups = task_groups(n)
    total = sum(FAMILY_SIZES.values())
    for family, size in FAMILY_SIZES.items():
        share = n * size / total
        assert abs((groups == family).sum() - share) < 1, (family, n)
    assert (task_groups(n + 50)[:n] == groups).all()  # a prefix of any larger dataset
    if n == 13260:  # the paper's own sizes
        assert {f: int((groups == f).sum()) for f in FAMILY_SIZES} == FAMILY_SIZES


def test_locations_cover_every_continent_with_africa_near_its_land_share(tmp_path):
    from eobench.data.geography import sample_location

    rng = np.random.default_rng(0)
    regions = pd.Series([sample_location(rng).region for _ in range(400)])
    assert set(regions) == CONTINENTS
    assert 0.12 < (regions == "Africa").mean() < 0.28


# --- determinism ----------------------------------------------------------------------


def test_same_seed_same_dataset_and_other_seed_differs(tmp_path):
    settings = {"n_samples": 24}
    a = Dataset(build(tmp_path / "a", **settings))
    b = Dataset(build(tmp_path / "b", **settings))
    c = Dataset(build(tmp_path / "c", seed=SEED + 1, **settings))
    for name in ("s2l1c", "s2l2a", "s1", "latents", "landcover", "elevation", "label_noise"):
        np.testing.assert_array_equal(a.store.read(name), b.store.read(name), err_msg=name)
        assert not np.array_equal(a.store.read(name), c.store.read(name)), name
    pd.testing.assert_frame_equal(a.samples, b.samples)
    match, mismatch, errors = filecmp.cmpfiles(
        a.labels_dir, b.labels_dir, [p.name for p in a.labels_dir.iterdir()], shallow=False
    )
    assert not mismatch and not errors and len(match) >= 10
    assert a.store.attrs["tasks"] == b.store.attrs["tasks"]


def test_samples_do_not_depend_on_the_dataset_size(data, tmp_path):
    small = Dataset(build(tmp_path, n_samples=30, nodata_probability=0.25))
    for name in ("s2l1c", "s1", "latents"):
        np.testing.assert_array_equal(small.store.read(name), data.store.read(name, slice(0, 30)))


def test_clouds_change_only_the_optical_images():
    clear = generate_sample(SEED, 3, SIZE, cloud_probability=0.0)
    cloudy = generate_sample(SEED, 3, SIZE, cloud_probability=1.0)
    cloud = [LATENT_NAMES.index(f"cloud_{s}") for s in SEASONS]
    assert (clear.latents[cloud] == 0).all() and (cloudy.latents[cloud] > 0).all()
    np.testing.assert_array_equal(clear.arrays["s1"], cloudy.arrays["s1"])  # radar sees through
    np.testing.assert_array_equal(clear.arrays["landcover"], cloudy.arrays["landcover"])
    assert not np.array_equal(clear.arrays["s2l1c"], cloudy.arrays["s2l1c"])
    b10 = B["B10"]
    assert cloudy.arrays["s2l1c"][:, b10].mean() > 5 * clear.arrays["s2l1c"][:, b10].mean()


# --- labels ---------------------------------------------------------------------------


def test_label_files_are_readable_annotations(data):
    tasks = {task.name: task for task in read_annotations(data.labels_dir)}
    assert {name: task.task_type for name, task in tasks.items()} == TASKS
    group = dict(zip(data.samples["id"], data.samples["task_group"], strict=True))
    for name, task in tasks.items():
        family = FAMILY_OF[name]
        expected = [i for i in data.store.sample_ids if family is None or group[i] == family]
        assert task.ids == expected, name  # only the family's samples, in store order
    assert len(tasks["nodata"].ids) == N
    assert tasks["random_reg"].ids == tasks["random_cls"].ids == tasks["clouds_reg"].ids


def labels_by_task(data):
    return {task.name: task.labels for task in read_annotations(data.labels_dir)}


def test_labels_obey_their_physical_range(data):
    """Would fail on generator 1.0: 22 % negative biomass, fractions below 0, LST in deg C."""
    labels = labels_by_task(data)
    units = data.store.attrs["tasks"]
    for name in ("biomass_mean", "biomass_std"):
        assert units[name]["units"] == "Mg/ha"
        assert (labels[name] >= 0).all() and labels[name].max() < 600, name
    for name in ("crops", "landcover_agriculture", "landcover_forest", "clouds_reg", "nodata"):
        assert units[name]["units"] == "fraction"
        assert ((labels[name] >= 0) & (labels[name] <= 1)).all(), name
        assert np.ptp(labels[name]) > 0.05, name
    for name in ("heatisland_mean", "heatisland_std"):
        assert units[name]["units"] == "K"
    assert ((labels["heatisland_mean"] > 230) & (labels["heatisland_mean"] < 340)).all()
    assert ((labels["heatisland_std"] > 0) & (labels["heatisland_std"] < 30)).all()
    # the random tasks: a majority of zeros, nonnegative
    assert (labels["random_reg"] >= 0).all() and 0.5 < np.mean(labels["random_reg"] == 0) < 1
    assert set(np.unique(labels["random_cls"])) == {0.0, 1.0}
    assert np.mean(labels["random_cls"]) < 0.5
    # exact zeros of a fraction stay exact: a tile without nodata has no nodata label
    clean = data.latents["nodata_fraction"] == 0
    assert clean.sum() > N / 2 and (labels["nodata"][clean] == 0).all()


def test_labels_are_their_defined_function_of_the_latents(data):
    """Recompute every label from the stored latents and noise draws, by hand."""
    lat = data.latents
    draws = data.store.read("label_noise").astype(np.float64)
    draw = {
        name: draws[:, t] for t, name in enumerate(data.store.array_attrs("label_noise")["names"])
    }
    meta = data.store.attrs["tasks"]

    def lognormal(s, name):
        sigma = meta[name]["noise"]
        return s * np.exp(sigma * draw[name] - sigma**2 / 2)

    def logit(s, name):
        with np.errstate(divide="ignore"):
            return expit(np.log(s) - np.log1p(-s) + meta[name]["noise"] * draw[name])

    expected = {
        "biomass_mean": lognormal(lat["biomass_mean"], "biomass_mean"),
        "biomass_std": lognormal(lat["biomass_std"], "biomass_std"),
        "crops": logit(lat["frac_summer_crop"], "crops"),
        "landcover_agriculture": logit(lat["frac_cropland"], "landcover_agriculture"),
        "landcover_forest": logit(lat["frac_forest"], "landcover_forest"),
        "clouds_reg": logit(data.cloud.mean(axis=1), "clouds_reg"),
        "heatisland_mean": lat["lst_mean"]
        + meta["heatisland_mean"]["noise"] * draw["heatisland_mean"],
        "heatisland_std": lognormal(lat["lst_std"], "heatisland_std"),
        "nodata": logit(lat["nodata_fraction"], "nodata"),
        "random_reg": np.maximum(0.0, -np.log(norm.sf(draw["random_reg"]) / 0.3)),
        "random_cls": (draw["random_cls"] < 0.3).astype(float),
    }
    assert meta["biomass_mean"]["noise_model"] == "lognormal"
    assert meta["heatisland_mean"]["noise_model"] == "gaussian"
    assert meta["landcover_forest"]["noise_model"] == "logit"
    tasks = {task.name: task for task in read_annotations(data.labels_dir)}
    index = {sample_id: i for i, sample_id in enumerate(data.store.sample_ids)}
    for name, values in expected.items():
        rows = [index[i] for i in tasks[name].ids]
        np.testing.assert_allclose(
            tasks[name].labels, values[rows], rtol=1e-6, atol=1e-9, err_msg=name
        )
    # the latents behind crops: the corn and soybean share of the cropland
    np.testing.assert_allclose(
        lat["frac_summer_crop"], lat["summer_crop_share"] * lat["frac_cropland"], rtol=1e-3,
        atol=1e-6,
    )  # fmt: skip
    assert lat["lst_mean"].min() > 200  # Kelvin, not deg C


def conditional_mean_r2(spec, signal, labels):
    mean, _ = spec.conditional_moments(signal)
    return r2_score(labels, mean)


def test_ceilings_are_the_r2_of_the_conditional_mean_on_the_labels(data):
    """The ceiling is scikit-learn's R^2 of E[label | latents] on the generated labels, and
    the labels' own draw lies within the Monte-Carlo spread of fresh draws."""
    lat = dict(data.latents)
    lat.update({f"cloud_{s}": data.cloud[:, k] for k, s in enumerate(SEASONS)})
    labels = labels_by_task(data)
    meta = data.store.attrs["tasks"]
    group = data.samples["task_group"].to_numpy()
    rng = np.random.default_rng(0)
    for name, spec in TASK_SPECS.items():
        if spec.task_type != "regr" or name == "random_reg":
            continue
        rows = spec.labelled(group)
        signal = spec.signal(lat)[rows]
        observed = conditional_mean_r2(spec, signal, labels[name])
        assert meta[name]["ceiling_r2"] == pytest.approx(max(observed, 0.0), abs=1e-6), name
        # fresh noise draws for the same latents: the conditional mean is the best
        # predictor, and its R^2 on the labels scatters around the ceiling
        draws = rng.standard_normal((300, len(signal)))
        fresh = np.array(
            [conditional_mean_r2(spec, signal, spec.transform(signal, z)) for z in draws]
        )
        spread = fresh.std()
        assert abs(observed - fresh.mean()) < 4 * spread + 1e-9, (name, observed, fresh.mean())
        # and the expected ceiling (quadrature over the noise) matches their mean
        assert meta[name]["ceiling_r2_expected"] == pytest.approx(
            fresh.mean(), abs=4 * spread / np.sqrt(len(fresh)) + 2 / rows.sum()
        ), name
        # nothing predicts better than the conditional mean: not the noiseless target
        # itself (the same where the noise is unbiased, worse through the logit)
        gain = []
        for z in rng.standard_normal((100, len(signal))):
            draw = spec.transform(signal, z)
            gain.append(conditional_mean_r2(spec, signal, draw) - r2_score(draw, signal))
        assert np.mean(gain) >= -2 * np.std(gain) / 10, name
    assert meta["random_reg"]["ceiling_r2"] == 0.0


def test_random_cls_ceiling_is_the_best_constant_f1(data):
    labels = labels_by_task(data)["random_cls"]
    meta = data.store.attrs["tasks"]["random_cls"]
    all_positive = f1_score(labels, np.ones_like(labels))
    assert meta["ceiling_f1"] == pytest.approx(all_positive)
    # the best threshold rule equals scikit-learn's best F1 over thresholds
    rng = np.random.default_rng(2)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(float)
    best = max(f1_score(y, (p >= t).astype(float)) for t in np.r_[p, 2.0])
    assert synth.best_threshold_f1(p, y) == pytest.approx(best)


def test_task_difficulties_differ_and_none_is_perfect(data):
    meta = data.store.attrs["tasks"]
    ceilings = {
        name: meta[name]["ceiling_r2_expected"]
        for name, spec in TASK_SPECS.items()
        if spec.task_type == "regr" and not name.startswith("random")
    }
    assert all(0.5 < c < 0.99 for c in ceilings.values()), ceilings
    assert len(set(np.round(list(ceilings.values()), 3))) >= 5


def test_labels_of_a_sample_do_not_depend_on_the_dataset_size(data, tmp_path):
    small = build(tmp_path, n_samples=40, nodata_probability=0.25)
    for task in read_annotations(small[2]):
        big = {t.name: t for t in read_annotations(data.labels_dir)}[task.name]
        assert task.ids == big.ids[: len(task.ids)], task.name
        np.testing.assert_array_equal(task.labels, big.labels[: len(task.ids)])


# --- physics ----------------------------------------------------------------------------


def local_summer_pixels(data, class_name, purity=0.9):
    """L1C pixels [N, 13] of nearly pure ``class_name`` in the local summer, clear, no snow."""
    k = data.classes.index(class_name)
    season = np.where(data.latents["lat"] >= 0, 1, 3)  # calendar winter = southern summer
    rows = np.arange(N)
    cube = data.l1c[rows, season].astype(np.float64)  # [n, 13, H, W]
    keep = (
        (data.landcover[:, k] > purity)
        & (data.cloud[rows, season] == 0)[:, None, None]
        & (data.snow[rows, season] < 0.01)[:, None, None]
        & ~data.nodata[rows, season]
    )
    return np.moveaxis(cube, 1, -1)[keep]


def test_vegetation_has_a_red_edge_and_water_is_dark_in_the_nir(data):
    forest = local_summer_pixels(data, "forest")
    water = local_summer_pixels(data, "water")
    assert len(forest) > 200 and len(water) > 200
    forest_ratio = forest[:, B["B08"]] / forest[:, B["B04"]]
    assert np.median(forest_ratio) > 3 and (forest_ratio > 1).mean() > 0.99
    assert np.median(forest[:, B["B07"]]) > 1.5 * np.median(forest[:, B["B05"]])  # red edge
    assert (water[:, B["B08"]] < water[:, B["B04"]]).mean() > 0.95
    # (a 10 m band: the 20 m SWIR of small ponds is blurred with their shores, as in reality)
    assert np.median(water[:, B["B08"]]) < 0.3 * np.median(forest[:, B["B08"]])
    snow = local_summer_pixels(data, "snow_ice", purity=0.8)
    # bright in the visible, dark in the SWIR (in patches large enough that the 20 m
    # SWIR is not blurred with the rock around them)
    if len(snow) >= 100:
        assert np.median(snow[:, B["B03"]]) > 3 * np.median(snow[:, B["B11"]])


def test_clouds_raise_the_visible_and_the_cirrus_band(data):
    pairs = []
    for i in range(N):
        cloudy = np.flatnonzero(data.cloud[i] > 0.5)
        clear = np.flatnonzero(data.cloud[i] == 0)
        bright_ground = data.snow[i].max() > 0.05 or data.latents["frac_snow_ice"][i] > 0.05
        if len(cloudy) and len(clear) and not bright_ground:
            valid = ~data.nodata[i, cloudy[0]] & ~data.nodata[i, clear[0]]
            pairs.append([data.l1c[i, s][:, valid].mean(axis=1) for s in (cloudy[0], clear[0])])
    pairs = np.array(pairs)  # [pair, cloudy|clear, band]
    assert len(pairs) >= 5
    assert (pairs[:, 0, B["B02"]] > pairs[:, 1, B["B02"]] + 1000).all()
    assert (pairs[:, 0, B["B10"]] > 100).all() and (pairs[:, 1, B["B10"]] < 100).all()


def test_l2a_is_the_atmospheric_correction_of_l1c(data):
    clear = (data.cloud == 0)[:, :, None, None] & ~data.nodata
    l1c = {b: np.median(data.l1c[:, :, B[b]][clear]) for b in ("B01", "B02", "B09", "B12")}
    band = {b: i for i, b in enumerate(S2L2A_BANDS)}
    l2a = {b: np.median(data.l2a[:, :, band[b]][clear]) for b in ("B01", "B02", "B09", "B12")}
    assert l2a["B01"] < l1c["B01"] - 400  # path radiance removed from the blue
    assert l2a["B02"] < l1c["B02"] - 200
    assert l2a["B09"] > 2 * l1c["B09"]  # water-vapour absorption undone
    assert l2a["B12"] > l1c["B12"]


def test_snow_only_where_it_is_cold_enough(data):
    lat = np.abs(data.latents["lat"])
    highest = data.elevation.reshape(N, -1).max(axis=1)
    snowy = data.snow.max(axis=1) > 0.05
    assert snowy.sum() >= 10
    assert ((lat >= 25) | (highest >= 1500))[snowy].all()
    tropical_lowland = (lat < 20) & (highest < 1000)
    assert tropical_lowland.sum() >= 5 and not snowy[tropical_lowland].any()
    # seasonal snow is deepest in the local winter
    winter = np.where(data.latents["lat"] >= 0, 3, 1)
    summer = np.where(data.latents["lat"] >= 0, 1, 3)
    rows = np.arange(N)
    assert (data.snow[rows, winter] >= data.snow[rows, summer] - 1e-6).all()


def test_radar_backscatter_follows_structure(data):
    season = 1
    vv = data.s1[:, season, 0]
    vh = data.s1[:, season, 1]
    valid = ~data.nodata[:, season]

    def median(class_name, band):
        k = data.classes.index(class_name)
        keep = (data.landcover[:, k] > 0.9) & valid & (data.snow[:, season] < 0.01)[:, None, None]
        return np.median(band[keep])

    assert median("water", vv) < -16  # specular
    assert median("urban", vv) > median("grassland", vv) + 2  # double bounce
    assert median("forest", vh) > median("bare", vh) + 4  # volume scattering
    assert np.median((vv - vh)[valid]) > 3  # cross-pol is weaker


# --- settings and resources -----------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [{"n_samples": 0}, {"size": 4}, {"seed": -1}, {"cloud_probability": 1.5},
     {"nodata_probability": -0.1}],
)  # fmt: skip
def test_bad_settings_are_one_line_errors(tmp_path, settings):
    with pytest.raises(EobenchError, match="synth: "):
        build(tmp_path, **settings)
    assert not any(tmp_path.iterdir())  # nothing half-written


def test_memory_does_not_grow_with_the_number_of_samples(tmp_path, monkeypatch):
    monkeypatch.setattr(synth, "WRITE_BATCH_BYTES", 1)  # write every sample at once

    def peak(n):
        tracemalloc.start()
        build(tmp_path / str(n), n_samples=n, size=32)
        _, high = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return high

    peak(2)  # first-use allocations (lazy imports, caches) out of the way
    # 24 samples of 32 x 32 px hold 6 MB of cubes: kept in memory, the peak would triple
    assert peak(24) < 1.3 * peak(8)


def test_task_table_has_units_ceilings_and_chance(tmp_path):
    cubes, samples, labels = (tmp_path / "c.zarr", tmp_path / "s.parquet", tmp_path / "labels")
    tasks_path = tmp_path / "tasks.csv"
    build_synthetic_dataset(
        cubes, samples, labels, tasks_path, n_samples=N, size=SIZE, seed=SEED, progress=False
    )
    table = pd.read_csv(tasks_path).set_index("task")
    assert list(table.columns) == list(synth.TASK_TABLE_COLUMNS[1:])
    assert list(table.columns[2:5]) == ["units", "region", "description"]
    assert table.loc["crops", "region"] == "US Corn Belt"
    assert table.loc["landcover_forest", "region"] == "Europe"
    assert table.loc["heatisland_mean", "units"] == "K"
    assert table.loc["nodata", "n_labelled"] == N
    assert set(table.index) == set(TASKS)
    assert table.loc["biomass_mean", "units"] == "Mg/ha"
    assert (table["metric"] == table["task_type"].map({"regr": "r2", "cls": "f1"})).all()
    regression = table[table["task_type"] == "regr"]
    assert (regression["chance"] == 0).all()
    # F1 of predicting every sample positive, from the label file itself
    for task in read_annotations(labels):
        if task.task_type == "cls":
            p = float(np.mean(task.labels == 1))
            assert table.loc[task.name, "chance"] == pytest.approx(2 * p / (1 + p))
            assert table.loc[task.name, "n_labelled"] == len(task.labels)
    assert table.loc["random_reg", "ceiling"] == 0
    assert table.loc["random_cls", "ceiling"] == pytest.approx(table.loc["random_cls", "chance"])
    assert (table["ceiling"] >= table["chance"] - 1e-12).all()
    assert (table["ceiling"] < 1).all()
