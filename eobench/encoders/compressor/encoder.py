"""Embeddings from the compressor's latents (the NeuCo-Bench neural-compression baseline)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from eobench.encoders import register
from eobench.encoders.base import CubeBatch, Encoder
from eobench.encoders.compressor.train import (
    MODALITY,
    load_checkpoint,
    model_from_checkpoint,
    to_reflectance,
)
from eobench.encoders.rcf import resolve_device
from eobench.encoders.reduction import reduce_features
from eobench.errors import EobenchError
from eobench.io import file_sha256


def pooled_latents(latents: torch.Tensor, pool_size: int) -> torch.Tensor:
    """Average-pool latents ``[B, M, h, w]`` to at most ``pool_size`` per side, flattened
    channel by channel to ``[B, M * min(pool_size, h) * min(pool_size, w)]``.

    A side already shorter than ``pool_size`` is kept: adaptive pooling would only
    repeat its values (a 2x2 latent of a 32x32 tile "pooled" to 4x4 holds each value
    four times), adding no information but duplicated columns.
    """
    _, _, height, width = latents.shape
    size = (min(pool_size, height), min(pool_size, width))
    return F.adaptive_avg_pool2d(latents, size).flatten(start_dim=1)


@register
class CompressorEncoder(Encoder):
    """The latents ``y`` of a trained factorized-prior autoencoder, before entropy coding.

    Each S2 L1C image (season-averaged for ``pre``, one season at a time for ``post``)
    is scaled to reflectance in [0, 1] as in training and analysed; the latents
    (not rounded) are average-pooled to ``pool_size x pool_size`` (:func:`pooled_latents`:
    sides shorter than that are kept, so a 32x32 tile's 2x2 latent gives ``4 M``
    values), flattened channel by channel and reduced to ``N`` by averaging neighbouring
    values, or zero-padded (:func:`~eobench.encoders.reduction.reduce_features`, the
    paper's CNN recipe).

    Parameters
    ----------
    checkpoint : str
        A checkpoint of :func:`~eobench.encoders.compressor.train.train_compressor`.
    pool_size : int
        Side of the pooled latent grid (the paper: 4).
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``.
    """

    name = "compressor"
    normalisation = "reflectance in [0, 1] (digital numbers x 1e-4, clipped), as in training"
    inputs = (MODALITY,)

    def __init__(
        self,
        embedding_dim: int,
        seed: int = 0,
        checkpoint: str | None = None,
        pool_size: int = 4,
        device: str = "auto",
    ) -> None:
        super().__init__(embedding_dim, seed)
        if not checkpoint:
            raise ValueError("compressor: parameter 'checkpoint' (a trained model) is required")
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise ValueError(
                f"compressor: pool_size must be a positive integer (got {pool_size!r})"
            )
        self.checkpoint = Path(checkpoint)
        self.pool_size = pool_size
        self.device = resolve_device(device)
        try:
            state = load_checkpoint(self.checkpoint, key="checkpoint")
        except EobenchError as exc:  # build_encoder prefixes the config key to a ValueError
            raise ValueError(str(exc)) from exc
        self.checkpoint_sha256 = file_sha256(self.checkpoint)
        self.lmbda = float(state["settings"]["lmbda"])
        self.architecture = dict(state["architecture"])
        self.model = model_from_checkpoint(state).to(self.device)

    def encode(self, batch: CubeBatch) -> np.ndarray:
        cubes = to_reflectance(batch.cubes[MODALITY]).numpy()  # [B, T, 13, H, W]
        n_samples, n_seasons = cubes.shape[:2]
        images = torch.from_numpy(cubes.reshape(-1, *cubes.shape[2:])).to(self.device)
        with torch.inference_mode():
            latents = self.model.analysis(images)
            features = pooled_latents(latents, self.pool_size).cpu().numpy()
        features = features.reshape(n_samples, n_seasons, -1).mean(axis=1)
        return reduce_features(features, self.embedding_dim, "cnn")

    def metadata(self):
        return {
            **super().metadata(),
            "checkpoint": str(self.checkpoint),
            "checkpoint_sha256": self.checkpoint_sha256,
            "lambda": self.lmbda,
            "pool_size": self.pool_size,
            **self.architecture,
            "device": str(self.device),
        }
