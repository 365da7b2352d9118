"""Evaluate one embedding table on a folder of tasks, as the NeuCo-Bench evaluator does.

Input rules of the evaluator: embeddings standardised with ONE global scalar mean and
standard deviation over the labelled samples; regression labels min-max normalised per
task; every task probed over the same K random splits.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Collection, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
from tqdm import tqdm

from eobench.data.labels import Task, read_annotations
from eobench.embeddings import load_embeddings
from eobench.errors import EobenchError
from eobench.metrics import METRIC_NAMES, detailed_metrics
from eobench.probes.heads import LINEAR, ProbeHead, fit_head
from eobench.probes.linear import ProbeSettings, task_splits
from eobench.probes.splits import Splits

log = logging.getLogger(__name__)


def standardise_globally(values: np.ndarray) -> np.ndarray:
    """Subtract the mean and divide by the standard deviation of ALL entries (one scalar each)."""
    mean, std = float(values.mean()), float(values.std())
    return ((values - mean) / (std if std != 0 else 1.0)).astype(np.float32)


def min_max(labels: np.ndarray) -> np.ndarray:
    """Scale labels to [0, 1] (constant labels are rejected when they are read)."""
    return (labels - labels.min()) / (labels.max() - labels.min())


def check_classes(task: Task, splits: Splits, labels: np.ndarray) -> None:
    """Every training part of a classification task must hold both classes.

    A test or validation part with a single class is scored as scikit-learn scores it
    (F1 0 without a positive, ``zero_division``) and logged: on a small task (the embedded
    ``random_cls``, 30 % positives on 86 samples, 9 per test part) some of many splits
    draw no positive, as the same ShuffleSplit would on the reference evaluator.
    """
    for k in range(splits.k):
        classes = np.unique(labels[splits.fit[k]])
        if len(classes) < 2:
            raise EobenchError(
                f"{task.path}: split {k} of task {task.name!r} has a single class "
                f"({int(classes[0])}) in its training part; the task needs more samples "
                "of the rare class"
            )
    parts = {"test": splits.test}
    if splits.validation is not None:
        parts["validation"] = splits.validation
    for part, membership in parts.items():
        single = [k for k in range(splits.k) if len(np.unique(labels[membership[k]])) < 2]
        if single:
            log.warning(
                "task %s: %d of %d %s parts hold a single class (F1 0 where no positive)",
                task.name,
                len(single),
                splits.k,
                part,
            )


def evaluate_embeddings(
    embeddings_path: str | os.PathLike,
    annotation_dir: str | os.PathLike,
    settings: ProbeSettings,
    embedding_dim: int,
    *,
    tasks: Sequence[str] | None = None,
    standardize: bool = True,
    normalize_labels: bool = True,
    require_all_ids: bool = True,
    progress: bool = True,
    head: ProbeHead = LINEAR,
    with_predictions: bool = False,
    detailed: bool = True,
    exclude_ids: Collection[str] = (),
    extras: dict[str, dict] | None = None,
    timings: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, ...]:
    """Probe an embedding table on every task.

    Returns a tidy table of split scores (``task, task_type, metric, split, score,
    best_epoch, n_fit, n_test`` and the :func:`~eobench.metrics.detailed_metrics` of the
    selected epoch) and one of training histories (``task, split, epoch,
    test_score, validation_score, train_loss``).

    ``head`` is the probe trained on the splits (default: the paper's linear probe).
    ``detailed=False`` leaves out the per-split scikit-learn metrics (MSE, MAE,
    precision, ...) where only the score is needed, as in challenge scoring, where they
    cost about as much as the probes. ``with_predictions`` adds a third table, the
    selected epoch's output on every test sample of every split (``task, split, id,
    label, output``; logits for classification), for the diagnostics figures.
    ``require_all_ids`` rejects a table that lacks labelled ids (the workflow's own
    embeddings must cover the dataset); without it, such ids are left out, as the
    reference evaluator's merge does. ``exclude_ids`` are dropped before anything else
    (the evaluator's ``--exclude_file``). ``extras`` receives each task's
    :attr:`ProbeResult.extra <eobench.probes.linear.ProbeResult>` (e.g. the SVM's chosen
    hyperparameters); ``timings`` the seconds spent reading, probing and computing
    metrics.
    """
    clock = _Stopwatch(timings)
    all_tasks = read_annotations(annotation_dir)
    # Like the reference, the embeddings are filtered to (and standardised over) the ids
    # of every label file, whichever tasks run: a task's scores do not depend on the filter.
    labelled = sorted({i for task in all_tasks for i in task.ids} - set(exclude_ids))
    if tasks is not None:
        known = {task.name for task in all_tasks}
        unknown = [t for t in tasks if t not in known]
        if unknown:
            raise EobenchError(
                f"{annotation_dir}: no label file for task {unknown[0]!r} (has: {sorted(known)})"
            )
    task_list = [task for task in all_tasks if tasks is None or task.name in tasks]
    ids, values = load_embeddings(
        embeddings_path,
        embedding_dim,
        required_ids=labelled if require_all_ids else None,
        keep_ids=labelled,
    )
    if standardize:
        values = standardise_globally(values)
    clock.lap("read")
    row_of = {sample_id: row for row, sample_id in enumerate(ids)}
    settings = head.settings(settings)
    # Converged heads choose their penalty on validation parts; the test parts do not
    # depend on the protocol, so their scores pair with the other heads' split by split.
    split_settings = replace(settings, protocol="strict") if head.needs_validation else settings
    scores, histories, predictions = [], [], []
    for task in tqdm(task_list, desc="probing tasks", unit="task", disable=not progress):
        present = np.array([i in row_of for i in task.ids])
        if not present.all():
            log.info(
                "task %s: %d labelled ids without embedding left out",
                task.name,
                int((~present).sum()),
            )
        rows = np.array([row_of[i] for i, p in zip(task.ids, present, strict=True) if p])
        labels = task.labels[present]
        if len(rows) < 2 or np.ptp(labels) == 0:
            raise EobenchError(f"{task.path}: fewer than two distinct labels with embeddings")
        if normalize_labels and not task.is_classification:
            labels = min_max(labels)
        splits = task_splits(split_settings, len(labels), task.name)
        if task.is_classification:
            check_classes(task, splits, labels)
        result = fit_head(head, values[rows], labels, task.task_type, settings, task.name, splits)
        clock.lap("probe")
        if extras is not None:
            extras[task.name] = result.extra
        k = len(result.scores)
        details = pd.DataFrame(
            detailed_metrics(task.task_type, labels, result.best_outputs, splits.test[:k])
            if detailed
            else {}
        )
        scores.append(
            pd.concat(
                [
                    pd.DataFrame(
                        {
                            "task": task.name,
                            "task_type": task.task_type,
                            "metric": METRIC_NAMES[task.task_type],
                            "split": np.arange(k),
                            "score": result.scores,
                            "best_epoch": result.best_epoch,
                            "n_fit": result.n_fit,
                            "n_test": result.n_test,
                        }
                    ),
                    details,
                ],
                axis=1,
            )
        )
        if with_predictions:
            split_of, sample_of = np.nonzero(splits.test)
            task_ids = np.asarray([i for i, p in zip(task.ids, present, strict=True) if p])
            predictions.append(
                pd.DataFrame(
                    {
                        "task": task.name,
                        "task_type": task.task_type,
                        "split": split_of,
                        "id": task_ids[sample_of],
                        "label": labels[sample_of],
                        "output": result.best_outputs[sample_of, split_of],
                    }
                )
            )
        epochs = result.test_history.shape[0]
        # Heads without epochs (converged: one row per penalty; kNN) have no training loss.
        train_loss = (
            result.train_loss
            if result.train_loss.shape == result.test_history.shape
            else np.full_like(result.test_history, np.nan)
        )
        validation = (
            result.validation_history
            if result.validation_history is not None
            else np.full_like(result.test_history, np.nan)
        )
        histories.append(
            pd.DataFrame(
                {
                    "task": task.name,
                    "split": np.tile(np.arange(k), epochs),
                    "epoch": np.repeat(np.arange(epochs), k),
                    "test_score": result.test_history.ravel(),
                    "validation_score": validation.ravel(),
                    "train_loss": train_loss.ravel(),
                }
            )
        )
        clock.lap("metrics")
    tables = (pd.concat(scores, ignore_index=True), pd.concat(histories, ignore_index=True))
    if with_predictions:
        return (*tables, pd.concat(predictions, ignore_index=True))
    return tables


class _Stopwatch:
    """Adds the seconds since the previous lap to ``timings[name]`` (a no-op without)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[name] = self.timings.get(name, 0.0) + now - self.last
        self.last = now
