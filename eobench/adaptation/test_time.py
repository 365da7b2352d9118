"""The job of a test-time mode (JT-TTT, JT-TTT-Geo): JT's checkpoints adapted per test batch.

For every task: the JT checkpoint and the normalisation it was trained with; the number of
steps chosen on validation batches cut the way the mode cuts the test
(:func:`eobench.adaptation.ttt.choose_steps_on_validation`); then each test split (random
and geographic) adapted batch by batch and scored. Batches are random chunks of
``ttt.batch_size`` (TTT-MMR) or geographic groups (TTT-MMR-Geo).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd
import torch

from eobench.adaptation.geo_batches import geographic_batches, random_batches
from eobench.adaptation.modalities import MODALITIES
from eobench.adaptation.model import task_loss
from eobench.adaptation.run import (
    METRIC_COLUMNS,
    TEST_SPLITS,
    Job,
    JobData,
    load_checkpoint_model,
    normalisation_of,
    score_rows,
)
from eobench.adaptation.splits import read_splits
from eobench.adaptation.tasks import get_task
from eobench.adaptation.ttt import JointModel, TTTData, choose_steps_on_validation, ttt_predict
from eobench.data.store import CubeStore
from eobench.errors import EobenchError
from eobench.io import write_csv

log = logging.getLogger(__name__)

STEP_COLUMNS = ("task", "steps", "votes", "n_val_batches")


def cut_batches(mode, samples, settings: Mapping[str, Any]):
    """The TTT batches of ``samples``: random chunks or geographic groups."""
    size = settings["batch_size"]
    if mode.batching == "geographic":
        lon, lat = samples.lonlat[:, 0], samples.lonlat[:, 1]
        return geographic_batches(lon, lat, batch_size=size)
    return random_batches(len(samples), settings["batch_seed"], batch_size=size)


def ttt_data(samples, with_target: bool) -> TTTData:
    return TTTData(
        samples.inputs,
        samples.reconstruction,
        samples.valid,
        samples.target if with_target else None,
    )


def run_ttt_job(
    store_path, splits_path, model_path, out_metrics, out_steps, job: Job, settings, device="auto"
) -> pd.DataFrame:
    """Adapt every task's JT checkpoint on the test batches; write metrics and steps."""
    from eobench.probes.linear import resolve_device

    device = resolve_device(device)
    if settings["geo_max_group"] != 2 * settings["batch_size"]:
        raise EobenchError(
            "config key adaptation.ttt.geo_max_group: must be twice adaptation.ttt.batch_size "
            "(a group is cut while it can give two batches)"
        )
    store, splits = CubeStore(store_path), read_splits(splits_path)
    checkpoints = torch.load(model_path, weights_only=False)
    data = JobData(store, splits, job, parts=["val", *TEST_SPLITS])
    rows, steps_rows = [], []
    for name in job.tasks:
        if name not in checkpoints:
            raise EobenchError(f"{model_path}: no checkpoint of task {name} (rerun its JT job)")
        task, checkpoint = get_task(name), checkpoints[name]
        samples, _, _ = data.samples(task, normalisation_of(checkpoint))
        model = load_checkpoint_model(job, task, store, checkpoint, samples["val"])
        joint = JointModel(
            model.backbone,
            model.decoders,
            model.head,
            {m: MODALITIES[m].kind for m in model.decoders},
        )
        options = {"lr": settings["learning_rate"], "device": device}
        choice = choose_steps_on_validation(
            joint,
            ttt_data(samples["val"], True),
            cut_batches(job.mode, samples["val"], settings),
            functools.partial(task_loss, task),
            max_steps=settings["max_steps"],
            **options,
        )
        predictions = {
            split: ttt_predict(
                joint,
                ttt_data(samples[split], False),
                cut_batches(job.mode, samples[split], settings),
                choice.steps,
                **options,
            )
            .detach()
            .numpy()
            for split in TEST_SPLITS
        }
        steps = dict.fromkeys(TEST_SPLITS, choice.steps)
        rows += score_rows(
            job, task, checkpoint["weights"], samples, predictions, checkpoint["best_epoch"], steps
        )
        steps_rows.append(
            {
                "task": name,
                "steps": choice.steps,
                "votes": " ".join(map(str, choice.votes)),
                "n_val_batches": len(choice.votes),
            }
        )
        log.info("%s %s: %d steps (votes %s)", job.mode.name, name, choice.steps, choice.votes)
    table = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    write_csv(out_metrics, table)
    write_csv(out_steps, pd.DataFrame(steps_rows, columns=list(STEP_COLUMNS)))
    return table
