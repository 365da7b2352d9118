"""Rate-distortion of the compressor and JPEG2000: PSNR against its closed form, JPEG2000
sizes against imagecodecs' own bytes, the sweep's monotonicity and the figure."""

import imagecodecs
import matplotlib
import numpy as np
import pandas as pd
import pytest

from eobench.data.store import CubeStore
from eobench.encoders.compressor.rate_distortion import (
    TABLE_COLUMNS,
    image_mse,
    jpeg2000_codes,
    psnr,
    rate_distortion_table,
)
from eobench.encoders.compressor.train import TrainingSettings, store_images, train_compressor
from eobench.errors import EobenchError
from eobench.plots.rate_distortion import plot_rate_distortion, rate_distortion_figure

matplotlib.use("Agg")

LEVELS = (30, 40, 50, 60, 70, 0)


@pytest.fixture(scope="module")
def tiny(small_synthetic_dataset, tmp_path_factory):
    """A 40-sample synthetic store and two 1-epoch compressors (lambda 0.025 and 0.5)."""
    folder = small_synthetic_dataset
    samples = pd.read_parquet(folder / "samples.parquet")
    rows = {
        s: samples.loc[samples["split_random"] == s, "row"].to_numpy() for s in ("train", "test")
    }
    models = tmp_path_factory.mktemp("rd")
    checkpoints = []
    for lmbda in (0.5, 0.025):
        settings = TrainingSettings(
            lmbda=lmbda, epochs=1, intermediate_channels=8, latent_channels=6
        )
        path = models / f"lambda{lmbda}.pt"
        train_compressor(
            folder / "cubes.zarr", rows["train"], path, models / f"{lmbda}.csv", settings
        )
        checkpoints.append(path)
    return folder, rows["test"], checkpoints


@pytest.fixture(scope="module")
def table(tiny):
    folder, test_rows, checkpoints = tiny
    return rate_distortion_table(folder / "cubes.zarr", test_rows, checkpoints, LEVELS)


def test_psnr_of_reflectance_against_hand_values():
    original = np.zeros((2, 13, 4, 4), dtype=np.uint16)
    reconstructed = np.zeros((2, 13, 4, 4), dtype=np.float32)
    reconstructed[0] = 1000.0  # reflectance 0.1 everywhere: MSE 0.01, PSNR 20 dB
    reconstructed[1, 0, 0, 0] = 25000.0  # clipped to 1: one value off by 1 of 208
    mse = image_mse(original, reconstructed)
    np.testing.assert_allclose(mse, [0.01, 1 / 208], rtol=1e-12)
    np.testing.assert_allclose(psnr(mse), [20.0, 10 * np.log10(208)], rtol=1e-12)
    # Values above reflectance 1 are clipped on both sides: no error left.
    high = np.full((1, 13, 2, 2), 12000, dtype=np.uint16)
    assert image_mse(high, high + 3000.0)[0] == 0.0
    assert psnr(np.array([0.0]))[0] == np.inf


def test_jpeg2000_bits_are_the_codestream_bytes_and_lossless_is_exact(tiny):
    folder, test_rows, _ = tiny
    images = store_images(CubeStore(folder / "cubes.zarr"), test_rows[:2], "test")
    bpp, decoded = jpeg2000_codes(images, 50)
    stream = imagecodecs.jpeg2k_encode(
        np.ascontiguousarray(images[0].transpose(1, 2, 0)), level=50, codecformat="j2k"
    )
    assert bpp[0] == 8 * len(stream) / (32 * 32)
    np.testing.assert_array_equal(decoded[0], imagecodecs.jpeg2k_decode(stream).transpose(2, 0, 1))
    _, exact = jpeg2000_codes(images, 0)
    np.testing.assert_array_equal(exact, images)


def test_table_columns_and_image_count(table, tiny):
    _, test_rows, _ = tiny
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert (table["n_images"] == 4 * len(test_rows)).all()
    compressor = table[table["codec"] == "compressor"]
    assert list(compressor["setting"]) == ["lambda=0.025", "lambda=0.5"]
    assert np.isfinite(compressor[["bpp", "psnr", "mse"]].to_numpy()).all()
    assert (compressor["bpp"] > 0).all()
    # PSNR of the mean image MSE is at most the mean PSNR (Jensen): a consistency check.
    assert (compressor["psnr"] >= -10 * np.log10(compressor["mse"]) - 1e-9).all()


def test_jpeg2000_rate_and_quality_grow_with_its_level(table):
    jpeg = table[table["codec"] == "JPEG2000"]
    lossy = jpeg[jpeg["parameter"] > 0].sort_values("parameter")
    assert (np.diff(lossy["bpp"]) > 0).all()
    assert (np.diff(lossy["psnr"]) > 0).all()
    lossless = jpeg[jpeg["setting"] == "lossless"].iloc[0]
    assert lossless["psnr"] == np.inf and lossless["mse"] == 0.0
    assert lossless["bpp"] > lossy["bpp"].max()


def test_compressor_rate_falls_with_lambda(table):
    # 1 epoch is enough for the rate term to dominate at lambda 0.025 more than at 0.5.
    compressor = table[table["codec"] == "compressor"].set_index("parameter")
    assert compressor.loc[0.025, "bpp"] < compressor.loc[0.5, "bpp"]


def test_bad_level_is_rejected(tiny):
    folder, test_rows, _ = tiny
    with pytest.raises(EobenchError, match="JPEG2000 level -1"):
        rate_distortion_table(folder / "cubes.zarr", test_rows, [], [-1])


def test_figure_draws_one_line_per_codec_and_lossless_as_a_rule(table, tmp_path):
    figure = rate_distortion_figure(table, {"title": "RD"})
    axis = figure.axes[0]
    labels = [line.get_label() for line in axis.get_lines()]
    assert labels[:2] == ["compressor", "JPEG2000"]
    assert any(label.startswith("JPEG2000 lossless") for label in labels)
    jpeg_line = axis.get_lines()[1]
    assert len(jpeg_line.get_xdata()) == len(LEVELS) - 1  # the infinite PSNR is a rule
    assert [t.get_text() for t in axis.texts] == ["λ = 0.025", "λ = 0.5"]
    plot_rate_distortion(table, tmp_path / "rd.pdf", tmp_path / "rd.png", {"dpi": 50})
    assert (tmp_path / "rd.pdf").stat().st_size > 0
    assert (tmp_path / "rd.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
