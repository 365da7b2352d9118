"""Backbones for adaptation: an image ``[B, C, H, W]`` in, a feature map ``[B, D, h, w]`` out.

A backbone is one file here and one entry of ``adaptation.encoders`` (its ``type``). Each
class takes the input channel names (``modality:band``) and the tile side in pixels, then
its config parameters (the seed of the job initialises it), and exposes ``width`` (D) and
``weights`` (``pretrained`` or ``random_init``, the method key's column).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from eobench.errors import EobenchError

#: Backbone ``type`` -> the module defining it (imported only when a job builds one, so
#: that checking a config does not import torch).
BACKBONE_MODULES: dict[str, str] = {
    "vit": "eobench.adaptation.backbones.vit",
    "galileo": "eobench.adaptation.backbones.galileo",
    "pretrained_checkpoint": "eobench.adaptation.backbones.pretrained_checkpoint",
}
BACKBONES: dict[str, type] = {}


def register(cls):
    """Class decorator: make a backbone available under its ``name``."""
    BACKBONES[cls.name] = cls
    return cls


def build_backbone(
    spec: Mapping[str, Any], channels: Sequence[str], image_size: int, seed: int, key: str
) -> Any:
    """The backbone of config entry ``spec`` (``type`` and its parameters) for tiles of
    ``image_size`` pixels, initialised under ``seed``."""
    import torch

    params = dict(spec)
    kind = params.pop("type", None)
    if kind not in BACKBONE_MODULES:
        raise EobenchError(
            f"config key {key}.type: unknown backbone {kind!r} (known: {sorted(BACKBONE_MODULES)})"
        )
    importlib.import_module(BACKBONE_MODULES[kind])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        try:
            return BACKBONES[kind](list(channels), image_size, **params)
        except TypeError as error:
            raise EobenchError(f"config key {key}: {error}") from None
