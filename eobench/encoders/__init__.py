"""Encoders behind a registry: ``build_encoder({"type": "rcf", ...}, embedding_dim, seed)``.

Each encoder lives in its own module and registers itself with :func:`register`.
"""

from __future__ import annotations

from typing import Any

from eobench.encoders.base import CubeBatch, Encoder
from eobench.errors import EobenchError

ENCODERS: dict[str, type[Encoder]] = {}


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
    # Importing the modules runs their @register decorators.
    from eobench.encoders import (  # noqa: F401
        averaging,
        embeddings_file,
        galileo,
        oracle,
        patch_transformer,
        pca,
        presto,
        pretrained,
        random,
        rcf,
    )
    from eobench.encoders.compressor import encoder as compressor_encoder  # noqa: F401


__all__ = ["ENCODERS", "CubeBatch", "Encoder", "build_encoder", "register"]
