"""The oracle: the generative latents of a synthetic dataset, the ceiling of the benchmark."""

from __future__ import annotations

import numpy as np

from eobench.encoders import register
from eobench.encoders.base import CubeBatch, Encoder
from eobench.errors import EobenchError


@register
class OracleEncoder(Encoder):
    """Embed each sample as its standardised generative latents.

    Reads the store array ``latents`` ``[n, L]`` (names in its ``names`` attribute) and
    standardises every latent with its mean and standard deviation (``ddof=0``) over the
    whole store; constant latents are only centred. With ``L <= embedding_dim`` the
    first ``L`` columns are the standardised latents and the rest are zero; with more
    latents than columns they are projected by a random orthonormal ``[L, N]`` matrix
    seeded with ``seed``, which keeps distances and linear structure.

    The oracle ignores the images, so every temporal aggregation gives the same
    embedding.
    """

    name = "oracle"
    inputs = ("latents",)
    supports_time_series = True

    def __init__(self, embedding_dim: int, seed: int = 0) -> None:
        super().__init__(embedding_dim, seed)
        self.latent_names: list[str] = []
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None
        self.projection_: np.ndarray | None = None

    def fit(self, store, train_rows: np.ndarray, aggregation: str) -> None:
        # The statistics use every sample: they only rescale the latents, and the oracle
        # is a ceiling by construction, not a model that could leak labels.
        names, latents = store.latents()
        if latents.ndim != 2:
            raise EobenchError(
                f"{store.path}: array 'latents' must be [n, L], has shape {latents.shape}"
            )
        latents = latents.astype(np.float64)
        self.latent_names = names
        self.mean_ = latents.mean(axis=0)
        std = latents.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        n_latents = latents.shape[1]
        if n_latents > self.embedding_dim:
            rng = np.random.default_rng(self.seed)
            gaussian = rng.standard_normal((n_latents, self.embedding_dim))
            self.projection_, _ = np.linalg.qr(gaussian)  # orthonormal columns
        else:
            self.projection_ = None

    def encode(self, batch: CubeBatch) -> np.ndarray:
        if self.mean_ is None:
            raise RuntimeError("oracle: call fit() before encode()")
        standardised = (batch.cubes["latents"].astype(np.float64) - self.mean_) / self.scale_
        if self.projection_ is not None:
            return (standardised @ self.projection_).astype(np.float32)
        out = np.zeros((len(batch), self.embedding_dim), dtype=np.float32)
        out[:, : standardised.shape[1]] = standardised
        return out

    def metadata(self):
        return {
            **super().metadata(),
            "latents": self.latent_names,
            "projected": self.projection_ is not None,
        }
