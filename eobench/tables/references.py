"""Every task's reference levels: the ceiling and the chance level of its score.

A synthetic dataset writes both to ``tasks.csv`` (:func:`eobench.data.synth.task_table`).
For a dataset without one, the chance level comes from the labels (the ceiling is
unknown, NaN): R² 0 for regression, the F1 of predicting every sample positive for
classification, the same definitions as the generator's.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from eobench.errors import EobenchError

REFERENCE_COLUMNS = ["task", "ceiling", "chance"]


def chance_score(task_type: str, labels: np.ndarray) -> float:
    """Score of the best constant prediction of ``labels`` (NaN = unlabelled).

    R² 0 for regression (the mean); for classification the F1 of predicting every
    sample positive, ``2p / (1 + p)`` for a positive rate ``p``, the constant that
    maximises the positive class's F1 (0.667 on a balanced task).
    """
    if task_type == "regr":
        return 0.0
    known = np.asarray(labels, dtype=float)
    known = known[~np.isnan(known)]
    p = float(np.mean(known == 1)) if len(known) else 0.0
    return 2 * p / (1 + p)


def read_task_references(path: str | os.PathLike) -> pd.DataFrame:
    """``task, ceiling, chance`` from a dataset's ``tasks.csv`` or its labels folder.

    Parameters
    ----------
    path : path
        ``tasks.csv`` (columns ``task, ceiling, chance``; a missing ceiling is NaN), or a
        folder of ``<task>__regr.csv`` / ``<task>__cls.csv`` label files (``id,label``),
        whose chance levels are computed and whose ceilings are NaN.
    """
    path = Path(path)
    if path.is_dir():
        return references_from_labels(path)
    if not path.is_file():
        raise EobenchError(f"{path}: task references not found")
    table = pd.read_csv(path)
    missing = [c for c in ("task", "chance") if c not in table]
    if missing:
        raise EobenchError(f"{path}: missing columns {missing}")
    if "ceiling" not in table:
        table["ceiling"] = np.nan
    return table[REFERENCE_COLUMNS].astype({"ceiling": float, "chance": float})


def references_from_labels(folder: str | os.PathLike) -> pd.DataFrame:
    """Chance levels of every task of an annotation folder; ceilings NaN."""
    rows = []
    for file in sorted(Path(folder).glob("*__*.csv")):
        task, kind = file.stem.rsplit("__", 1)
        if kind not in ("regr", "cls"):
            continue
        labels = pd.read_csv(file)["label"].to_numpy(dtype=float)
        rows.append({"task": task, "ceiling": np.nan, "chance": chance_score(kind, labels)})
    return pd.DataFrame(rows, columns=REFERENCE_COLUMNS)
