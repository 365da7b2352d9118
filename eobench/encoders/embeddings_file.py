"""A team's own embeddings, read from a table, scored next to the built-in encoders.

The table is a NeuCo-Bench submission CSV (``id,0,...,N-1``, ids with or without
``.zarr.zip``) or a Parquet table of the same shape, holding one row per sample of the
dataset. It is checked like any submission (:func:`eobench.embeddings.load_embeddings`):
no non-numeric columns, no more than N columns (fewer are zero-padded), no inf, no
duplicate ids, NaN as 0; ids of the dataset that the table lacks are an error, rows of
other ids are dropped and counted in the log.
"""

from __future__ import annotations

import numpy as np

from eobench.embeddings import load_embeddings
from eobench.encoders import register
from eobench.encoders.base import CubeBatch, Encoder


@register
class EmbeddingsFileEncoder(Encoder):
    """Look up each sample's row in a precomputed embedding table.

    Parameters
    ----------
    path : str
        The table (``.csv`` or ``.parquet``).
    """

    name = "embeddings_file"
    inputs: tuple[str, ...] = ()  # reads nothing from the store
    supports_time_series = True  # the table is what it is, whatever the aggregation

    def __init__(self, embedding_dim: int, seed: int = 0, path: str | None = None) -> None:
        super().__init__(embedding_dim, seed)
        if not path:
            raise ValueError("path: the embeddings table to read is missing")
        self.path = str(path)
        self._rows: dict[str, int] = {}
        self._values: np.ndarray | None = None

    def fit(self, store, train_rows, aggregation) -> None:
        ids, values = load_embeddings(
            self.path,
            self.embedding_dim,
            required_ids=store.sample_ids,
            keep_ids=store.sample_ids,
        )
        self._rows = {sample_id: row for row, sample_id in enumerate(ids)}
        self._values = values

    def encode(self, batch: CubeBatch) -> np.ndarray:
        return self._values[[self._rows[i] for i in batch.sample_ids]]

    def metadata(self):
        return {**super().metadata(), "path": self.path}
