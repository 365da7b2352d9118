"""The tidy metrics table of the adaptation stage: gathered from every run, read by all."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from eobench.errors import EobenchError

#: Columns of every metrics table: the method key, then what was scored.
METHOD_KEY = ("encoder", "weights", "mode", "inputs", "subset", "seed")
METRIC_COLUMNS = (
    "dataset",
    "task",
    "task_kind",
    "metric",
    *METHOD_KEY,
    "test_split",
    "score",
    "n_test",
    "best_epoch",
    "ttt_steps",
)


def check_metrics(metrics: pd.DataFrame, what: str = "adaptation metrics") -> None:
    """Raise an :class:`EobenchError` naming the missing columns or an empty table."""
    missing = [column for column in METRIC_COLUMNS if column not in metrics]
    if missing:
        raise EobenchError(f"{what}: missing columns {missing}")
    if metrics.empty:
        raise EobenchError(f"{what}: the table is empty")


def read_metrics(path) -> pd.DataFrame:
    """A metrics table, its columns checked (:data:`METRIC_COLUMNS`)."""
    frame = pd.read_csv(path)
    check_metrics(frame, str(path))
    return frame


def gather_metrics(paths: Sequence[str]) -> pd.DataFrame:
    """The metrics of every run in one table, ordered by task, method key and test split."""
    if not paths:
        raise EobenchError("adaptation.grid: no run to gather (no encoder or empty grid)")
    frame = pd.concat([read_metrics(p) for p in paths], ignore_index=True)
    order = ["task", *METHOD_KEY, "test_split"]
    return frame.sort_values(order, kind="stable").reset_index(drop=True)[list(METRIC_COLUMNS)]
