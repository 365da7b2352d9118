"""The synthetic bands against real Sentinel-1/2 samples (../shared/real, when present).

Real data: the five TerraMesh example locations (multi-band GeoTIFFs with a land-cover
map; three of the five L1C images carry the +1000 offset, removed here) and one SSL4EO-S12
location (per-band GeoTIFFs, L1C and L2A of June and August 2020, S1 GRD). They are few
and single-date, so the checks compare levels and band shapes with generous factors, not
climatologies.
"""

import numpy as np
import pytest
from conftest import shared_real_dir
from scipy.stats import spearmanr

from eobench.data import real
from eobench.data.bands import S2L1C_BANDS, S2L2A_BANDS, SEASONS
from eobench.data.store import CubeStore
from eobench.data.synth import build_synthetic_dataset

REAL = shared_real_dir()
TERRAMESH = REAL / "samples" / "terramesh-examples"
SSL4EO = REAL / "samples" / "ssl4eo-s12-layout"
pytestmark = pytest.mark.skipif(
    not (TERRAMESH.is_dir() and SSL4EO.is_dir()),
    reason=f"real samples not found at {REAL} (set EOBENCH_SHARED_REAL to their folder)",
)
B = {band: i for i, band in enumerate(S2L1C_BANDS)}
NOT_B10 = [i for i, band in enumerate(S2L1C_BANDS) if band != "B10"]
#: Synthetic land-cover class -> TerraMesh LULC code (ESRI classes renumbered, see
#: ../shared/real/derived/README.md).
LULC_CODES = {
    "water": 1, "forest": 2, "cropland": 4, "urban": 5, "bare": 6, "snow_ice": 7, "grassland": 9,
}  # fmt: skip
TEN_METRE_BANDS = [B[b] for b in ("B02", "B03", "B04", "B08")]


@pytest.fixture(scope="module")
def terramesh():
    """Pixels of the five locations: L1C [N, 13] without offset, S1 [N, 2], LULC [N]."""
    l1c, s1, lulc = [], [], []
    for location in real.terramesh_locations(TERRAMESH):
        l1c.append(real.read_terramesh(TERRAMESH, "S2L1C", location).reshape(13, -1).T)
        s1.append(real.read_terramesh(TERRAMESH, "S1RTC", location).reshape(2, -1).T)
        lulc.append(real.read_terramesh(TERRAMESH, "LULC", location).reshape(-1))
    return np.concatenate(l1c), np.concatenate(s1), np.concatenate(lulc)


@pytest.fixture(scope="module")
def ssl4eo():
    """Pixels of the SSL4EO-S12 scenes: L1C [N, 13], L2A [N, 12], S1 [N, 2]."""

    def pixels(product, bands):
        scenes = real.ssl4eo_scenes(SSL4EO, product)
        return [real.read_ssl4eo_scene(s, bands).reshape(len(bands), -1).T for s in scenes]

    return pixels("s2c", S2L1C_BANDS), pixels("s2a", S2L2A_BANDS), pixels("s1", ("VV", "VH"))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth-realism")
    paths = (folder / "cubes.zarr", folder / "samples.parquet", folder / "labels")
    build_synthetic_dataset(*paths, n_samples=200, size=32, seed=0, progress=False)
    store = CubeStore(paths[0])
    names, values = store.latents()
    latents = {name: values[:, i] for i, name in enumerate(names)}
    l1c = store.read("s2l1c").astype(np.float64)
    valid = (l1c != 0).all(axis=2)  # [n, season, H, W]
    cloud = np.stack([latents[f"cloud_{s}"] for s in SEASONS], axis=1)
    snow = np.stack([latents[f"snow_{s}"] for s in SEASONS], axis=1)
    return {
        "l1c": np.moveaxis(l1c, 2, -1),  # [n, season, H, W, band]
        "l2a": np.moveaxis(store.read("s2l2a").astype(np.float64), 2, -1),
        "s1": np.moveaxis(store.read("s1").astype(np.float64), 2, -1),
        "landcover": store.read("landcover").astype(np.float64),
        "classes": store.array_attrs("landcover")["classes"],
        "valid": valid,
        "clear": valid & (cloud == 0)[:, :, None, None],
        "snow_free": (snow < 0.01)[:, :, None, None],
    }


def test_real_readers_read_both_layouts_and_find_the_offset():
    locations = real.terramesh_locations(TERRAMESH)
    assert len(locations) == 5
    with_offset = []
    for location in locations:
        raw = real.read_terramesh(TERRAMESH, "S2L1C", location, remove_offset=False)
        assert raw.shape == (13, 224, 224)
        b10 = raw[B["B10"]]
        # an image with the offset has no cirrus DN below 1000 at all
        assert real.has_baseline_offset(raw) == bool(b10.min() >= 1000)
        with_offset.append(real.has_baseline_offset(raw))
        corrected = real.read_terramesh(TERRAMESH, "S2L1C", location)
        assert corrected[B["B10"]].mean() < 100
        np.testing.assert_array_equal(corrected, raw - 1000.0 * with_offset[-1])
        assert real.read_terramesh(TERRAMESH, "S1RTC", location).shape == (2, 224, 224)
    assert sum(with_offset) == 3
    for product, n_bands in (("s2c", 13), ("s2a", 12), ("s1", 2)):
        scenes = real.ssl4eo_scenes(SSL4EO, product)
        assert len(scenes) == 2
        bands = {"s2c": S2L1C_BANDS, "s2a": S2L2A_BANDS, "s1": ("VV", "VH")}[product]
        assert real.read_ssl4eo_scene(scenes[0], bands).shape == (n_bands, 264, 264)
    assert real.ssl4eo_baseline_offset(real.ssl4eo_scenes(SSL4EO, "s2c")[0]) == 0.0  # 02.09


def test_clear_sky_l1c_band_levels_and_shape_match_real(synthetic, terramesh, ssl4eo):
    synthetic_median = np.median(synthetic["l1c"][synthetic["clear"]], axis=0)
    real_median = np.median(np.concatenate([terramesh[0], *ssl4eo[0]]), axis=0)
    ratio = synthetic_median / real_median
    assert (0.5 < ratio[NOT_B10]).all() and (ratio[NOT_B10] < 2.0).all(), ratio
    assert synthetic_median[B["B10"]] < 100 and real_median[B["B10"]] < 100
    rho = spearmanr(synthetic_median[NOT_B10], real_median[NOT_B10]).statistic
    assert rho > 0.9, rho
    for low, high in (("B04", "B08"), ("B12", "B11"), ("B09", "B8A"), ("B03", "B07")):
        assert synthetic_median[B[low]] < synthetic_median[B[high]]
        assert real_median[B[low]] < real_median[B[high]]


@pytest.mark.parametrize("class_name", list(LULC_CODES))
def test_class_spectra_match_real_land_cover(synthetic, terramesh, class_name):
    k = synthetic["classes"].index(class_name)
    pure = (synthetic["landcover"][:, k] > 0.9)[:, None]
    keep = pure & synthetic["clear"]
    if class_name != "snow_ice":
        keep &= synthetic["snow_free"]
    synthetic_median = np.median(synthetic["l1c"][keep], axis=0)
    l1c, _, lulc = terramesh
    real_median = np.median(l1c[lulc == LULC_CODES[class_name]], axis=0)
    ratio = synthetic_median / real_median
    assert keep.sum() > 500
    assert (1 / 1.5 < ratio[TEN_METRE_BANDS]).all() and (ratio[TEN_METRE_BANDS] < 1.5).all(), ratio
    if class_name != "water":  # small synthetic ponds blur with their shores at 20 m / 60 m
        others = [B[b] for b in ("B01", "B05", "B06", "B07", "B8A", "B11", "B12")]
        assert (0.5 < ratio[others]).all() and (ratio[others] < 2.0).all(), ratio


def test_l2a_levels_and_atmospheric_correction_match_real(synthetic, ssl4eo):
    l1c_scenes, l2a_scenes, _ = ssl4eo
    synthetic_l2a = np.median(synthetic["l2a"][synthetic["clear"]], axis=0)
    real_l2a = np.median(np.concatenate(l2a_scenes), axis=0)
    ratio = synthetic_l2a / real_l2a
    assert (0.5 < ratio).all() and (ratio < 2.0).all(), ratio
    # the same date in both products (4 June 2020): what the correction does per band
    real_change = np.median(l2a_scenes[0], axis=0) / np.median(l1c_scenes[0][:, NOT_B10], axis=0)
    synthetic_l1c = np.median(synthetic["l1c"][synthetic["clear"]], axis=0)[NOT_B10]
    synthetic_change = synthetic_l2a / synthetic_l1c
    strong = np.abs(real_change - 1) > 0.15  # B01, B02 (path radiance), B09 (vapour), B12
    assert strong.sum() >= 4
    assert (np.sign(real_change - 1) == np.sign(synthetic_change - 1))[strong].all()
    for band in ("B01", "B02"):
        i = S2L2A_BANDS.index(band)
        assert abs(synthetic_change[i] - real_change[i]) < 0.15, band


def test_s1_backscatter_levels_match_real(synthetic, terramesh, ssl4eo):
    real_s1 = np.concatenate([terramesh[1], *ssl4eo[2]])
    synthetic_s1 = synthetic["s1"][synthetic["valid"]]
    real_median, synthetic_median = np.median(real_s1, axis=0), np.median(synthetic_s1, axis=0)
    assert (np.abs(synthetic_median - real_median) < 3.0).all(), (synthetic_median, real_median)
    real_cross = np.median(real_s1[:, 0] - real_s1[:, 1])
    synthetic_cross = np.median(synthetic_s1[:, 0] - synthetic_s1[:, 1])
    assert abs(synthetic_cross - real_cross) < 2.0
    _, s1, lulc = terramesh
    for class_name, code in LULC_CODES.items():
        k = synthetic["classes"].index(class_name)
        keep = (synthetic["landcover"][:, k] > 0.9)[:, None] & synthetic["valid"]
        if class_name != "snow_ice":
            keep &= synthetic["snow_free"]
        difference = np.median(synthetic["s1"][keep], axis=0) - np.median(s1[lulc == code], axis=0)
        assert (np.abs(difference) < 3.5).all(), (class_name, difference)
