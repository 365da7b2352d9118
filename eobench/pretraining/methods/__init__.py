"""Pretraining methods behind a registry: one module each, one ``pretraining.methods`` entry.

A method wraps the backbone being pretrained with the heads its objective needs and
returns, for one batch, the loss and its named terms (the training curves' columns).
Methods say which parts of a batch they read (``needs``: ``reconstruct`` for the other
modalities, ``captions``, ``seasons`` for the 4-season series) so that a run reads only
those. Settings shared by several methods (mask ratios, temperatures, the EMA momentum)
live in ``pretraining.objectives``, so that the GeoMeld ablation compares objectives under
the same settings.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from eobench.errors import EobenchError

#: Method ``method`` value -> the module defining it (imported when a job builds one).
METHOD_MODULES: dict[str, str] = {
    "mae": "eobench.pretraining.methods.mae",
    "mpmae": "eobench.pretraining.methods.mpmae",
    "jepa": "eobench.pretraining.methods.jepa",
    "itc": "eobench.pretraining.methods.itc",
    "geomeld": "eobench.pretraining.methods.geomeld",
    "seasonal": "eobench.pretraining.methods.seasonal",
    "random_init": "eobench.pretraining.methods.random_init",
}
METHODS: dict[str, type[Method]] = {}


def register(cls):
    METHODS[cls.name] = cls
    return cls


@dataclass
class MethodContext:
    """What a method's heads need to know about the data."""

    channels: list[str]
    image_size: int
    #: Reconstructed modality -> its kind (continuous, categorical) and level.
    kinds: dict[str, str] = field(default_factory=dict)
    levels: dict[str, str] = field(default_factory=dict)
    #: Reconstructed modality -> channels (continuous) or classes (categorical).
    outputs: dict[str, int] = field(default_factory=dict)
    vocabulary: int = 0


class Method(nn.Module):
    """Base class: ``backbone`` plus the objective's heads."""

    name: ClassVar[str]
    needs: ClassVar[frozenset[str]] = frozenset()
    #: False: the method trains nothing (the random-init twin).
    trains: ClassVar[bool] = True
    #: Keys of the method's config entry passed to its constructor.
    options: ClassVar[tuple[str, ...]] = ()

    def __init__(self, backbone: nn.Module, objectives: Mapping[str, Any], context) -> None:
        super().__init__()
        self.backbone = backbone

    def loss(self, batch: Mapping[str, torch.Tensor], generator: torch.Generator):
        """``(loss, {term: value})`` of one batch."""
        raise NotImplementedError

    def forward(self, batch, generator):
        """The loss (``forward``, so DistributedDataParallel can wrap a method)."""
        return self.loss(batch, generator)

    def after_step(self) -> None:
        """Called after every optimiser step (the EMA teacher's update)."""


def method_type(spec: Mapping[str, Any], key: str) -> type[Method]:
    """The class of a ``pretraining.methods`` entry; an unknown method names ``key``."""
    kind = spec.get("method")
    if kind not in METHOD_MODULES:
        raise EobenchError(
            f"config key {key}.method: unknown pretraining method {kind!r} "
            f"(known: {sorted(METHOD_MODULES)})"
        )
    importlib.import_module(METHOD_MODULES[kind])
    return METHODS[kind]


def build_method(spec, backbone, objectives, context, key: str) -> Method:
    cls = method_type(spec, key)
    extra = {k: v for k, v in spec.items() if k in cls.options}
    return cls(backbone, objectives, context, **extra)
