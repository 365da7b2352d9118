"""Pretrained checkpoints: weights plus the metadata that makes them encoders.

A checkpoint (``torch.save`` of a dict, read with ``weights_only=True``) holds
``format``, ``method`` (its config entry and name), ``architecture`` (the backbone's
``pretraining.backbones`` entry), ``inputs`` (store array, modality and band names, in
order), ``normalisation`` (per-band mean and std of the store's values, the nodata value),
``image_size`` (the tiles it was trained on), ``seed``, ``epochs``, ``dataset``, the
backbone's ``state`` and the whole method's ``method_state`` (text tower and projections
for the retrieval evaluation). :func:`backbone_from_checkpoint` rebuilds the backbone and
checks that the checkpoint's metadata matches the architecture and inputs it is used with:
a mismatch is one line naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from eobench.errors import EobenchError
from eobench.pretraining.backbones import ARCHITECTURES, build_architecture

CHECKPOINT_FORMAT = "eobench-pretrained/1"
REQUIRED = ("method", "architecture", "inputs", "normalisation", "image_size", "state")


def load_pretrained(path: str | os.PathLike, key: str = "checkpoint") -> dict[str, Any]:
    """Read a pretrained checkpoint onto the CPU, its metadata checked."""
    path = Path(path)
    if not path.is_file():
        raise EobenchError(f"{key}: {path} not found (a pretrained checkpoint)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a broken file
        raise EobenchError(f"{key}: {path} is not a readable checkpoint ({exc})") from exc
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise EobenchError(f"{path}: not an eobench pretrained checkpoint ({CHECKPOINT_FORMAT})")
    missing = [k for k in REQUIRED if k not in state]
    if missing:
        raise EobenchError(f"{path}: checkpoint metadata lacks {missing}")
    kind = state["architecture"].get("type")
    if kind not in ARCHITECTURES:
        raise EobenchError(
            f"{path}: checkpoint architecture {kind!r} is none of {sorted(ARCHITECTURES)}"
        )
    state["path"] = str(path)
    return state


def backbone_from_checkpoint(
    state: Mapping[str, Any],
    *,
    architecture: Mapping[str, Any] | None = None,
    bands: Sequence[str] | None = None,
):
    """The checkpoint's backbone with its weights (evaluation mode, CPU).

    ``architecture`` (a config entry the user expects) and ``bands`` (the channels the
    caller will feed, in order) are checked against the metadata; so are the weights
    against the architecture.
    """
    path = state["path"]
    if architecture is not None and dict(architecture) != dict(state["architecture"]):
        raise EobenchError(
            f"{path}: checkpoint architecture {dict(state['architecture'])} does not match "
            f"the configured {dict(architecture)}"
        )
    trained = list(state["inputs"]["bands"])
    if bands is not None and list(bands) != trained:
        raise EobenchError(
            f"{path}: checkpoint was trained on bands {trained}, but is given {list(bands)}"
        )
    backbone = build_architecture(state["architecture"], trained, f"{path}: architecture")
    try:
        backbone.load_state_dict(state["state"])
    except RuntimeError as error:
        first = str(error).splitlines()[1:2] or [str(error)]
        raise EobenchError(
            f"{path}: weights do not match the architecture {dict(state['architecture'])} "
            f"({first[0].strip()})"
        ) from None
    return backbone.eval()


def normalise(state: Mapping[str, Any], values: np.ndarray, band_axis: int) -> np.ndarray:
    """Store values standardised as in pretraining: per band ``(x - mean) / std``, 0 where
    a pixel is nodata in every band (as the training inputs)."""
    norm = state["normalisation"]
    shape = [1] * values.ndim
    shape[band_axis] = -1
    mean = np.asarray(norm["mean"], np.float32).reshape(shape)
    std = np.asarray(norm["std"], np.float32).reshape(shape)
    values = values.astype(np.float32)
    z = (values - mean) / std
    blank = np.all(values == norm["nodata"], axis=band_axis, keepdims=True) | np.isnan(values)
    return np.where(blank, 0.0, z).astype(np.float32)
