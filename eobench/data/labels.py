"""Task labels in the NeuCo-Bench annotation format: one ``<task>__<type>.csv`` per task.

Each file has columns ``id,label``; ``<type>`` is ``regr`` (regression) or ``cls``
(binary classification). Rows with an empty label are skipped, as the reference does.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from eobench.errors import EobenchError
from eobench.io import write_csv

log = logging.getLogger(__name__)

#: Accepted type suffixes and their canonical names.
TASK_TYPES = {
    "regr": "regr",
    "regression": "regr",
    "cls": "cls",
    "classification": "cls",
}


@dataclass
class Task:
    """One downstream task: its name, type (``regr``/``cls``), ids and labels."""

    name: str
    task_type: str
    ids: list[str]
    labels: np.ndarray
    path: Path

    @property
    def is_classification(self) -> bool:
        return self.task_type == "cls"


def write_task_labels(
    folder: str | os.PathLike,
    task: str,
    task_type: str,
    sample_ids: Sequence[str],
    labels: np.ndarray,
) -> Path:
    """Write ``<folder>/<task>__<task_type>.csv`` atomically; NaN labels are left out."""
    if task_type not in ("regr", "cls"):
        raise ValueError(f"task_type must be 'regr' or 'cls', got {task_type!r}")
    frame = pd.DataFrame({"id": list(sample_ids), "label": np.asarray(labels, dtype=float)})
    frame = frame.dropna(subset=["label"])
    if task_type == "cls":
        frame["label"] = frame["label"].astype(int)
    path = Path(folder) / f"{task}__{task_type}.csv"
    write_csv(path, frame)
    return path


def parse_label_filename(path: Path) -> tuple[str, str]:
    """Split ``<task>__<type>.csv`` into task name and canonical type."""
    stem = path.stem
    if "__" not in stem:
        raise EobenchError(f"{path}: label file name must be <task>__<type>.csv")
    task, suffix = stem.rsplit("__", 1)
    if suffix not in TASK_TYPES:
        raise EobenchError(
            f"{path}: unknown task type suffix {suffix!r} (expected one of {sorted(TASK_TYPES)})"
        )
    return task, TASK_TYPES[suffix]


def read_task(path: str | os.PathLike) -> Task:
    """Read and check one label file."""
    path = Path(path)
    name, task_type = parse_label_filename(path)
    if not path.exists():
        raise EobenchError(f"{path}: label file not found")
    try:
        frame = pd.read_csv(path, dtype={"id": str})
    except pd.errors.EmptyDataError as exc:
        raise EobenchError(f"{path}: label file is empty") from exc
    except Exception as exc:
        raise EobenchError(f"{path}: cannot be read as CSV ({exc})") from exc
    missing_columns = {"id", "label"} - set(frame.columns)
    if missing_columns:
        raise EobenchError(f"{path}: missing column(s) {sorted(missing_columns)}")
    n_empty = int(frame["label"].isna().sum())
    if n_empty:
        log.warning("%s: skipped %d rows without a label", path, n_empty)
    frame = frame.dropna(subset=["label"])
    if frame.empty:
        raise EobenchError(f"{path}: label file has no labelled rows")
    labels = pd.to_numeric(frame["label"], errors="coerce")
    if labels.isna().any():
        bad = frame["label"][labels.isna()].iloc[0]
        raise EobenchError(f"{path}: non-numeric label {bad!r}")
    duplicated = frame["id"][frame["id"].duplicated()]
    if len(duplicated):
        raise EobenchError(f"{path}: duplicate id {duplicated.iloc[0]!r}")
    values = labels.to_numpy(dtype=np.float64)
    if np.ptp(values) == 0:
        raise EobenchError(f"{path}: all {len(values)} labels are equal ({values[0]:g})")
    if task_type == "cls" and not np.isin(values, (0.0, 1.0)).all():
        raise EobenchError(f"{path}: classification labels must be 0 or 1")
    return Task(name, task_type, frame["id"].astype(str).tolist(), values, path)


def read_annotations(folder: str | os.PathLike, tasks: Sequence[str] | None = None) -> list[Task]:
    """Read every ``<task>__<type>.csv`` of ``folder`` (or only ``tasks``), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EobenchError(f"{folder}: annotation folder not found")
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise EobenchError(f"{folder}: no <task>__<type>.csv label files")
    by_name: dict[str, Path] = {}
    for path in files:
        name, _ = parse_label_filename(path)
        if name in by_name:
            raise EobenchError(f"{folder}: task {name!r} has two label files")
        by_name[name] = path
    if tasks is not None:
        unknown = [t for t in tasks if t not in by_name]
        if unknown:
            raise EobenchError(
                f"{folder}: no label file for task {unknown[0]!r} (has: {sorted(by_name)})"
            )
        by_name = {t: by_name[t] for t in tasks}
    return [read_task(by_name[name]) for name in sorted(by_name)]
