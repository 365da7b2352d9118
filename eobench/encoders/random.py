"""Random embeddings: the floor every encoder should beat."""

from __future__ import annotations

import hashlib

import numpy as np

from eobench.encoders import register
from eobench.encoders.base import CubeBatch, Encoder


@register
class RandomEncoder(Encoder):
    """Standard Gaussian embeddings that carry no information about the images.

    Each embedding is drawn from a generator seeded by a hash of ``(seed, sample id,
    seasons)``, so a sample gets the same vector whatever batch it is in and in whatever
    order, and reruns agree bit for bit. With ``post`` aggregation a sample's embedding
    is the mean of four independent per-season draws.
    """

    name = "random"
    inputs: tuple[str, ...] = ()  # reads nothing from the store
    supports_time_series = True  # ignores the images, so any aggregation works

    def encode(self, batch: CubeBatch) -> np.ndarray:
        seasons = ",".join(str(s) for s in batch.seasons)
        out = np.empty((len(batch), self.embedding_dim), dtype=np.float32)
        for i, sample_id in enumerate(batch.sample_ids):
            digest = hashlib.blake2b(
                f"{self.seed}\x1f{sample_id}\x1f{seasons}".encode(), digest_size=16
            ).digest()
            rng = np.random.default_rng(int.from_bytes(digest, "little"))
            out[i] = rng.standard_normal(self.embedding_dim, dtype=np.float32)
        return out
