"""Embedding tables: ``id`` plus N float32 columns named ``0..N-1``.

Stored as Parquet inside the workflow and exchanged as the NeuCo-Bench submission CSV
(``id,0,1,...,N-1``). :func:`load_embeddings` applies the evaluator's input rules and
rejects malformed tables with one line naming the file and the problem.
"""

from __future__ import annotations

import hashlib
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
    """Write an embedding table atomically (Parquet, or CSV when ``path`` ends in .csv).

    A Parquet table's metadata gets the table's :func:`embedding_fingerprint` and
    :func:`embedding_diagnostics` beside ``metadata``, so that identical tables and
    degenerate ones are found without reading them again.
    """
    frame = embedding_frame(sample_ids, values)
    if str(path).endswith(".csv"):
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False, float_format="%.7g")
    else:
        matrix = frame.drop(columns="id").to_numpy()
        computed = {
            "fingerprint": embedding_fingerprint(matrix, sample_ids),
            "diagnostics": embedding_diagnostics(matrix),
        }
        write_parquet(path, frame, {**(metadata or {}), **computed})


def embedding_diagnostics(values: np.ndarray) -> dict[str, int]:
    """Degeneracies of a table ``[n, N]`` that the leaderboard flags.

    Returns ``constant_dims`` (dimensions with one value over all samples, NaN as 0),
    ``zero_dims`` (those that are 0 everywhere: zero padding, or a dead feature) and
    ``duplicate_rows`` (samples whose embedding equals an earlier sample's exactly).
    """
    x = np.nan_to_num(np.asarray(values, dtype=np.float32))
    if x.shape[0] == 0:
        return {"constant_dims": 0, "zero_dims": 0, "duplicate_rows": 0}
    constant = (x == x[:1]).all(axis=0)
    zero = constant & (x[0] == 0)
    distinct = len(np.unique(x, axis=0))
    return {
        "constant_dims": int(constant.sum()),
        "zero_dims": int(zero.sum()),
        "duplicate_rows": int(x.shape[0] - distinct),
    }


def table_diagnostics(path: str | os.PathLike) -> dict[str, int]:
    """The diagnostics stored with a Parquet table, else computed from the table."""
    return _stored_or_computed(path, "diagnostics", lambda values, _: embedding_diagnostics(values))


def normalise_ids(ids: pd.Series) -> pd.Series:
    """Strip the ``.zarr.zip`` / ``.zarr`` suffixes the challenge used on ids."""
    ids = ids.astype(str)
    for suffix in ID_SUFFIXES:
        ids = ids.str.removesuffix(suffix)
    return ids


def _read_table(path: Path) -> pd.DataFrame:
    """An embedding table, CSV or Parquet; a CSV's ids as text, as the label files are
    read ("0000001" must not become 1)."""
    return pd.read_csv(path, dtype={"id": str}) if path.suffix == ".csv" else pd.read_parquet(path)


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
        frame = _read_table(path)
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


#: Length and seed of the random projection of :func:`embedding_fingerprint`.
FINGERPRINT_SIZE = 32
FINGERPRINT_SEED = 1729


def embedding_fingerprint(
    values: np.ndarray, sample_ids: Sequence[str] | None = None
) -> dict[str, Any]:
    """A 32-number summary of the standardised table, to find tables equal up to rounding.

    The table (NaN as 0) is standardised by one global mean and standard deviation, as
    the probes see it, giving ``Z [n, N]``; the fingerprint holds ``p_k = u_k' Z v_k /
    sqrt(n N)`` for k = 1..32, with ``u_k``, ``v_k`` standard normal vectors drawn from a
    fixed seed, the shape and a hash of the sample ids. For two tables of the same shape
    and ids, ``p_k - q_k = u_k' (Z - Z') v_k / sqrt(n N)`` has mean 0 and variance equal
    to the mean square of ``Z - Z'``, so the root mean square of the 32 differences
    (:func:`fingerprint_distance`) estimates the RMS difference of the two standardised
    tables (within about 25 % at 95 %). Cost: one ``[n, N] x [N, 32]`` product.

    Parameters
    ----------
    values : array ``[n, N]``
    sample_ids : the row ids, or None (then only the shape identifies the rows).

    Returns
    -------
    dict with ``shape``, ``ids`` (sha1 of the ids joined by newlines, or None) and
    ``projection`` (32 floats).
    """
    x = np.nan_to_num(np.asarray(values, dtype=np.float64))
    n, width = x.shape
    spread = x.std()
    z = (x - x.mean()) / spread if spread > 0 else np.zeros_like(x)
    rng = np.random.default_rng(FINGERPRINT_SEED)
    u = rng.standard_normal((n, FINGERPRINT_SIZE))
    v = rng.standard_normal((width, FINGERPRINT_SIZE))
    projection = np.einsum("nk,nk->k", z @ v, u) / np.sqrt(max(n * width, 1))
    ids = None
    if sample_ids is not None:
        ids = hashlib.sha1("\n".join(map(str, sample_ids)).encode()).hexdigest()
    return {"shape": [int(n), int(width)], "ids": ids, "projection": projection.tolist()}


def fingerprint_distance(first: dict[str, Any], second: dict[str, Any]) -> float:
    """Estimated RMS difference of two standardised tables; inf if their rows differ.

    Tables of different shapes or sample ids are never the same table.
    """
    if first["shape"] != second["shape"] or first["ids"] != second["ids"]:
        return float("inf")
    difference = np.subtract(first["projection"], second["projection"])
    return float(np.sqrt(np.mean(difference**2)))


def _stored_or_computed(path: str | os.PathLike, key: str, compute) -> Any:
    """``key`` of a Parquet table's metadata, else ``compute(values, ids)`` of the table."""
    path = Path(path)
    if path.suffix != ".csv":
        stored = read_parquet_metadata(path).get(key)
        if stored is not None:
            return stored
    frame = _read_table(path)
    ids = normalise_ids(frame["id"]).tolist()
    return compute(frame.drop(columns="id").to_numpy(dtype=np.float64), ids)


def table_fingerprint(path: str | os.PathLike) -> dict[str, Any]:
    """The fingerprint stored with a Parquet table, else computed from the table."""
    return _stored_or_computed(path, "fingerprint", embedding_fingerprint)


def identical_tables(fingerprints: dict[str, dict[str, Any]], tolerance: float) -> pd.DataFrame:
    """Which tables are the same as an earlier one, up to ``tolerance``.

    Parameters
    ----------
    fingerprints : method -> :func:`embedding_fingerprint`, in the order of the methods.
    tolerance : float
        Largest estimated RMS difference of the standardised tables (in standard
        deviations of the table) at which two tables count as the same.

    Returns
    -------
    DataFrame with one row per method: ``method``, ``same_as`` (the first earlier method
    whose table is the same, else None) and ``rms_difference`` (to it, else the smallest
    to an earlier distinct table; NaN for the first).
    """
    rows = []
    representatives: list[str] = []
    for method, fingerprint in fingerprints.items():
        distances = {
            other: fingerprint_distance(fingerprint, fingerprints[other])
            for other in representatives
        }
        same = [other for other, d in distances.items() if d <= tolerance]
        if same:
            closest = same[0]
        else:
            closest = min(distances, key=distances.get) if distances else None
            representatives.append(method)
        rows.append(
            {
                "method": method,
                "same_as": same[0] if same else None,
                "rms_difference": distances[closest] if closest else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=["method", "same_as", "rms_difference"])
