"""The encoder interface: a batch of cubes in, fixed-size embeddings out."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from eobench.data.bands import IMAGE_MODALITIES
from eobench.encoders.contract import InputContract, canonical_contract


@dataclass
class CubeBatch:
    """What an encoder sees for ``B`` samples.

    ``cubes`` maps modality name to float32 ``[B, T, C, H, W]`` arrays in the store's
    units (not normalised). ``seasons`` are the season indices this input covers: all
    four averaged for pre-encoding aggregation, a single one for post-encoding
    aggregation, or the full series for ``none``. ``rows`` are the samples' row numbers
    in the store and ``sample_ids`` their ids. ``latlon`` holds the samples' latitude
    and longitude in degrees ``[B, 2]`` where the samples table gives them (encoders
    that embed location, such as Presto and Galileo, need it).
    """

    cubes: dict[str, np.ndarray]
    rows: np.ndarray
    sample_ids: Sequence[str]
    seasons: tuple[int, ...]
    latlon: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.rows)


class Encoder(abc.ABC):
    """Base class of all encoders.

    Subclasses set :attr:`name`, declare the store arrays they read in :attr:`inputs`
    and implement :meth:`encode`. Encoders that learn from data override :meth:`fit`,
    which sees training rows only.
    """

    #: Registry key and config ``type``.
    name: ClassVar[str]
    #: Store arrays the encoder reads.
    inputs: ClassVar[tuple[str, ...]] = IMAGE_MODALITIES
    #: Whether the encoder accepts a full time series (aggregation ``none``).
    supports_time_series: ClassVar[bool] = False
    #: What the encoder does to the values before its model sees them ("store
    #: statistics": standardised band-wise with the store modalities' moments).
    normalisation: ClassVar[str] = "store statistics"

    def __init__(self, embedding_dim: int, seed: int = 0, **params: Any) -> None:
        if params:
            raise TypeError(f"unknown parameter(s) for encoder {self.name!r}: {sorted(params)}")
        self.embedding_dim = int(embedding_dim)
        self.seed = int(seed)

    def fit(self, store, train_rows: np.ndarray, aggregation: str) -> None:  # noqa: B027
        """Learn from the training rows of ``store`` (no-op for fixed encoders)."""

    @abc.abstractmethod
    def encode(self, batch: CubeBatch) -> np.ndarray:
        """Return float32 embeddings ``[len(batch), embedding_dim]``."""

    def contract(self) -> InputContract:
        """What the encoder reads, checked against the store before the first batch.

        The default reads every band of :attr:`inputs` in store order; encoders that
        read a subset of bands, other units or a fixed input size override it.
        """
        temporal = "time series" if self.supports_time_series else "image"
        return canonical_contract(self.inputs, self.normalisation, temporal)

    def metadata(self) -> dict[str, Any]:
        """Facts stored with the embeddings (weights carry their own metadata)."""
        return {"encoder": self.name, "embedding_dim": self.embedding_dim, "seed": self.seed}
