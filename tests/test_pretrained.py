"""Encoder type ``pretrained``: inputs, checkpoint loading, and every buildable architecture.

Building an architecture needs timm / torchgeo / terratorch (``eobench[fm]``), which need
a torchvision matching the installed torch; where they cannot be imported those tests
skip, and the missing library must be one error line naming the extra.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

from eobench.data.bands import MODALITIES
from eobench.encoders import build_encoder
from eobench.encoders.base import CubeBatch
from eobench.encoders.pretrained import (
    FM_EXTRA,
    build_network,
    load_state_dict_checked,
    native_features,
    prepare_inputs,
    resize_and_crop,
    select_bands,
)
from eobench.encoders.weights import WEIGHTS
from eobench.errors import EobenchError


def _importable(module: str) -> str | None:
    """None when ``module`` imports, else why not (first line)."""
    try:
        importlib.import_module(module)
    except Exception as exc:  # torchvision built for another torch raises RuntimeError
        return f"{module} cannot be imported ({str(exc).splitlines()[0] if str(exc) else exc})"
    return None


TIMM_PROBLEM = _importable("timm")
TORCHGEO_PROBLEM = _importable("torchgeo.models")
TERRATORCH_PROBLEM = _importable("terratorch.registry")
TORCHVISION_NOTE = (
    "; timm/torchgeo need torchvision, which cannot work beside the CPU torch wheel of the "
    "project venv ('operator torchvision::nms does not exist'): run in a side venv"
)
PROBLEMS = {"timm": TIMM_PROBLEM, "torchgeo": TORCHGEO_PROBLEM, "terratorch": TERRATORCH_PROBLEM}


def _cube(modality, n=2, t=1, side=8, seed=0):
    bands = MODALITIES[modality].bands
    rng = np.random.default_rng(seed)
    cube = rng.uniform(0, 3000, (n, t, len(bands), side, side)).astype(np.float32)
    # Band i holds values near 10000 * i: a wrong band order shows at once.
    cube += 10000 * np.arange(len(bands), dtype=np.float32)[:, None, None]
    return cube


def test_select_bands_orders_as_the_weights_expect():
    cube = _cube("s2l1c")[:, 0]
    satlas = WEIGHTS["satlas_swinb_s2"].inputs[0]
    picked = select_bands(cube, "s2l1c", satlas.bands)
    store = MODALITIES["s2l1c"].bands
    for position, band in enumerate(satlas.bands):
        np.testing.assert_array_equal(picked[:, position], cube[:, store.index(band)])
    with pytest.raises(EobenchError, match="no band 'B10'"):
        select_bands(_cube("s2l2a")[:, 0], "s2l2a", ("B10",))


def test_bilinear_resize_of_a_ramp_matches_the_closed_form():
    # align_corners=False: output pixel i samples input coordinate (i + 0.5) / 2 - 0.5,
    # clamped to the image; a linear ramp stays linear in between.
    ramp = torch.arange(8, dtype=torch.float32).repeat(8, 1)[None, None]
    out = resize_and_crop(ramp, 16, None)[0, 0, 0].numpy()
    expected = np.clip((np.arange(16) + 0.5) / 2 - 0.5, 0, 7)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    cropped = resize_and_crop(ramp, 16, 10)
    assert cropped.shape[-2:] == (10, 10)
    np.testing.assert_allclose(cropped[0, 0, 0].numpy(), expected[3:13], atol=1e-6)


def test_prepare_inputs_selects_resizes_and_normalises():
    weights = WEIGHTS["ssl4eo_s12_resnet50_moco"]
    cube = _cube("s2l1c", side=8)[:, 0]
    prepared = prepare_inputs({"s2l1c": cube}, weights, 8, None)["s2l1c"].numpy()
    np.testing.assert_allclose(prepared, cube / 10000.0, rtol=1e-6)
    resized = prepare_inputs({"s2l1c": cube}, weights, 16, 12)["s2l1c"]
    assert resized.shape == (2, 13, 12, 12)


def test_prepare_inputs_keeps_modalities_apart():
    weights = WEIGHTS["terramind_v1_base"]
    cubes = {"s2l1c": _cube("s2l1c")[:, 0], "s1": _cube("s1")[:, 0] - 30}
    prepared = prepare_inputs(cubes, weights, None, None)
    s1 = weights.inputs[1].normalisation
    expected = (cubes["s1"] - np.array(s1.shift)[:, None, None]) / np.array(s1.scale)[:, None, None]
    np.testing.assert_allclose(prepared["s1"].numpy(), expected, rtol=1e-5)
    assert prepared["s2l1c"].shape[1] == 13


class _Toy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Linear(3, 4)
        self.head = torch.nn.Linear(4, 2)


def test_checkpoint_loading_accounts_for_every_key(tmp_path):
    reference = _Toy().state_dict()
    path = tmp_path / "toy.pt"
    state = {k: v for k, v in reference.items() if not k.startswith("head.")}
    model = _Toy()
    load_state_dict_checked(model, state, frozenset({"head.weight", "head.bias"}), path)
    torch.testing.assert_close(model.body.weight, reference["body.weight"])
    cases = {
        "'body.bias' missing": {k: v for k, v in reference.items() if k != "body.bias"},
        "unexpected key 'extra'": {**reference, "extra": torch.zeros(1)},
        "shape (4, 4), expected (4, 3)": {**reference, "body.weight": torch.zeros(4, 4)},
    }
    for message, broken in cases.items():
        with pytest.raises(EobenchError) as error:
            load_state_dict_checked(_Toy(), broken, frozenset(), path)
        assert message in str(error.value) and str(path) in str(error.value)
        assert "\n" not in str(error.value)


def test_dedicated_encoder_weights_are_refused():
    with pytest.raises(EobenchError, match="encoder type 'presto'"):
        build_encoder({"type": "pretrained", "weights": "presto"}, 16, 0)
    with pytest.raises(EobenchError, match="unknown weights"):
        build_encoder({"type": "pretrained", "weights": "nope"}, 16, 0)


def test_fixed_size_networks_refuse_another_input_size():
    spec = {"type": "pretrained", "weights": "dofa_base", "pretrained": False, "input_size": 64}
    with pytest.raises(EobenchError, match="224 x 224 pixels only"):
        build_encoder(spec, 16, 0)


def test_checkpoint_is_verified_before_building(tmp_path):
    weights = WEIGHTS["ssl4eo_s12_resnet50_moco"]
    folder = tmp_path / weights.name
    folder.mkdir()
    (folder / weights.checkpoint.filename).write_bytes(b"not the published file")
    with pytest.raises(EobenchError) as error:
        build_encoder(
            {"type": "pretrained", "weights": weights.name, "checkpoint": str(folder)}, 16, 0
        )
    assert "sha256 prefix mismatch" in str(error.value)
    assert weights.checkpoint.filename in str(error.value)
    with pytest.raises(EobenchError, match="no checkpoint"):
        build_encoder({"type": "pretrained", "weights": weights.name}, 16, 0)


@pytest.mark.skipif(TIMM_PROBLEM is None, reason="timm imports here")
def test_missing_library_is_one_line_naming_the_extra():
    spec = {"type": "pretrained", "weights": "ssl4eo_s12_vits16_moco", "pretrained": False}
    with pytest.raises(EobenchError) as error:
        build_encoder(spec, 16, 0)
    assert FM_EXTRA in str(error.value) and "'timm'" in str(error.value)
    assert "\n" not in str(error.value)


BUILDABLE = [w for w in sorted(WEIGHTS) if WEIGHTS[w].encoder_type == "pretrained"]


def _skip_unless_library(weights):
    library = WEIGHTS[weights].architecture.library
    problem = PROBLEMS[library] or (TIMM_PROBLEM if library == "torchgeo" else None)
    if problem:
        pytest.skip(problem + TORCHVISION_NOTE)


@pytest.mark.parametrize("weights", BUILDABLE)
def test_architecture_builds_with_the_native_width(weights):
    _skip_unless_library(weights)
    entry = WEIGHTS[weights]
    torch.manual_seed(0)
    network = build_network(entry, None).eval()
    side = 64 if entry.resizable else entry.input_size
    cubes = {m: _cube(m, side=side)[:, 0] for m in entry.modalities}
    with torch.inference_mode():
        features = native_features(network, prepare_inputs(cubes, entry, side, None), entry)
    assert features.shape == (2, entry.native_width)
    assert torch.isfinite(features).all()


@pytest.mark.parametrize("weights", ["ssl4eo_s12_resnet50_moco", "ssl4eo_s12_vits16_dino"])
def test_encoder_random_twin_embeds_and_is_deterministic(weights, tmp_path):
    _skip_unless_library(weights)
    spec = {"type": "pretrained", "weights": weights, "pretrained": False, "input_size": 32}
    encoder = build_encoder(spec, 1000, 3)
    assert not encoder.network.training
    cube = _cube("s2l1c", n=3, t=2, side=16)
    batch = CubeBatch({"s2l1c": cube}, np.arange(3), ["a", "b", "c"], (0, 1, 2, 3))
    first, second = encoder.encode(batch), encoder.encode(batch)
    assert first.shape == (3, 1000) and first.dtype == np.float32
    np.testing.assert_array_equal(first, second)
    width = WEIGHTS[weights].native_width
    if width < 1000:  # ViT recipe: zero padding
        assert not first[:, width:].any()
    # A saved random network loads back and gives the same features.
    path = tmp_path / "random.pt"
    torch.save(encoder.network.state_dict(), path)
    reloaded = build_network(WEIGHTS[weights], path).eval()
    inputs = prepare_inputs({"s2l1c": cube[:, 0]}, WEIGHTS[weights], 32, None)
    with torch.inference_mode():
        torch.testing.assert_close(
            native_features(reloaded, inputs, WEIGHTS[weights]),
            native_features(encoder.network, inputs, WEIGHTS[weights]),
        )
