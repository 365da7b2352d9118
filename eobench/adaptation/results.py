"""The tidy metrics table of the adaptation stage: gathered from every run, read by all."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from eobench.adaptation.run import METHOD_KEY, METRIC_COLUMNS
from eobench.errors import EobenchError


def read_metrics(path) -> pd.DataFrame:
    """A metrics table, its columns checked (:data:`METRIC_COLUMNS`)."""
    frame = pd.read_csv(path)
    missing = [c for c in METRIC_COLUMNS if c not in frame.columns]
    if missing:
        raise EobenchError(f"{path}: not an adaptation metrics table (missing {missing})")
    return frame


def gather_metrics(paths: Sequence[str]) -> pd.DataFrame:
    """The metrics of every run in one table, ordered by task, method key and test split."""
    if not paths:
        raise EobenchError("adaptation.grid: no run to gather (no encoder or empty grid)")
    frame = pd.concat([read_metrics(p) for p in paths], ignore_index=True)
    order = ["task", *METHOD_KEY, "test_split"]
    return frame.sort_values(order, kind="stable").reset_index(drop=True)[list(METRIC_COLUMNS)]
