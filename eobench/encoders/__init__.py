"""Encoders behind a registry: ``build_encoder({"type": "rcf", ...}, embedding_dim, seed)``.

Each encoder lives in its own module, registers itself with :func:`register` and has a
row in :data:`ENCODER_TYPES`.
"""

from __future__ import annotations

import importlib
from typing import Any

from eobench.encoders.base import CubeBatch, Encoder
from eobench.errors import EobenchError

ENCODERS: dict[str, type[Encoder]] = {}

#: Encoder ``type`` -> (the module defining it, whether it takes the 4-season series).
#: Checking a config reads this table and imports no encoder: importing torch costs
#: seconds at every Snakemake start. A test keeps it equal to the classes.
ENCODER_TYPES: dict[str, tuple[str, bool]] = {
    "averaging": ("eobench.encoders.averaging", True),
    "embeddings_file": ("eobench.encoders.embeddings_file", True),
    "rcf": ("eobench.encoders.rcf", False),
    "galileo": ("eobench.encoders.galileo.encoder", True),
    "oracle": ("eobench.encoders.oracle", True),
    "patch_transformer": ("eobench.encoders.patch_transformer", False),
    "pca": ("eobench.encoders.pca", False),
    "presto": ("eobench.encoders.presto.encoder", True),
    "pretrained": ("eobench.encoders.pretrained", False),
    "random": ("eobench.encoders.random", True),
    "compressor": ("eobench.encoders.compressor.encoder", False),
    "pretrained_checkpoint": ("eobench.encoders.pretrained_checkpoint", False),
}


def register(cls: type[Encoder]) -> type[Encoder]:
    """Class decorator adding an encoder to :data:`ENCODERS` under ``cls.name``."""
    ENCODERS[cls.name] = cls
    return cls


def build_encoder(spec: dict[str, Any], embedding_dim: int, seed: int, key: str = "encoder"):
    """Instantiate the encoder described by a config entry ``{"type": ..., **params}``.

    ``key`` names the config entry in error messages.
    """
    load_builtin_encoders()
    params = dict(spec)
    kind = params.pop("type", None)
    params.pop("aggregations", None)  # workflow-level setting, not an encoder parameter
    if kind not in ENCODERS:
        raise EobenchError(
            f"config key {key}.type: unknown encoder {kind!r} (known: {sorted(ENCODERS)})"
        )
    try:
        return ENCODERS[kind](embedding_dim=embedding_dim, seed=seed, **params)
    except (TypeError, ValueError) as exc:
        raise EobenchError(f"config key {key}: {exc}") from exc


def load_builtin_encoders() -> None:
    """Import every built-in encoder module (their ``@register`` decorators run)."""
    for module, _ in ENCODER_TYPES.values():
        importlib.import_module(module)


__all__ = ["ENCODERS", "ENCODER_TYPES", "CubeBatch", "Encoder", "build_encoder", "register"]
