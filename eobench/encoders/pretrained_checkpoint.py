"""A checkpoint pretrained in the DAG as an encoder (rule ``pretrain``, issue 13).

The checkpoint's metadata says everything the encoder needs: the architecture (rebuilt
from it), the inputs (Sentinel-2 L2A bands in order) and the normalisation (the training
split's per-band moments of the store's digital numbers). Each image (season-averaged for
``pre``, one season at a time for ``post``) is standardised with those moments, encoded,
its tokens averaged; ``post`` averages the seasons' features; the ``D`` features are
zero-padded (or averaged down) to ``N`` (the paper's CNN recipe,
:func:`~eobench.encoders.reduction.reduce_features`). The encoder entry's ``method`` must
be the checkpoint's: a checkpoint of another method is an error naming the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from eobench.data.bands import MODALITIES
from eobench.encoders import register
from eobench.encoders.base import CubeBatch, Encoder
from eobench.encoders.contract import ArrayContract, InputContract, unit_kind
from eobench.encoders.rcf import resolve_device
from eobench.encoders.reduction import reduce_features
from eobench.errors import EobenchError
from eobench.io import file_sha256

ARRAY = "s2l2a"


def checked_checkpoint(checkpoint, method: str | None):
    """The checkpoint's state and backbone; ``method`` (when given) must be its method."""
    from eobench.pretraining.checkpoint import backbone_from_checkpoint, load_pretrained

    state = load_pretrained(checkpoint)
    if state["inputs"].get("array") != ARRAY:
        raise EobenchError(
            f"{checkpoint}: checkpoint reads {state['inputs'].get('array')!r}; this encoder "
            f"feeds {ARRAY}"
        )
    if method is not None and state["method"]["name"] != method:
        raise EobenchError(
            f"{checkpoint}: checkpoint of method {state['method']['name']!r}, but the "
            f"entry names method {method!r}"
        )
    unknown = [b for b in state["inputs"]["bands"] if b not in MODALITIES[ARRAY].bands]
    if unknown:
        raise EobenchError(f"{checkpoint}: checkpoint bands {unknown} are not {ARRAY} bands")
    return state, backbone_from_checkpoint(state)


@register
class PretrainedCheckpointEncoder(Encoder):
    """The mean token of a backbone pretrained by rule ``pretrain``.

    Parameters
    ----------
    checkpoint : str
        The checkpoint (filled in by the workflow from ``method``).
    method : str
        The ``pretraining.methods`` entry the checkpoint comes from.
    pretraining_seed : int, optional
        Its pretraining seed (which checkpoint the workflow picks; default the first of
        ``pretraining.seeds``).
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``.
    """

    name = "pretrained_checkpoint"
    inputs = (ARRAY,)
    normalisation = "the checkpoint's training moments (per band, digital numbers)"

    def __init__(
        self,
        embedding_dim: int,
        seed: int = 0,
        checkpoint: str | None = None,
        method: str | None = None,
        pretraining_seed: int | None = None,
        device: str = "auto",
    ) -> None:
        super().__init__(embedding_dim, seed)
        if not checkpoint:
            raise ValueError("pretrained_checkpoint: parameter 'checkpoint' is required")
        self.checkpoint = Path(checkpoint)
        self.device = resolve_device(device)
        try:
            self.state, backbone = checked_checkpoint(self.checkpoint, method)
        except EobenchError as exc:  # build_encoder prefixes the config key to a ValueError
            raise ValueError(str(exc)) from exc
        self.backbone = backbone.to(self.device)
        self.bands = list(self.state["inputs"]["bands"])
        self.band_index = [MODALITIES[ARRAY].bands.index(b) for b in self.bands]
        self.checkpoint_sha256 = file_sha256(self.checkpoint)

    def contract(self) -> InputContract:
        return InputContract(
            (ArrayContract(ARRAY, tuple(self.bands), unit_kind(MODALITIES[ARRAY].units)),),
            self.normalisation,
        )

    def encode(self, batch: CubeBatch) -> np.ndarray:
        from eobench.pretraining.checkpoint import normalise

        cubes = batch.cubes[ARRAY][:, :, self.band_index]  # [B, T, C, H, W]
        n, t = cubes.shape[:2]
        images = normalise(self.state, cubes.reshape(n * t, *cubes.shape[2:]), band_axis=1)
        with torch.inference_mode():
            tokens = self.backbone.tokens(torch.from_numpy(images).to(self.device))
            features = tokens.mean(dim=1).cpu().numpy()
        features = features.reshape(n, t, -1).mean(axis=1)
        return reduce_features(features, self.embedding_dim, "cnn")

    def metadata(self):
        return {
            **super().metadata(),
            "checkpoint": str(self.checkpoint),
            "checkpoint_sha256": self.checkpoint_sha256,
            "method": self.state["method"]["name"],
            "method_type": self.state["method"]["method"],
            "architecture": self.state["architecture"]["type"],
            "pretraining_seed": int(self.state["seed"]),
            "pretraining_epochs": int(self.state["epochs"]),
            "device": str(self.device),
        }
