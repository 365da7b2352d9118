"""The MMEarth-Bench tasks: what a model is adapted to predict, and how it is scored.

A task names the store array holding its target, the target's kind and the metric. The
kind decides the head (:mod:`eobench.adaptation.heads`), the loss and the metric:

==================  =====================  =========================  ===============
kind                target per sample      loss                       metric
==================  =====================  =========================  ===============
pixel_regression    ``[H, W]`` map         MSE on standardised pixels R^2 over pixels
tile_regression     ``[1]`` value          MSE on standardised values R^2 over samples
multilabel          ``[S]`` 0/1 vector     binary cross-entropy       mAP over classes
==================  =====================  =========================  ===============

Unlabelled targets are NaN (regression) and are left out of losses and metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eobench.errors import EobenchError

KINDS = ("pixel_regression", "tile_regression", "multilabel")


@dataclass(frozen=True)
class AdaptationTask:
    """One task: its store array, target kind and units."""

    name: str
    array: str
    kind: str
    units: str

    @property
    def metric(self) -> str:
        """``r2`` for regression, ``map`` (mean average precision) for multi-label."""
        return "map" if self.kind == "multilabel" else "r2"

    @property
    def dense(self) -> bool:
        """Whether the target is a per-pixel map."""
        return self.kind == "pixel_regression"


TASKS: dict[str, AdaptationTask] = {
    task.name: task
    for task in (
        AdaptationTask("biomass", "biomass_map", "pixel_regression", "Mg/ha"),
        AdaptationTask("soil_nitrogen", "soil_nitrogen", "tile_regression", "g/kg"),
        AdaptationTask("soil_organic_carbon", "soil_organic_carbon", "tile_regression", "g/kg"),
        AdaptationTask("soil_ph", "soil_ph", "tile_regression", "pH"),
        AdaptationTask("species", "species", "multilabel", "occurrence"),
    )
}


def get_task(name: str, key: str = "adaptation.tasks") -> AdaptationTask:
    """The task called ``name``; an unknown name is an error naming ``key``."""
    if name not in TASKS:
        raise EobenchError(f"config key {key}: unknown task {name!r} (known: {sorted(TASKS)})")
    return TASKS[name]


def task_score(task: AdaptationTask, prediction: np.ndarray, target: np.ndarray) -> float:
    """R^2 over the labelled pixels or samples, or the mean average precision over the
    classes that have both positives and negatives in ``target`` (others are undefined)."""
    from sklearn.metrics import average_precision_score, r2_score

    prediction, target = np.asarray(prediction, float), np.asarray(target, float)
    if task.kind == "multilabel":
        varied = (target.min(axis=0) < 1) & (target.max(axis=0) > 0)
        if not varied.any():
            return float("nan")
        return float(
            average_precision_score(target[:, varied], prediction[:, varied], average="macro")
        )
    valid = ~np.isnan(target)
    if valid.sum() < 2:
        return float("nan")
    return float(r2_score(target[valid], prediction[valid]))
