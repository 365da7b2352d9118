"""Compare an output with its recomputation: byte for byte, or numbers within a tolerance.

With ``tolerance`` 0 a file must be identical byte for byte. With a tolerance, CSV,
Parquet and JSON files whose bytes differ are read and compared cell by cell: numbers may
differ by at most ``tolerance`` (absolute), everything else must be equal. Other files
(figures: PNG, PDF) are compared byte for byte whatever the tolerance. A difference is
located as precisely as the format allows: row and column, JSON key path, or byte offset.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IDENTICAL = "identical"
#: Equal but for when and how long the job ran, which its Parquet metadata records.
IDENTICAL_BUT_TIMINGS = "identical but timings"
WITHIN_TOLERANCE = "within tolerance"
DIFFERENT = "different"
#: Formats whose numbers are compared within the tolerance.
NUMERIC_FORMATS = (".csv", ".parquet", ".json")
#: Keys of the eobench Parquet metadata that record when and how long a job ran (an
#: embedding table's ``created`` and ``seconds``): never compared.
TIMING_KEYS = ("created", "seconds")


@dataclass(frozen=True)
class Comparison:
    """How one output compares with its recomputation."""

    output: str
    status: str
    #: Largest absolute difference of the numbers compared (None: none were compared).
    max_abs_diff: float | None = None
    #: Where the first difference is (empty when there is none beyond the tolerance).
    where: str = ""

    @property
    def passed(self) -> bool:
        return self.status != DIFFERENT


@dataclass(frozen=True)
class _Values:
    """The value comparison of two files: largest difference and first one too large."""

    max_abs_diff: float | None
    where: str | None
    #: Timing keys of the metadata (:data:`TIMING_KEYS`) whose values differ.
    timings: tuple[str, ...] = ()


def compare_outputs(
    original: str | os.PathLike,
    recomputed: str | os.PathLike,
    tolerance: float = 0.0,
    name: str | None = None,
) -> Comparison:
    """Compare ``recomputed`` with ``original`` (files or folders); ``name`` labels it."""
    original, recomputed = Path(original), Path(recomputed)
    name = str(original) if name is None else name
    if not recomputed.exists():
        return Comparison(name, DIFFERENT, where="not written by the recomputation")
    if original.is_dir() or recomputed.is_dir():
        return _compare_folders(original, recomputed, tolerance, name)
    first, second = original.read_bytes(), recomputed.read_bytes()
    if first == second:
        return Comparison(name, IDENTICAL, max_abs_diff=0.0)
    values = _value_difference(original, recomputed, tolerance)
    if values is not None and values.where is None:
        if values.timings and not values.max_abs_diff:
            where = f"metadata {', '.join(values.timings)} differ"
            return Comparison(name, IDENTICAL_BUT_TIMINGS, values.max_abs_diff, where)
        if tolerance > 0:
            return Comparison(name, WITHIN_TOLERANCE, values.max_abs_diff)
    offset = _first_differing_byte(first, second)
    if values is None:
        return Comparison(name, DIFFERENT, where=f"byte {offset}")
    where = values.where or f"byte {offset} (the values are equal)"
    return Comparison(name, DIFFERENT, values.max_abs_diff, where)


def _compare_folders(original: Path, recomputed: Path, tolerance: float, name: str):
    if not (original.is_dir() and recomputed.is_dir()):
        return Comparison(name, DIFFERENT, where="a folder on one side, a file on the other")
    ours, theirs = _relative_files(original), _relative_files(recomputed)
    if ours != theirs:
        extra = sorted(set(ours) ^ set(theirs))
        return Comparison(name, DIFFERENT, where=f"files differ: {extra[0]} on one side only")
    parts = [compare_outputs(original / p, recomputed / p, tolerance, p) for p in ours]
    compared = [p.max_abs_diff for p in parts if p.max_abs_diff is not None]
    largest = max(compared) if compared else None
    failed = next((p for p in parts if not p.passed), None)
    if failed is not None:
        return Comparison(name, DIFFERENT, largest, f"{failed.output}: {failed.where}")
    if all(p.status == IDENTICAL for p in parts):
        return Comparison(name, IDENTICAL, largest)
    return Comparison(name, WITHIN_TOLERANCE, largest)


def _relative_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _first_differing_byte(first: bytes, second: bytes) -> int:
    return next(
        (i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b),
        min(len(first), len(second)),
    )


def _value_difference(original: Path, recomputed: Path, tolerance: float) -> _Values | None:
    """The value comparison of two files of a numeric format, else None."""
    suffix = original.suffix.lower()
    if suffix not in NUMERIC_FORMATS:
        return None
    try:
        if suffix == ".json":
            return _json_difference(_read_json(original), _read_json(recomputed), tolerance)
        if suffix == ".csv":
            import pandas as pd

            return _table_difference(pd.read_csv(original), pd.read_csv(recomputed), tolerance)
        return _parquet_difference(original, recomputed, tolerance)
    except (ValueError, OSError) as error:  # unreadable: only the bytes can be compared
        return _Values(None, f"unreadable as {suffix[1:]}: {str(error).splitlines()[0]}")


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def _parquet_difference(original: Path, recomputed: Path, tolerance: float) -> _Values:
    import pandas as pd

    from eobench.io import read_parquet_metadata

    tables = _table_difference(pd.read_parquet(original), pd.read_parquet(recomputed), tolerance)
    if tables.where is not None:
        return tables
    # The provenance written into the schema (eobench.io.write_parquet) counts too, but
    # for the timings.
    ours, theirs = read_parquet_metadata(original), read_parquet_metadata(recomputed)
    timings = tuple(key for key in TIMING_KEYS if ours.pop(key, None) != theirs.pop(key, None))
    metadata = _json_difference(ours, theirs, tolerance, "metadata")
    largest = _larger(tables.max_abs_diff, metadata.max_abs_diff)
    return _Values(largest, metadata.where, timings)


def _table_difference(original, recomputed, tolerance: float = 0.0) -> _Values:
    """Compare two data frames cell by cell; the first difference as ``row R, column C``
    (rows counted from 1, the header not counted)."""
    import numpy as np

    if list(original.columns) != list(recomputed.columns):
        return _Values(None, f"columns {list(original.columns)} != {list(recomputed.columns)}")
    if len(original) != len(recomputed):
        return _Values(None, f"{len(original)} rows != {len(recomputed)} rows")
    largest, first = None, None  # first: (row, column position) of the first cell too far
    for position, column in enumerate(original.columns):
        ours, theirs = original[column], recomputed[column]
        if _numeric(ours) and _numeric(theirs):
            gaps = _gaps(ours.to_numpy(float), theirs.to_numpy(float))
            if len(gaps):
                largest = _larger(largest, float(gaps.max()))
            wrong = gaps > tolerance
        else:
            wrong = ~_equal_or_both_missing(ours, theirs)
        rows = np.flatnonzero(wrong)
        if len(rows) and (first is None or (rows[0], position) < first):
            first = (int(rows[0]), position)
    if first is None:
        return _Values(largest, None)
    row, position = first
    column = original.columns[position]
    ours, theirs = original[column].iloc[row], recomputed[column].iloc[row]
    where = f"row {row + 1}, column {column!r}: {_shown(ours)} != {_shown(theirs)}"
    return _Values(largest, where)


def _numeric(series) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _equal_or_both_missing(ours, theirs):
    """Cells equal as text, or missing on both sides (strings keep missing values as NA,
    which equals nothing)."""
    same = (ours.astype(str) == theirs.astype(str)).to_numpy(dtype=bool, na_value=False)
    return same | (ours.isna() & theirs.isna()).to_numpy()


def _gaps(ours, theirs):
    """Absolute differences; equal values (NaN and infinities too) 0, NaN against a
    number infinite."""
    import numpy as np

    same = (ours == theirs) | (np.isnan(ours) & np.isnan(theirs))
    with np.errstate(invalid="ignore"):
        gaps = np.abs(ours - theirs)
    return np.where(same, 0.0, np.nan_to_num(gaps, nan=np.inf))


def _json_difference(ours: Any, theirs: Any, tolerance: float, path: str = "") -> _Values:
    """Compare two JSON values; numbers within ``tolerance``, the first difference named
    by its key path (``task_weights.biomass_mean``, ``methods[3]``)."""
    label = path or "top level"
    if _is_number(ours) and _is_number(theirs):
        gap = _gaps_of_numbers(float(ours), float(theirs))
        where = None if gap <= tolerance else f"{label}: {ours!r} != {theirs!r}"
        return _Values(gap, where)
    if isinstance(ours, dict) and isinstance(theirs, dict):
        if list(ours) != list(theirs):
            return _Values(None, f"{label}: keys {list(ours)} != {list(theirs)}")
        items = [(f"{path}.{k}" if path else str(k), ours[k], theirs[k]) for k in ours]
    elif isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return _Values(None, f"{label}: {len(ours)} items != {len(theirs)} items")
        items = [(f"{path}[{i}]", a, b) for i, (a, b) in enumerate(zip(ours, theirs, strict=True))]
    else:
        where = None if ours == theirs else f"{label}: {ours!r} != {theirs!r}"
        return _Values(None, where)
    largest, where = None, None
    for item_path, a, b in items:
        part = _json_difference(a, b, tolerance, item_path)
        largest = _larger(largest, part.max_abs_diff)
        where = where or part.where
    return _Values(largest, where)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _gaps_of_numbers(ours: float, theirs: float) -> float:
    if ours == theirs or (math.isnan(ours) and math.isnan(theirs)):
        return 0.0
    gap = abs(ours - theirs)
    return math.inf if math.isnan(gap) else gap


def _larger(first: float | None, second: float | None) -> float | None:
    known = [v for v in (first, second) if v is not None]
    return max(known) if known else None


def _shown(value: Any) -> str:
    return repr(value.item() if hasattr(value, "item") else value)
