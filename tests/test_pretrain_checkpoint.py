"""Pretrained checkpoints as encoders and adaptation backbones: the metadata checks (one
line naming the file) and the embeddings they give."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from eobench.data.bands import S2L2A_BANDS
from eobench.errors import EobenchError
from eobench.pretraining.backbones import ConvNeXtV2
from eobench.pretraining.checkpoint import (
    CHECKPOINT_FORMAT,
    backbone_from_checkpoint,
    load_pretrained,
    normalise,
)

ARCHITECTURE = {"type": "convnextv2", "patch_size": 4, "width": 16, "depth": 1, "kernel_size": 3}
MEAN = [1000.0 + 10 * i for i in range(12)]
STD = [500.0 + 5 * i for i in range(12)]


def write_checkpoint(path, architecture=ARCHITECTURE, bands=S2L2A_BANDS, **changes):
    """A checkpoint in the format rule pretrain writes (eobench/pretraining/run.py)."""
    torch.manual_seed(0)
    params = {k: v for k, v in ARCHITECTURE.items() if k != "type"}
    backbone = ConvNeXtV2([f"sentinel2:{b}" for b in S2L2A_BANDS], **params)
    state = {
        "format": CHECKPOINT_FORMAT,
        "method": {"name": "mpmae", "method": "mpmae", "backbone": "convnextv2"},
        "architecture": dict(architecture),
        "inputs": {"array": "s2l2a", "modality": "sentinel2", "bands": list(bands)},
        "normalisation": {"mean": MEAN, "std": STD, "nodata": 0.0},
        "image_size": 16,
        "seed": 42,
        "epochs": 3,
        "dataset": "synth_geomeld",
        "objectives": {},
        "reconstruct": [],
        "vocabulary": [],
        "state": backbone.state_dict(),
        "method_state": {},
        **changes,
    }
    torch.save(state, path)
    return path, backbone.eval()


def test_a_file_that_is_no_checkpoint_is_one_line_naming_it(tmp_path):
    with pytest.raises(EobenchError, match="not found"):
        load_pretrained(tmp_path / "missing.pt")
    torch.save({"format": "other"}, tmp_path / "other.pt")
    with pytest.raises(EobenchError, match=r"other\.pt: not an eobench pretrained checkpoint"):
        load_pretrained(tmp_path / "other.pt")
    torch.save({"format": CHECKPOINT_FORMAT, "method": {}}, tmp_path / "bare.pt")
    with pytest.raises(EobenchError, match=r"bare\.pt: checkpoint metadata lacks"):
        load_pretrained(tmp_path / "bare.pt")


def test_metadata_must_match_the_weights_architecture_and_inputs(tmp_path):
    path, _ = write_checkpoint(tmp_path / "ok.pt")
    state = load_pretrained(path)
    with pytest.raises(EobenchError, match=r"ok\.pt: checkpoint was trained on bands"):
        backbone_from_checkpoint(state, bands=["B04", "B03", "B02"])
    with pytest.raises(EobenchError, match=r"ok\.pt: checkpoint architecture .* does not match"):
        backbone_from_checkpoint(state, architecture={**ARCHITECTURE, "width": 32})
    # metadata claiming another width than the weights have
    wide, _ = write_checkpoint(tmp_path / "wide.pt", {**ARCHITECTURE, "width": 32})
    with pytest.raises(EobenchError, match=r"wide\.pt: weights do not match the architecture"):
        backbone_from_checkpoint(load_pretrained(wide))
    odd, _ = write_checkpoint(tmp_path / "odd.pt", {"type": "resnet"})
    with pytest.raises(EobenchError, match=r"odd\.pt: checkpoint architecture 'resnet'"):
        load_pretrained(odd)


def test_normalise_uses_the_checkpoints_moments_and_zeroes_nodata(tmp_path):
    path, _ = write_checkpoint(tmp_path / "ok.pt")
    state = load_pretrained(path)
    values = np.full((1, 12, 2, 2), 2000.0, np.float32)
    values[0, :, 0, 0] = 0.0  # a nodata pixel in every band
    z = normalise(state, values, band_axis=1)
    assert z[0, 3, 1, 1] == pytest.approx((2000 - MEAN[3]) / STD[3])
    assert (z[0, :, 0, 0] == 0).all()


def test_encoder_embeds_with_the_checkpoint_and_checks_its_method(tmp_path):
    from eobench.encoders import build_encoder
    from eobench.encoders.base import CubeBatch

    path, backbone = write_checkpoint(tmp_path / "ok.pt")
    spec = {"type": "pretrained_checkpoint", "checkpoint": str(path), "method": "mpmae"}
    encoder = build_encoder(spec, embedding_dim=32, seed=0, key="encoders.pt")
    cubes = np.random.default_rng(0).uniform(0, 4000, (3, 2, 12, 32, 32)).astype(np.float32)
    batch = CubeBatch({"s2l2a": cubes}, np.arange(3), ["a", "b", "c"], (0, 1))
    embedding = encoder.encode(batch)
    # reference: standardise by hand, mean token per season, mean over seasons, zero pad
    z = (cubes - np.array(MEAN, np.float32)[:, None, None]) / np.array(STD, np.float32)[
        :, None, None
    ]
    with torch.no_grad():
        tokens = backbone.tokens(torch.from_numpy(z.reshape(6, 12, 32, 32).astype(np.float32)))
    expected = tokens.mean(1).numpy().reshape(3, 2, 16).mean(1)
    assert embedding.shape == (3, 32)
    np.testing.assert_allclose(embedding[:, :16], expected, rtol=1e-4, atol=1e-5)
    assert (embedding[:, 16:] == 0).all()
    assert encoder.metadata()["method"] == "mpmae"
    (wanted,) = encoder.contract().arrays
    assert (wanted.array, wanted.bands, wanted.units) == ("s2l2a", tuple(S2L2A_BANDS), "DN")
    with pytest.raises(EobenchError, match=r"encoders\.pt: .*ok\.pt: checkpoint of method 'mpmae'"):
        build_encoder({**spec, "method": "mae"}, embedding_dim=32, seed=0, key="encoders.pt")


def test_adaptation_backbone_from_a_checkpoint(tmp_path):
    from eobench.adaptation.backbones import build_backbone

    path, reference = write_checkpoint(tmp_path / "ok.pt")
    channels = [f"sentinel2:{b}" for b in S2L2A_BANDS]
    spec = {"type": "pretrained_checkpoint", "checkpoint": str(path), "method": "mpmae"}
    backbone = build_backbone(spec, channels, 16, seed=1, key="adaptation.encoders.pt")
    x = torch.randn(2, 12, 16, 16)
    with torch.no_grad():
        assert torch.allclose(backbone(x), reference(x))
    assert backbone.width == 16 and backbone.weights == "pretrained"
    twin = build_backbone({**spec, "pretrained": False}, channels, 16, 1, "adaptation.encoders.pt")
    assert twin.weights == "random_init"
    assert not torch.allclose(twin(x), reference(x))
    with pytest.raises(EobenchError, match=r"ok\.pt: checkpoint was trained on inputs"):
        build_backbone(spec, channels[:3], 16, 1, "adaptation.encoders.pt")
