"""Embedding tables: ``id`` plus N float32 columns named ``0..N-1``.

Stored as Parquet inside the workflow and exchanged as the NeuCo-Bench submission CSV
(``id,0,1,...,N-1``). :func:`load_embeddings` applies the evaluator's input rules and
rejects malformed tables with one line naming the file and the problem.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eobench.errors import EobenchError
from eobench.io import atomic_path, read_parquet_metadata, write_parquet

log = logging.getLogger(__name__)

#: Suffixes the challenge appended to sample ids; the evaluator strips them.
ID_SUFFIXES = (".zarr.zip", ".zarr")


def embedding_frame(sample_ids: Sequence[str], values: np.ndarray) -> pd.DataFrame:
    """Build the canonical table from ids and an ``[n, N]`` array."""
    columns = {str(j): values[:, j].astype(np.float32) for j in range(values.shape[1])}
    return pd.DataFrame({"id": list(sample_ids), **columns})


def write_embeddings(
    path: str | os.PathLike,
    sample_ids: Sequence[str],
    values: np.ndarray,
    metadata: dict[str, Any] | None = None,
) -> None:
    """Write an embedding table atomically (Parquet, or CSV when ``path`` ends in .csv)."""
    frame = embedding_frame(sample_ids, values)
    if str(path).endswith(".csv"):
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False, float_format="%.7g")
    else:
        write_parquet(path, frame, metadata)


def normalise_ids(ids: pd.Series) -> pd.Series:
    """Strip the ``.zarr.zip`` / ``.zarr`` suffixes the challenge used on ids."""
    ids = ids.astype(str)
    for suffix in ID_SUFFIXES:
        ids = ids.str.removesuffix(suffix)
    return ids


def load_embeddings(
    path: str | os.PathLike,
    embedding_dim: int,
    *,
    required_ids: Sequence[str] | None = None,
    keep_ids: Sequence[str] | None = None,
) -> tuple[list[str], np.ndarray]:
    """Read and check an embedding table; return ``(ids, float32 [n, embedding_dim])``.

    Rules, following the NeuCo-Bench evaluator: ids lose ``.zarr.zip``/``.zarr``; NaN
    values become 0; tables narrower than ``embedding_dim`` are zero-padded. Rejected
    with :class:`EobenchError`: no ``id`` column, empty or duplicate ids, non-numeric
    columns, more than ``embedding_dim`` columns, infinite values, and ids of
    ``required_ids`` that the table lacks. Rows whose id is not in ``keep_ids`` are
    dropped and counted in the log.
    """
    path = Path(path)
    if not path.exists():
        raise EobenchError(f"{path}: embeddings file not found")
    try:
        frame = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    except Exception as exc:
        raise EobenchError(f"{path}: cannot be read as a table ({exc})") from exc
    if "id" not in frame.columns:
        raise EobenchError(f"{path}: no 'id' column")
    if frame.empty:
        raise EobenchError(f"{path}: no rows")
    if frame["id"].isna().any() or (frame["id"].astype(str).str.strip() == "").any():
        raise EobenchError(f"{path}: {int(frame['id'].isna().sum())} rows have an empty id")
    ids = normalise_ids(frame["id"])
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise EobenchError(
            f"{path}: {len(duplicated)} duplicate ids (first: {duplicated.iloc[0]!r})"
        )
    value_columns = [c for c in frame.columns if c != "id"]
    digit_columns = [c for c in value_columns if str(c).isdigit()]
    if digit_columns:
        value_columns = sorted(digit_columns, key=int)
    if len(value_columns) > embedding_dim:
        raise EobenchError(
            f"{path}: {len(value_columns)} embedding columns, more than embedding_dim "
            f"= {embedding_dim}"
        )
    values = frame[value_columns]
    non_numeric = [c for c in value_columns if not pd.api.types.is_numeric_dtype(values[c])]
    if non_numeric:
        raise EobenchError(
            f"{path}: non-numeric values in {len(non_numeric)} embedding column(s) "
            f"(first: {non_numeric[0]!r})"
        )
    array = values.to_numpy(dtype=np.float64)
    n_inf = int(np.isinf(array).sum())
    if n_inf:
        row = int(np.argwhere(np.isinf(array))[0, 0])
        raise EobenchError(f"{path}: {n_inf} infinite values (first in id {ids.iloc[row]!r})")
    array = np.nan_to_num(array, nan=0.0).astype(np.float32)
    if array.shape[1] < embedding_dim:
        log.info("%s: zero-padding %d columns to %d", path, array.shape[1], embedding_dim)
        array = np.pad(array, ((0, 0), (0, embedding_dim - array.shape[1])))
    id_list = ids.tolist()
    if keep_ids is not None:
        keep = set(keep_ids)
        mask = np.array([i in keep for i in id_list])
        if (~mask).any():
            log.info("%s: dropped %d ids that have no labels", path, int((~mask).sum()))
        id_list = [i for i, m in zip(id_list, mask, strict=True) if m]
        array = array[mask]
    if required_ids is not None:
        present = set(id_list)
        missing = [i for i in required_ids if i not in present]
        if missing:
            raise EobenchError(
                f"{path}: {len(missing)} labelled ids have no embedding (first: {missing[0]!r})"
            )
    return id_list, array


def embedding_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """Provenance written with a Parquet embedding table."""
    return read_parquet_metadata(path)


def table_columns(table: str) -> dict[str, object]:
    """``post_n256`` -> aggregation ``post``, size 256; ``post_layer2`` -> layer 2.

    The name of an embedding table in the workflow: its temporal aggregation, optionally
    the size of the embedding-size ablation or the layer of the layer-wise ablation.
    """
    match = re.fullmatch(r"(pre|post|none)(?:_n(\d+)|_layer(\d+))?", table)
    if match is None:
        raise EobenchError(f"{table!r} is not the name of an embedding table")
    aggregation, size, layer = match.groups()
    return {
        "aggregation": aggregation,
        "table": table,
        "size": int(size) if size else None,
        "layer": int(layer) if layer else None,
    }
