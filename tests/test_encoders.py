"""Encoders against hand computations, the challenge notebook's recipe and scikit-learn."""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import zoom
from sklearn.decomposition import PCA

from eobench.aggregation import encode_batch
from eobench.data.bands import MODALITIES
from eobench.data.store import CubeStore, CubeStoreWriter
from eobench.encoders import ENCODERS, build_encoder
from eobench.encoders.base import CubeBatch

SEASONS = 4


def random_cubes(rng, n, size=16, n_seasons=SEASONS):
    """Cubes in store units: S2 uint16 digital numbers, S1 float32 dB.

    The cirrus band B10 stays near 0, as over clear land without the +1000 offset (the
    input contract reads the offset from it).
    """
    cubes = {
        "s2l1c": rng.integers(0, 6000, size=(n, n_seasons, 13, size, size)).astype(np.uint16),
        "s2l2a": rng.integers(0, 6000, size=(n, n_seasons, 12, size, size)).astype(np.uint16),
        "s1": rng.normal(-14.0, 4.0, size=(n, n_seasons, 2, size, size)).astype(np.float32),
    }
    cubes["s2l1c"][:, :, 10] = rng.integers(0, 60, size=(n, n_seasons, size, size))
    return cubes


def make_store(path, n=12, size=16, latent_dim=5, seed=0, edit=None, bands=None):
    """A small random canonical store; ``edit(cubes, latents)`` may change data first.

    ``bands`` overrides the ``bands`` attribute of some arrays (name -> band list).
    """
    rng = np.random.default_rng(seed)
    cubes = random_cubes(rng, n, size)
    latents = rng.normal(2.0, 3.0, size=(n, latent_dim)).astype(np.float32)
    if edit is not None:
        edit(cubes, latents)
    ids = [f"s{i:03d}" for i in range(n)]
    with CubeStoreWriter(path, ids, {"dataset": "test"}) as writer:
        for name, cube in cubes.items():
            attrs = {"bands": list((bands or {}).get(name, MODALITIES[name].bands))}
            writer.create_array(name, cube.shape[1:], str(cube.dtype), attrs)
        if latent_dim:
            names = [f"z{j}" for j in range(latent_dim)]
            writer.create_array("latents", (latent_dim,), "float32", {"names": names})
        for i in range(n):
            arrays = {name: cube[i] for name, cube in cubes.items()}
            if latent_dim:
                arrays["latents"] = latents[i]
            writer.write(i, arrays)
    return CubeStore(path)


@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "cubes.zarr")


def embed(encoder, store, aggregation, rows=None):
    """Fit on rows 0-7 and embed ``rows`` (all by default) with ``aggregation``."""
    encoder.fit(store, np.arange(8), aggregation)
    rows = np.arange(len(store)) if rows is None else np.asarray(rows)
    cubes = {name: store.read(name, rows) for name in encoder.inputs}
    ids = [store.sample_ids[r] for r in rows]
    return encode_batch(encoder, cubes, rows, ids, aggregation)


def normalised(cubes):
    """[n, T, 27, H, W] float64 normalised with the published moments."""
    parts = []
    for name in ("s2l1c", "s2l2a", "s1"):
        mean = np.array(MODALITIES[name].mean)[:, None, None]
        std = np.array(MODALITIES[name].std)[:, None, None]
        parts.append((cubes[name].astype(np.float64) - mean) / std)
    return np.concatenate(parts, axis=2)


SUPPORTED = [
    (name, aggregation)
    for name in ("averaging", "random", "rcf", "pca", "oracle")
    for aggregation in ("pre", "post", "none")
    if aggregation != "none" or name in ("averaging", "random", "oracle")
]


@pytest.mark.parametrize(("name", "aggregation"), SUPPORTED)
def test_shape_dtype_and_determinism(store, name, aggregation):
    first = embed(build_encoder({"type": name}, 64, seed=3), store, aggregation)
    again = embed(build_encoder({"type": name}, 64, seed=3), store, aggregation)
    assert first.shape == (len(store), 64)
    assert first.dtype == np.float32
    assert np.isfinite(first).all()
    np.testing.assert_array_equal(first, again)
    assert np.abs(first).sum(axis=1).min() > 0  # every sample gets a non-trivial vector


@pytest.mark.parametrize("name", ["random", "rcf"])
def test_seed_changes_random_encoders(store, name):
    one = embed(build_encoder({"type": name}, 32, seed=1), store, "pre")
    two = embed(build_encoder({"type": name}, 32, seed=2), store, "pre")
    assert not np.allclose(one, two)


def test_all_builtin_encoders_are_registered():
    build_encoder({"type": "random"}, 8, 0)
    assert {"averaging", "random", "rcf", "pca", "oracle"} <= set(ENCODERS)


# --- averaging -----------------------------------------------------------------------


def notebook_mean_baseline(cubes, side=8):
    """The challenge notebook's ``embed``, line for line, on normalised float64 data."""
    data = normalised(cubes)
    mods = {"s2l1c": data[:, :, :13], "s2l2a": data[:, :, 13:25], "s1": data[:, :, 25:]}
    rescaled = {
        m: zoom(d, (1, 1, 1, side / d.shape[3], side / d.shape[4]), order=1)
        for m, d in mods.items()
    }
    b1_b9 = np.mean(
        np.concatenate((rescaled["s2l1c"][:, :, 0:9], rescaled["s2l2a"][:, :, 0:9]), axis=2),
        axis=2,
        keepdims=True,
    )
    b10 = rescaled["s2l1c"][:, :, 9:10]
    b11_b12 = np.mean(
        np.concatenate((rescaled["s2l1c"][:, :, 10:], rescaled["s2l2a"][:, :, 10:]), axis=2),
        axis=2,
        keepdims=True,
    )
    s1 = np.mean(rescaled["s1"], axis=2, keepdims=True)
    emb = np.concatenate((b1_b9, b10, b11_b12, s1), axis=2)
    return emb.reshape(len(emb), -1)


def test_averaging_reproduces_the_challenge_notebook(store):
    cubes = {name: store.read(name) for name in ("s2l1c", "s2l2a", "s1")}
    ours = embed(build_encoder({"type": "averaging"}, 1024, 0), store, "none")
    expected = notebook_mean_baseline(cubes)
    assert expected.shape == (len(store), 1024)  # the paper's 4 x 4 x 8 x 8
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)


def test_averaging_single_season_uses_16x16(store):
    cubes = {name: store.read(name)[:, 2:3] for name in ("s2l1c", "s2l2a", "s1")}
    encoder = build_encoder({"type": "averaging"}, 1024, 0)
    batch = CubeBatch(cubes, np.arange(len(store)), store.sample_ids, (2,))
    ours = encoder.encode(batch)
    np.testing.assert_allclose(ours, notebook_mean_baseline(cubes, side=16), rtol=1e-5, atol=1e-5)


def constant_cubes(values, n_seasons=SEASONS, size=5):
    """One sample whose channel c in season t is the constant values[t, c] (27 channels)."""
    full = np.broadcast_to(values[None, :, :, None, None], (1, n_seasons, 27, size, size))
    return {
        "s2l1c": full[:, :, :13].astype(np.uint16),
        "s2l2a": full[:, :, 13:25].astype(np.uint16),
        "s1": full[:, :, 25:].astype(np.float32),
    }


def test_averaging_constant_cube_by_hand():
    """Named groups: B01-B09 incl. B8A of both products, L1C B10, B11-B12 of both, S1."""
    rng = np.random.default_rng(5)
    values = np.concatenate(
        [rng.integers(100, 4000, size=(SEASONS, 25)), rng.integers(-25, -5, size=(SEASONS, 2))],
        axis=1,
    ).astype(np.float64)
    means = np.concatenate([MODALITIES[m].mean for m in ("s2l1c", "s2l2a", "s1")])
    stds = np.concatenate([MODALITIES[m].std for m in ("s2l1c", "s2l2a", "s1")])
    z = (values - means) / stds  # [season, channel]
    groups = [
        list(range(0, 10)) + list(range(13, 23)),  # L1C B01..B09, L2A B01..B09
        [10],  # L1C B10
        [11, 12, 23, 24],  # L1C B11 B12, L2A B11 B12
        [25, 26],  # VV VH
    ]
    per_group = np.array([[z[t, g].mean() for g in groups] for t in range(SEASONS)])
    expected = np.repeat(per_group.reshape(-1), 64)  # (season, group) blocks of 8 x 8

    encoder = build_encoder({"type": "averaging", "band_groups": "named"}, 1024, 0)
    cubes = constant_cubes(values)
    ours = encoder.encode(CubeBatch(cubes, np.array([0]), ["a"], (0, 1, 2, 3)))
    np.testing.assert_allclose(ours[0], expected, rtol=1e-5, atol=1e-6)


def test_averaging_layout_is_season_channel_y_x(store):
    encoder = build_encoder({"type": "averaging"}, 1024, 0)
    cubes = {name: store.read(name, [0]).astype(np.float32) for name in encoder.inputs}
    base = encoder.encode(CubeBatch(cubes, np.array([0]), ["a"], (0, 1, 2, 3)))
    cubes["s1"][:, 2] += 10.0  # change only season 2 of S1 (group 3)
    changed = encoder.encode(CubeBatch(cubes, np.array([0]), ["a"], (0, 1, 2, 3)))
    moved = (changed != base).reshape(4, 4, 8, 8)
    assert moved[2, 3].all()
    assert moved.sum() == 64


@pytest.mark.parametrize(
    ("dim", "size", "side", "used"),
    [(1000, None, 15, 900), (10, None, 1, 4), (100, 8, 8, 100), (4096, None, 32, 4096)],
)
def test_averaging_pads_or_truncates(store, dim, size, side, used):
    encoder = build_encoder({"type": "averaging", "size": size}, dim, 0)
    assert encoder.side(1) == side
    out = embed(encoder, store, "pre")
    assert out.shape == (len(store), dim)
    assert np.all(out[:, used:] == 0)
    assert np.all(out[:, :used].any(axis=0))
    full = embed(
        build_encoder({"type": "averaging", "size": side}, 4 * side * side, 0), store, "pre"
    )
    np.testing.assert_array_equal(out[:, :used], full[:, :used])


# --- random --------------------------------------------------------------------------


def test_random_does_not_depend_on_batches(store):
    encoder = build_encoder({"type": "random"}, 16, 7)
    ids = store.sample_ids

    def run(order, seasons=(0, 1, 2, 3)):
        return encoder.encode(CubeBatch({}, np.array(order), [ids[i] for i in order], seasons))

    everything = run(list(range(12)))
    reversed_batch = run(list(range(11, -1, -1)))[::-1]
    in_pieces = np.concatenate([run([0, 1, 2]), run(list(range(3, 12)))])
    np.testing.assert_array_equal(everything, reversed_batch)
    np.testing.assert_array_equal(everything, in_pieces)
    assert not np.allclose(everything[0], everything[1])
    assert not np.allclose(run([0], (0,)), run([0], (1,)))
    # Close to standard normal overall.
    big = build_encoder({"type": "random"}, 4096, 0).encode(
        CubeBatch({}, np.arange(3), ["a", "b", "c"], (0,))
    )
    assert abs(big.mean()) < 0.05
    assert abs(big.std() - 1) < 0.05


# --- rcf -----------------------------------------------------------------------------


def rcf_reference(cubes, kernels, bias, stride):
    """Valid cross-correlation with numpy windows, then mean ReLU(+/- response - bias)."""
    images = normalised(cubes)[:, 0]  # [n, 27, H, W]
    k = kernels.shape[-1]
    windows = sliding_window_view(images, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    response = np.einsum("nchwij,kcij->nkhw", windows, kernels)
    positive = np.maximum(response - bias, 0).mean(axis=(2, 3))
    negative = np.maximum(-response - bias, 0).mean(axis=(2, 3))
    return np.concatenate([positive, negative], axis=1)


@pytest.mark.parametrize(
    ("dim", "kernel_size", "stride", "bias"), [(64, 3, 1, 1.0), (33, 5, 2, 0.5)]
)
def test_rcf_matches_numpy_reference(store, dim, kernel_size, stride, bias):
    spec = {"type": "rcf", "kernel_size": kernel_size, "stride": stride, "bias": bias}
    encoder = build_encoder({**spec, "device": "cpu"}, dim, 11)
    cubes = {name: store.read(name, slice(0, 4))[:, 1:2] for name in encoder.inputs}
    ours = encoder.encode(CubeBatch(cubes, np.arange(4), store.sample_ids[:4], (1,)))
    kernels = encoder.kernels.numpy().astype(np.float64)
    assert kernels.shape == ((dim + 1) // 2, 27, kernel_size, kernel_size)
    expected = rcf_reference(cubes, kernels, bias, stride)[:, :dim]
    assert ours.shape == (4, dim)
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-5)


def test_rcf_chunks_give_the_same_features(store, monkeypatch):
    import eobench.encoders.rcf as rcf_module

    encoder = build_encoder({"type": "rcf", "device": "cpu"}, 32, 0)
    cubes = {name: store.read(name, slice(0, 6))[:, :1] for name in encoder.inputs}
    batch = CubeBatch(cubes, np.arange(6), store.sample_ids[:6], (0,))
    whole = encoder.encode(batch)
    monkeypatch.setattr(rcf_module, "RESPONSE_BYTES", 1)  # one image per chunk
    np.testing.assert_allclose(encoder.encode(batch), whole, rtol=1e-6, atol=1e-7)


# --- pca -----------------------------------------------------------------------------


def pca_features(cubes, side):
    """Normalised channels resized with scipy (the notebook's resize), flattened."""
    data = normalised(cubes)
    n, t, _, h, w = data.shape
    return zoom(data, (1, 1, 1, side / h, side / w), order=1).reshape(n * t, -1)


@pytest.mark.parametrize("aggregation", ["pre", "post"])
def test_pca_matches_sklearn(store, aggregation):
    dim, side, train = 16, 3, np.arange(8)
    cubes = {name: store.read(name) for name in ("s2l1c", "s2l2a", "s1")}
    if aggregation == "pre":
        seasons = [{k: v.astype(np.float64).mean(axis=1, keepdims=True) for k, v in cubes.items()}]
    else:
        seasons = [{k: v[:, t : t + 1] for k, v in cubes.items()} for t in range(SEASONS)]
    train_features = np.concatenate([pca_features(s, side)[train] for s in seasons])
    rank = min(len(train_features) - 1, dim)  # 7 for pre (8 rows), 16 for post (32 rows)
    reference = PCA(n_components=rank, svd_solver="full").fit(train_features)
    expected = np.mean([reference.transform(pca_features(s, side)) for s in seasons], axis=0)

    encoder = build_encoder({"type": "pca", "size": side}, dim, 0)
    ours = embed(encoder, store, aggregation)
    np.testing.assert_allclose(encoder.components_[:rank], reference.components_, atol=1e-4)
    np.testing.assert_allclose(
        encoder.explained_variance_[:rank], reference.explained_variance_, rtol=1e-4
    )
    np.testing.assert_allclose(ours[:, :rank], expected, atol=1e-3 * np.abs(expected).max())
    assert np.all(ours[:, rank:] == 0)
    assert np.all(encoder.components_[rank:] == 0)


def test_pca_fits_on_training_rows_only(tmp_path):
    def change_row(row):
        def edit(cubes, latents):
            cubes["s2l2a"][row] = 5000 - cubes["s2l2a"][row]
            cubes["s1"][row] += 3.0

        return edit

    def fitted(path, edit=None):
        encoder = build_encoder({"type": "pca", "size": 4}, 16, 0)
        encoder.fit(make_store(path, edit=edit), np.arange(8), "post")
        return encoder

    original = fitted(tmp_path / "a.zarr")
    test_row_changed = fitted(tmp_path / "b.zarr", change_row(10))
    train_row_changed = fitted(tmp_path / "c.zarr", change_row(3))
    np.testing.assert_array_equal(original.components_, test_row_changed.components_)
    np.testing.assert_array_equal(original.mean_, test_row_changed.mean_)
    assert not np.allclose(original.mean_, train_row_changed.mean_)


def test_pca_streaming_moments_match_numpy():
    from eobench.encoders.pca import StreamingMoments

    rng = np.random.default_rng(1)
    rows = rng.normal(1e4, 1.0, size=(103, 6))  # large mean: cancellation would show
    moments = StreamingMoments()
    for start in range(0, len(rows), 10):
        moments.update(rows[start : start + 10])
    np.testing.assert_allclose(moments.mean, rows.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(moments.covariance(), np.cov(rows, rowvar=False), atol=1e-9)


# --- oracle --------------------------------------------------------------------------


def test_oracle_repeats_min_max_scaled_latents(store):
    latents = store.read("latents").astype(np.float64)
    scaled = (latents - latents.min(axis=0)) / np.ptp(latents, axis=0)
    outputs = {
        aggregation: embed(build_encoder({"type": "oracle"}, 16, 0), store, aggregation)
        for aggregation in ("pre", "post", "none")
    }
    # 5 latents repeated over 16 columns: 0..4, 0..4, 0..4, 0.
    np.testing.assert_allclose(outputs["pre"][:, :5], scaled, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(outputs["pre"][:, 5:10], outputs["pre"][:, :5])
    np.testing.assert_array_equal(outputs["pre"][:, 15], outputs["pre"][:, 0])
    assert outputs["pre"].min() == 0 and outputs["pre"].max() == 1
    np.testing.assert_array_equal(outputs["pre"], outputs["post"])
    np.testing.assert_array_equal(outputs["pre"], outputs["none"])


def test_oracle_projects_when_latents_outnumber_columns(store):
    latents = store.read("latents").astype(np.float64)
    encoder = build_encoder({"type": "oracle"}, 3, 4)
    ours = embed(encoder, store, "pre")
    projection = encoder.projection_
    np.testing.assert_allclose(projection.T @ projection, np.eye(3), atol=1e-12)
    projected = latents @ projection
    expected = (projected - projected.min(axis=0)) / np.ptp(projected, axis=0)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)
    other = build_encoder({"type": "oracle"}, 3, 5)
    other.fit(store, np.arange(8), "pre")
    assert not np.allclose(other.projection_, projection)


def test_the_type_table_names_every_encoder_class_and_its_time_series_support():
    """eobench.encoders.ENCODER_TYPES, which config checks read without importing torch."""
    from eobench.encoders import ENCODER_TYPES, ENCODERS, load_builtin_encoders

    load_builtin_encoders()
    assert set(ENCODERS) == set(ENCODER_TYPES)
    for name, cls in ENCODERS.items():
        assert ENCODER_TYPES[name] == (cls.__module__, cls.supports_time_series), name
