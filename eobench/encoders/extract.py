"""Stream a canonical store through an encoder into one embedding table."""

from __future__ import annotations

import inspect
import logging
import math
import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from eobench.aggregation import check_aggregation, encode_batch
from eobench.data.bands import SEASONS
from eobench.data.store import CubeStore
from eobench.embeddings import write_embeddings
from eobench.encoders import ENCODERS, build_encoder, load_builtin_encoders
from eobench.encoders.contract import check_store_attributes, check_values
from eobench.errors import EobenchError
from eobench.provenance import provenance

log = logging.getLogger(__name__)


def extract_embeddings(
    store_path: str | os.PathLike,
    out_path: str | os.PathLike,
    encoder_spec: dict[str, Any],
    aggregation: str,
    embedding_dim: int,
    seed: int,
    train_ids: Sequence[str] | None,
    batch_size: int = 32,
    device: str = "auto",
    progress: bool = True,
    key: str | None = None,
    latlon: np.ndarray | None = None,
) -> None:
    """Embed every sample of a store and write the table atomically.

    Parameters
    ----------
    store_path : path of the canonical Zarr store.
    out_path : the embedding table (Parquet, or the submission CSV when it ends in .csv).
    encoder_spec : config entry ``{"type": ..., **params}``.
    aggregation : {"pre", "post", "none"}
    embedding_dim, seed : embedding size and the encoder's seed.
    train_ids : ids the encoder may learn from (:meth:`Encoder.fit`); ``None`` means
        every sample, for encoders that learn nothing or stores without a split.
    batch_size : samples read and encoded at a time; memory is bounded by one batch
        (plus the ``[n, embedding_dim]`` float32 result).
    device : extraction device for encoders that take a ``device`` parameter, unless
        their spec sets one.
    progress : show a tqdm progress bar.
    key : config key named in error messages, ``encoders.<type>`` by default.
    latlon : latitude and longitude in degrees ``[n, 2]`` in store row order, for
        encoders that embed location (from the samples table).

    Raises
    ------
    EobenchError
        Unknown encoder or parameter, impossible aggregation, missing store arrays,
        unknown training ids, or embeddings of the wrong shape or not finite.
    """
    key = key or f"encoders.{encoder_spec.get('type')}"
    store = CubeStore(store_path)
    encoder = _build(encoder_spec, embedding_dim, seed, device, key)
    check_aggregation(encoder, aggregation, key)
    missing = [name for name in encoder.inputs if name not in store.group]
    if missing:
        raise EobenchError(
            f"{store.path}: encoder {encoder.name!r} ({key}) needs arrays {missing}, "
            f"the store has {store.arrays}"
        )
    contract = encoder.contract()
    where = f"{store.path}: encoder {encoder.name!r} ({key})"
    check_store_attributes(
        contract,
        {a.array: store.array_attrs(a.array) for a in contract.arrays},
        {a.array: store.group[a.array].shape for a in contract.arrays},
        where,
    )
    for _, arrays in store.iter_batches(encoder.inputs, batch_size):
        check_values(contract, arrays, where)  # the first batch tells wrong units apart
        break
    train_rows = (
        np.arange(len(store)) if train_ids is None else store.rows_of(train_ids, "training")
    )

    started = time.perf_counter()
    encoder.fit(store, train_rows, aggregation)
    fitted = time.perf_counter()

    n_seasons = _series_length(store)
    values = np.empty((len(store), encoder.embedding_dim), dtype=np.float32)
    batches = store.iter_batches(encoder.inputs, batch_size)
    for rows, arrays in tqdm(
        batches,
        total=math.ceil(len(store) / batch_size),
        desc=f"{encoder.name}/{aggregation}",
        unit="batch",
        disable=not progress,
    ):
        ids = [store.sample_ids[r] for r in rows]
        locations = None if latlon is None else latlon[rows]
        embedded = encode_batch(encoder, arrays, rows, ids, aggregation, n_seasons, locations)
        _check_batch(embedded, ids, encoder.embedding_dim, key)
        values[rows] = embedded
    finished = time.perf_counter()
    log.info(
        "%s (%s): %d samples, fit %.1f s, encode %.1f s",
        key,
        aggregation,
        len(store),
        fitted - started,
        finished - fitted,
    )

    metadata = {
        "encoder_spec": dict(encoder_spec),
        "encoder": encoder.metadata(),
        "input_contract": contract.describe(),
        "aggregation": aggregation,
        "embedding_dim": int(embedding_dim),
        "seed": int(seed),
        "store": str(store_path),
        "n_samples": len(store),
        "n_train": len(train_rows),
        "seconds": {"fit": round(fitted - started, 3), "encode": round(finished - fitted, 3)},
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **provenance(),
    }
    write_embeddings(out_path, store.sample_ids, values, metadata)


def _build(spec: dict[str, Any], embedding_dim: int, seed: int, device: str, key: str):
    """Build the encoder, passing the extraction device to encoders that take one."""
    load_builtin_encoders()
    cls = ENCODERS.get(spec.get("type"))
    if cls is not None and "device" not in spec:
        if "device" in inspect.signature(cls.__init__).parameters:
            spec = {**spec, "device": device}
    try:
        return build_encoder(spec, embedding_dim, seed, key)
    except ValueError as exc:  # an encoder's check of its parameter values
        raise EobenchError(f"config key {key}: {exc}") from exc


def _series_length(store: CubeStore) -> int:
    """Seasons per time series in ``store`` (4 when it holds none)."""
    for name in store.arrays:
        array = store.group[name]
        if len(array.shape) == 5:
            return int(array.shape[1])
    return len(SEASONS)


def _check_batch(embedded: np.ndarray, ids: Sequence[str], embedding_dim: int, key: str) -> None:
    if embedded.shape != (len(ids), embedding_dim):
        raise EobenchError(
            f"config key {key}: encoder returned shape {embedded.shape}, "
            f"expected {(len(ids), embedding_dim)}"
        )
    finite = np.isfinite(embedded).all(axis=1)
    if not finite.all():
        first = ids[int(np.argmin(finite))]
        raise EobenchError(
            f"config key {key}: {int((~finite).sum())} samples got non-finite embeddings "
            f"(first: {first!r}); check the input data for NaN"
        )


__all__ = ["extract_embeddings"]
