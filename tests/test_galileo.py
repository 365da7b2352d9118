"""Galileo-nano: normaliser, network, pooling and encoder against upstream's own outputs.

References are recorded with the official code (nasaharvest/galileo @ 0f0b5b9) by
``tests/fixtures/galileo/make_reference.py``; ``normalization.json`` there is upstream's
``config/normalization.json`` (MIT). Tests that need the shipped weights skip without
``../shared/real/weights/galileo-nano``.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import shared_real_dir

from eobench.aggregation import encode_batch
from eobench.data.bands import S2L1C_BANDS, SEASON_MONTHS
from eobench.encoders import build_encoder
from eobench.encoders.base import CubeBatch
from eobench.encoders.galileo.bands import (
    SPACE_TIME_BANDS,
    SPACE_TIME_GROUPS,
    STATIC_BANDS,
    STATIC_GROUPS,
    TENSOR_BANDS,
)
from eobench.encoders.galileo.checkpoint import NANO_ARCHITECTURE, load_galileo
from eobench.encoders.galileo.inputs import latlon_to_unit_vector, ndvi
from eobench.encoders.galileo.model import (
    GalileoEncoderModel,
    average_tokens,
    average_tokens_per_patch,
)
from eobench.encoders.galileo.normalise import GalileoNormaliser
from eobench.errors import EobenchError

FIXTURES = Path(__file__).parent / "fixtures" / "galileo"
STATISTICS = FIXTURES / "normalization.json"
WEIGHTS = shared_real_dir() / "weights" / "galileo-nano"
needs_weights = pytest.mark.skipif(
    not (WEIGHTS / "encoder.pt").is_file(), reason=f"Galileo-nano weights absent ({WEIGHTS})"
)
TENSORS = ("space_time", "space", "time", "static")
MASKS = ("space_time_mask", "space_mask", "time_mask", "static_mask")
#: Agreement with upstream at float32 (measured: at most 5e-7 on the fixtures).
ATOL = 1e-5


def load(name):
    with np.load(FIXTURES / name) as data:
        return dict(data)


# --- normaliser -------------------------------------------------------------------------


def test_normaliser_equals_upstream_training_normalizer():
    ref = load("normaliser.npz")
    ours = GalileoNormaliser.from_json(STATISTICS)
    for tensor in TENSORS:
        raw, expected = ref[f"raw_{tensor}"], ref[f"upstream_{tensor}"]
        np.testing.assert_allclose(ours.normalise(tensor, raw), expected, rtol=0, atol=1e-12)
    as_float32 = ours(*(ref[f"raw_{t}"] for t in TENSORS))
    for tensor, got in zip(TENSORS, as_float32, strict=True):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, ref[f"upstream_{tensor}"], rtol=1e-6, atol=1e-6)


def test_construct_galileo_input_applies_only_the_fixed_constants():
    ref = load("normaliser.npz")
    fixed, trained = GalileoNormaliser.fixed(), GalileoNormaliser.from_json(STATISTICS)
    for tensor in TENSORS:
        raw, normalized = ref[f"construct_raw_{tensor}"], ref[f"construct_normalized_{tensor}"]
        np.testing.assert_allclose(fixed.normalise(tensor, raw), normalized, atol=1e-12)
    # ... which is not the training normalisation (Sentinel-2 differs by far).
    raw = ref["construct_raw_space_time"]
    gap = np.abs(trained.normalise("space_time", raw) - ref["construct_normalized_space_time"])
    assert gap.max() > 0.5


def test_training_normaliser_shift_and_div_follow_mean_and_four_std():
    statistics = json.loads(STATISTICS.read_text())
    ours = GalileoNormaliser.from_json(STATISTICS)
    mean, std = (np.array(statistics["13"][k]) for k in ("mean", "std"))
    vv = SPACE_TIME_BANDS.index("VV")
    b8 = SPACE_TIME_BANDS.index("B8")
    for band in (vv, b8):
        assert ours.shift["space_time"][band] == pytest.approx(mean[band] - 2 * std[band])
        assert ours.div["space_time"][band] == pytest.approx(4 * std[band])
    ndvi_band = SPACE_TIME_BANDS.index("NDVI")  # fixed 0, 1 despite its statistics
    assert (ours.shift["space_time"][ndvi_band], ours.div["space_time"][ndvi_band]) == (0, 1)
    location = STATIC_BANDS.index("x")
    assert (ours.shift["static"][location], ours.div["static"][location]) == (0, 1)
    wc = TENSOR_BANDS["space"].index("WC_maize")
    assert (ours.shift["space"][wc], ours.div["space"][wc]) == (0, 100)
    elevation = TENSOR_BANDS["space"].index("elevation")
    assert ours.div["space"][elevation] == pytest.approx(4 * statistics["16"]["std"][elevation])


def test_malformed_statistics_are_named(tmp_path):
    statistics = json.loads(STATISTICS.read_text())
    del statistics["16"]
    path = tmp_path / "normalization.json"
    path.write_text(json.dumps(statistics))
    with pytest.raises(EobenchError, match=r"normalization\.json: no statistics under key '16'"):
        GalileoNormaliser.from_json(path)
    statistics = json.loads(STATISTICS.read_text())
    statistics["6"]["std"] = statistics["6"]["std"][:5]
    path.write_text(json.dumps(statistics))
    with pytest.raises(EobenchError, match=r"key '6'\.std must list 6 numbers \(found 5\)"):
        GalileoNormaliser.from_json(path)


# --- network and pooling against upstream ---------------------------------------------------


@pytest.fixture(scope="module")
def nano():
    if not (WEIGHTS / "encoder.pt").is_file():
        pytest.skip(f"Galileo-nano weights absent ({WEIGHTS})")
    return load_galileo(WEIGHTS)


def forward_inputs(ref):
    arrays = [ref[f"in_{t}"].astype(np.float32) for t in (*TENSORS, *MASKS)]
    return [torch.from_numpy(a) for a in arrays] + [torch.from_numpy(ref["in_months"])]


@pytest.mark.parametrize("case", ["a", "b", "c"])
def test_forward_and_pooling_equal_upstream(nano, case):
    ref = load(f"forward_{case}.npz")
    with torch.inference_mode():
        out = nano(*forward_inputs(ref), patch_size=int(ref["patch_size"]))
        pooled, per_patch = average_tokens(out), average_tokens_per_patch(out)
    for name, got in zip((*TENSORS, *MASKS), out[:8], strict=True):
        expected = ref[f"out_{name}"]
        assert got.shape == expected.shape, name
        np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=ATOL, err_msg=name)
    np.testing.assert_allclose(pooled.numpy(), ref["out_pooled"], rtol=0, atol=ATOL)
    np.testing.assert_allclose(per_patch.numpy(), ref["out_pooled_per_patch"], rtol=0, atol=ATOL)


def band_mask(group_mask, groups, n_bands):
    """Spread a per-group mask ``[..., G]`` to the bands ``[..., C]`` of each group."""
    out = torch.zeros((*group_mask.shape[:-1], n_bands))
    for g, channels in enumerate(groups.values()):
        out[..., list(channels)] = group_mask[..., g : g + 1]
    return out


def test_values_under_masks_do_not_reach_pooled_outputs(nano):
    ref = load("forward_a.npz")
    inputs = forward_inputs(ref)
    patch = int(ref["patch_size"])
    noisy = list(inputs)
    for index, groups in ((0, SPACE_TIME_GROUPS), (3, STATIC_GROUPS)):
        masked = band_mask(inputs[index + 4], groups, inputs[index].shape[-1]) == 1
        assert masked.any()
        noisy[index] = torch.where(masked, 1e3, inputs[index])
    with torch.inference_mode():
        clean, dirty = nano(*inputs, patch_size=patch), nano(*noisy, patch_size=patch)
    torch.testing.assert_close(average_tokens(dirty), average_tokens(clean), rtol=0, atol=1e-6)
    torch.testing.assert_close(
        average_tokens_per_patch(dirty), average_tokens_per_patch(clean), rtol=0, atol=1e-6
    )


def random_inputs(b=2, h=8, t=2, seed=0):
    rng = torch.Generator().manual_seed(seed)
    return [
        torch.rand(b, h, h, t, 13, generator=rng),
        torch.rand(b, h, h, 16, generator=rng),
        torch.rand(b, t, 6, generator=rng),
        torch.rand(b, 18, generator=rng),
        torch.zeros(b, h, h, t, 7),
        torch.ones(b, h, h, 3),
        torch.ones(b, t, 3),
        torch.tensor([[1.0, 0, 1, 1]] * b),
        torch.tensor([[3, 6]] * b),
    ]


def test_eval_mode_switches_stochastic_depth_off():
    torch.manual_seed(0)
    model = GalileoEncoderModel(**NANO_ARCHITECTURE)  # drop_path 0.1, as nano's config
    inputs = random_inputs()
    with torch.no_grad():
        model.eval()
        first, second = (average_tokens(model(*inputs, patch_size=4)) for _ in range(2))
        torch.testing.assert_close(first, second, rtol=0, atol=0)
        model.train()
        drawn = [average_tokens(model(*inputs, patch_size=4)) for _ in range(4)]
    assert any(not torch.equal(d, first) for d in drawn)


# --- strict loading -------------------------------------------------------------------------


def write_checkpoint(folder: Path, state: dict) -> Path:
    folder.mkdir(exist_ok=True)
    torch.save(state, folder / "encoder.pt")
    config = {"model": {"encoder": {**NANO_ARCHITECTURE, "freeze_projections": False}}}
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.fixture
def random_state():
    torch.manual_seed(1)
    return GalileoEncoderModel(**NANO_ARCHITECTURE).state_dict()


def test_checkpoint_round_trip_loads_every_key(tmp_path, random_state):
    model = load_galileo(write_checkpoint(tmp_path / "ok", random_state))
    assert not model.training
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, random_state[key], rtol=0, atol=0)


def test_missing_key_is_named(tmp_path, random_state):
    del random_state["blocks.2.attn.k.bias"]
    folder = write_checkpoint(tmp_path / "missing", random_state)
    with pytest.raises(EobenchError, match=r"encoder\.pt: 1 model key\(s\) missing.*'blocks\.2"):
        load_galileo(folder)


def test_extra_key_is_named(tmp_path, random_state):
    random_state["decoder.mask_token"] = torch.zeros(128)
    folder = write_checkpoint(tmp_path / "extra", random_state)
    with pytest.raises(EobenchError, match=r"does not have \(first: 'decoder\.mask_token'\)"):
        load_galileo(folder)


def test_wrong_shape_is_named(tmp_path, random_state):
    random_state["space_time_embed.S2_RGB.proj.weight"] = torch.zeros(128, 4, 8, 8)
    folder = write_checkpoint(tmp_path / "shape", random_state)
    message = (
        r"encoder\.pt: key 'space_time_embed\.S2_RGB\.proj\.weight' has shape "
        r"\(128, 4, 8, 8\), expected \(128, 3, 8, 8\)"
    )
    with pytest.raises(EobenchError, match=message):
        load_galileo(folder / "encoder.pt")


def test_unknown_architecture_key_is_named(tmp_path, random_state):
    folder = write_checkpoint(tmp_path / "config", random_state)
    config = json.loads((folder / "config.json").read_text())
    config["model"]["encoder"]["qk_norm"] = True
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(EobenchError, match=r"config\.json: model\.encoder has unknown keys"):
        load_galileo(folder)


# --- inputs ---------------------------------------------------------------------------------


def test_location_is_a_unit_vector():
    got = latlon_to_unit_vector(np.array([[0.0, 0.0], [0.0, 90.0], [90.0, 10.0], [-30, 180]]))
    expected = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [-np.sqrt(3) / 2, 0, -0.5]]
    np.testing.assert_allclose(got, expected, atol=1e-12)
    with pytest.raises(EobenchError, match="latitude/longitude must be degrees"):
        latlon_to_unit_vector(np.array([[95.0, 0.0]]))


def test_ndvi_is_zero_without_signal():
    nir, red = np.array([3000.0, 0.0, 500.0]), np.array([1000.0, 0.0, 1500.0])
    np.testing.assert_allclose(ndvi(nir, red), [0.5, 0.0, -0.5])


# --- the eobench encoder --------------------------------------------------------------------


def store_cubes(rng, b=3, t=4, side=32):
    s1 = rng.normal(-12, 4, (b, t, 2, side, side)).astype(np.float32)
    s2 = rng.gamma(4.0, 450.0, (b, t, 13, side, side)).astype(np.float32)
    return {"s1": s1, "s2l1c": s2}


LATLON = np.array([[48.2, 16.4], [-23.5, -46.6], [35.7, 139.7]])


def twin(dim=200, seed=0, **params):
    spec = {"type": "galileo", "pretrained": False, **params}
    return build_encoder(spec, dim, seed)


@needs_weights
@pytest.mark.parametrize("aggregation", ["pre", "post", "none"])
def test_encoder_equals_upstream_pipeline(aggregation):
    ref = load("pipeline.npz")
    encoder = build_encoder({"type": "galileo", "checkpoint": str(WEIGHTS)}, 128, 0)
    cubes = {"s1": ref["s1"].astype(np.float32), "s2l1c": ref["s2l1c"]}
    rows = np.arange(len(ref["latlon"]))
    ours = encode_batch(encoder, cubes, rows, ["a", "b"], aggregation, latlon=ref["latlon"])
    np.testing.assert_allclose(ours, ref[f"pooled_{aggregation}"], rtol=0, atol=ATOL)


def test_encoder_shape_padding_and_determinism():
    cubes = store_cubes(np.random.default_rng(0))
    batch = CubeBatch(cubes, np.arange(3), ["a", "b", "c"], (0, 1, 2, 3), LATLON)
    first, again = twin(seed=4).encode(batch), twin(seed=4).encode(batch)
    assert first.shape == (3, 200) and first.dtype == np.float32
    assert np.isfinite(first).all()
    np.testing.assert_array_equal(first[:, 128:], 0)  # 128 features, zero-padded to N
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, twin(seed=5).encode(batch))


def test_encoder_runs_in_eval_mode_whatever_the_caller_did():
    cubes = store_cubes(np.random.default_rng(1), b=2)
    batch = CubeBatch(cubes, np.arange(2), ["a", "b"], (0, 1, 2, 3), LATLON[:2])
    encoder = twin()
    before = encoder.encode(batch)
    encoder.model.train()
    after = encoder.encode(batch)
    assert not encoder.model.training
    np.testing.assert_array_equal(before, after)


def test_band_order_matters_and_unread_bands_do_not():
    cubes = store_cubes(np.random.default_rng(2), b=2, t=1)
    batch = CubeBatch(cubes, np.arange(2), ["a", "b"], (1,), LATLON[:2])
    encoder = twin()
    base = encoder.encode(batch)

    def swapped(one, two):
        s2 = cubes["s2l1c"].copy()
        i, j = S2L1C_BANDS.index(one), S2L1C_BANDS.index(two)
        s2[:, :, [i, j]] = s2[:, :, [j, i]]
        return encoder.encode(
            CubeBatch({**cubes, "s2l1c": s2}, batch.rows, ["a", "b"], (1,), LATLON[:2])
        )

    assert np.abs(swapped("B02", "B03") - base).max() > 1e-3
    assert np.abs(swapped("B04", "B08") - base).max() > 1e-3  # also flips NDVI
    np.testing.assert_array_equal(swapped("B01", "B10"), base)  # Galileo drops both


def test_months_of_each_aggregation():
    encoder = twin()
    np.testing.assert_array_equal(encoder.months((0, 1, 2, 3), 4), SEASON_MONTHS)
    np.testing.assert_array_equal(encoder.months((2,), 1), [SEASON_MONTHS[2]])
    np.testing.assert_array_equal(encoder.months((0, 1, 2, 3), 1), [5])  # season average
    assert twin(composite_month=6).months((0, 1, 2, 3), 1).tolist() == [6]


def test_encoder_errors_name_the_problem(tmp_path):
    with pytest.raises(EobenchError, match="config key weights"):
        build_encoder({"type": "galileo"}, 128, 0)
    with pytest.raises(EobenchError, match=r"patch_size must be an integer 1-8"):
        twin(patch_size=16)
    cubes = store_cubes(np.random.default_rng(3), b=1, t=1)
    with pytest.raises(EobenchError, match="no latitude/longitude"):
        twin().encode(CubeBatch(cubes, np.arange(1), ["a"], (0,), None))
    with pytest.raises(EobenchError, match="multiple of patch_size 5"):
        twin(patch_size=5).encode(CubeBatch(cubes, np.arange(1), ["a"], (0,), LATLON[:1]))
    torch.manual_seed(0)
    folder = write_checkpoint(tmp_path / "bare", GalileoEncoderModel().state_dict())
    with pytest.raises(EobenchError, match="config key normalization"):
        build_encoder({"type": "galileo", "checkpoint": str(folder)}, 128, 0)


@needs_weights
def test_metadata_names_weights_bands_and_units():
    meta = build_encoder({"type": "galileo", "checkpoint": str(WEIGHTS)}, 128, 0).metadata()
    assert len(meta["weights_sha256"]) == 64
    assert meta["bands"]["s2l1c"] == [
        "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12",
    ]  # fmt: skip
    assert meta["bands"]["s1"] == ["VV", "VH"]
    assert "dB" in meta["units"]["s1"] and "offset" in meta["units"]["s2l1c"]


def test_explicit_attention_equals_the_fused_kernel():
    """The written-out attention of the adaptation backbone (vmap-friendly) gives the fused
    kernel's values, masked keys included."""
    from eobench.encoders.galileo.model import SelfAttention

    torch.manual_seed(0)
    attention = SelfAttention(32, 4)
    x = torch.randn(3, 10, 32)
    keep = torch.rand(3, 10) > 0.3
    keep[:, 0] = True
    fused = attention(x, keep)
    attention.explicit = True
    assert torch.allclose(attention(x, keep), fused, atol=1e-5)
