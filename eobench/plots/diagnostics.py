"""Diagnostics of one probe run (``probe.enable_plots``): one row of panels per task.

- training loss and test score per epoch, mean over the K splits with the range between
  the 10th and 90th percentiles (for heads without epochs, the score per penalty or the
  single score);
- regression: predicted vs true label of the test samples of all splits, with the
  identity line; classification: the confusion matrix summed over the splits (a positive
  logit is class 1, scikit-learn's ``confusion_matrix``).
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

from eobench.errors import EobenchError
from eobench.plots.style import save_figure, task_label
from eobench.tables.render import checked_settings

SETTINGS = {
    "width": (10.0, "positive"),
    "row_height": (2.4, "positive"),
    "dpi": (120, "positive_int"),
    "title": ("", "text"),
    "max_points": (4000, "positive_int"),
}


def diagnostics_figure(
    history: pd.DataFrame, predictions: pd.DataFrame, settings: dict[str, Any] | None = None
):
    """The figure: per task, curves (left) and predictions (right)."""
    settings = checked_settings(settings, SETTINGS, "figures.probe_diagnostics")
    for frame, columns, what in (
        (history, ["task", "split", "epoch", "test_score", "train_loss"], "history"),
        (predictions, ["task", "task_type", "split", "label", "output"], "predictions"),
    ):
        missing = [c for c in columns if c not in frame]
        if missing:
            raise EobenchError(f"probe diagnostics: the {what} table lacks columns {missing}")
    tasks = list(dict.fromkeys(predictions["task"]))
    figure, axes = plt.subplots(
        len(tasks),
        2,
        figsize=(settings["width"], settings["row_height"] * len(tasks)),
        squeeze=False,
    )
    rng = np.random.default_rng(0)
    for (curve_ax, output_ax), task in zip(axes, tasks, strict=True):
        _curves(curve_ax, history[history["task"] == task])
        rows = predictions[predictions["task"] == task]
        curve_ax.set_title(task_label(task, width=40).replace("\n", " "), fontsize=9)
        if rows["task_type"].iloc[0] == "cls":
            matrix = confusion_matrix(rows["label"].astype(int), rows["output"] > 0, labels=[0, 1])
            ConfusionMatrixDisplay(matrix, display_labels=[0, 1]).plot(
                ax=output_ax, colorbar=False, values_format="d"
            )
            output_ax.set_title("confusion matrix, all splits", fontsize=9)
        else:
            if len(rows) > settings["max_points"]:
                rows = rows.iloc[rng.choice(len(rows), settings["max_points"], replace=False)]
            output_ax.scatter(rows["label"], rows["output"], s=4, alpha=0.4, color="#0072B2")
            low = min(rows["label"].min(), rows["output"].min())
            high = max(rows["label"].max(), rows["output"].max())
            output_ax.plot([low, high], [low, high], color="black", linewidth=0.8)
            output_ax.set_xlabel("true (normalised)", fontsize=8)
            output_ax.set_ylabel("predicted", fontsize=8)
            output_ax.set_title("test predictions, all splits", fontsize=9)
        for ax in (curve_ax, output_ax):
            ax.tick_params(labelsize=7)
    figure.suptitle(settings["title"])
    figure.tight_layout()
    return figure, settings


def _curves(ax, history: pd.DataFrame) -> None:
    by_epoch = history.groupby("epoch")
    epochs = np.asarray(list(by_epoch.groups))
    score = by_epoch["test_score"]
    ax.plot(epochs, score.mean(), color="#D55E00", marker=".", label="test score")
    ax.fill_between(epochs, score.quantile(0.1), score.quantile(0.9), color="#D55E00", alpha=0.2)
    ax.set_xlabel("epoch", fontsize=8)
    ax.set_ylabel("test score", fontsize=8, color="#D55E00")
    loss = by_epoch["train_loss"].mean()
    if loss.notna().any():
        twin = ax.twinx()
        twin.plot(epochs, loss, color="#0072B2", marker=".", label="training loss")
        twin.set_ylabel("training loss", fontsize=8, color="#0072B2")
        twin.tick_params(labelsize=7)


def plot_probe_diagnostics(
    history: pd.DataFrame,
    predictions: pd.DataFrame,
    out_pdf,
    out_png,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> None:
    """Draw :func:`diagnostics_figure` and save it as PDF and PNG."""
    figure, settings = diagnostics_figure(history, predictions, settings)
    save_figure(figure, out_pdf, out_png, settings["dpi"], provenance)
