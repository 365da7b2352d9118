"""The canonical store: one Zarr v3 group per dataset, one chunk per sample.

Layout of ``results/data/{dataset}/cubes.zarr``::

    s2l1c    uint16  [n, T, 13, H, W]   digital numbers
    s2l2a    uint16  [n, T, 12, H, W]   digital numbers
    s1       float32 [n, T, 2, H, W]    dB
    latents  float32 [n, L]             generative latents (synthetic datasets only)
    ...      optional per-sample rasters, e.g. landcover [n, 7, H, W], elevation [n, H, W]

Array attributes carry ``bands``, ``units``, ``seasons`` (for time series) and ``names``
(for latents); group attributes carry ``sample_ids`` (row order of every array),
``dataset``, ``source``, ``license`` and generator settings.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from zarr.errors import ZarrUserWarning

from eobench.errors import EobenchError
from eobench.io import atomic_path


class CubeStoreWriter:
    """Write a store sample by sample; the store appears at ``path`` only on success.

    >>> with CubeStoreWriter("cubes.zarr", sample_ids=ids, attrs={...}) as w:
    ...     w.create_array("s1", (4, 2, 32, 32), "float32", {"bands": ["VV", "VH"]})
    ...     w.write(0, {"s1": cube})
    """

    def __init__(
        self, path: str | os.PathLike, sample_ids: Sequence[str], attrs: dict[str, Any]
    ) -> None:
        self.path = Path(path)
        self.sample_ids = list(sample_ids)
        self.attrs = dict(attrs)
        self._atomic = atomic_path(self.path, directory=True)
        self._group: zarr.Group | None = None

    def __enter__(self) -> CubeStoreWriter:
        tmp = self._atomic.__enter__()
        self._group = zarr.open_group(tmp, mode="w", zarr_format=3)
        self._group.attrs.update({**self.attrs, "sample_ids": self.sample_ids})
        return self

    def __exit__(self, *exc_info) -> None:
        self._group = None
        self._atomic.__exit__(*exc_info)

    def create_array(
        self,
        name: str,
        per_sample_shape: Sequence[int],
        dtype: str,
        attrs: dict[str, Any] | None = None,
    ) -> None:
        """Create array ``name`` of shape ``[n, *per_sample_shape]``, one chunk per sample."""
        assert self._group is not None, "use CubeStoreWriter as a context manager"
        shape = (len(self.sample_ids), *per_sample_shape)
        array = self._group.create_array(
            name, shape=shape, chunks=(1, *per_sample_shape), dtype=dtype, fill_value=0
        )
        array.attrs.update(attrs or {})

    def update_attrs(self, attrs: dict[str, Any]) -> None:
        """Add group attributes known only after the samples are written."""
        assert self._group is not None, "use CubeStoreWriter as a context manager"
        self._group.attrs.update(attrs)

    def write(self, index: int | slice, arrays: dict[str, np.ndarray]) -> None:
        """Write arrays at row ``index``: one sample, or a slice of consecutive samples.

        Writing a few samples per call halves zarr's per-call overhead.
        """
        assert self._group is not None, "use CubeStoreWriter as a context manager"
        for name, value in arrays.items():
            self._group[name][index] = value


class CubeStore:
    """Read access to a canonical store."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise EobenchError(f"{self.path}: data store not found")
        try:
            self.group = zarr.open_group(self.path, mode="r")
        except Exception as exc:  # zarr raises several types for a broken store
            raise EobenchError(f"{self.path}: not a readable Zarr group ({exc})") from exc
        self.attrs: dict[str, Any] = dict(self.group.attrs)
        self.sample_ids: list[str] = list(self.attrs.get("sample_ids", []))
        if not self.sample_ids:
            raise EobenchError(f"{self.path}: group attribute 'sample_ids' is missing or empty")

    def __len__(self) -> int:
        return len(self.sample_ids)

    @property
    def arrays(self) -> list[str]:
        with warnings.catch_warnings():
            # Snakemake writes `.snakemake_timestamp` into a directory output such as
            # cubes.zarr; listing the group meets it and zarr warns that it is no Zarr
            # node, once per job that reads the store. Only that file's warning is
            # silenced: any other foreign object in a store is still reported.
            warnings.filterwarnings(
                "ignore",
                message=r"Object at \.snakemake_timestamp is not recognized",
                category=ZarrUserWarning,
            )
            return sorted(name for name, _ in self.group.arrays())

    def array_attrs(self, name: str) -> dict[str, Any]:
        return dict(self._array(name).attrs)

    def _array(self, name: str) -> zarr.Array:
        if name not in self.group:
            raise EobenchError(f"{self.path}: has no array '{name}' (has: {self.arrays})")
        return self.group[name]

    def read(self, name: str, indices: Sequence[int] | slice | None = None) -> np.ndarray:
        """Read rows of array ``name``; ``indices`` is a slice or sorted row numbers."""
        array = self._array(name)
        if indices is None:
            return array[:]
        if isinstance(indices, slice):
            return array[indices]
        return array.get_orthogonal_selection((np.asarray(indices, dtype=np.int64),))

    def iter_batches(
        self, names: Sequence[str], batch_size: int, indices: Sequence[int] | None = None
    ) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
        """Yield ``(row_indices, {name: rows})`` in order, ``batch_size`` samples at a time.

        Memory stays bounded by one batch whatever the dataset size.
        """
        rows = np.arange(len(self)) if indices is None else np.asarray(indices, dtype=np.int64)
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            contiguous = len(chunk) > 0 and chunk[-1] - chunk[0] == len(chunk) - 1
            selector = slice(int(chunk[0]), int(chunk[-1]) + 1) if contiguous else chunk
            yield chunk, {name: self.read(name, selector) for name in names}

    def rows_of(self, ids: Sequence[str], what: str = "sample") -> np.ndarray:
        """Sorted store rows of sample ``ids``; an unknown id is one error naming
        ``what`` ids they are (``training``, ``test``)."""
        position = {sample_id: row for row, sample_id in enumerate(self.sample_ids)}
        unknown = [i for i in ids if i not in position]
        if unknown:
            raise EobenchError(
                f"{self.path}: {len(unknown)} {what} ids are not in the store "
                f"(first: {unknown[0]!r})"
            )
        return np.unique(np.array([position[i] for i in ids], dtype=np.int64))

    def latents(self) -> tuple[list[str], np.ndarray]:
        """Return the names and values ``[n, L]`` of the generative latents."""
        array = self._array("latents")
        return list(array.attrs["names"]), array[:]
