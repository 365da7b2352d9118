"""Temporal aggregation: pre, post and none, against explicit per-season computations."""

import numpy as np
import pytest
from test_encoders import make_store

from eobench.aggregation import AGGREGATIONS, aggregated_inputs, encode_batch
from eobench.encoders import build_encoder
from eobench.encoders.base import CubeBatch
from eobench.errors import EobenchError

IMAGES = ("s2l1c", "s2l2a", "s1")


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    store = make_store(tmp_path_factory.mktemp("agg") / "cubes.zarr", n=6)
    cubes = {name: store.read(name) for name in (*IMAGES, "latents")}
    return cubes, np.arange(len(store)), store.sample_ids


def test_aggregations_are_the_three_protocols():
    assert AGGREGATIONS == ("pre", "post", "none")


def test_pre_encodes_the_season_average_once(batch):
    cubes, rows, ids = batch
    encoder = build_encoder({"type": "rcf", "device": "cpu"}, 48, 0)
    averaged = {m: cubes[m].astype(np.float64).mean(axis=1, keepdims=True) for m in IMAGES}
    expected = encoder.encode(CubeBatch(averaged, rows, ids, (0, 1, 2, 3)))
    ours = encode_batch(encoder, cubes, rows, ids, "pre")
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)


def test_post_averages_per_season_embeddings(batch):
    cubes, rows, ids = batch
    encoder = build_encoder({"type": "rcf", "device": "cpu"}, 48, 0)
    per_season = [
        encoder.encode(CubeBatch({m: cubes[m][:, t : t + 1] for m in IMAGES}, rows, ids, (t,)))
        for t in range(4)
    ]
    ours = encode_batch(encoder, cubes, rows, ids, "post")
    np.testing.assert_allclose(ours, np.mean(per_season, axis=0), rtol=1e-6, atol=1e-7)


def test_pre_and_post_agree_for_a_linear_encoder_only(batch):
    cubes, rows, ids = batch
    averaging = build_encoder({"type": "averaging"}, 1024, 0)
    np.testing.assert_allclose(
        encode_batch(averaging, cubes, rows, ids, "pre"),
        encode_batch(averaging, cubes, rows, ids, "post"),
        rtol=1e-5,
        atol=1e-5,
    )
    rcf = build_encoder({"type": "rcf", "device": "cpu"}, 64, 0)
    pre = encode_batch(rcf, cubes, rows, ids, "pre")
    post = encode_batch(rcf, cubes, rows, ids, "post")
    assert np.abs(pre - post).max() > 0.05 * np.abs(post).max()


def test_none_passes_the_whole_series(batch):
    cubes, rows, ids = batch
    averaging = build_encoder({"type": "averaging"}, 1024, 0)
    series = {m: cubes[m].astype(np.float32) for m in IMAGES}
    expected = averaging.encode(CubeBatch(series, rows, ids, (0, 1, 2, 3)))
    np.testing.assert_array_equal(encode_batch(averaging, cubes, rows, ids, "none"), expected)


def test_none_needs_a_time_series_encoder(batch):
    cubes, rows, ids = batch
    rcf = build_encoder({"type": "rcf", "device": "cpu"}, 8, 0)
    with pytest.raises(EobenchError, match=r"'rcf'.*'none'"):
        encode_batch(rcf, cubes, rows, ids, "none")
    with pytest.raises(EobenchError, match="unknown temporal aggregation 'mean'"):
        encode_batch(rcf, cubes, rows, ids, "mean")


def test_seasons_are_averaged_in_float():
    # uint16 sums would wrap at 65536 and integer means would truncate 1.75 to 1.
    cube = np.zeros((1, 4, 13, 2, 2), dtype=np.uint16)
    cube[0, :, 0] = 60000
    cube[0, :, 1] = np.array([1, 2, 2, 2])[:, None, None]
    [(view, seasons)] = aggregated_inputs({"s2l1c": cube}, "pre")
    assert seasons == (0, 1, 2, 3)
    assert view["s2l1c"].dtype == np.float32
    assert view["s2l1c"].shape == (1, 1, 13, 2, 2)
    assert np.all(view["s2l1c"][0, 0, 0] == 60000)
    assert np.all(view["s2l1c"][0, 0, 1] == 1.75)


def test_non_image_inputs_pass_through(batch):
    cubes, _, _ = batch
    latents = cubes["latents"]
    for aggregation in AGGREGATIONS:
        views = aggregated_inputs(cubes, aggregation)
        assert len(views) == (4 if aggregation == "post" else 1)
        for view, _ in views:
            assert view["latents"] is latents
    post = aggregated_inputs(cubes, "post")
    assert [seasons for _, seasons in post] == [(0,), (1,), (2,), (3,)]


def test_post_without_images_still_covers_every_season():
    random = build_encoder({"type": "random"}, 32, 0)
    rows, ids = np.arange(3), ["a", "b", "c"]
    expected = np.mean(
        [random.encode(CubeBatch({}, rows, ids, (t,))) for t in range(3)], axis=0
    ).astype(np.float32)
    np.testing.assert_allclose(
        encode_batch(random, {}, rows, ids, "post", n_seasons=3), expected, rtol=1e-6, atol=1e-7
    )
    assert encode_batch(random, {}, rows, ids, "post").shape == (3, 32)
